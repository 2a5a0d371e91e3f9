"""`KsefClient`: the synchronous client for the KSeF API v2 (auth, certificates, security keys).

It runs the sans-IO flows of `_operations` with an `httpx.Client`; the policy (tokens, refresh, retries, errors,
polling) lives in those flows and is shared with `AsyncKsefClient`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict, TypeVar, Unpack, cast

import httpx
from cryptography import x509

from ksef_mcu.client import _operations as ops
from ksef_mcu.client._core import (
    USER_AGENT,
    ClientState,
    Clock,
    ErrorFormat,
    Flow,
    Sleep,
    TokensChangedHandler,
    WarningHandler,
)
from ksef_mcu.client.credentials import CertificateCredentials
from ksef_mcu.client.environments import Environment, normalize_base_url
from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models import (
    AuthenticationChallenge,
    AuthenticationInit,
    AuthenticationOperationStatus,
    AuthenticationSession,
    AuthenticationTokens,
    CertificateEnrollmentData,
    CertificateEnrollmentStatus,
    CertificateLimits,
    CertificateListItem,
    CertificatePage,
    CertificateQuery,
    CertificateStatus,
    CertificateType,
    PublicKeyCertificate,
    RetrievedCertificate,
    RevocationReason,
)
from ksef_mcu.client.policies import PollPolicy, RetryPolicy
from ksef_mcu.client.tokens import TokenState
from ksef_mcu.client.validation import (
    QUERY_PAGE_SIZE_MAX,
    SESSIONS_PAGE_SIZE_MAX,
    SESSIONS_PAGE_SIZE_MIN,
    validate_page_size,
    validate_reference_number,
)
from ksef_mcu.crypto.xades import AllowedIps, AuthTokenNamespace, ContextIdentifier, SubjectIdentifierTypeXml

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0  # seconds, per HTTP request
DEFAULT_LOGIN_TIMEOUT = 120.0  # seconds; DEMO/PROD may check OCSP/CRL for a while
DEFAULT_ENROLLMENT_TIMEOUT = 300.0  # seconds
# The AuthTokenRequest namespace both official clients still send; KSeF accepts 2.0 and 2.1 alike (API 2.5.0).
DEFAULT_AUTH_NAMESPACE = AuthTokenNamespace.V2_0


def system_clock() -> datetime:
    """The current moment, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


class ClientOptions(TypedDict, total=False):
    """The keyword options every client takes (see `KsefClient`)."""

    base_url: str | None
    tokens: TokenState | None
    clock: Clock | None
    retry: RetryPolicy | None
    poll: PollPolicy | None
    error_format: ErrorFormat
    refresh_margin: timedelta
    user_agent: str
    on_system_warning: WarningHandler | None
    on_tokens_changed: TokensChangedHandler | None


class BaseKsefClient:
    """What the sync and async clients share: the environment, the base URL and the token state."""

    def __init__(
        self,
        environment: Environment | str = Environment.LOCAL,
        *,
        base_url: str | None = None,
        tokens: TokenState | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        error_format: ErrorFormat = "problem-details",
        refresh_margin: timedelta = timedelta(seconds=60),
        user_agent: str = USER_AGENT,
        on_system_warning: WarningHandler | None = None,
        on_tokens_changed: TokensChangedHandler | None = None,
    ) -> None:
        self.environment = Environment.parse(environment)
        self._state = ClientState(
            base_url=normalize_base_url(base_url or self.environment.api_base_url),
            clock=clock or system_clock,
            retry=retry or RetryPolicy(),
            poll=poll or PollPolicy(),
            error_format=error_format,
            refresh_margin=refresh_margin,
            user_agent=user_agent,
            on_system_warning=on_system_warning,
            on_tokens_changed=on_tokens_changed,
            tokens=tokens,
        )

    @property
    def base_url(self) -> str:
        """The API base URL every path is relative to (ends in `/v2`)."""
        return self._state.base_url

    @property
    def tokens(self) -> TokenState | None:
        """The current token state (None when not logged in); save `tokens.to_dict()` to keep the login."""
        return self._state.tokens

    @tokens.setter
    def tokens(self, tokens: TokenState | None) -> None:
        self._state.tokens = tokens

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.environment.value!r}, base_url={self.base_url!r})"


class KsefClient(BaseKsefClient):
    """A client for one KSeF environment: `local` (our server, the default), `test`, `demo` or `prod`.

    `base_url` overrides the environment's URL (`/v2` is appended when missing). `transport` replaces httpx's
    network transport (`httpx.MockTransport`, `httpx.ASGITransport` in tests). `tokens` resumes a saved login;
    `on_tokens_changed` is told about every new token state (login, refresh, logout) so it can be saved again.
    `clock` and `sleep` are injectable so tests never wait. `on_system_warning` receives `X-System-Warning`s (by
    default they are logged on the `ksef_mcu.client` logger). `timeout` (seconds) applies to each HTTP request.
    `http_client` uses a ready `httpx.Client` instead (e.g. Starlette's `TestClient` for a server in-process);
    it is not closed by `close()`.

    Use as a context manager, or call `close()`.
    """

    def __init__(
        self,
        environment: Environment | str = Environment.LOCAL,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: ssl.SSLContext | str | bool = True,
        http_client: httpx.Client | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(environment, **options)
        self._sleep = sleep or time.sleep
        if http_client is not None and transport is not None:
            raise KsefInvalidInputError("Podaj transport albo gotowego klienta HTTP, nie oba.", field="http_client")
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=timeout, verify=verify, follow_redirects=False
        )
        self.auth = AuthApi(self)
        self.certificates = CertificatesApi(self)
        self.security = SecurityApi(self)

    def close(self) -> None:
        """Close the HTTP connections (a caller's `http_client` is left open)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> KsefClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Call an endpoint this client has no method for (e.g. `/testdata/subject`) with the same tokens, refresh,
        retries and error tree. `path` is relative to the base URL; `idempotent` (retried on 429/5xx) defaults to
        True for GET and DELETE only. Returns the 2xx response; raises like every other call."""
        return self.run(
            ops.raw_call(
                self._state,
                method,
                path,
                json=json,
                params=params,
                authenticated=authenticated,
                idempotent=idempotent,
            )
        )

    def run(self, flow: Flow[T]) -> T:
        """Drive a sans-IO flow to its end: send its requests, sleep its sleeps, throw transport errors into it."""
        outcome: httpx.Response | httpx.TransportError | None = None
        while True:
            try:
                effect = flow.throw(outcome) if isinstance(outcome, httpx.TransportError) else flow.send(outcome)
            except StopIteration as stop:
                return cast(T, stop.value)
            if isinstance(effect, Sleep):
                self._sleep(effect.seconds)
                outcome = None
                continue
            spec = self._state.http_request(effect)
            request = self._http.build_request(
                spec.method, spec.url, headers=spec.headers, params=spec.params, json=spec.json, content=spec.content
            )
            try:
                outcome = self._http.send(request)
            except httpx.TransportError as exc:
                outcome = exc


class AuthApi:
    """Authentication: XAdES login, token refresh, sessions, logout."""

    def __init__(self, client: KsefClient) -> None:
        self._client = client
        self._state = client._state

    def challenge(self) -> AuthenticationChallenge:
        """`POST /auth/challenge`: a fresh challenge (valid 10 minutes) to put into the AuthTokenRequest."""
        return self._client.run(ops.challenge(self._state))

    def login_with_xades(
        self,
        sign: Callable[[AuthenticationChallenge], bytes],
        *,
        verify_certificate_chain: bool | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        on_progress: Callable[[AuthenticationOperationStatus], None] | None = None,
    ) -> TokenState:
        """Log in with an AuthTokenRequest signed by `sign` (given the challenge, returns the signed XML bytes).

        Runs challenge → `POST /auth/xades-signature` → polls `GET /auth/{ref}` → redeems the tokens, keeps them and
        returns them. `verify_certificate_chain` is sent as the query parameter when not None (TEST accepts
        self-signed certificates unless it is true). Raises `KsefAuthenticationFailedError` (status 415, 460, ...),
        `KsefPollingTimeoutError`, `KsefApiError`.
        """
        return self._client.run(
            ops.login_with_xades(
                self._state,
                sign,
                verify_certificate_chain=verify_certificate_chain,
                timeout=timeout,
                on_progress=on_progress,
            )
        )

    def login_with_certificate(
        self,
        credentials: CertificateCredentials,
        context: ContextIdentifier,
        *,
        subject_identifier_type: SubjectIdentifierTypeXml | str = SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT,
        allowed_ips: AllowedIps | None = None,
        namespace: AuthTokenNamespace | str = DEFAULT_AUTH_NAMESPACE,
        verify_certificate_chain: bool | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        on_progress: Callable[[AuthenticationOperationStatus], None] | None = None,
    ) -> TokenState:
        """Log in with a certificate and its key into `context` (`ContextIdentifier(ContextIdentifierType.NIP, nip)`).

        Builds the AuthTokenRequest (namespace 2.0 by default, what the official clients send), signs it with XAdES
        and runs `login_with_xades`. `subject_identifier_type` is `certificateSubject` (NIP/PESEL from the
        certificate) or `certificateFingerprint`; `allowed_ips` restricts the tokens to those addresses. Raises
        `KsefInvalidInputError` (expired certificate, bad context) before sending, then as `login_with_xades`.
        """
        return self._client.run(
            ops.login_with_certificate(
                self._state,
                credentials,
                context,
                subject_identifier_type=subject_identifier_type,
                allowed_ips=allowed_ips,
                namespace=namespace,
                verify_certificate_chain=verify_certificate_chain,
                timeout=timeout,
                on_progress=on_progress,
            )
        )

    def submit_xades_signature(
        self, signed_request: bytes, *, verify_certificate_chain: bool | None = None
    ) -> AuthenticationInit:
        """`POST /auth/xades-signature` alone (the first step after signing; see `login_with_xades`)."""
        return self._client.run(
            ops.submit_xades_signature(self._state, signed_request, verify_certificate_chain=verify_certificate_chain)
        )

    def status(self, reference_number: str, authentication_token: str) -> AuthenticationOperationStatus:
        """`GET /auth/{referenceNumber}`: the status of an authentication operation."""
        return self._client.run(ops.authentication_status(self._state, reference_number, authentication_token))

    def redeem(self, authentication_token: str) -> AuthenticationTokens:
        """`POST /auth/token/redeem` alone (does not store the tokens; `login_with_xades` does)."""
        return self._client.run(ops.redeem_tokens(self._state, authentication_token))

    def refresh(self) -> TokenState:
        """Renew the access token now (the client also does it by itself before expiry and after a 401)."""
        return self._client.run(ops.refresh(self._state))

    def sessions(self, *, page_size: int = 100) -> Iterator[AuthenticationSession]:
        """Every active authentication session (`GET /auth/sessions`, all pages), newest first."""
        validate_page_size(page_size, minimum=SESSIONS_PAGE_SIZE_MIN, maximum=SESSIONS_PAGE_SIZE_MAX)
        return self._sessions(page_size)

    def _sessions(self, page_size: int) -> Iterator[AuthenticationSession]:
        token: str | None = None
        while True:
            page = self._client.run(ops.sessions_page(self._state, page_size=page_size, continuation_token=token))
            yield from page.items
            token = ops.next_continuation_token(page)
            if token is None:
                return

    def revoke_session(self, reference_number: str) -> None:
        """`DELETE /auth/sessions/{referenceNumber}`: end another session of yours."""
        self._client.run(ops.revoke_session(self._state, reference_number))

    def logout(self) -> None:
        """`DELETE /auth/sessions/current` and forget the tokens (a no-op when not logged in)."""
        self._client.run(ops.logout(self._state))


class Enrollment:
    """A submitted certificate enrollment: follow it with `status()` or `wait()`."""

    def __init__(self, client: KsefClient, reference_number: str, submitted_at: datetime | None = None) -> None:
        self._client = client
        self.reference_number = validate_reference_number(reference_number)
        self.submitted_at = submitted_at

    def status(self) -> CertificateEnrollmentStatus:
        """The current status (100 accepted, 200 issued, 400 rejected, 500 error, 550 cancelled)."""
        return self._client.run(ops.enrollment_status(self._client._state, self.reference_number))

    def wait(
        self,
        timeout: float = DEFAULT_ENROLLMENT_TIMEOUT,
        on_progress: Callable[[CertificateEnrollmentStatus], None] | None = None,
    ) -> CertificateEnrollmentStatus:
        """Poll (with growing intervals) until the enrollment is final; `on_progress` sees every status.

        Returns the status of the issued certificate (`serial_number` set). Raises `KsefEnrollmentFailedError` on
        400/500/550 and `KsefPollingTimeoutError` after `timeout` seconds.
        """
        return self._client.run(
            ops.wait_for_enrollment(
                self._client._state, self.reference_number, timeout=timeout, on_progress=on_progress
            )
        )

    def __repr__(self) -> str:
        return f"Enrollment({self.reference_number!r})"


class CertificatesApi:
    """KSeF certificates: limits, enrollment data, enroll, retrieve, query, revoke."""

    def __init__(self, client: KsefClient) -> None:
        self._client = client
        self._state = client._state

    def limits(self) -> CertificateLimits:
        """`GET /certificates/limits`: may I request another certificate, and how many are left."""
        return self._client.run(ops.certificate_limits(self._state))

    def enrollment_data(self) -> CertificateEnrollmentData:
        """`GET /certificates/enrollments/data`: the subject DN the CSR must carry."""
        return self._client.run(ops.enrollment_data(self._state))

    def enroll(
        self,
        name: str,
        type: CertificateType | str,
        csr: x509.CertificateSigningRequest | bytes | str,
        valid_from: datetime | None = None,
    ) -> Enrollment:
        """`POST /certificates/enrollments`; returns a handle to follow the enrollment.

        `name` follows the API rule (5–100 characters: letters incl. Polish, digits, space, `-`, `_`); `type` is
        `Authentication` or `Offline` (any case); `csr` is a PKCS#10 object, its DER/PEM bytes, PEM text or the
        Base64 DER text `ksef_mcu.crypto.csr.create_csr` returns; `valid_from`
        must be timezone-aware. Raises `KsefInvalidInputError` before sending, `KsefApiError` (25003 DN mismatch,
        25006/25007 limits, 25010 key, ...) after.
        """
        request = ops.build_enroll_request(name, type, csr, valid_from)
        submission = self._client.run(ops.enroll(self._state, request))
        return Enrollment(self._client, submission.reference_number, submission.timestamp)

    def enrollment(self, reference_number: str) -> Enrollment:
        """A handle for an enrollment submitted earlier (e.g. by another process)."""
        return Enrollment(self._client, reference_number)

    def retrieve(self, serial_numbers: Sequence[str] | str) -> list[RetrievedCertificate]:
        """`POST /certificates/retrieve` for 1–10 serials; each item gives `.der`, `.pem` and `.certificate`.

        Serials KSeF does not return (unknown, or not yours) are simply absent from the list.
        """
        return list(self._client.run(ops.retrieve_certificates(self._state, serial_numbers)))

    def query(
        self,
        *,
        serial_number: str | None = None,
        name: str | None = None,
        type: CertificateType | str | None = None,
        status: CertificateStatus | str | None = None,
        expires_after: datetime | None = None,
        page_size: int = QUERY_PAGE_SIZE_MAX,
    ) -> Iterator[CertificateListItem]:
        """Every certificate matching the filters (`POST /certificates/query`, all pages, newest request first).

        The filters are checked at once; pages are fetched lazily while iterating.
        """
        query = ops.build_certificate_query(
            serial_number=serial_number,
            name=name,
            type=type,
            status=status,
            expires_after=expires_after,
            page_size=page_size,
        )
        return self._query(query, page_size)

    def _query(self, query: CertificateQuery, page_size: int) -> Iterator[CertificateListItem]:
        page_offset: int | None = 0
        while page_offset is not None:
            page = self.query_page(query, page_offset=page_offset, page_size=page_size)
            yield from page.certificates
            page_offset = ops.next_page_offset(page, page_offset)

    def query_page(
        self, query: CertificateQuery | None = None, *, page_offset: int = 0, page_size: int = 10
    ) -> CertificatePage:
        """One page of `POST /certificates/query`: `page_offset` is the page index (from 0), `page_size` 10–50."""
        return self._client.run(
            ops.query_certificates_page(
                self._state, query or CertificateQuery(), page_offset=page_offset, page_size=page_size
            )
        )

    def revoke(self, serial_number: str, reason: RevocationReason | str | None = None) -> None:
        """`POST /certificates/{serial}/revoke` (final); no body is sent when `reason` is None.

        Raises `KsefApiError` 25008 (not found) or 25009 (already revoked or blocked).
        """
        self._client.run(ops.revoke_certificate(self._state, serial_number, reason))


class SecurityApi:
    """The Ministry of Finance's public keys."""

    def __init__(self, client: KsefClient) -> None:
        self._client = client
        self._state = client._state

    def public_key_certificates(self) -> list[PublicKeyCertificate]:
        """`GET /security/public-key-certificates` (no login needed)."""
        return list(self._client.run(ops.public_key_certificates(self._state)))
