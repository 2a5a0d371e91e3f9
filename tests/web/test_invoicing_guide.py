"""The user guide's second half, end to end with real processes: `ksef-mcu serve` (the MCU, on the test database of
each backend) and `ksef-mcu invoicing serve` (Obsługa Faktur) pointed at it, both driven in Chromium by the guide's
words. The administrator is created on the first-run page, adds the company, goes to the MCU through "Przejdź do
platformy KSeF", obtains a Type 1 and a Type 2 certificate there, installs both in Ustawienia → KSeF ("Dodaj
certyfikat", "Zapisz"), and "Przejdź dalej" says "Połączono z KSeF". Revoking the Type 1 certificate in the MCU makes
"Sprawdź połączenie" say so. Screenshots of the screens go to docs/screens/invoicing-*.png (KSEF_MCU_SCREENSHOTS)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import BrowserContext, Page, expect

from documents.samples import invoice_xml
from ksef_mcu.crypto.qr import verify_offline_qr_link
from ksef_mcu.documents.forms import FA3
from ksef_mcu.documents.upo import verify_upo
from support.invoicing_setup import InvoicingServe
from support.pki import random_nip
from support.processes import Serve, clean_environment
from support.screens_browser import PASSWORD, download_issued, generate_key, send_request

ADMIN, ADMIN_PASSWORD = "administrator", "Haslo-Administratora-1"
AUTHENTICATION = "Uwierzytelnienie w systemie KSeF"
OFFLINE = "Podpis linku we weryfikacji wystawcy"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[Serve, InvoicingServe]]:
    mcu = Serve(tmp_path / "mcu", database_url, rate_limits_enabled="false")
    faktury = None
    try:
        faktury = InvoicingServe(tmp_path / "faktury", mcu.base_url)
        yield mcu, faktury
        assert faktury.terminate(timeout=30) in (0, -15), faktury.output()
        assert "Traceback" not in faktury.output(), faktury.output()
        mcu.stop()
    finally:
        for process in (faktury, mcu):
            if process is not None and process.process.poll() is None:
                process.kill()


def shoot(page: Page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"invoicing-{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    assert path.read_bytes().startswith(PNG)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


def obtain(page: Page, mcu_url: str, folder: Path, name: str, purpose: str) -> tuple[Path, Path]:
    """ "Wnioskuj o certyfikat" on the MCU screens: the `.key` and the `.crt` files."""
    page.goto(f"{mcu_url}/certyfikaty/wniosek")
    page.get_by_role("heading", name="Generowanie klucza i wniosku o wydanie certyfikatu").wait_for()
    key = generate_key(page, folder, name)
    send_request(page, purpose)
    return download_issued(page, folder), key


def install(page: Page, section: str, certificate: Path, key: Path, password: str) -> None:
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Ustawienia").click()
    region = page.get_by_role("region", name=section)
    link = region.get_by_role("link", name="Dodaj certyfikat")
    if link.count() == 0:
        link = region.get_by_role("link", name="Zamień certyfikat")
    link.click()
    page.get_by_label("Certyfikat (.crt)").set_input_files(certificate)
    page.get_by_label("Klucz prywatny (.key)").set_input_files(key)
    page.get_by_label("Hasło do klucza prywatnego").fill(password)
    page.get_by_role("button", name="Zapisz").click()


def test_the_guide_end_to_end(
    servers: tuple[Serve, InvoicingServe], context: BrowserContext, screen: Page, tmp_path: Path
) -> None:
    mcu, faktury = servers
    page = screen
    shots = Path(os.environ.get("KSEF_MCU_SCREENSHOTS") or tmp_path / "screens")
    page.set_viewport_size({"width": 1280, "height": 800})

    # First run: the administrator's account.
    page.goto(f"{faktury.base_url}/")
    page.get_by_role("heading", name="Pierwsze uruchomienie").wait_for()
    page.get_by_label("Login").fill(ADMIN)
    page.get_by_label("Hasło", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_label("Powtórz hasło").fill(ADMIN_PASSWORD)
    shoot(page, shots, "01-pierwsze-uruchomienie")
    page.get_by_role("button", name="Utwórz konto administratora").click()
    page.get_by_role("heading", name="Firmy").wait_for()

    # Log out and back in: "Zaloguj się do Obsługi Faktur".
    page.get_by_role("button", name="Wyloguj").click()
    page.get_by_role("heading", name="Zaloguj się do Obsługi Faktur").wait_for()
    page.get_by_label("Login").fill(ADMIN)
    page.get_by_label("Hasło").fill("zle-haslo-0000")
    page.get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("alert")).to_contain_text("Nieprawidłowy login lub hasło.")
    page.get_by_label("Hasło").fill(ADMIN_PASSWORD)
    shoot(page, shots, "02-logowanie")
    page.get_by_role("button", name="Zaloguj się").click()
    page.get_by_role("heading", name="Obsługa Faktur").wait_for()

    # The company (its NIP is the context the MCU logs in to).
    nip = random_nip()
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Firmy").click()
    page.get_by_label("NIP lub identyfikator wewnętrzny").fill(nip)
    page.get_by_label("Nazwa firmy").fill("Firma Testowa sp. z o.o.")
    page.get_by_role("button", name="Dodaj firmę").click()
    page.get_by_role("heading", name="Ustawienia").wait_for()
    expect(page.get_by_role("region", name="Certyfikat uwierzytelniający (Typ 1)")).to_be_visible()
    expect(page.get_by_role("region", name="Certyfikat offline (Typ 2) – opcjonalny")).to_be_visible()
    expect(page.get_by_role("button", name="Przejdź dalej")).to_be_disabled()
    shoot(page, shots, "03-ustawienia-ksef")

    # "Przejdź do platformy KSeF" opens our MCU in the company's context: every login page has it pre-filled.
    with context.expect_page() as opened:
        page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Przejdź do platformy KSeF").click()
    mcu_page = opened.value
    mcu_page.wait_for_load_state()
    assert mcu_page.url == f"{mcu.base_url}/?contextType=Nip&contextValue={nip}"
    expect(mcu_page.get_by_text("Kontekst logowania podpowiedziany w adresie")).to_contain_text(f"NIP {nip}")
    mcu_page.get_by_role("link", name="Certyfikat KSeF").click()
    expect(mcu_page.get_by_label("Rodzaj identyfikatora kontekstu")).to_have_value("Nip")
    expect(mcu_page.get_by_label("Identyfikator kontekstu")).to_have_value(nip)
    mcu_page.go_back()
    mcu_page.get_by_role("link", name="Profil Zaufany").click()
    expect(mcu_page.get_by_label("NIP", exact=True)).to_have_value(nip)
    mcu_page.get_by_label("Oświadczam, że podane dane są fikcyjne").check()
    mcu_page.get_by_role("button", name="Uwierzytelnij do aplikacji testowej").click()
    mcu_page.get_by_role("heading", name="Witaj, Firma testowa").wait_for()
    expect(mcu_page.locator("main")).to_contain_text(nip)

    # In the MCU: a Type 1 and a Type 2 certificate.
    folder = tmp_path / "pobrane"
    folder.mkdir()
    auth_crt, auth_key = obtain(mcu_page, mcu.base_url, folder, "Obsluga Faktur logowanie", AUTHENTICATION)
    offline_crt, offline_key = obtain(mcu_page, mcu.base_url, folder, "Obsluga Faktur offline", OFFLINE)

    # Back in Obsługa Faktur: the Offline certificate in the Type 1 section is refused, nothing is stored.
    install(page, "Certyfikat uwierzytelniający (Typ 1)", offline_crt, offline_key, PASSWORD)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("To jest certyfikat offline (Typ 2)")
    # A wrong password: its own message.
    page.get_by_label("Certyfikat (.crt)").set_input_files(auth_crt)
    page.get_by_label("Klucz prywatny (.key)").set_input_files(auth_key)
    page.get_by_label("Hasło do klucza prywatnego").fill("Zle-Haslo-2026")
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_role("alert")).to_contain_text("Nieprawidłowe hasło do klucza prywatnego")
    shoot(page, shots, "04-dodaj-certyfikat-blad")

    install(page, "Certyfikat uwierzytelniający (Typ 1)", auth_crt, auth_key, PASSWORD)
    expect(page.get_by_text("Zapisano: Certyfikat uwierzytelniający (Typ 1)")).to_be_visible()
    install(page, "Certyfikat offline (Typ 2) – opcjonalny", offline_crt, offline_key, PASSWORD)
    expect(page.get_by_text("Zapisano: Certyfikat offline (Typ 2)")).to_be_visible()
    serial = format(x509.load_pem_x509_certificate(auth_crt.read_bytes()).serial_number, "X")
    type1 = page.get_by_role("region", name="Certyfikat uwierzytelniający (Typ 1)")
    expect(type1).to_contain_text(serial.zfill(16))
    expect(type1).to_contain_text("wygasa za")
    expect(type1).to_contain_text(f"NIP {nip}")
    shoot(page, shots, "05-ustawienia-certyfikaty")

    # "Przejdź dalej": a live login with the Type 1 certificate into the company's context.
    page.get_by_role("button", name="Przejdź dalej").click()
    page.get_by_role("heading", name="Połączono z KSeF").wait_for()
    expect(page.get_by_role("status")).to_contain_text("Połączono z KSeF")
    expect(page.locator("main")).to_contain_text(f"Kontekst: Nip {nip}")
    shoot(page, shots, "06-polaczono-z-ksef")
    page.get_by_role("link", name="Wróć do ustawień KSeF").click()
    expect(type1).to_contain_text("Ostatnie udane logowanie")
    expect(type1.get_by_text(re.compile(r"Aktywny"))).to_be_visible()

    # The Offline certificate's status re-checked in KSeF, then an offline invoice with KOD I and KOD II.
    type2 = page.get_by_role("region", name="Certyfikat offline (Typ 2) – opcjonalny")
    type2.get_by_role("button", name="Sprawdź połączenie").click()
    page.get_by_role("heading", name="Połączono z KSeF").wait_for()
    expect(page.locator("main")).to_contain_text("Status certyfikatu w KSeF: Aktywny")
    invoice_file = tmp_path / "faktura.xml"
    invoice_file.write_bytes(invoice_xml(FA3, seller_nip=nip, issue_date=datetime.now(UTC).date(), number="FV/1/OFF"))
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Faktury").click()
    page.get_by_role("link", name="Wystaw fakturę offline").click()
    page.get_by_label("Plik faktury (FA(3), XML)").set_input_files(invoice_file)
    page.get_by_role("button", name="Wystaw fakturę offline").click()
    page.get_by_role("heading", name="Faktura FV/1/OFF").wait_for()
    for name in ("KOD I – weryfikacja faktury w KSeF (OFFLINE)", "KOD II – weryfikacja wystawcy (CERTYFIKAT)"):
        image = page.get_by_role("img", name=name)
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name
    kod2 = page.locator("a.qr__link[href*='/qr/certificate/Nip/']").get_attribute("href")
    assert kod2 is not None
    verify_offline_qr_link(kod2, x509.load_pem_x509_certificate(offline_crt.read_bytes()))
    shoot(page, shots, "08-faktura-offline")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Drukuj")).to_be_hidden()
    page.emulate_media(media="screen")

    # The queued offline invoice is sent (offlineMode=true); KOD I then carries its KSeF number.
    page.get_by_role("link", name="Wróć do listy faktur").click()
    page.get_by_role("button", name="Wyślij zaległe faktury offline").click()
    page.get_by_role("heading", name="Wysłano faktury").wait_for()
    expect(page.get_by_role("status")).to_contain_text("Numery KSeF: 1 z 1. Sesja")
    offline_number = page.locator("td .serial").first.inner_text()
    assert offline_number.startswith(f"{nip}-")
    page.get_by_role("link", name="Wróć do listy faktur").click()
    page.get_by_role("link", name="FV/1/OFF").click()
    expect(page.get_by_role("img", name=f"KOD I – weryfikacja faktury w KSeF ({offline_number})")).to_be_visible()

    # Online: "Wyślij faktury do KSeF" with two files, their KSeF numbers and UPOs.
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Faktury").click()
    page.get_by_role("link", name="Wyślij faktury do KSeF").click()
    online = []
    for index in (1, 2):
        path = tmp_path / f"online-{index}.xml"
        path.write_bytes(invoice_xml(FA3, seller_nip=nip, issue_date=datetime.now(UTC).date(), number=f"FV/{index}/ON"))
        online.append(path)
    page.get_by_label("Pliki faktur (FA(3), XML)").set_input_files(online)
    shoot(page, shots, "09-wyslij-faktury")
    # While the form is on its way, the page says so and the button cannot send the files twice (sending.js): the
    # submit handler is run first without sending (a synthetic event does not submit), then the form is sent.
    form = "document.querySelector('form[data-sending-form]')"
    page.evaluate(f"{form}.dispatchEvent(new Event('submit', {{cancelable: true}}))")
    expect(page.get_by_role("status")).to_have_text(
        "Wysyłanie faktur do KSeF (2): sesja, szyfrowanie, numery KSeF i UPO. Nie zamykaj strony."
    )
    expect(page.get_by_role("button", name="Wyślij do KSeF")).to_be_disabled()
    page.evaluate(f"{form}.requestSubmit()")
    # The sending runs in Obsługa Faktur's background; its page follows it file by file (send-progress.js).
    page.get_by_role("heading", name="Wysyłka faktur do KSeF").wait_for()
    expect(page.get_by_role("status")).to_contain_text("Zakończono. Numery KSeF: 2 z 2.", timeout=60_000)
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Sesja \S+ zamknięta\."))
    expect(page.get_by_role("progressbar", name="Postęp wysyłki")).to_have_js_property("position", 1)
    for index in (1, 2):
        row = page.get_by_role("row").filter(has_text=f"online-{index}.xml")
        expect(row).to_contain_text("UPO pobrane")
        expect(row).to_contain_text(re.compile(rf"{nip}-\d{{8}}-[0-9A-F]{{12}}-[0-9A-F]{{2}}"))
    shoot(page, shots, "10-wyslano-faktury")
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz UPO").first.click()
    upo = Path(download.value.path()).read_bytes()
    verify_upo(upo, now=datetime.now(UTC))

    # The certificate is revoked in the MCU: "Sprawdź połączenie" says so.
    mcu_page.goto(f"{mcu.base_url}/certyfikaty/lista")
    mcu_page.get_by_role("link", name=re.compile(r"^Unieważnij certyfikat Obsluga Faktur logowanie")).click()
    mcu_page.get_by_label("Powód unieważnienia").select_option(label="Certyfikat został zastąpiony przez inny")
    mcu_page.get_by_role("button", name="Unieważnij").click()
    mcu_page.get_by_label("Rozumiem, że unieważnienia nie można cofnąć").check()
    mcu_page.get_by_role("button", name="Unieważnij").click()
    mcu_page.get_by_text("został unieważniony.").wait_for()
    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Ustawienia").click()
    type1.get_by_role("button", name="Sprawdź połączenie").click()
    page.get_by_role("heading", name="Nie udało się połączyć z KSeF").wait_for()
    expect(page.get_by_role("alert")).to_contain_text("Certyfikat unieważniony, zawieszony albo nieważny (KSeF: 460")
    shoot(page, shots, "07-certyfikat-uniewazniony")

    # 375 px wide: no horizontal scrolling on the settings and the invoice (shoot checks it).
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{faktury.base_url}/ustawienia/ksef")
    shoot(page, shots, "11-ustawienia-375px")
    page.goto(f"{faktury.base_url}/faktury")
    page.get_by_role("link", name="FV/1/OFF").click()
    shoot(page, shots, "12-faktura-375px")

    # The CLI sees the same installation: `check` exits non-zero (the last connection failed).
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("ksef-mcu")),
            "invoicing",
            "check",
            "--data-dir",
            str(tmp_path / "faktury"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=clean_environment(),
        timeout=60,
    )
    assert result.returncode == 1, result
    assert "Certyfikat unieważniony" in result.stdout
