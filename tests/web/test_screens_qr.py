"""The public QR verification pages in Chromium: KOD II for a genuine and a revoked Offline certificate, KOD I for an
invoice our KSeF holds and one it does not, a malformed link — no login, no script error, no CSP violation, 375 px
without horizontal scrolling. The pictures go to `KSEF_MCU_SCREENSHOTS` (docs/screens) or a temporary folder:

    KSEF_MCU_SCREENSHOTS=docs/screens .venv/bin/pytest tests/web/test_screens_qr.py --db=sqlite
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

from playwright.sync_api import Page, expect

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.crypto.keys import PrivateKey
from ksef_mcu.crypto.qr import build_invoice_link, sign_offline_qr_link, unsigned_offline_qr_link
from ksef_mcu.documents.ksef_numbers import build_ksef_number, random_technical_part
from ksef_mcu.server.certificates.policy import EnrollmentRequest
from support.pki import ec_key
from support.screens_browser import McuServer, no_horizontal_scroll, principal_of

NIP = "5260001039"
INVOICE = b'<?xml version="1.0" encoding="UTF-8"?><Faktura>faktura offline</Faktura>'
PNG = b"\x89PNG\r\n\x1a\n"


def offline_certificate(mcu: McuServer, nip: str) -> tuple[str, PrivateKey]:
    """An Offline certificate of the owner of `nip`, issued by the server's CA (the key stays here)."""
    components = mcu.components
    principal = principal_of(mcu, nip)
    key = ec_key()
    data = components.enrollment.enrollment_data(principal)
    reference = components.enrollment.submit(
        principal, EnrollmentRequest("Faktury offline", KsefCertificateType.OFFLINE, create_csr(key, data))
    ).reference_number
    deadline = time.monotonic() + 60
    while (report := components.enrollment.status(principal, reference)).serial_number is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return report.serial_number, key


def kod2(mcu: McuServer, serial: str, key: PrivateKey) -> str:
    unsigned = unsigned_offline_qr_link(
        f"{mcu.url}/qr",
        context_type="Nip",
        context_value=NIP,
        seller_nip=NIP,
        certificate_serial=serial,
        invoice=INVOICE,
    )
    return sign_offline_qr_link(unsigned, key)


def shoot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    assert path.read_bytes().startswith(PNG)
    assert no_horizontal_scroll(page), name


def store_invoice(mcu: McuServer, ksef_number: str) -> None:
    from ksef_mcu.server.sessions.repositories.invoices import AcceptedInvoice, InvoiceRepository

    now = datetime.now(UTC)
    with mcu.components.database.write() as connection:
        InvoiceRepository(connection).add(
            AcceptedInvoice(
                ksef_number=ksef_number,
                seller_nip=NIP,
                invoice_kind="VAT",
                invoice_number=f"FV/{ksef_number[-6:]}",
                issue_date=date(2026, 12, 1),
                sha256=hashlib.sha256(INVOICE).digest(),
                size=len(INVOICE),
                form_system_code="FA (3)",
                context_type="Nip",
                context_value=NIP,
                session_reference="20261202-SO-0000000001-0000000001-01",
                invoice_reference=f"20261202-EE-{ksef_number[20:30]}-0000000001-01",
                invoicing_date=now,
                acquisition_date=now,
                invoicing_mode="Offline",
                content=INVOICE,
            )
        )


def test_the_qr_pages_in_a_browser(mcu: McuServer, screen: Page, tmp_path: Path) -> None:
    folder = Path(os.environ.get("KSEF_MCU_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    page = screen
    page.set_viewport_size({"width": 1280, "height": 800})
    serial, key = offline_certificate(mcu, NIP)
    link = kod2(mcu, serial, key)

    # The start page (where `ksef-mcu serve` points): paste the link, "Sprawdź".
    page.goto(f"{mcu.url}/qr")
    page.get_by_label("Link z kodu QR").fill(link)
    shoot(page, folder, "qr-start")
    page.get_by_role("button", name="Sprawdź").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Weryfikacja certyfikatu wystawcy faktury offline (KOD II)"
    )
    assert page.url == link
    expect(page.get_by_role("status")).to_contain_text("Weryfikacja pozytywna.")
    table = page.get_by_role("table", name="Wyniki poszczególnych sprawdzeń")
    expect(table.get_by_role("row")).to_have_count(8)
    expect(table.get_by_role("row", name="Podpis linku jest prawidłowy")).to_contain_text("Spełniony")
    expect(page.get_by_text(serial, exact=True)).to_be_visible()
    shoot(page, folder, "qr-kod2-pozytywna")

    # The owner revokes the certificate: the same link now fails on "not revoked" only.
    mcu.components.certificates.revoke(principal_of(mcu, NIP), serial, None)
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("Weryfikacja negatywna.")
    expect(table.get_by_role("row", name="Certyfikat nie został odwołany ani zablokowany")).to_contain_text(
        "Niespełniony"
    )
    expect(table.get_by_role("row", name="Podpis linku jest prawidłowy")).to_contain_text("Spełniony")
    shoot(page, folder, "qr-kod2-negatywna")
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    shoot(page, folder, "qr-kod2-375px")
    page.set_viewport_size({"width": 1280, "height": 800})

    number = str(build_ksef_number(NIP, date(2026, 12, 2), random_technical_part()))
    store_invoice(mcu, number)
    page.goto(build_invoice_link(f"{mcu.url}/qr", NIP, date(2026, 12, 1), INVOICE))
    expect(page.get_by_role("heading", level=1)).to_have_text("Weryfikacja faktury w KSeF (KOD I)")
    expect(page.get_by_role("status")).to_contain_text("Faktura jest w KSeF.")
    expect(page.get_by_text(number, exact=True)).to_be_visible()
    shoot(page, folder, "qr-kod1-znaleziona")

    page.goto(build_invoice_link(f"{mcu.url}/qr", NIP, date(2026, 12, 2), INVOICE))
    expect(page.get_by_role("alert")).to_contain_text("Nie znaleziono faktury w KSeF.")
    shoot(page, folder, "qr-kod1-nie-znaleziona")

    page.goto(f"{mcu.url}/qr/certificate/Nip/{NIP}/{NIP}/{serial}/nie-skrot/podpis")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieprawidłowy link weryfikacyjny")
    shoot(page, folder, "qr-blad-linku")
