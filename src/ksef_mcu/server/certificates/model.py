"""Vocabulary of the certificates domain: statuses, revocation reasons, limits, and the records its services and
repositories exchange.

Values are the API's (`CertificateListItemStatus`, `CertificateRevocationReason`, the enrollment `status.code`); the
Polish descriptions are worded as the official API words them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.identifiers import SubjectIdentifier


class CertificateStatus(enum.StrEnum):
    """`CertificateListItemStatus`. `Expired` is never stored: it is an `Active` certificate past its `validTo`."""

    ACTIVE = "Active"
    BLOCKED = "Blocked"
    REVOKED = "Revoked"
    EXPIRED = "Expired"


class RevocationReason(enum.StrEnum):
    """`CertificateRevocationReason` (optional in the revoke request; absent means `Unspecified`)."""

    UNSPECIFIED = "Unspecified"
    SUPERSEDED = "Superseded"
    KEY_COMPROMISE = "KeyCompromise"


class EnrollmentStatusCode(enum.IntEnum):
    """`status.code` of a certificate enrollment (not an HTTP status)."""

    ACCEPTED = 100
    ISSUED = 200
    REJECTED = 400
    FAILED = 500
    CANCELLED = 550


ENROLLMENT_STATUS_DESCRIPTIONS: dict[EnrollmentStatusCode, str] = {
    EnrollmentStatusCode.ACCEPTED: "Wniosek przyjęty do realizacji",
    EnrollmentStatusCode.ISSUED: "Wniosek obsłużony (certyfikat wygenerowany)",
    EnrollmentStatusCode.REJECTED: "Wniosek odrzucony",
    EnrollmentStatusCode.FAILED: "Nieznany błąd",
    EnrollmentStatusCode.CANCELLED: "Operacja została anulowana przez system",
}

KEY_ALREADY_CERTIFIED_DETAIL = "Klucz publiczny został już certyfikowany przez inny podmiot."
"""Status 400 details: the CSR's public key is in a certificate issued to another subject."""
CERTIFICATE_LIMIT_DETAIL = "Osiągnięto dopuszczalny limit posiadanych certyfikatów."
"""Status 400 details: when the worker came to issue, the subject already held its limit of active certificates."""
CANCELLED_DETAIL = "Przetwarzanie zostało przerwane z przyczyn wewnętrznych systemu. Spróbuj ponownie"
FAILED_DETAIL = "Wystąpił błąd podczas wystawiania certyfikatu. Złóż wniosek ponownie."


@dataclass(frozen=True, slots=True)
class EnrollmentStatus:
    """An enrollment's outcome: its code, the official description and details."""

    code: EnrollmentStatusCode
    details: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return ENROLLMENT_STATUS_DESCRIPTIONS[self.code]


@dataclass(frozen=True, slots=True)
class CertificateLimits:
    """How many enrollment requests (in the counting window) and active certificates a subject may have."""

    max_enrollments: int
    max_certificates: int


@dataclass(frozen=True, slots=True)
class LimitUsage:
    """What a subject has used: enrollment requests in the counting window, and certificates that count as held
    (active or not yet valid, plus accepted requests still waiting for the worker)."""

    enrollments: int
    certificates: int


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """One certificate issued by this server, as the registry keeps it."""

    serial_number: str
    """16 upper-case hex digits."""
    reference_number: str
    subject: SubjectIdentifier
    name: str
    certificate_type: KsefCertificateType
    common_name: str
    """The CN of the enrollment data (without the " (uwierzytelnienie)" / " (offline)" suffix of the certificate)."""
    stored_status: CertificateStatus
    """`Active`, `Blocked` or `Revoked` (expiry is derived, see `status_at`)."""
    valid_from: datetime
    valid_to: datetime
    request_date: datetime
    last_use_date: datetime | None
    der: bytes
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None

    def status_at(self, now: datetime) -> CertificateStatus:
        """The status the API reports at `now`: an `Active` certificate past its `validTo` is `Expired`."""
        if self.stored_status is CertificateStatus.ACTIVE and now > self.valid_to:
            return CertificateStatus.EXPIRED
        return self.stored_status


@dataclass(frozen=True, slots=True)
class SubjectLimits:
    """A subject's own limits (None where the default applies)."""

    max_enrollments: int | None = None
    max_certificates: int | None = None


@dataclass(frozen=True, slots=True)
class EnrollmentRecord:
    """One row of `certificate_enrollments`."""

    reference_number: str
    subject: SubjectIdentifier
    certificate_name: str
    certificate_type: KsefCertificateType
    csr_der: bytes
    public_key_sha256: str
    enrollment_data: EnrollmentData
    requested_valid_from: datetime | None
    request_date: datetime
    status: EnrollmentStatus
    serial_number: str | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    attempts: int = 0
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CertificateFilter:
    """`QueryCertificatesRequest`: every field optional; all given ones must match."""

    serial_number: str | None = None
    """Exact match."""
    name: str | None = None
    """Contained in the name, ignoring letter case."""
    certificate_type: KsefCertificateType | None = None
    status: CertificateStatus | None = None
    expires_after: datetime | None = None
    """Only certificates whose validTo is later than this."""


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A certificate to store: the registry record and what it was issued from."""

    record: CertificateRecord
    enrollment_data: EnrollmentData
    public_key_sha256: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCrl:
    crl_number: int
    this_update: datetime
    next_update: datetime
    der: bytes


@dataclass(frozen=True, slots=True)
class RevokedCertificate:
    """A CRL entry: a revoked certificate, or a blocked one (listed on hold until its revocation completes)."""

    serial_number: str
    revoked_at: datetime
    reason: RevocationReason | None
    blocked: bool = False
