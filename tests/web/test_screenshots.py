"""Every MCU screen rendered in Chromium, without a script error or CSP violation, saved as a picture.

The pictures go to a temporary folder; with `KSEF_MCU_SCREENSHOTS=docs/screens` they replace the ones in the
documentation (`docs/screens/`, linked from the README):

    KSEF_MCU_SCREENSHOTS=docs/screens .venv/bin/pytest tests/web/test_screenshots.py --db=sqlite
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from ksef_mcu.server.certificates.model import SubjectLimits
from support.screens_browser import (
    McuServer,
    download_issued,
    generate_key,
    grant_on_screen,
    issue_certificates,
    log_in_as_person,
    log_in_for_test,
    principal_of,
    send_request,
)

NIP = "5260001039"
"""A fixed NIP, so the pictures do not change from run to run (none of the other tests uses it)."""
OFFICE = "7771234567"
CLERK, TRAINEE, OWNER = "85041212344", "91070534560", "78032198767"
PNG = b"\x89PNG\r\n\x1a\n"


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    assert path.read_bytes().startswith(PNG)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


def test_screenshots_of_every_screen(mcu: McuServer, context: BrowserContext, screen: Page, tmp_path: Path) -> None:
    folder = Path(os.environ.get("KSEF_MCU_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    page = screen
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{mcu.url}/")
    shoot(page, folder, "01-logowanie")
    for name, path in (
        ("02-profil-zaufany", "/logowanie/profil-zaufany"),
        ("03-certyfikat-kwalifikowany", "/logowanie/certyfikat-kwalifikowany"),
        ("04-odcisk-palca", "/logowanie/odcisk-palca"),
        ("05-certyfikat-ksef", "/logowanie/certyfikat-ksef"),
    ):
        page.goto(f"{mcu.url}{path}")
        shoot(page, folder, name)

    log_in_for_test(page, mcu.url, NIP)
    shoot(page, folder, "06-start")
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Certyfikaty").click()
    page.get_by_label("Nazwa certyfikatu").fill("Moj-certyfikat!")
    page.get_by_label("Hasło", exact=True).fill("haslo")
    shoot(page, folder, "07-wnioskuj-walidacja")
    page.goto(f"{mcu.url}/certyfikaty/wniosek")
    generate_key(page, tmp_path, "Certyfikat do logowania")
    shoot(page, folder, "08-przeslanie-wniosku")
    send_request(page, "Uwierzytelnienie w systemie KSeF")
    download_issued(page, tmp_path)
    shoot(page, folder, "09-status-wystawiony")

    issue_certificates(mcu, NIP, ["Certyfikat offline"], certificate_type="Offline")
    page.get_by_role("link", name="Przejdź do listy certyfikatów").click()
    page.get_by_role("checkbox").first.check()
    shoot(page, folder, "10-lista-certyfikatow")
    page.get_by_role("link", name="Unieważnij certyfikat Certyfikat offline").click()
    shoot(page, folder, "11-uniewaznij")

    principal = principal_of(mcu, NIP)
    mcu.components.enrollment.set_subject_limits(principal, SubjectLimits(max_certificates=2))
    try:
        page.goto(f"{mcu.url}/certyfikaty/wniosek")
        page.get_by_role("alertdialog").wait_for()
        shoot(page, folder, "12-limit", full_page=False)
    finally:
        mcu.components.enrollment.restore_subject_limits(principal)

    page.goto(f"{mcu.url}/certyfikaty/nie-ma-takiej-strony")
    shoot(page, folder, "13-nie-znaleziono")

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{mcu.url}/certyfikaty/lista")
    shoot(page, folder, "14-lista-375px")
    page.goto(f"{mcu.url}/certyfikaty/wniosek")
    shoot(page, folder, "15-wnioskuj-375px")

    mcu.clock.advance(timedelta(minutes=21))
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.reload()
        shoot(page, folder, "16-sesja-wygasla")
    finally:
        mcu.clock.advance(-timedelta(minutes=21))

    docs = context.new_page()
    docs.set_viewport_size({"width": 1280, "height": 800})
    docs.goto(f"{mcu.url}/docs")
    docs.get_by_text("/v2/auth/challenge").first.wait_for()
    docs.screenshot(path=folder / "17-docs.png")
    docs.goto(f"{mcu.url}/redoc")
    docs.get_by_role("heading", name="ksef-mcu (0.1.0)").wait_for()
    docs.screenshot(path=folder / "18-redoc.png")

    permissions_and_tokens(mcu, page, folder)
    assert len(list(folder.glob("*.png"))) >= 32


def permissions_and_tokens(mcu: McuServer, page: Page, folder: Path) -> None:
    """ "Uprawnienia" and "Tokeny": the forms, an operation's status, the lists, the confirmations, a refusal."""
    import contextlib

    from ksef_mcu.server.errors import AlreadyExistsError
    from ksef_mcu.server.permissions.service import SubjectInput
    from ksef_mcu.server.testdata.service import PersonSpec

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in_for_test(page, mcu.url, NIP)
    page.goto(f"{mcu.url}/uprawnienia/nadaj")
    page.get_by_role("textbox", name="Identyfikator").fill(CLERK)
    page.get_by_role("textbox", name="Imię").fill("Anna")
    page.get_by_role("textbox", name="Nazwisko").fill("Nowak")
    for permission in ("Wystawianie faktur", "Przeglądanie faktur"):
        page.get_by_role("checkbox", name=permission, exact=True).check()
    page.get_by_role("textbox", name="Opis").fill("Pracownik działu księgowości")
    shoot(page, folder, "19-nadaj-uprawnienie")
    page.get_by_role("button", name="Nadaj uprawnienia").click()
    page.get_by_role("heading", name="Status operacji").wait_for()
    shoot(page, folder, "20-status-operacji")
    grant_on_screen(page, mcu.url, TRAINEE, "Jan", "Kowalski", "Przeglądanie faktur")

    page.goto(f"{mcu.url}/uprawnienia/nadaj")
    page.get_by_role("radio", name="Podmiotowi do wystawiania i przeglądania faktur").check()
    page.get_by_role("textbox", name="NIP podmiotu").fill(OFFICE)
    page.get_by_role("textbox", name="Pełna nazwa").fill("Biuro Rachunkowe Bilans sp. z o.o.")
    page.get_by_role("checkbox", name="Wystawianie faktur", exact=True).check()
    page.get_by_role("checkbox", name="Z prawem do dalszego przekazywania (wystawianie faktur)").check()
    page.get_by_role("checkbox", name="Przeglądanie faktur", exact=True).check()
    page.get_by_role("textbox", name="Opis").fill("Biuro rachunkowe obsługujące firmę")
    shoot(page, folder, "21-nadaj-uprawnienie-podmiotowi")
    page.get_by_role("button", name="Nadaj uprawnienia").click()
    page.get_by_role("heading", name="Status operacji").wait_for()

    page.goto(f"{mcu.url}/uprawnienia/nadane")
    shoot(page, folder, "22-uprawnienia-nadane")
    page.goto(f"{mcu.url}/uprawnienia/nadane?odbiorca=podmioty")
    shoot(page, folder, "23-uprawnienia-nadane-podmiotom")
    page.goto(f"{mcu.url}/uprawnienia/nadane")
    page.get_by_role("link", name="Odbierz uprawnienie Przeglądanie faktur – Jan Kowalski", exact=False).click()
    shoot(page, folder, "24-odbierz-uprawnienie")

    office = principal_of(mcu, OFFICE)  # the office's client, in turn, lets our company read its invoices
    subject = SubjectInput("Nip", NIP, {"entity": {"subjectDetailsType": "EntityByIdentifier", "fullName": "Firma"}})
    mcu.components.permission_service.grant_to_entity(office, subject, [("InvoiceRead", False)], "Wgląd w faktury")
    page.goto(f"{mcu.url}/uprawnienia/otrzymane")
    shoot(page, folder, "25-uprawnienia-otrzymane")

    page.goto(f"{mcu.url}/tokeny/generuj")
    for permission in ("Wystawianie faktur", "Przeglądanie faktur"):
        page.get_by_role("checkbox", name=permission, exact=True).check()
    page.get_by_role("textbox", name="Opis tokena").fill("System ERP — wysyłka faktur")
    shoot(page, folder, "26-generuj-token")
    page.get_by_role("button", name="Generuj token").click()
    page.get_by_role("heading", name="Token został wygenerowany").wait_for()
    shoot(page, folder, "27-token-wygenerowany")
    page.get_by_role("link", name="Przejdź do listy tokenów").click()
    shoot(page, folder, "28-lista-tokenow")
    page.get_by_role("link", name="Unieważnij token System ERP", exact=False).first.click()
    shoot(page, folder, "29-uniewaznij-token")

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{mcu.url}/uprawnienia/nadaj")
    shoot(page, folder, "30-nadaj-uprawnienie-375px")
    page.goto(f"{mcu.url}/tokeny")
    shoot(page, folder, "31-lista-tokenow-375px")

    # A person with invoice permissions only: no "Nadaj uprawnienie" for them, and its address says why.
    with contextlib.suppress(AlreadyExistsError):
        mcu.components.testdata.create_person(PersonSpec(NIP, OWNER, is_bailiff=False, description="Właściciel"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Wyloguj").click()
    log_in_as_person(page, mcu.url, NIP, CLERK, "Anna", "Nowak")
    page.goto(f"{mcu.url}/uprawnienia/nadaj")
    shoot(page, folder, "32-brak-uprawnien-do-nadawania")
