"""The registration authority: what a subject may request, accepting requests, reporting their status.

Every operation acts on the authenticated subject (`Principal.subject`), whatever the login context: a subject sees
only its own requests. Pure rules live in `policy.py`; SQL in `repositories/`; signing in the worker and the
issuer. A request is accepted in one short transaction that locks the subject's row, counts what the subject
has, and stores the request at status 100 — so concurrent requests at a limit boundary are decided one at a time.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.certificates import certificate_serial
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.crypto.errors import EnrollmentDataError
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import AuthenticationMethod, Principal, SubjectDetails
from ksef_mcu.server.auth.repositories.authentications import AuthenticationRepository
from ksef_mcu.server.certificates.errors import (
    EnrollmentDataUnavailableError,
    EnrollmentNotAllowedError,
    EnrollmentNotFoundError,
)
from ksef_mcu.server.certificates.model import (
    CertificateLimits,
    EnrollmentRecord,
    EnrollmentStatus,
    EnrollmentStatusCode,
    LimitUsage,
    SubjectLimits,
)
from ksef_mcu.server.certificates.policy import (
    EnrollmentRequest,
    can_request,
    check_enrollment,
    check_limits,
    effective_limits,
    same_key_may_succeed,
)
from ksef_mcu.server.certificates.repositories.certificates import CertificateRepository
from ksef_mcu.server.certificates.repositories.enrollments import EnrollmentRepository
from ksef_mcu.server.certificates.repositories.subject_limits import SubjectLimitRepository
from ksef_mcu.server.errors import GoneError, InputValidationError
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database

NOTIFY_CHANNEL = "ksef_mcu_enrollments"  # also named in migration 3c9a51d2e7f0, whose trigger notifies it
ENROLLMENT_DATA_CACHE_SIZE = 10_000
"""PostgreSQL channel a new request is announced on, so `ksef-mcu worker` processes wake at once."""


@dataclass(frozen=True, slots=True)
class LimitsReport:
    """`GET /certificates/limits`."""

    limits: CertificateLimits
    usage: LimitUsage

    @property
    def can_request(self) -> bool:
        return can_request(self.limits, self.usage)

    @property
    def enrollments_remaining(self) -> int:
        return max(0, self.limits.max_enrollments - self.usage.enrollments)

    @property
    def certificates_remaining(self) -> int:
        return max(0, self.limits.max_certificates - self.usage.certificates)


@dataclass(frozen=True, slots=True)
class AcceptedEnrollment:
    reference_number: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class EnrollmentStatusReport:
    """`GET /certificates/enrollments/{referenceNumber}`."""

    request_date: datetime
    status: EnrollmentStatus
    serial_number: str | None


def default_limits_from(settings: ServerSettings) -> Mapping[SubjectIdentifierType, CertificateLimits]:
    return {
        SubjectIdentifierType(name): CertificateLimits(limits.max_enrollments, limits.max_certificates)
        for name, limits in settings.certificate_limits.items()
    }


def enrollment_data_from_details(details: SubjectDetails) -> EnrollmentData:
    """The CSR subject data for a login certificate's naming attributes. Raises `EnrollmentDataUnavailableError`."""
    try:
        return EnrollmentData.from_api(
            {
                "commonName": details.common_name,
                "countryName": details.country_name,
                "givenName": " ".join(details.given_names) or None,
                "surname": details.surname,
                "serialNumber": details.serial_number,
                "uniqueIdentifier": details.unique_identifier,
                "organizationName": details.organization_name,
                "organizationIdentifier": details.organization_identifier,
            }
        )
    except EnrollmentDataError as error:
        raise EnrollmentDataUnavailableError(
            "Certyfikat użyty do uwierzytelnienia nie zawiera danych potrzebnych do wniosku: " + error.message
        ) from error


class EnrollmentService:
    """Policy of `/certificates/limits`, `/certificates/enrollments*` and the subject certificate limits."""

    def __init__(
        self,
        *,
        settings: ServerSettings,
        database: Database,
        clock: Clock,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._defaults = default_limits_from(settings)
        self._notify = notify or (lambda: None)
        # What an authentication offers for a CSR never changes; requests and polls of one session need it often.
        self._enrollment_data_cache: OrderedDict[str, EnrollmentData] = OrderedDict()
        self._cache_lock = threading.Lock()

    # --- who the subject is ----------------------------------------------------------------------------------------

    def _cached_enrollment_data(self, principal: Principal) -> EnrollmentData:
        with self._cache_lock:
            cached = self._enrollment_data_cache.get(principal.reference_number)
            if cached is not None:
                self._enrollment_data_cache.move_to_end(principal.reference_number)
                return cached
        with self._database.read() as connection:
            data = self._enrollment_data(connection, principal)
        with self._cache_lock:
            self._enrollment_data_cache[principal.reference_number] = data
            while len(self._enrollment_data_cache) > ENROLLMENT_DATA_CACHE_SIZE:
                self._enrollment_data_cache.popitem(last=False)
        return data

    def _enrollment_data(self, connection: Connection, principal: Principal) -> EnrollmentData:
        if principal.authentication_method is AuthenticationMethod.TOKEN:
            raise EnrollmentDataUnavailableError(
                "Dane do wniosku certyfikacyjnego są dostępne tylko po uwierzytelnieniu podpisem (XAdES)."
            )
        record = AuthenticationRepository(connection).get(principal.reference_number, with_certificate=True)
        if record is None:
            raise EnrollmentDataUnavailableError("Nie znaleziono uwierzytelnienia, którym uzyskano token dostępu.")
        if record.authentication_method is AuthenticationMethod.INTERNAL_CERTIFICATE and record.certificate_der:
            # A KSeF certificate names its owner with a suffixed CN; the next request uses the original data.
            serial = certificate_serial(x509.load_der_x509_certificate(record.certificate_der))
            data = CertificateRepository(connection).enrollment_data(serial)
            if data is not None:
                return data
        return enrollment_data_from_details(record.subject_details)

    def enrollment_data(self, principal: Principal) -> EnrollmentData:
        """`GET /certificates/enrollments/data`: the subject attributes the CSR must carry (25001 after a token
        login)."""
        return self._cached_enrollment_data(principal)

    # --- limits ---------------------------------------------------------------------------------------------------

    def _limits(self, subject: SubjectIdentifier, own: SubjectLimits) -> CertificateLimits:
        return effective_limits(subject.type, defaults=self._defaults, override=own)

    def _usage(self, connection: Connection, subject: SubjectIdentifier, now: datetime) -> LimitUsage:
        made, held = SubjectLimitRepository(connection).count_usage(
            subject, now=now, since=now - self._settings.enrollment_limit_window
        )
        return LimitUsage(enrollments=made, certificates=held)

    def limits(self, principal: Principal) -> LimitsReport:
        """`GET /certificates/limits` for the authenticated subject."""
        now = self._clock.now()
        with self._database.read() as connection:
            own = SubjectLimitRepository(connection).subject_limits(principal.subject)
            return LimitsReport(self._limits(principal.subject, own), self._usage(connection, principal.subject, now))

    def effective_limits(self, principal: Principal) -> CertificateLimits:
        """`GET /limits/subject`."""
        with self._database.read() as connection:
            own = SubjectLimitRepository(connection).subject_limits(principal.subject)
        return self._limits(principal.subject, own)

    def set_subject_limits(self, principal: Principal, limits: SubjectLimits) -> None:
        """`POST /testdata/limits/subject/certificate`: the subject's own limits (None keeps the default)."""
        with self._database.write() as connection:
            SubjectLimitRepository(connection).set_subject_limits(principal.subject, limits, now=self._clock.now())

    def restore_subject_limits(self, principal: Principal) -> None:
        """`DELETE /testdata/limits/subject/certificate`: back to the defaults."""
        self.set_subject_limits(principal, SubjectLimits())

    # --- requests -------------------------------------------------------------------------------------------------

    def submit(self, principal: Principal, request: EnrollmentRequest) -> AcceptedEnrollment:
        """`POST /certificates/enrollments`: check the request, then accept it at status 100.

        Raises 25002 after a token login; 21405/25003/25004/25010/25011 from the policy; 25006/25007 for limits.
        """
        if principal.authentication_method is AuthenticationMethod.TOKEN:
            raise EnrollmentNotAllowedError(
                "Wniosek o certyfikat KSeF można złożyć tylko po uwierzytelnieniu podpisem (XAdES)."
            )
        now = self._clock.now()
        expected = self._cached_enrollment_data(principal)
        checked = check_enrollment(request, expected, now=now, max_valid_from_ahead=self._settings.max_valid_from_ahead)
        subject = principal.subject
        reference_number = new_reference_number(ReferenceKind.ENROLLMENT, now=now)
        with self._database.write() as connection:
            own = SubjectLimitRepository(connection).lock_subject(subject, now=now)
            check_limits(
                self._limits(subject, own),
                self._usage(connection, subject, now),
                window=self._settings.enrollment_limit_window,
            )
            EnrollmentRepository(connection).add(
                EnrollmentRecord(
                    reference_number=reference_number,
                    subject=subject,
                    certificate_name=checked.certificate_name,
                    certificate_type=checked.certificate_type,
                    csr_der=checked.csr.der,
                    public_key_sha256=checked.csr.spki_sha256,
                    enrollment_data=expected,
                    requested_valid_from=checked.requested_valid_from,
                    request_date=now,
                    status=EnrollmentStatus(EnrollmentStatusCode.ACCEPTED),
                )
            )
            # On PostgreSQL a trigger on the queue notifies every `ksef-mcu worker` listening on NOTIFY_CHANNEL when
            # this commits (migration 3c9a51d2e7f0).
        self._notify()
        return AcceptedEnrollment(reference_number, now)

    def status(self, principal: Principal, reference_number: str) -> EnrollmentStatusReport:
        """`GET /certificates/enrollments/{referenceNumber}` — only the subject's own requests (25005 otherwise);
        410 once the request is older than the retention period."""
        with self._database.read() as connection:
            found = EnrollmentRepository(connection).get_status(reference_number)
        if found is None or found[0] != principal.subject:
            raise EnrollmentNotFoundError(reference_number)
        _, request_date, status, serial_number = found
        if request_date + self._settings.enrollment_retention < self._clock.now():
            raise GoneError()
        return EnrollmentStatusReport(request_date, status, serial_number)

    def resubmit(self, principal: Principal, reference_number: str) -> AcceptedEnrollment:
        """A new request with the same key, name, type and start as one of the subject's ended requests, when
        `policy.same_key_may_succeed` says it can work (the MCU screen's "send again with the same key").

        Raises 25005 for an unknown or another subject's request, 21405 when the same key cannot succeed, and
        whatever `submit` raises.
        """
        with self._database.read() as connection:
            record = EnrollmentRepository(connection).get(reference_number)
        if record is None or record.subject != principal.subject:
            raise EnrollmentNotFoundError(reference_number)
        if not same_key_may_succeed(record.status):
            raise InputValidationError(
                f"Wniosku {reference_number} nie można wysłać ponownie z tym samym kluczem "
                f"(status {int(record.status.code)}: {record.status.description})."
            )
        return self.submit(
            principal,
            EnrollmentRequest(
                certificate_name=record.certificate_name,
                certificate_type=record.certificate_type,
                csr=base64.b64encode(record.csr_der).decode("ascii"),
                valid_from=record.requested_valid_from,
            ),
        )
