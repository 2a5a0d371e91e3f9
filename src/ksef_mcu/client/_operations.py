"""The API operations as sans-IO flows (see `_core`): one function per endpoint plus the multi-step flows
(XAdES login, polling an operation to its end, paging). The sync and async clients only run these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import TypeAdapter

from ksef_mcu.client._core import (
    ApiRequest,
    Auth,
    ClientState,
    Flow,
    call,
    logger,
    parse_adapter,
    parse_model,
    refresh_access_token,
    sleep,
)
from ksef_mcu.client.credentials import CertificateCredentials
from ksef_mcu.client.errors import (
    KsefAuthenticationFailedError,
    KsefAuthError,
    KsefEnrollmentFailedError,
    KsefInvalidInputError,
    KsefPollingTimeoutError,
    KsefResponseError,
)
from ksef_mcu.client.models import (
    AuthenticationChallenge,
    AuthenticationInit,
    AuthenticationOperationStatus,
    AuthenticationSessionPage,
    AuthenticationTokens,
    CertificateEnrollmentData,
    CertificateEnrollmentStatus,
    CertificateLimits,
    CertificatePage,
    CertificateQuery,
    CertificateStatus,
    CertificateType,
    EnrollCertificateRequest,
    EnrollmentSubmission,
    KsefModel,
    PublicKeyCertificate,
    RetrievedCertificate,
    RevocationReason,
    StatusInfo,
    parse_certificate_type,
)
from ksef_mcu.client.tokens import Token, TokenState
from ksef_mcu.client.validation import (
    QUERY_PAGE_SIZE_MAX,
    QUERY_PAGE_SIZE_MIN,
    RETRIEVE_MAX_SERIALS,
    SESSIONS_PAGE_SIZE_MAX,
    SESSIONS_PAGE_SIZE_MIN,
    normalize_serial_number,
    validate_page_size,
    validate_reference_number,
    validate_timeout,
)
from ksef_mcu.crypto.csr import decode_csr_text
from ksef_mcu.crypto.errors import KsefCryptoError, XadesError
from ksef_mcu.crypto.xades import (
    AllowedIps,
    AuthTokenNamespace,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    build_auth_token_request,
)
from ksef_mcu.crypto.xades.request import check_allowed_ips, check_context_value

AuthProgress = Callable[[AuthenticationOperationStatus], None]
EnrollmentProgress = Callable[[CertificateEnrollmentStatus], None]
SignAuthTokenRequest = Callable[[AuthenticationChallenge], bytes]

R = TypeVar("R")

_PUBLIC_KEY_CERTIFICATES = TypeAdapter(tuple[PublicKeyCertificate, ...])


# --- auth ---------------------------------------------------------------------------------------------------------


def challenge(state: ClientState) -> Flow[AuthenticationChallenge]:
    """`POST /auth/challenge`."""
    request = ApiRequest("POST", "/auth/challenge", idempotent=True)
    return parse_model((yield from call(state, request)), AuthenticationChallenge, request)


def submit_xades_signature(
    state: ClientState, signed_request: bytes, *, verify_certificate_chain: bool | None
) -> Flow[AuthenticationInit]:
    """`POST /auth/xades-signature` with the signed AuthTokenRequest XML."""
    if not isinstance(signed_request, bytes) or not signed_request.strip():
        raise KsefInvalidInputError("Podpisany dokument AuthTokenRequest jest pusty.", field="signed_request")
    params = (
        None if verify_certificate_chain is None else {"verifyCertificateChain": str(verify_certificate_chain).lower()}
    )
    request = ApiRequest(
        "POST", "/auth/xades-signature", params=params, content=signed_request, content_type="application/xml"
    )
    return parse_model((yield from call(state, request)), AuthenticationInit, request)


def authentication_status(
    state: ClientState, reference_number: str, authentication_token: str
) -> Flow[AuthenticationOperationStatus]:
    """`GET /auth/{referenceNumber}` with the authentication operation's token."""
    reference_number = validate_reference_number(reference_number)
    request = ApiRequest("GET", f"/auth/{reference_number}", auth=authentication_token, idempotent=True)
    return parse_model((yield from call(state, request)), AuthenticationOperationStatus, request)


def redeem_tokens(state: ClientState, authentication_token: str) -> Flow[AuthenticationTokens]:
    """`POST /auth/token/redeem` (once per authentication operation)."""
    request = ApiRequest("POST", "/auth/token/redeem", auth=authentication_token)
    return parse_model((yield from call(state, request)), AuthenticationTokens, request)


def wait_for_authentication(
    state: ClientState, init: AuthenticationInit, *, timeout: float, on_progress: AuthProgress | None
) -> Flow[AuthenticationOperationStatus]:
    """Poll `GET /auth/{ref}` until the operation leaves status 100.

    Raises `KsefAuthenticationFailedError` for a failure status and `KsefPollingTimeoutError` after `timeout` s.
    """
    reference_number = init.reference_number
    status = yield from _poll(
        state,
        lambda: authentication_status(state, reference_number, init.authentication_token.token),
        lambda result: result.status,
        reference_number=reference_number,
        timeout=timeout,
        on_progress=on_progress,
        what="Uwierzytelnianie",
    )
    if not status.status.succeeded:
        info = status.status
        raise KsefAuthenticationFailedError(
            _failure_message("Uwierzytelnianie w KSeF nie powiodło się", info),
            reference_number=reference_number,
            status_code=info.code,
            description=info.description,
            details=info.details,
        )
    return status


def login_with_xades(
    state: ClientState,
    sign: SignAuthTokenRequest,
    *,
    verify_certificate_chain: bool | None,
    timeout: float,
    on_progress: AuthProgress | None,
) -> Flow[TokenState]:
    """Challenge → signed AuthTokenRequest (`sign`) → `POST /auth/xades-signature` → poll → redeem; store the tokens."""
    timeout = validate_timeout(timeout)
    current = yield from challenge(state)
    signed_request = sign(current)
    init = yield from submit_xades_signature(state, signed_request, verify_certificate_chain=verify_certificate_chain)
    yield from wait_for_authentication(state, init, timeout=timeout, on_progress=on_progress)
    redeemed = yield from redeem_tokens(state, init.authentication_token.token)
    tokens = TokenState(
        access_token=Token(redeemed.access_token.token, redeemed.access_token.valid_until),
        refresh_token=Token(redeemed.refresh_token.token, redeemed.refresh_token.valid_until),
        reference_number=init.reference_number,
    )
    state.set_tokens(tokens)
    return tokens


def refresh(state: ClientState) -> Flow[TokenState]:
    """Renew the access token now (normally done automatically)."""
    return (yield from refresh_access_token(state))


def sessions_page(
    state: ClientState, *, page_size: int, continuation_token: str | None
) -> Flow[AuthenticationSessionPage]:
    """`GET /auth/sessions`: one page of the caller's active authentication sessions."""
    page_size = validate_page_size(page_size, minimum=SESSIONS_PAGE_SIZE_MIN, maximum=SESSIONS_PAGE_SIZE_MAX)
    request = ApiRequest(
        "GET",
        "/auth/sessions",
        auth=Auth.ACCESS,
        idempotent=True,
        params={"pageSize": page_size},
        headers={"x-continuation-token": continuation_token} if continuation_token else None,
    )
    return parse_model((yield from call(state, request)), AuthenticationSessionPage, request)


def revoke_session(state: ClientState, reference_number: str) -> Flow[None]:
    """`DELETE /auth/sessions/{referenceNumber}`."""
    reference_number = validate_reference_number(reference_number)
    yield from call(
        state, ApiRequest("DELETE", f"/auth/sessions/{reference_number}", auth=Auth.ACCESS, idempotent=True)
    )


def logout(state: ClientState) -> Flow[None]:
    """`DELETE /auth/sessions/current`, then forget the tokens.

    Uses the access token, or the refresh token when the access token has expired (KSeF accepts either). Tokens KSeF
    no longer accepts (401) are forgotten as well; other errors keep them and propagate.
    """
    tokens = state.tokens
    if tokens is None:
        return
    now = state.now()
    bearer = (
        tokens.access_token.token
        if tokens.access_token.is_valid(now)
        else tokens.refresh_token.token
        if tokens.refresh_token is not None and tokens.refresh_token.is_valid(now)
        else None
    )
    if bearer is not None:
        request = ApiRequest("DELETE", "/auth/sessions/current", auth=bearer, idempotent=True)
        try:
            yield from call(state, request)
        except KsefAuthError:
            logger.info("logout: KSeF no longer accepts the token; forgetting it")
    state.set_tokens(None)


# --- certificates -------------------------------------------------------------------------------------------------


def certificate_limits(state: ClientState) -> Flow[CertificateLimits]:
    """`GET /certificates/limits`."""
    request = ApiRequest("GET", "/certificates/limits", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), CertificateLimits, request)


def enrollment_data(state: ClientState) -> Flow[CertificateEnrollmentData]:
    """`GET /certificates/enrollments/data`."""
    request = ApiRequest("GET", "/certificates/enrollments/data", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), CertificateEnrollmentData, request)


def enroll(state: ClientState, enrollment: EnrollCertificateRequest) -> Flow[EnrollmentSubmission]:
    """`POST /certificates/enrollments` (never retried: each call is a new enrollment)."""
    request = ApiRequest("POST", "/certificates/enrollments", auth=Auth.ACCESS, json=enrollment.to_json())
    return parse_model((yield from call(state, request)), EnrollmentSubmission, request)


def enrollment_status(state: ClientState, reference_number: str) -> Flow[CertificateEnrollmentStatus]:
    """`GET /certificates/enrollments/{referenceNumber}`."""
    reference_number = validate_reference_number(reference_number)
    request = ApiRequest("GET", f"/certificates/enrollments/{reference_number}", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), CertificateEnrollmentStatus, request)


def wait_for_enrollment(
    state: ClientState, reference_number: str, *, timeout: float, on_progress: EnrollmentProgress | None
) -> Flow[CertificateEnrollmentStatus]:
    """Poll the enrollment until it is final; return the status of an issued certificate (with its serial).

    Raises `KsefEnrollmentFailedError` for 400 (rejected), 500 and 550 (cancelled; retry) and
    `KsefPollingTimeoutError` after `timeout` s.
    """
    reference_number = validate_reference_number(reference_number)
    status = yield from _poll(
        state,
        lambda: enrollment_status(state, reference_number),
        lambda result: result.status,
        reference_number=reference_number,
        timeout=validate_timeout(timeout),
        on_progress=on_progress,
        what="Wniosek certyfikacyjny",
    )
    info = status.status
    if not info.succeeded:
        raise KsefEnrollmentFailedError(
            _failure_message(
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


def retrieve_certificates(state: ClientState, serial_numbers: Sequence[str]) -> Flow[tuple[RetrievedCertificate, ...]]:
    """`POST /certificates/retrieve` for 1–10 serials (duplicates are sent once)."""
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
    result = yield from call(state, request)
    return parse_model(result, _RetrieveResponse, request).certificates


def query_certificates_page(
    state: ClientState, query: CertificateQuery, *, page_offset: int, page_size: int
) -> Flow[CertificatePage]:
    """`POST /certificates/query`: page number `page_offset` (a page index, from 0) of `page_size` (10–50) items."""
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


def revoke_certificate(state: ClientState, serial_number: str, reason: RevocationReason | str | None) -> Flow[None]:
    """`POST /certificates/{serial}/revoke`; without a reason no body is sent (never retried)."""
    serial_number = normalize_serial_number(serial_number)
    body = None if reason is None else {"revocationReason": RevocationReason.parse(reason).value}
    yield from call(state, ApiRequest("POST", f"/certificates/{serial_number}/revoke", auth=Auth.ACCESS, json=body))


# --- security -----------------------------------------------------------------------------------------------------


def public_key_certificates(state: ClientState) -> Flow[tuple[PublicKeyCertificate, ...]]:
    """`GET /security/public-key-certificates` (public)."""
    request = ApiRequest("GET", "/security/public-key-certificates", idempotent=True)
    return parse_adapter((yield from call(state, request)), _PUBLIC_KEY_CERTIFICATES, request)


# --- helpers ------------------------------------------------------------------------------------------------------


class _RetrieveResponse(KsefModel):
    """`RetrieveCertificatesResponse`."""

    certificates: tuple[RetrievedCertificate, ...]


def _failure_message(head: str, status: StatusInfo) -> str:
    text = f"{head}: {status.code} {status.description}"
    return f"{text} ({'; '.join(status.details)})" if status.details else text


def _poll(
    state: ClientState,
    fetch: Callable[[], Flow[R]],
    status_of: Callable[[R], StatusInfo],
    *,
    reference_number: str,
    timeout: float,
    on_progress: Callable[[R], None] | None,
    what: str,
) -> Flow[R]:
    """Fetch until the status leaves 1xx, sleeping per `state.poll`; the deadline is measured on the injected clock."""
    deadline = state.now() + timedelta(seconds=timeout)
    poll = 0
    while True:
        result = yield from fetch()
        poll += 1
        if on_progress is not None:
            on_progress(result)
        status = status_of(result)
        if not status.in_progress:
            return result
        remaining = (deadline - state.now()).total_seconds()
        if remaining <= 0:
            raise KsefPollingTimeoutError(
                f"{what} {reference_number} nadal jest w toku (status {status.code}) po {timeout:g} s; "
                "sprawdź status później.",
                reference_number=reference_number,
                timeout=timeout,
                last_status_code=status.code,
            )
        yield from sleep(min(state.poll.interval(poll), remaining))


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


def next_page_offset(page: CertificatePage, page_offset: int) -> int | None:
    """The next page index of a certificate query, or None after the last page.

    An empty page ends the listing even when `hasMore` says otherwise, so a misbehaving server cannot loop us.
    """
    return page_offset + 1 if page.has_more and page.certificates else None


def build_enroll_request(
    name: str,
    type: CertificateType | str,
    csr: x509.CertificateSigningRequest | bytes | str,
    valid_from: datetime | None,
) -> EnrollCertificateRequest:
    """The checked enrollment request for `CertificatesApi.enroll` (raises `KsefInvalidInputError`)."""
    return EnrollCertificateRequest(name, parse_certificate_type(type), csr_to_der(csr), valid_from)


def build_certificate_query(
    *,
    serial_number: str | None,
    name: str | None,
    type: CertificateType | str | None,
    status: CertificateStatus | str | None,
    expires_after: datetime | None,
    page_size: int,
) -> CertificateQuery:
    """The checked filters for `CertificatesApi.query` (raises `KsefInvalidInputError`, page size included)."""
    validate_page_size(page_size, minimum=QUERY_PAGE_SIZE_MIN, maximum=QUERY_PAGE_SIZE_MAX)
    return CertificateQuery(
        serial_number=serial_number,
        name=name,
        type=parse_certificate_type(type) if type is not None else None,
        status=CertificateStatus.parse(status) if status is not None else None,
        expires_after=expires_after,
    )


def next_continuation_token(page: AuthenticationSessionPage) -> str | None:
    """The token for the next page of sessions, or None after the last page (an empty page ends it too)."""
    return page.continuation_token if page.continuation_token and page.items else None


def certificate_signer(
    credentials: CertificateCredentials,
    context: ContextIdentifier,
    *,
    subject_identifier_type: SubjectIdentifierTypeXml | str,
    allowed_ips: AllowedIps | None,
    namespace: AuthTokenNamespace | str,
) -> SignAuthTokenRequest:
    """A `sign` callback for `login_with_xades` that builds and signs the AuthTokenRequest with `credentials`.

    The context, subject type, IP policy and namespace are checked at once (`KsefInvalidInputError`), before any
    request is sent. SigningTime is the challenge's own timestamp: KSeF's clock, taken seconds before signing,
    so a skewed local clock cannot make the signature look as if it came from the future.
    """
    try:
        version = AuthTokenNamespace(namespace)
        subject_type = SubjectIdentifierTypeXml(subject_identifier_type)
        check_context_value(ContextIdentifierType(context.type), context.value)
        if allowed_ips is not None:
            check_allowed_ips(version, allowed_ips)
    except XadesError as error:
        raise KsefInvalidInputError(error.details[0] if error.details else error.message, field="context") from error
    except ValueError as error:
        raise KsefInvalidInputError(f"Nieprawidłowy parametr logowania: {error}", field="context") from error

    def sign(challenge: AuthenticationChallenge) -> bytes:
        try:
            document = build_auth_token_request(challenge.challenge, context, subject_type, allowed_ips, version)
            return credentials.signer.sign(document, now=challenge.timestamp)
        except XadesError as error:
            # Only the challenge is new here; a malformed one is KSeF's fault, not the caller's.
            raise KsefResponseError(
                f"Nie można podpisać wyzwania KSeF: {error.message}",
                http_status=200,
                method="POST",
                url="/auth/challenge",
                problems=error.details,
            ) from error

    return sign


def login_with_certificate(
    state: ClientState,
    credentials: CertificateCredentials,
    context: ContextIdentifier,
    *,
    subject_identifier_type: SubjectIdentifierTypeXml | str,
    allowed_ips: AllowedIps | None,
    namespace: AuthTokenNamespace | str,
    verify_certificate_chain: bool | None,
    timeout: float,
    on_progress: AuthProgress | None,
) -> Flow[TokenState]:
    """`login_with_xades` signing with `credentials`; the certificate must be valid now (checked first)."""
    credentials.check_valid_at(state.now())
    sign = certificate_signer(
        credentials,
        context,
        subject_identifier_type=subject_identifier_type,
        allowed_ips=allowed_ips,
        namespace=namespace,
    )
    return (
        yield from login_with_xades(
            state, sign, verify_certificate_chain=verify_certificate_chain, timeout=timeout, on_progress=on_progress
        )
    )


def raw_call(
    state: ClientState,
    method: str,
    path: str,
    *,
    json: Any,
    params: Mapping[str, str | int] | None,
    authenticated: bool,
    idempotent: bool | None,
) -> Flow[httpx.Response]:
    """Any other endpoint through the same tokens, retries and errors; returns the 2xx response as it came.

    `idempotent` defaults to True for GET and DELETE only (see `policies` for why that matters).
    """
    method = method.upper()
    if not path.startswith("/") or "//" in path or any(part in (".", "..") for part in path.split("/")):
        raise KsefInvalidInputError(f"Nieprawidłowa ścieżka API: {path!r} (np. /testdata/subject).", field="path")
    request = ApiRequest(
        method,
        path,
        auth=Auth.ACCESS if authenticated else Auth.NONE,
        idempotent=method in ("GET", "DELETE") if idempotent is None else idempotent,
        params=params,
        json=json,
    )
    return (yield from call(state, request)).response
