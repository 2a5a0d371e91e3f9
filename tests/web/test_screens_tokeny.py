"""The "Tokeny" screens in Chromium: "Generuj token" shows the token once with "Kopiuj token" (the clipboard holds it),
the token logs in through `/v2/auth/ksef-token` with the client's `login_with_ksef_token`, "Unieważnij token" with its
confirmation makes the next login fail; the token is on no other page; every screen 375 px wide."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page

from ksef_mcu.client import ContextIdentifier, ContextIdentifierType, KsefAuthenticationFailedError, KsefClient
from support.screens_browser import McuServer, log_in_for_test, no_horizontal_scroll


def generate(page: Page, description: str, *permissions: str) -> str:
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Tokeny").click()
    page.get_by_role("heading", name="Lista tokenów").wait_for()
    page.get_by_role("navigation", name="Tokeny").get_by_role("link", name="Generuj token").click()
    for permission in permissions:
        page.get_by_role("checkbox", name=permission, exact=True).check()
    page.get_by_role("textbox", name="Opis tokena").fill(description)
    page.get_by_role("button", name="Generuj token").click()
    page.get_by_role("heading", name="Token został wygenerowany").wait_for()
    return page.get_by_role("textbox", name="Token KSeF").input_value()


def test_generate_copy_log_in_and_revoke(mcu: McuServer, context: BrowserContext, screen: Page) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=mcu.url)
    nip = log_in_for_test(screen, mcu.url)
    token = generate(screen, "Token do systemu ERP", "Przeglądanie faktur", "Wystawianie faktur")
    assert token.split("|")[1] == f"nip-{nip}"
    warning = screen.locator("#token-ostrzezenie")
    assert "wyświetlamy go tylko ten jeden raz" in warning.inner_text()
    field = screen.get_by_role("textbox", name="Token KSeF")
    assert field.get_attribute("readonly") is not None
    copy = screen.get_by_role("button", name="Kopiuj token")
    copy.click()
    screen.get_by_role("status").get_by_text("Skopiowano token do schowka.").wait_for()
    assert screen.evaluate("navigator.clipboard.readText()") == token
    reference = token.split("|", 1)[0]

    context_id = ContextIdentifier(ContextIdentifierType.NIP, nip)
    with KsefClient(base_url=f"{mcu.url}/v2") as user:
        state = user.auth.login_with_ksef_token(token, context_id)
        assert state.access_token.token

    screen.get_by_role("link", name="Przejdź do listy tokenów").click()
    row = screen.locator(f'tr[data-reference="{reference}"]')
    assert row.get_by_text("Aktywny").is_visible()
    assert row.get_by_text("Przeglądanie faktur, Wystawianie faktur").is_visible()
    assert token.rsplit("|", 1)[1] not in screen.content()

    screen.get_by_role("link", name=f"Unieważnij token Token do systemu ERP ({reference})").click()
    screen.get_by_role("heading", name="Unieważnij token", level=1).wait_for()
    screen.get_by_role("checkbox", name="Rozumiem, że unieważnienia tokena nie można cofnąć").check()
    screen.get_by_role("button", name="Unieważnij token").click()
    screen.get_by_text(f"Token „Token do systemu ERP” ({reference}) został unieważniony.").wait_for()
    assert screen.locator(f'tr[data-reference="{reference}"]').get_by_text("Unieważniony").is_visible()

    with KsefClient(base_url=f"{mcu.url}/v2") as user, pytest.raises(KsefAuthenticationFailedError) as refused:
        user.auth.login_with_ksef_token(token, context_id)
    assert refused.value.status_code == 450
    assert refused.value.details == ("Token unieważniony.",)


def test_without_a_clipboard_the_token_is_selected(mcu: McuServer, screen: Page) -> None:
    log_in_for_test(screen, mcu.url)
    token = generate(screen, "Token bez schowka", "Przeglądanie faktur")
    screen.evaluate("Object.defineProperty(navigator, 'clipboard', { value: undefined })")
    screen.get_by_role("button", name="Kopiuj token").click()
    screen.get_by_text("token jest zaznaczony: skopiuj go skrótem Ctrl+C").wait_for()
    field = screen.get_by_role("textbox", name="Token KSeF")
    assert field.evaluate("e => e === document.activeElement")
    assert field.evaluate("e => e.value.substring(e.selectionStart, e.selectionEnd)") == token


def test_every_token_screen_fits_375_pixels(mcu: McuServer, context: BrowserContext) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 812})
    log_in_for_test(page, mcu.url)
    page.goto(f"{mcu.url}/tokeny/generuj")
    assert no_horizontal_scroll(page)
    page.get_by_role("checkbox", name="Wystawianie faktur").check()
    page.get_by_role("textbox", name="Opis tokena").fill("Token na telefonie")
    page.get_by_role("button", name="Generuj token").click()
    page.get_by_role("heading", name="Token został wygenerowany").wait_for()
    assert no_horizontal_scroll(page)
    page.goto(f"{mcu.url}/tokeny")
    assert no_horizontal_scroll(page)
    page.get_by_role("link", name="Unieważnij token Token na telefonie", exact=False).click()
    page.get_by_role("heading", name="Unieważnij token", level=1).wait_for()
    assert no_horizontal_scroll(page)
