"""Offline invoices in Obsługa Faktur: KOD I ("OFFLINE") and KOD II ("CERTYFIKAT", signed with the Type 2
certificate) from an FA(3) file, verified with the crypto library; the warnings before issuing; the queue; the
printable view and the code images through the screens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from documents.samples import invoice_xml
from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.qr import InvoiceHash, parse_invoice_link, verify_offline_qr_link
from ksef_mcu.documents.forms import FA3
from ksef_mcu.invoicing.app import create_app
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.errors import InvoicingError
from ksef_mcu.invoicing.model import Company, Slot
from ksef_mcu.invoicing.repository import Repository
from ksef_mcu.invoicing.services import Invoicing, open_invoicing
from ksef_mcu.invoicing.uploads import CertificateUpload
from support.invoicing_pki import PASSWORD, Issued, issue
from support.live_server import serve_in_thread
from support.pki import random_nip

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def invoicing(tmp_path: Path) -> Iterator[Invoicing]:
    app = open_invoicing(InvoicingConfig(data_dir=tmp_path / "faktury"), clock=ManualClock(NOW))
    yield app
    app.close()


@pytest.fixture
def company(invoicing: Invoicing) -> Company:
    return invoicing.accounts.add_company(random_nip(), "Firma Testowa sp. z o.o.")


def add_offline(invoicing: Invoicing, company: Company, **options: object) -> Issued:
    issued = issue(KsefCertificateType.OFFLINE, now=NOW, nip=company.context_value, **options)  # type: ignore[arg-type]
    upload = CertificateUpload(certificate=issued.pem, key=issued.key_file(), password=PASSWORD)
    invoicing.settings.add_certificate(company, Slot.OFFLINE, upload, added_by="anna")
    return issued


def test_without_a_type_2_certificate_offline_issuing_is_refused(invoicing: Invoicing, company: Company) -> None:
    readiness = invoicing.offline.readiness(company)
    assert not readiness.can_issue
    assert readiness.warnings[0].startswith("Brak certyfikatu offline (Typ 2)")
    with pytest.raises(InvoicingError, match="Brak certyfikatu offline"):
        invoicing.offline.issue(company, invoice_xml(FA3, seller_nip=company.context_value), issued_by="anna")
    assert invoicing.offline.list(company) == []


def test_kod_i_and_kod_ii_verify(invoicing: Invoicing, company: Company) -> None:
    issued = add_offline(invoicing, company)
    data = invoice_xml(FA3, seller_nip=company.context_value, issue_date=NOW.date(), number="FV/7/12/2026")
    invoice, notes = invoicing.offline.issue(company, data, issued_by="anna")
    assert invoice.status == "queued"
    assert invoice.kod1_label == "OFFLINE"
    assert invoice.content == data
    kod1 = parse_invoice_link(invoice.kod1_link)
    assert invoice.kod1_link.startswith("http://127.0.0.1:8000/qr/invoice/")
    assert kod1.seller_nip == company.context_value
    assert kod1.issue_date == NOW.date()
    assert kod1.invoice_hash == InvoiceHash.of(data)
    kod2 = verify_offline_qr_link(invoice.kod2_link, issued.certificate)
    assert kod2.context_value == company.context_value
    assert kod2.seller_nip == company.context_value
    assert invoice.image(1, "png").startswith(PNG)
    assert b"OFFLINE" in invoice.image(1, "svg")
    assert b"CERTYFIKAT" in invoice.image(2, "svg")
    # Status not checked in KSeF yet: said before issuing.
    assert any("nie był jeszcze sprawdzany" in note for note in notes)
    [listed] = invoicing.offline.list(company)
    assert listed.id == invoice.id
    with pytest.raises(InvoicingError, match="została już wystawiona"):
        invoicing.offline.issue(company, data, issued_by="anna")


def test_the_seller_must_be_the_company(invoicing: Invoicing, company: Company) -> None:
    add_offline(invoicing, company)
    with pytest.raises(InvoicingError, match="Sprzedawcą na fakturze jest NIP"):
        invoicing.offline.issue(company, invoice_xml(FA3, seller_nip=random_nip()), issued_by="anna")


def test_a_file_that_is_not_an_invoice_is_refused(invoicing: Invoicing, company: Company) -> None:
    add_offline(invoicing, company)
    with pytest.raises(InvoicingError) as caught:
        invoicing.offline.issue(company, b"<html>nie faktura</html>", issued_by="anna")
    assert caught.value.message.startswith("Plik faktury: ")
    assert invoicing.offline.list(company) == []


def test_warnings_before_issuing(invoicing: Invoicing, company: Company) -> None:
    issued = add_offline(invoicing, company, lifetime=timedelta(days=20))
    stored = invoicing.settings.certificate(company, Slot.OFFLINE)
    assert stored is not None
    with invoicing.database.write() as connection:
        Repository().record_check(connection, stored.id, {"ksef_status": "Revoked", "checked_at": NOW})
    readiness = invoicing.offline.readiness(company)
    assert readiness.can_issue
    assert readiness.warnings[0].startswith("Certyfikat offline (Typ 2) wygasa za 19 dni")
    assert readiness.warnings[1].startswith("Certyfikat offline (Typ 2) nie jest aktywny w KSeF (ostatnio: Revoked)")
    clock = invoicing.clock
    assert isinstance(clock, ManualClock)
    clock.set(issued.certificate.not_valid_after_utc + timedelta(seconds=1))
    readiness = invoicing.offline.readiness(company)
    assert not readiness.can_issue
    assert readiness.warnings == ("Certyfikat offline (Typ 2) wygasł – uzyskaj nowy i zamień go w Ustawieniach.",)


def test_the_screens_issue_and_show_a_printable_invoice(tmp_path: Path) -> None:
    config = InvoicingConfig(data_dir=tmp_path / "faktury")
    setup = open_invoicing(config)
    setup.accounts.add_user("anna", "Haslo-Anny-12345", is_admin=True)
    company = setup.accounts.add_company(random_nip(), "Firma Testowa sp. z o.o.")
    issued = issue(KsefCertificateType.OFFLINE, now=datetime.now(UTC), nip=company.context_value)
    setup.settings.add_certificate(
        company,
        Slot.OFFLINE,
        CertificateUpload(certificate=issued.pem, key=issued.key_file(), password=PASSWORD),
        added_by="anna",
    )
    setup.close()
    with serve_in_thread(create_app(config)) as url, httpx.Client(base_url=url, follow_redirects=True) as browser:  # type: ignore[arg-type]
        page = browser.get("/logowanie")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        browser.post("/logowanie", data={"login": "anna", "haslo": "Haslo-Anny-12345", "csrf_token": token})
        page = browser.get("/faktury/offline")
        assert "Wystaw fakturę offline" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        data = invoice_xml(FA3, seller_nip=company.context_value, issue_date=datetime.now(UTC).date())
        shown = browser.post(
            "/faktury/offline", data={"csrf_token": token}, files={"faktura": ("faktura.xml", data, "text/xml")}
        )
        assert shown.status_code == 200, shown.text
        assert "KOD II – weryfikacja wystawcy" in shown.text
        assert "Wystawiona offline – czeka na wysłanie do KSeF" in shown.text
        image = re.search(r'src="(/faktury/\d+/kod-2\.png)"', shown.text).group(1)  # type: ignore[union-attr]
        assert browser.get(image).content.startswith(PNG)
        svg = browser.get(image.replace(".png", ".svg") + "?pobierz=1")
        assert svg.headers["content-type"] == "image/svg+xml"
        assert svg.headers["content-disposition"].startswith("attachment;")
        assert "@media print" in browser.get("/static/css/invoicing.css").text
