"""Ustawienia → KSeF: the companies' certificates — checked and stored, replaced, removed, shown, connected, watched.

A stored certificate keeps its key file exactly as uploaded (encrypted by its own password; a key uploaded without
a password is sealed with the master key instead); the password is sealed with the installation's master key
(`vault`), bound to the certificate's fingerprint. Neither ever leaves this module except into the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.serialization import Encoding

from ksef_mcu.client import CertificateCredentials, KsefInvalidInputError
from ksef_mcu.clock import Clock
from ksef_mcu.crypto.credentials import CertificateWithKey, load_certificate_with_key, load_pkcs12_certificate_with_key
from ksef_mcu.crypto.errors import KsefCryptoError
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.connection import ConnectionResult, connect
from ksef_mcu.invoicing.errors import InvoicingError, NotFoundError
from ksef_mcu.invoicing.model import Company, Slot, StoredCertificate
from ksef_mcu.invoicing.repository import Repository
from ksef_mcu.invoicing.uploads import CertificateUpload, CheckedUpload, check_upload
from ksef_mcu.invoicing.vault import MasterKey, VaultError
from ksef_mcu.storage.database import Database

__all__ = ["EXPIRY_THRESHOLDS", "ExpiryWarning", "SettingsService"]

EXPIRY_THRESHOLDS = (60, 30, 7)
"""Days before expiry at which the banner (and `ksef-mcu invoicing check`) warn."""


@dataclass(frozen=True, slots=True)
class ExpiryWarning:
    company: Company
    certificate: StoredCertificate
    days_left: int

    @property
    def level(self) -> str:
        return "blad" if self.days_left <= 7 else "ostrzezenie" if self.days_left <= 30 else "informacja"

    @property
    def text(self) -> str:
        what = f"{self.certificate.slot.title.split(' –')[0]} firmy {self.company.name} ({self.company.context_value})"
        if self.days_left < 0:
            return f"{what} wygasł. Uzyskaj nowy na platformie KSeF i zamień go w Ustawieniach → KSeF."
        if self.days_left == 0:
            return f"{what} wygasa dziś. Uzyskaj nowy na platformie KSeF i zamień go w Ustawieniach → KSeF."
        days = "dzień" if self.days_left == 1 else "dni"
        return (
            f"{what} wygasa za {self.days_left} {days} ({self.certificate.valid_to:%d.%m.%Y}). Uzyskaj nowy na "
            "platformie KSeF i zamień go w Ustawieniach → KSeF."
        )


class SettingsService:
    def __init__(  # noqa: PLR0917 - the services it is built from
        self,
        database: Database,
        clock: Clock,
        master_key: MasterKey,
        config: InvoicingConfig,
        repository: Repository | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.master_key = master_key
        self.config = config
        self.repository = repository or Repository()
        self.transport = transport

    def add_certificate(
        self, company: Company, slot: Slot, upload: CertificateUpload, *, added_by: str
    ) -> tuple[StoredCertificate, tuple[str, ...]]:
        """Check and store (replacing the slot's certificate). Raises `UploadRefusedError`; nothing stored then."""
        now = self.clock.now()
        checked = check_upload(upload, slot=slot, company=company, environment=self.config.environment, now=now)
        values = self._values(company, slot, checked, upload.password, added_by, now)
        with self.database.write() as connection:
            self.repository.put_certificate(connection, values)
            stored = self.repository.certificate(connection, company.id, slot)
        if stored is None:  # pragma: no cover - just written in this unit of work
            raise NotFoundError("Zapis nie powiódł się.")
        return stored, checked.notes

    def _values(  # noqa: PLR0917
        self, company: Company, slot: Slot, checked: CheckedUpload, password: str, added_by: str, now: datetime
    ) -> dict[str, Any]:
        purpose = _purpose(checked.fingerprint)
        key_data = checked.key_data if checked.key_encrypted else self.master_key.seal(checked.key_data, purpose)
        sealed_password = self.master_key.seal(password.encode(), purpose) if password else None
        return {
            "company_id": company.id,
            "slot": int(slot),
            "certificate_der": checked.certificate.public_bytes(Encoding.DER),
            "key_format": checked.key_format,
            "key_data": key_data,
            "key_sealed": not checked.key_encrypted,
            "sealed_password": sealed_password,
            "common_name": checked.common_name,
            "serial_number": checked.serial_number,
            "fingerprint": checked.fingerprint,
            "subject": checked.subject,
            "subject_identifier_type": checked.subject_identifier_type,
            "subject_identifier_value": checked.subject_identifier_value,
            "issuer": checked.issuer,
            "environment": checked.environment.value,
            "valid_from": checked.certificate.not_valid_before_utc,
            "valid_to": checked.certificate.not_valid_after_utc,
            "added_by": added_by,
            "added_at": now,
        }

    def certificates(self, company: Company) -> list[StoredCertificate]:
        with self.database.read() as connection:
            return self.repository.certificates_of(connection, company.id)

    def certificate(self, company: Company, slot: Slot) -> StoredCertificate | None:
        with self.database.read() as connection:
            return self.repository.certificate(connection, company.id, slot)

    def remove(self, company: Company, slot: Slot) -> None:
        with self.database.write() as connection:
            if not self.repository.remove_certificate(connection, company.id, slot):
                raise NotFoundError("Tego certyfikatu już nie ma.")

    def loaded(self, stored: StoredCertificate) -> CertificateWithKey:
        """The stored certificate with its key opened (for the signature only)."""
        purpose = _purpose(stored.fingerprint)
        try:
            key_data = self.master_key.open(stored.key_data, purpose) if stored.key_sealed else stored.key_data
            password = (
                self.master_key.open(stored.sealed_password, purpose).decode() if stored.sealed_password else None
            )
            if stored.key_format == "pkcs12":
                return load_pkcs12_certificate_with_key(key_data, password)
            return load_certificate_with_key(stored.certificate_der, key_data, password)
        except (VaultError, KsefCryptoError) as error:
            raise InvoicingError(
                "Zapisanego klucza nie da się otworzyć (inny klucz główny instalacji?). Dodaj certyfikat ponownie."
            ) from error

    def check_connection(self, company: Company, slot: Slot = Slot.AUTHENTICATION) -> ConnectionResult:
        """'Przejdź dalej' / 'Sprawdź połączenie': log in with Type 1; the status of the `slot` certificate is
        re-checked in KSeF and recorded with the result."""
        login = self.certificate(company, Slot.AUTHENTICATION)
        if login is None:
            return ConnectionResult(
                False,
                "Najpierw dodaj certyfikat uwierzytelniający (Typ 1) – bez niego Obsługa Faktur nie zaloguje się "
                "do KSeF.",
            )
        target = login if slot is Slot.AUTHENTICATION else self.certificate(company, slot)
        if target is None:
            raise NotFoundError("Tego certyfikatu już nie ma.")
        try:
            credentials = CertificateCredentials.from_certificate_with_key(self.loaded(login))
        except (InvoicingError, KsefInvalidInputError) as error:
            return ConnectionResult(False, getattr(error, "message", str(error)))
        now = self.clock.now()
        result = connect(self.config, company, target, credentials, now=now, transport=self.transport)
        status = result.ksef_status or ("Revoked" if result.revoked else None)
        with self.database.write() as connection:
            values: dict[str, Any] = {"checked_at": now, "check_ok": result.ok, "check_message": result.message}
            if status is not None:
                values["ksef_status"] = status
            self.repository.record_check(connection, target.id, values)
            if result.ok:
                self.repository.record_check(connection, login.id, {"last_login_at": now})
        return result

    def expiry_warnings(self, companies: list[Company]) -> list[ExpiryWarning]:
        now = self.clock.now()
        by_id = {company.id: company for company in companies}
        with self.database.read() as connection:
            stored = [item for item in self.repository.all_certificates(connection) if item.company_id in by_id]
        warnings = []
        for item in stored:
            days = item.days_left(now)
            if days <= EXPIRY_THRESHOLDS[0]:
                warnings.append(ExpiryWarning(by_id[item.company_id], item, days))
        return sorted(warnings, key=lambda warning: warning.days_left)


def _purpose(fingerprint: str) -> str:
    return f"certificate:{fingerprint}"
