"""Ustawienia → KSeF's checks, each with a good and a bad file: the message is the guide's, in order, and a refused
upload stores nothing. The stored key is the uploaded file itself; its password is never stored in the clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.errors import UploadRefusedError
from ksef_mcu.invoicing.model import Company, Slot
from ksef_mcu.invoicing.services import Invoicing, open_invoicing
from ksef_mcu.invoicing.uploads import CertificateUpload
from support.invoicing_pki import FOREIGN_CA_NAME, PASSWORD, TEST_CA_NAME, Issued, issue
from support.pki import random_nip, random_pesel

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
AUTH = KsefCertificateType.AUTHENTICATION
OFFLINE = KsefCertificateType.OFFLINE


@pytest.fixture
def invoicing(tmp_path: Path) -> Iterator[Invoicing]:
    app = open_invoicing(InvoicingConfig(data_dir=tmp_path / "faktury"), clock=ManualClock(NOW))
    yield app
    app.close()


@pytest.fixture
def company(invoicing: Invoicing) -> Company:
    return invoicing.accounts.add_company(random_nip(), "Firma Testowa")


def pair(issued: Issued, password: str | None = PASSWORD) -> CertificateUpload:
    return CertificateUpload(certificate=issued.pem, key=issued.key_file(password), password=password or "")


def refused(
    invoicing: Invoicing, company: Company, upload: CertificateUpload, slot: Slot = Slot.AUTHENTICATION
) -> UploadRefusedError:
    with pytest.raises(UploadRefusedError) as caught:
        invoicing.settings.add_certificate(company, slot, upload, added_by="anna")
    assert invoicing.settings.certificates(company) == []
    return caught.value


def test_a_good_type_1_pair_is_stored_with_its_key_as_uploaded_and_the_password_sealed(
    invoicing: Invoicing, company: Company, tmp_path: Path
) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    upload = pair(issued)
    stored, notes = invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, upload, added_by="anna")
    assert stored.key_data == upload.key
    assert not stored.key_sealed
    assert stored.sealed_password is not None
    assert PASSWORD.encode() not in stored.sealed_password
    assert stored.added_by == "anna"
    assert stored.added_at == NOW
    assert stored.subject_identifier_value == company.context_value
    assert stored.environment == "local"
    assert notes == (f"Certyfikat firmy, NIP {company.context_value}.",)
    database = (tmp_path / "faktury" / "invoicing.sqlite3").read_bytes()
    assert PASSWORD.encode() not in database
    # The stored pair opens again, for the signature only.
    loaded = invoicing.settings.loaded(stored)
    assert loaded.key_matches
    assert loaded.serial_number == stored.serial_number


def test_der_certificate_and_pkcs12_are_accepted(invoicing: Invoicing, company: Company) -> None:
    issued = issue(OFFLINE, now=NOW, nip=company.context_value)
    upload = CertificateUpload(certificate=issued.der, key=issued.key_file(), password=PASSWORD)
    stored, _ = invoicing.settings.add_certificate(company, Slot.OFFLINE, upload, added_by="anna")
    assert stored.slot is Slot.OFFLINE
    other = issue(AUTH, now=NOW, nip=company.context_value)
    stored, _ = invoicing.settings.add_certificate(
        company, Slot.AUTHENTICATION, CertificateUpload(pkcs12=other.pkcs12(), password=PASSWORD), added_by="anna"
    )
    assert stored.key_format == "pkcs12"
    assert invoicing.settings.loaded(stored).serial_number == stored.serial_number


def test_an_unencrypted_key_is_sealed_with_the_master_key(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    upload = pair(issued, None)
    stored, _ = invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, upload, added_by="anna")
    assert stored.key_sealed
    assert b"PRIVATE KEY" not in stored.key_data
    assert invoicing.settings.loaded(stored).key_matches


def test_replacing_keeps_one_certificate_per_slot(invoicing: Invoicing, company: Company) -> None:
    first = issue(AUTH, now=NOW, nip=company.context_value)
    second = issue(AUTH, now=NOW, nip=company.context_value)
    invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, pair(first), added_by="anna")
    invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, pair(second), added_by="jan")
    [stored] = invoicing.settings.certificates(company)
    assert stored.added_by == "jan"
    invoicing.settings.remove(company, Slot.AUTHENTICATION)
    assert invoicing.settings.certificates(company) == []


def test_garbage_certificate(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    error = refused(
        invoicing, company, CertificateUpload(certificate=b"nie certyfikat", key=issued.key_file(), password=PASSWORD)
    )
    assert error.field == "certyfikat"
    assert error.message.startswith("Plik certyfikatu jest nieprawidłowy")


def test_garbage_key(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    error = refused(
        invoicing, company, CertificateUpload(certificate=issued.pem, key=b"\x00garbage", password=PASSWORD)
    )
    assert error.field == "klucz"
    assert error.message.startswith("Plik klucza nie jest kluczem prywatnym")


def test_wrong_password(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    upload = CertificateUpload(certificate=issued.pem, key=issued.key_file(), password="Inne-Haslo-2026")
    error = refused(invoicing, company, upload)
    assert error.field == "haslo"
    assert error.message.startswith("Nieprawidłowe hasło do klucza prywatnego. Hasła nie da się zresetować")


def test_missing_password(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    error = refused(invoicing, company, CertificateUpload(certificate=issued.pem, key=issued.key_file(), password=""))
    assert error.field == "haslo"
    assert "wpisz hasło do klucza prywatnego" in error.message


def test_wrong_pkcs12_password(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    error = refused(invoicing, company, CertificateUpload(pkcs12=issued.pkcs12(), password="zle"))
    assert error.field == "haslo"
    assert error.message.startswith("Nieprawidłowe hasło do pliku PKCS#12")


def test_swapped_key(invoicing: Invoicing, company: Company) -> None:
    mine = issue(AUTH, now=NOW, nip=company.context_value)
    other = issue(AUTH, now=NOW, nip=company.context_value)
    error = refused(
        invoicing, company, CertificateUpload(certificate=mine.pem, key=other.key_file(), password=PASSWORD)
    )
    assert error.field == "klucz"
    assert error.message.startswith("Klucz prywatny nie pasuje do tego certyfikatu")


def test_type_2_in_the_type_1_slot_and_the_other_way_round(invoicing: Invoicing, company: Company) -> None:
    offline = issue(OFFLINE, now=NOW, nip=company.context_value)
    error = refused(invoicing, company, pair(offline), Slot.AUTHENTICATION)
    assert error.message.startswith("To jest certyfikat offline (Typ 2)")
    assert "Certyfikat offline (Typ 2) – opcjonalny" in error.message
    authentication = issue(AUTH, now=NOW, nip=company.context_value)
    error = refused(invoicing, company, pair(authentication), Slot.OFFLINE)
    assert error.message.startswith("To jest certyfikat uwierzytelniający (Typ 1)")


def test_expired(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value, not_before=NOW - timedelta(days=800))
    error = refused(invoicing, company, pair(issued))
    assert error.message.startswith("Certyfikat wygasł ")
    assert "wygeneruj nowy" in error.message


def test_not_yet_valid_shows_the_date(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value, not_before=NOW + timedelta(days=10))
    error = refused(invoicing, company, pair(issued))
    assert error.message.startswith("Certyfikat będzie ważny dopiero od 2026-12-12 13:00")


def test_other_environment(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value, issuer=TEST_CA_NAME)
    error = refused(invoicing, company, pair(issued))
    assert error.message.startswith(
        "Certyfikat pochodzi ze środowiska testowego (TEST), a Obsługa Faktur pracuje w lokalnym serwerze KSeF"
    )


def test_not_issued_by_ksef(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value, issuer=FOREIGN_CA_NAME)
    error = refused(invoicing, company, pair(issued))
    assert error.message.startswith("Certyfikat nie został wydany przez KSeF (wystawca: Qualified CA 1)")


def test_ten_megabytes(invoicing: Invoicing, company: Company) -> None:
    issued = issue(AUTH, now=NOW, nip=company.context_value)
    huge = b"-----BEGIN CERTIFICATE-----\n" + b"A" * 10 * 1_048_576
    upload = CertificateUpload(certificate=huge, key=issued.key_file(), password=PASSWORD, certificate_name="duzy.crt")
    error = refused(invoicing, company, upload)
    assert error.field == "certyfikat"
    assert error.message.startswith("Plik „duzy.crt” jest za duży (10,0 MB)")


def test_the_first_failing_check_in_the_guides_order_is_reported(invoicing: Invoicing, company: Company) -> None:
    # An expired Offline certificate of another environment, with a key of another certificate: the key comes first.
    expired = issue(
        OFFLINE, now=NOW, nip=company.context_value, issuer=TEST_CA_NAME, not_before=NOW - timedelta(days=900)
    )
    stranger = issue(AUTH, now=NOW, nip=company.context_value)
    upload = CertificateUpload(certificate=expired.pem, key=stranger.key_file(), password=PASSWORD)
    assert refused(invoicing, company, upload).message.startswith("Klucz prywatny nie pasuje")
    # With its own key: the type, then (in its own slot) the validity, before the environment.
    assert refused(invoicing, company, pair(expired)).message.startswith("To jest certyfikat offline")
    assert refused(invoicing, company, pair(expired), Slot.OFFLINE).message.startswith("Certyfikat wygasł")


def test_a_persons_certificate_is_stored_with_a_plain_note(invoicing: Invoicing, company: Company) -> None:
    pesel = random_pesel()
    issued = issue(AUTH, now=NOW, pesel=pesel)
    stored, notes = invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, pair(issued), added_by="anna")
    assert stored.subject_identifier_type == "Pesel"
    assert notes[0].startswith(f"To certyfikat osoby (PESEL {pesel}). Logując się nim, ta osoba działa w kontekście")
    assert "nie wolno udostępniać" in notes[0]


def test_another_companys_certificate_is_stored_with_a_warning(invoicing: Invoicing, company: Company) -> None:
    other = random_nip()
    issued = issue(AUTH, now=NOW, nip=other)
    _, notes = invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, pair(issued), added_by="anna")
    assert notes[0].startswith(f"Certyfikat wydano dla NIP {other}, a firma ma NIP {company.context_value}")


def test_expiry_warnings_at_60_30_and_7_days(invoicing: Invoicing, company: Company) -> None:
    clock = invoicing.clock
    assert isinstance(clock, ManualClock)
    issued = issue(AUTH, now=NOW, nip=company.context_value, lifetime=timedelta(days=100))
    invoicing.settings.add_certificate(company, Slot.AUTHENTICATION, pair(issued), added_by="anna")
    assert invoicing.settings.expiry_warnings([company]) == []
    levels = []
    for days_left in (60, 30, 7, -1):
        clock.set(issued.certificate.not_valid_after_utc - timedelta(days=days_left, hours=1))
        [warning] = invoicing.settings.expiry_warnings([company])
        levels.append(warning.level)
        assert warning.days_left == days_left
    assert levels == ["informacja", "ostrzezenie", "blad", "blad"]
    assert warning.text.startswith(
        f"Certyfikat uwierzytelniający (Typ 1) firmy Firma Testowa ({company.context_value}) wygasł"
    )
