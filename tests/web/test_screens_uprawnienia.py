"""The "Uprawnienia" screens in Chromium: "Nadaj uprawnienie" to a person by PESEL (InvoiceWrite), seen in
"Uprawnienia nadane", taken back with "Odbierz uprawnienie" and its confirmation; the form's parts following
"Rodzaj uprawnienia" and "Typ identyfikatora"; the whole grant by keyboard alone; every screen 375 px wide."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

from support.pki import random_pesel
from support.screens_browser import McuServer, log_in_for_test, no_horizontal_scroll

GRANT = "/uprawnienia/nadaj"
GRANTED = "/uprawnienia/nadane"


def tab_to(page: Page, condition: str, *, limit: int = 60) -> None:
    """Press Tab until `condition` (JavaScript on `document.activeElement` as `e`) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(e => {condition})(document.activeElement)"):
            return
    raise AssertionError(f"no focusable element with {condition}")


def test_grant_invoice_write_by_pesel_then_revoke_it(mcu: McuServer, screen: Page) -> None:
    log_in_for_test(screen, mcu.url)
    pesel = random_pesel()
    screen.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Uprawnienia").click()
    screen.get_by_role("heading", name="Uprawnienia nadane").wait_for()
    screen.get_by_role("navigation", name="Uprawnienia").get_by_role("link", name="Nadaj uprawnienie").click()

    assert screen.get_by_role("radio", name="Osobie fizycznej do pracy w KSeF").is_checked()
    assert screen.get_by_role("radio", name="PESEL").is_checked()
    screen.get_by_role("textbox", name="Identyfikator").fill(pesel)
    screen.get_by_role("textbox", name="Imię").fill("Anna")
    screen.get_by_role("textbox", name="Nazwisko").fill("Nowak")
    screen.get_by_role("checkbox", name="Wystawianie faktur").check()
    screen.get_by_role("textbox", name="Opis").fill("Pracownik działu księgowości")
    screen.get_by_role("button", name="Nadaj uprawnienia").click()

    screen.get_by_role("heading", name="Status operacji").wait_for()
    assert screen.get_by_text("Uprawnienia zostały nadane.").is_visible()
    assert screen.locator("#status-operacji").inner_text() == "200 — Operacja zakończona sukcesem"
    screen.get_by_role("link", name="Przejdź do listy uprawnień nadanych").click()

    row = screen.locator("tr", has_text=f"PESEL {pesel}")
    assert row.get_by_text("Wystawianie faktur").is_visible()
    assert row.get_by_text("Aktywne").is_visible()
    assert row.get_by_text("Anna Nowak").is_visible()
    assert (
        screen.get_by_role("region", name="Ostatnie operacje").get_by_text("Uprawnienia zostały nadane.").is_visible()
    )

    row.get_by_role("link", name=f"Odbierz uprawnienie Wystawianie faktur – Anna Nowak (PESEL {pesel})").click()
    screen.get_by_role("heading", name="Odbierz uprawnienie", level=1).wait_for()
    screen.get_by_role("button", name="Odbierz uprawnienie").click()  # not confirmed yet
    confirmation = screen.get_by_role("checkbox", name="Potwierdzam, że chcę odebrać to uprawnienie")
    assert confirmation.evaluate("e => e === document.activeElement")
    assert screen.get_by_text("Potwierdź, że chcesz odebrać to uprawnienie.").first.is_visible()
    confirmation.check()
    screen.get_by_role("button", name="Odbierz uprawnienie").click()
    screen.get_by_text("Uprawnienie zostało odebrane.").wait_for()
    screen.get_by_role("link", name="Przejdź do listy uprawnień nadanych").click()
    assert screen.get_by_text("W tym kontekście nie nadano jeszcze uprawnień osobom fizycznym.").is_visible()


def test_the_form_follows_the_kind_and_the_identifier(mcu: McuServer, screen: Page) -> None:
    log_in_for_test(screen, mcu.url)
    screen.goto(f"{mcu.url}{GRANT}")
    person, entity = screen.locator("#dane-osoby"), screen.locator("#dane-podmiotu")
    assert person.is_visible()
    assert entity.is_hidden()
    assert screen.locator("#dane-odcisku").is_hidden()
    screen.get_by_role("radio", name="Odcisk palca certyfikatu").check()
    assert screen.get_by_role("textbox", name="NIP lub PESEL osoby").is_visible()
    assert screen.get_by_label("Data urodzenia").is_visible()

    screen.get_by_role("radio", name="Podmiotowi do wystawiania i przeglądania faktur").check()
    assert person.is_hidden()
    assert entity.is_visible()
    delegate = screen.get_by_role("checkbox", name="Z prawem do dalszego przekazywania (wystawianie faktur)")
    assert delegate.is_disabled()
    screen.get_by_role("checkbox", name="Wystawianie faktur", exact=True).check()
    assert delegate.is_enabled()
    delegate.check()
    screen.get_by_role("textbox", name="NIP podmiotu").fill("1234567890")
    screen.get_by_role("textbox", name="Pełna nazwa").fill("Biuro Rachunkowe Bilans")
    screen.get_by_role("textbox", name="Opis").fill("Biuro rachunkowe")
    screen.get_by_role("button", name="Nadaj uprawnienia").click()
    nip_field = screen.get_by_role("textbox", name="NIP podmiotu")
    assert nip_field.evaluate("e => e === document.activeElement")  # the first field in error
    assert nip_field.get_attribute("aria-invalid") == "true"
    assert "cyfra kontrolna się nie zgadza" in screen.locator("#nip-podmiotu-error").inner_text()
    assert entity.is_visible()  # the chosen kind is kept
    assert screen.get_by_role("checkbox", name="Z prawem do dalszego przekazywania (wystawianie faktur)").is_checked()


def test_grant_by_keyboard_alone(mcu: McuServer, screen: Page) -> None:
    log_in_for_test(screen, mcu.url)
    pesel = random_pesel()
    screen.goto(f"{mcu.url}{GRANT}")
    tab_to(screen, "e.name === 'rodzaj'")
    assert screen.evaluate("document.activeElement.value") == "osoba"
    tab_to(screen, "e.name === 'typ-identyfikatora'")
    assert screen.evaluate("document.activeElement.value") == "Pesel"
    tab_to(screen, "e.id === 'identyfikator'")
    screen.keyboard.type(pesel)
    tab_to(screen, "e.id === 'imie'")
    screen.keyboard.type("Jan")
    tab_to(screen, "e.id === 'nazwisko'")
    screen.keyboard.type("Kowalski")
    tab_to(screen, "e.id === 'uprawnienie-InvoiceWrite'")
    screen.keyboard.press("Space")
    tab_to(screen, "e.id === 'opis'")
    screen.keyboard.type("Pracownik z klawiatury")
    tab_to(screen, "e.textContent === 'Nadaj uprawnienia'")
    screen.keyboard.press("Enter")
    screen.get_by_text("Uprawnienia zostały nadane.").wait_for()
    tab_to(screen, "e.textContent === 'Przejdź do listy uprawnień nadanych'")
    screen.keyboard.press("Enter")
    row = screen.locator("tr", has_text=f"PESEL {pesel}")
    row.wait_for()
    assert row.get_by_text("Wystawianie faktur").is_visible()
    assert row.get_by_text("Jan Kowalski").is_visible()


def test_every_permission_screen_fits_375_pixels(mcu: McuServer, context: BrowserContext) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 812})
    log_in_for_test(page, mcu.url)
    page.goto(f"{mcu.url}{GRANT}")
    page.get_by_role("textbox", name="Identyfikator").fill(random_pesel())
    page.get_by_role("textbox", name="Imię").fill("Anna")
    page.get_by_role("textbox", name="Nazwisko").fill("Nowak")
    page.get_by_role("checkbox", name="Przeglądanie faktur").check()
    page.get_by_role("textbox", name="Opis").fill("Pracownik działu księgowości")
    page.get_by_role("button", name="Nadaj uprawnienia").click()
    page.get_by_role("heading", name="Status operacji").wait_for()
    assert no_horizontal_scroll(page), page.url
    page.goto(f"{mcu.url}{GRANTED}")
    page.get_by_role("link", name="Odbierz uprawnienie Przeglądanie faktur – Anna Nowak", exact=False).click()
    page.get_by_role("heading", name="Odbierz uprawnienie", level=1).wait_for()
    assert no_horizontal_scroll(page), page.url
    for path in (GRANT, GRANTED, f"{GRANTED}?odbiorca=podmioty", "/uprawnienia/otrzymane", "/"):
        page.goto(f"{mcu.url}{path}")
        assert no_horizontal_scroll(page), path
    page.goto(f"{mcu.url}{GRANT}")
    page.get_by_role("radio", name="Odcisk palca certyfikatu").check()
    page.get_by_role("radio", name="Podmiotowi do wystawiania i przeglądania faktur").check()
    assert no_horizontal_scroll(page)
