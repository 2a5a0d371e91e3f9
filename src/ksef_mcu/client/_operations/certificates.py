"""API tag "Certyfikaty": limits, enrollment data, enroll and follow, retrieve, query, revoke."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ksef_mcu.client._core import ApiRequest, Auth, ClientState, Flow, call, parse_model
from ksef_mcu.client._faces import D, Face, Page, listing, operation
from ksef_mcu.client._operations.polling import failure_message, poll
from ksef_mcu.client.errors import KsefEnrollmentFailedError, KsefInvalidInputError, KsefResponseError
from ksef_mcu.client.models.certificates import (
    CertificateEnrollmentData,
    CertificateEnrollmentStatus,
    CertificateLimits,
    CertificateListItem,
    CertificatePage,
    CertificateQuery,
    CertificateStatus,
    CertificateType,
    EnrollCertificateRequest,
    EnrollmentSubmission,
    RetrievedCertificate,
    RetrievedCertificates,
    RevocationReason,
    parse_certificate_type,
)
from ksef_mcu.client.validation import (
    QUERY_PAGE_SIZE_MAX,
    QUERY_PAGE_SIZE_MIN,
    RETRIEVE_MAX_SERIALS,
    normalize_serial_number,
    parse_name_rule,
    validate_certificate_name,
    validate_page_size,
    validate_reference_number,
    validate_timeout,
)
from ksef_mcu.crypto.csr import decode_csr_text
from ksef_mcu.crypto.errors import KsefCryptoError
from ksef_mcu.crypto.names import CertificateNameRule

__all__ = [
    "DEFAULT_ENROLLMENT_TIMEOUT",
    "CertificatesOperations",
    "EnrollmentOperations",
    "EnrollmentProgress",
    "build_enroll_request",
    "csr_to_der",
]

DEFAULT_ENROLLMENT_TIMEOUT = 300.0  # seconds

EnrollmentProgress = Callable[[CertificateEnrollmentStatus], None]


class EnrollmentOperations(Face[D]):
    """A submitted certificate enrollment: follow it with `status()` or `wait()`."""

    def __init__(self, owner: Face[D], reference_number: str, submitted_at: datetime | None = None) -> None:
        super().__init__(owner)
        self.reference_number = validate_reference_number(reference_number)
        self.submitted_at = submitted_at

    @operation
    def status(self) -> Flow[CertificateEnrollmentStatus]:
        """The current status (100 accepted, 200 issued, 400 rejected, 500 error, 550 cancelled)."""
        return _enrollment_status(self._state, self.reference_number)

    @operation
    def wait(
        self,
        timeout: float = DEFAULT_ENROLLMENT_TIMEOUT,
        on_progress: Callable[[CertificateEnrollmentStatus], None] | None = None,
    ) -> Flow[CertificateEnrollmentStatus]:
        """Poll (with growing intervals) until the enrollment is final; `on_progress` sees every status.

        Returns the status of the issued certificate (`serial_number` set). Raises `KsefEnrollmentFailedError` on
        400/500/550 and `KsefPollingTimeoutError` after `timeout` seconds.
        """
        state, reference_number = self._state, self.reference_number
        status = yield from poll(
            state,
            lambda: _enrollment_status(state, reference_number),
            lambda result: result.status,
            reference_number=reference_number,
            timeout=validate_timeout(timeout),
            on_progress=on_progress,
            what="Wniosek certyfikacyjny",
        )
        info = status.status
        if not info.succeeded:
            raise KsefEnrollmentFailedError(
                failure_message(
                    "Wniosek certyfikacyjny został odrzucony"
                    if info.code == 400
                    else "Wniosek certyfikacyjny nie został zrealizowany",
                    info,
                ),
                reference_number=reference_number,
                status_code=info.code,
                description=info.description,
                details=info.details,
            )
        if status.serial_number is None:
            raise KsefResponseError(
                f"KSeF zgłosił wydanie certyfikatu ({reference_number}) bez numeru seryjnego.",
                http_status=200,
                method="GET",
                url=f"/certificates/enrollments/{reference_number}",
                problems=["certificateSerialNumber: missing"],
            )
        return status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reference_number!r})"


H = TypeVar("H", bound=EnrollmentOperations[Any])


class CertificatesOperations(Face[D], Generic[D, H]):
    """KSeF certificates: limits, enrollment data, enroll, retrieve, query, revoke.

    `H` is the face's enrollment handle (`Enrollment` or `AsyncEnrollment`), set as `_enrollment_handle`.
    """

    _enrollment_handle: type[H]

    @operation
    def limits(self) -> Flow[CertificateLimits]:
        """`GET /certificates/limits`: may I request another certificate, and how many are left."""
        request = ApiRequest("GET", "/certificates/limits", auth=Auth.ACCESS, idempotent=True)
        return parse_model((yield from call(self._state, request)), CertificateLimits, request)

    @operation
    def enrollment_data(self) -> Flow[CertificateEnrollmentData]:
        """`GET /certificates/enrollments/data`: the subject DN the CSR must carry."""
        request = ApiRequest("GET", "/certificates/enrollments/data", auth=Auth.ACCESS, idempotent=True)
        return parse_model((yield from call(self._state, request)), CertificateEnrollmentData, request)

    @operation
    def enroll(
        self,
        name: str,
        type: CertificateType | str,
        csr: x509.CertificateSigningRequest | bytes | str,
        valid_from: datetime | None = None,
        *,
        name_rule: CertificateNameRule | str = CertificateNameRule.USER_GUIDE,
    ) -> Flow[H]:
        """`POST /certificates/enrollments` (never retried: each call is a new enrollment); returns a handle to follow
        the enrollment.

        `name` follows the user guide's rule by default — 5–50 characters: ASCII letters, digits, spaces, `-`, `_`,
        no space at either end, what the MCU screens and the CLI accept; `name_rule="api"` allows what the API
        accepts (5–100 characters, Polish letters too). `type` is `Authentication` or `Offline` (any case); `csr` is
        a PKCS#10 object, its DER/PEM bytes, PEM text or the Base64 DER text `ksef_mcu.crypto.csr.create_csr`
        returns; `valid_from` must be timezone-aware. Raises `KsefInvalidInputError` before sending, `KsefApiError`
        (25003 DN mismatch, 25006/25007 limits, 25010 key, ...) after.
        """
        enrollment = build_enroll_request(name, type, csr, valid_from, name_rule=name_rule)
        request = ApiRequest("POST", "/certificates/enrollments", auth=Auth.ACCESS, json=enrollment.to_json())
        submission = parse_model((yield from call(self._state, request)), EnrollmentSubmission, request)
        return self._enrollment_handle(self, submission.reference_number, submission.timestamp)

    def enrollment(self, reference_number: str) -> H:
        """A handle for an enrollment submitted earlier (e.g. by another process)."""
        return self._enrollment_handle(self, reference_number)

    @operation
    def retrieve(self, serial_numbers: Sequence[str] | str) -> Flow[list[RetrievedCertificate]]:
        """`POST /certificates/retrieve` for 1–10 serials (duplicates are sent once); each item gives `.der`, `.pem`
        and `.certificate`.

        Serials KSeF does not return (unknown, or not yours) are simply absent from the list.
        """
        if isinstance(serial_numbers, str):
            serial_numbers = [serial_numbers]
        normalized = list(dict.fromkeys(normalize_serial_number(serial) for serial in serial_numbers))
        if not 1 <= len(normalized) <= RETRIEVE_MAX_SERIALS:
            raise KsefInvalidInputError(
                f"Można pobrać od 1 do {RETRIEVE_MAX_SERIALS} certyfikatów naraz (podano {len(normalized)}).",
                field="serial_numbers",
            )
        request = ApiRequest(
            "POST",
            "/certificates/retrieve",
            auth=Auth.ACCESS,
            idempotent=True,
            json={"certificateSerialNumbers": normalized},
        )
        result = yield from call(self._state, request)
        return list(parse_model(result, RetrievedCertificates, request).certificates)

    @listing
    def query(
        self,
        *,
        serial_number: str | None = None,
        name: str | None = None,
        type: CertificateType | str | None = None,
        status: CertificateStatus | str | None = None,
        expires_after: datetime | None = None,
        page_size: int = QUERY_PAGE_SIZE_MAX,
    ) -> Flow[Page[CertificateListItem]]:
        """Every certificate matching the filters (`POST /certificates/query`, all pages, newest request first).

        The filters are checked at once; pages are fetched lazily while iterating.
        """
        validate_page_size(page_size, minimum=QUERY_PAGE_SIZE_MIN, maximum=QUERY_PAGE_SIZE_MAX)
        query = CertificateQuery(
            serial_number=serial_number,
            name=name,
            type=parse_certificate_type(type) if type is not None else None,
            status=CertificateStatus.parse(status) if status is not None else None,
            expires_after=expires_after,
        )
        return _query_pages(self._state, query, page_offset=0, page_size=page_size)

    @operation
    def query_page(
        self, query: CertificateQuery | None = None, *, page_offset: int = 0, page_size: int = 10
    ) -> Flow[CertificatePage]:
        """One page of `POST /certificates/query`: `page_offset` is the page index (from 0), `page_size` 10–50."""
        return _query_page(self._state, query or CertificateQuery(), page_offset=page_offset, page_size=page_size)

    @operation
    def revoke(self, serial_number: str, reason: RevocationReason | str | None = None) -> Flow[None]:
        """`POST /certificates/{serial}/revoke` (final, never retried); no body is sent when `reason` is None.

        Raises `KsefApiError` 25008 (not found) or 25009 (already revoked or blocked).
        """
        serial_number = normalize_serial_number(serial_number)
        body = None if reason is None else {"revocationReason": RevocationReason.parse(reason).value}
        path = f"/certificates/{serial_number}/revoke"
        yield from call(self._state, ApiRequest("POST", path, auth=Auth.ACCESS, json=body))


# --- helpers ------------------------------------------------------------------------------------------------------


def _enrollment_status(state: ClientState, reference_number: str) -> Flow[CertificateEnrollmentStatus]:
    """`GET /certificates/enrollments/{referenceNumber}`."""
    reference_number = validate_reference_number(reference_number)
    request = ApiRequest("GET", f"/certificates/enrollments/{reference_number}", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), CertificateEnrollmentStatus, request)


def _query_page(
    state: ClientState, query: CertificateQuery, *, page_offset: int, page_size: int
) -> Flow[CertificatePage]:
    page_size = validate_page_size(page_size, minimum=QUERY_PAGE_SIZE_MIN, maximum=QUERY_PAGE_SIZE_MAX)
    if isinstance(page_offset, bool) or not isinstance(page_offset, int) or page_offset < 0:
        raise KsefInvalidInputError(
            f"Numer strony musi być nieujemną liczbą całkowitą (podano {page_offset!r}).", field="page_offset"
        )
    request = ApiRequest(
        "POST",
        "/certificates/query",
        auth=Auth.ACCESS,
        idempotent=True,
        params={"pageSize": page_size, "pageOffset": page_offset},
        json=query.to_json(),
    )
    return parse_model((yield from call(state, request)), CertificatePage, request)


def _query_pages(
    state: ClientState, query: CertificateQuery, *, page_offset: int, page_size: int
) -> Flow[Page[CertificateListItem]]:
    """One page of a listing. An empty page ends it even when `hasMore` says otherwise, so a misbehaving server
    cannot loop us."""
    page = yield from _query_page(state, query, page_offset=page_offset, page_size=page_size)
    if not (page.has_more and page.certificates):
        return Page(page.certificates)
    return Page(page.certificates, _query_pages(state, query, page_offset=page_offset + 1, page_size=page_size))


def csr_to_der(csr: x509.CertificateSigningRequest | bytes | str) -> bytes:
    """The DER of a CSR given as a `cryptography` object, DER or PEM bytes, PEM text or Base64 DER text (what
    `ksef_mcu.crypto.csr.create_csr` returns); checked to parse as PKCS#10. Raises `KsefInvalidInputError`."""
    if isinstance(csr, x509.CertificateSigningRequest):
        return csr.public_bytes(Encoding.DER)
    if isinstance(csr, str):
        text = csr.strip()
        if text.startswith("-----BEGIN"):
            return csr_to_der(text.encode("ascii", errors="replace"))
        try:
            csr = decode_csr_text(text)
        except KsefCryptoError as error:
            raise KsefInvalidInputError(error.message, field="csr") from error
    if not isinstance(csr, bytes) or not csr.strip():
        raise KsefInvalidInputError("Wniosek CSR jest pusty.", field="csr")
    try:
        if csr.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_csr(csr).public_bytes(Encoding.DER)
        x509.load_der_x509_csr(csr)
    except ValueError:
        raise KsefInvalidInputError(
            "Wniosek CSR jest nieczytelny (oczekiwano PKCS#10 w formacie DER lub PEM).", field="csr"
        ) from None
    return csr


def build_enroll_request(
    name: str,
    type: CertificateType | str,
    csr: x509.CertificateSigningRequest | bytes | str,
    valid_from: datetime | None,
    *,
    name_rule: CertificateNameRule | str = CertificateNameRule.USER_GUIDE,
) -> EnrollCertificateRequest:
    """The checked enrollment request: the name against `name_rule` (the user guide's by default) and then the API's
    rule, the type, the CSR, the start date. Raises `KsefInvalidInputError`."""
    validate_certificate_name(name, parse_name_rule(name_rule))
    return EnrollCertificateRequest(name, parse_certificate_type(type), csr_to_der(csr), valid_from)
