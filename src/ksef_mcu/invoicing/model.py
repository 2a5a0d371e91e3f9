"""The records Obsługa Faktur's services and repository exchange."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Company", "Slot", "StoredCertificate", "User"]


class Slot(enum.IntEnum):
    """The two certificate places in Ustawienia → KSeF."""

    AUTHENTICATION = 1
    OFFLINE = 2

    @property
    def title(self) -> str:
        return SLOT_TITLES[self]


SLOT_TITLES = {
    Slot.AUTHENTICATION: "Certyfikat uwierzytelniający (Typ 1)",
    Slot.OFFLINE: "Certyfikat offline (Typ 2) – opcjonalny",
}


@dataclass(frozen=True, slots=True)
class User:
    id: int
    login: str
    password_hash: str
    is_admin: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    context_type: str
    """`Nip` or `InternalId` (the KSeF context identifier types a company logs in to)."""
    context_value: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    id: int
    company_id: int
    slot: Slot
    certificate_der: bytes
    key_format: str
    key_data: bytes
    key_sealed: bool
    sealed_password: bytes | None
    common_name: str
    serial_number: str
    fingerprint: str
    subject: str
    subject_identifier_type: str
    subject_identifier_value: str
    issuer: str
    environment: str
    valid_from: datetime
    valid_to: datetime
    added_by: str
    added_at: datetime
    last_login_at: datetime | None
    ksef_status: str | None
    checked_at: datetime | None
    check_ok: bool | None
    check_message: str | None

    def days_left(self, now: datetime) -> int:
        """Whole days until the certificate expires (negative once it has)."""
        return (self.valid_to - now).days
