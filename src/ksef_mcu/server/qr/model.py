"""Vocabulary of the QR verification pages: the checks of KOD II, their outcomes, and what a verification found."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.qr import InvoiceLink, OfflineQrLink

__all__ = [
    "CHECK_TITLES",
    "QR_PATH",
    "CertificateFacts",
    "CertificateVerification",
    "Check",
    "CheckName",
    "CheckOutcome",
    "InvoiceVerification",
]

QR_PATH = "/qr"
"""Where the pages live on our server: the QR base URL of the local environment is `<public URL>/qr`."""


class CheckName(enum.StrEnum):
    """The KOD II checks (`kody-qr.md`, "Weryfikacja po zeskanowaniu kodu QR II"), in the order they are shown."""

    CERTIFICATE_EXISTS = "certificateExists"
    CERTIFICATE_TYPE = "certificateType"
    CERTIFICATE_ACTIVE = "certificateActive"
    CERTIFICATE_VALIDITY = "certificateValidity"
    SIGNATURE = "signature"
    ISSUER_PERMISSION = "issuerPermission"
    CONTEXT_MATCHES_SELLER = "contextMatchesSeller"


CHECK_TITLES: dict[CheckName, str] = {
    CheckName.CERTIFICATE_EXISTS: "Certyfikat istnieje w rejestrze certyfikatów KSeF",
    CheckName.CERTIFICATE_TYPE: "Certyfikat jest typu Offline",
    CheckName.CERTIFICATE_ACTIVE: "Certyfikat nie został odwołany ani zablokowany",
    CheckName.CERTIFICATE_VALIDITY: "Certyfikat jest w okresie ważności",
    CheckName.SIGNATURE: "Podpis linku jest prawidłowy",
    CheckName.ISSUER_PERMISSION: "Wystawca ma uprawnienie do wystawiania faktur (InvoiceWrite) w kontekście",
    CheckName.CONTEXT_MATCHES_SELLER: "Kontekst może wystawiać faktury w imieniu sprzedawcy",
}
"""Each check as the page names it (Polish)."""


class CheckOutcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "notChecked"
    """Could not be checked because an earlier check failed (no certificate to check it with)."""


@dataclass(frozen=True, slots=True)
class Check:
    name: CheckName
    outcome: CheckOutcome
    detail: str
    """Why, in Polish."""

    @property
    def title(self) -> str:
        return CHECK_TITLES[self.name]

    @property
    def passed(self) -> bool:
        return self.outcome is CheckOutcome.PASSED


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What the page shows about the issuer's certificate (no personal identifier beyond a NIP)."""

    certificate_type: KsefCertificateType
    status: str
    """`Active`, `Blocked`, `Revoked` or `Expired` at the time of checking."""
    valid_from: datetime
    valid_to: datetime
    subject_type: str
    """`Nip`, `Pesel` or `Fingerprint`: who the certificate was issued to."""
    subject_nip: str | None
    """The NIP when the subject is a NIP (a PESEL or fingerprint is never shown)."""


@dataclass(frozen=True, slots=True)
class CertificateVerification:
    """The result of checking one KOD II link at `checked_at`."""

    link: OfflineQrLink
    checked_at: datetime
    certificate: CertificateFacts | None
    checks: tuple[Check, ...]

    @property
    def verified(self) -> bool:
        """True only when every check passed."""
        return all(check.passed for check in self.checks)


@dataclass(frozen=True, slots=True)
class InvoiceVerification:
    """The result of looking up one KOD I link at `checked_at`."""

    link: InvoiceLink
    checked_at: datetime
    ksef_number: str | None
    """The invoice's KSeF number, or None when our KSeF holds no invoice with these segments."""

    @property
    def found(self) -> bool:
        return self.ksef_number is not None
