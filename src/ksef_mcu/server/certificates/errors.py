"""Errors of the certificates domain, under the server's one error tree (`ksef_mcu.server.errors`).

`server/http/problems.py` renders them; each fixes the KSeF exception code the official API uses for the case.
"""

from __future__ import annotations

from ksef_mcu.crypto.errors import CsrError
from ksef_mcu.server.errors import BadRequestError, ForbiddenError


class CsrRejectedError(BadRequestError):
    """25003 / 25004 / 25010 / 25011: the CSR breaks a KSeF rule (the code and details come from `check_csr`)."""

    default_code = 25004

    @classmethod
    def from_csr_error(cls, error: CsrError) -> CsrRejectedError:
        return cls(*error.details, code=error.code, description=error.description)


class EnrollmentDataUnavailableError(BadRequestError):
    """25001: no CSR data for this way of logging in (a KSeF token login carries no certificate)."""

    default_code = 25001


class EnrollmentNotAllowedError(BadRequestError):
    """25002: enrollment is not available for this way of logging in."""

    default_code = 25002


class EnrollmentLimitReachedError(BadRequestError):
    """25006: the subject has made as many enrollment requests as it may in the counting window."""

    default_code = 25006


class CertificateLimitReachedError(BadRequestError):
    """25007: the subject already holds as many certificates as it may."""

    default_code = 25007


class EnrollmentNotFoundError(BadRequestError):
    """25005: no enrollment with that reference number (or not the caller's)."""

    default_code = 25005

    def __init__(self, reference_number: str) -> None:
        super().__init__(
            f"Wniosek certyfikacyjny o numerze referencyjnym {reference_number} nie istnieje.",
            reference_number=reference_number,
        )


class CertificateNotFoundError(BadRequestError):
    """25008: no certificate with that serial number among the caller's."""

    default_code = 25008

    def __init__(self, serial_number: str) -> None:
        super().__init__(f"Certyfikat o numerze seryjnym {serial_number} nie istnieje.")


class CertificateNotRevocableError(BadRequestError):
    """25009: the certificate is already revoked, blocked or no longer valid."""

    default_code = 25009


class RevocationNotAllowedError(ForbiddenError):
    """403 `auth-method-not-allowed`: revocation is not available after a KSeF token login."""

    def __init__(self) -> None:
        super().__init__(
            "Unieważnienie certyfikatu nie jest dostępne dla podmiotu uwierzytelnionego tokenem KSeF.",
            reason_code="auth-method-not-allowed",
            security={"authenticationMethodCategory": "Token"},
        )
