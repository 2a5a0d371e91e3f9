"""The registration policy: pure checks of an enrollment request and of a subject's limits.

Nothing here reads a clock, a file or the database: `now`, the expected subject data and the counts are passed in.
The registration authority (`registration.py`) runs these before it stores a request; the issuance worker runs
`check_certificate_limit` again under the subject's lock before it signs.

Rules (the official API's, see `docs/certificates.md`):

- certificateName: 5–100 characters, ASCII letters and digits, Polish letters, space, `-`, `_` (21405);
- CSR: `ksef_mcu.crypto.csr.check_csr` — strict one-line Base64 DER (no PEM armour, no line breaks: 25004), RSA 2048
  or EC P-256 (25010), RSA PKCS#1 v1.5 / RSA-PSS / ECDSA with SHA-1/256/384/512 (25011), a valid self-signature
  (25004), a subject equal to the enrollment data as a multiset of (OID, value) pairs (25003);
- validFrom: omitted or in the past → the certificate starts when it is issued; in the future → honoured up to
  90 days ahead (the MCU screen's range), later is 21405; without a UTC offset it is read as UTC;
- validity: exactly two calendar years from the start (29 February → 28 February), to the second;
- limits per subject: enrollment requests in a rolling window (25006) and held certificates (25007).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import CsrInfo, EnrollmentData, check_csr
from ksef_mcu.crypto.errors import CertificateNameError, CsrError
from ksef_mcu.crypto.names import check_api_certificate_name
from ksef_mcu.identifiers import SubjectIdentifierType
from ksef_mcu.server.certificates.errors import (
    CertificateLimitReachedError,
    CsrRejectedError,
    EnrollmentLimitReachedError,
)
from ksef_mcu.server.certificates.model import (
    CERTIFICATE_LIMIT_DETAIL,
    CertificateLimits,
    EnrollmentStatus,
    EnrollmentStatusCode,
    LimitUsage,
    SubjectLimits,
)
from ksef_mcu.server.errors import InputValidationError

CERTIFICATE_VALIDITY_YEARS = 2
MAX_VALID_FROM_AHEAD = timedelta(days=90)
"""How far ahead `validFrom` may be (the MCU screen offers dates up to 90 days ahead)."""

DEFAULT_LIMITS: Mapping[SubjectIdentifierType, CertificateLimits] = {
    SubjectIdentifierType.NIP: CertificateLimits(max_enrollments=300, max_certificates=100),
    SubjectIdentifierType.PESEL: CertificateLimits(max_enrollments=12, max_certificates=6),
    SubjectIdentifierType.FINGERPRINT: CertificateLimits(max_enrollments=12, max_certificates=6),
}
"""The official limits per authenticated subject (`limity/limity.md`), by the kind of its identifier."""


@dataclass(frozen=True, slots=True)
class EnrollmentRequest:
    """`EnrollCertificateRequest` as received (already shaped by the API schema)."""

    certificate_name: str
    certificate_type: KsefCertificateType
    csr: str
    """Base64 DER PKCS#10, as the API's `csr` field carries it."""
    valid_from: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckedEnrollment:
    """An enrollment request that passed every synchronous rule."""

    certificate_name: str
    certificate_type: KsefCertificateType
    csr: CsrInfo
    requested_valid_from: datetime | None
    """UTC, whole seconds; None when the client did not ask for a start."""


def check_certificate_name(name: str) -> str:
    """Return `name` if the official API accepts it; raise `InputValidationError` (21405) naming each broken rule."""
    try:
        return check_api_certificate_name(name)
    except CertificateNameError as error:
        raise InputValidationError(*(f"certificateName: {failure}" for failure in error.failures)) from error


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a value without an offset is taken to be UTC already (the Java client sends such values)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_requested_valid_from(
    valid_from: datetime | None, *, now: datetime, max_ahead: timedelta = MAX_VALID_FROM_AHEAD
) -> datetime | None:
    """The requested start of validity in UTC (whole seconds), or None when there is none.

    A past value is accepted (the official clients send now − 1 day and now − 3 hours): the certificate will start
    when it is issued. Raises `InputValidationError` (21405) for a start more than `max_ahead` after `now`.
    """
    if valid_from is None:
        return None
    requested = as_utc(valid_from).replace(microsecond=0)
    if requested > now + max_ahead:
        latest = (now + max_ahead).strftime("%Y-%m-%d %H:%M:%S")
        raise InputValidationError(
            f"validFrom: data rozpoczęcia ważności może być najpóźniej {max_ahead.days} dni od dziś (do {latest} UTC)."
        )
    return requested


def check_enrollment_csr(csr: str, expected: EnrollmentData) -> CsrInfo:
    """`check_csr` with its error turned into the API error (25003/25004/25010/25011)."""
    try:
        return check_csr(csr, expected)
    except CsrError as error:
        raise CsrRejectedError.from_csr_error(error) from error


def check_enrollment(
    request: EnrollmentRequest,
    expected: EnrollmentData,
    *,
    now: datetime,
    max_valid_from_ahead: timedelta = MAX_VALID_FROM_AHEAD,
) -> CheckedEnrollment:
    """Run every synchronous rule on `request` in the API's order: name, validFrom (21405), then the CSR.

    `expected` is the enrollment data of the authenticated subject. Raises the first rule's `BadRequestError`.
    """
    name = check_certificate_name(request.certificate_name)
    valid_from = check_requested_valid_from(request.valid_from, now=now, max_ahead=max_valid_from_ahead)
    csr = check_enrollment_csr(request.csr, expected)
    return CheckedEnrollment(name, request.certificate_type, csr, valid_from)


def add_years(moment: datetime, years: int) -> datetime:
    """The same calendar moment `years` later; 29 February becomes 28 February in a common year."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def validity_period(requested_valid_from: datetime | None, *, issued_at: datetime) -> tuple[datetime, datetime]:
    """(notBefore, notAfter) in UTC, whole seconds: from the later of the requested start and the issuance time, for
    exactly `CERTIFICATE_VALIDITY_YEARS` calendar years."""
    start = as_utc(issued_at).replace(microsecond=0)
    if requested_valid_from is not None:
        start = max(start, as_utc(requested_valid_from).replace(microsecond=0))
    return start, add_years(start, CERTIFICATE_VALIDITY_YEARS)


def effective_limits(
    identifier_type: SubjectIdentifierType,
    *,
    defaults: Mapping[SubjectIdentifierType, CertificateLimits] = DEFAULT_LIMITS,
    override: SubjectLimits | None = None,
) -> CertificateLimits:
    """The limits of a subject identified by `identifier_type`: its own override where set, else the defaults."""
    limits = defaults[identifier_type]
    if override is None:
        return limits
    return CertificateLimits(
        max_enrollments=limits.max_enrollments if override.max_enrollments is None else override.max_enrollments,
        max_certificates=limits.max_certificates if override.max_certificates is None else override.max_certificates,
    )


def can_request(limits: CertificateLimits, usage: LimitUsage) -> bool:
    """Whether one more enrollment request would be accepted (the API's `canRequest`)."""
    return usage.enrollments < limits.max_enrollments and usage.certificates < limits.max_certificates


def check_enrollment_limit(limits: CertificateLimits, usage: LimitUsage, *, window: timedelta) -> None:
    """Raise `EnrollmentLimitReachedError` (25006) when no further enrollment request is allowed in the window."""
    if usage.enrollments >= limits.max_enrollments:
        days = max(1, round(window / timedelta(days=1)))
        raise EnrollmentLimitReachedError(
            f"Limit wniosków o certyfikat: {limits.max_enrollments} w ciągu {days} dni; złożono {usage.enrollments}. "
            f"Kolejny wniosek będzie możliwy, gdy najstarszy z nich będzie miał więcej niż {days} dni."
        )


def check_certificate_limit(limits: CertificateLimits, usage: LimitUsage) -> None:
    """Raise `CertificateLimitReachedError` (25007) when the subject holds as many certificates as it may
    (active ones, future-dated ones and accepted requests still waiting to be issued)."""
    if usage.certificates >= limits.max_certificates:
        raise CertificateLimitReachedError(
            f"Limit aktywnych certyfikatów: {limits.max_certificates}; posiadane wraz z wnioskami w realizacji: "
            f"{usage.certificates}. Unieważnij certyfikat, którego już nie używasz, aby zwolnić miejsce."
        )


def check_limits(limits: CertificateLimits, usage: LimitUsage, *, window: timedelta) -> None:
    """Both limit checks, the enrollment limit first (25006, then 25007)."""
    check_enrollment_limit(limits, usage, window=window)
    check_certificate_limit(limits, usage)


def same_key_may_succeed(status: EnrollmentStatus) -> bool:
    """Whether sending an ended request again with the same key (CSR) can succeed: after a failure or a
    cancellation, and after a rejection for the certificate limit (once a certificate is revoked); never after "the
    key is already certified by another subject", nor for a request still waiting or already issued."""
    if status.code in (EnrollmentStatusCode.FAILED, EnrollmentStatusCode.CANCELLED):
        return True
    return status.code is EnrollmentStatusCode.REJECTED and status.details == (CERTIFICATE_LIMIT_DETAIL,)
