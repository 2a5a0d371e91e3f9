"""`AsyncKsefClient`: the asyncio twin of `KsefClient`.

It runs the very same sans-IO flows (`_operations`) with an `httpx.AsyncClient`; only the driver and the thin
`await` wrappers differ, so tokens, refresh, retries, errors and polling behave exactly as in the sync client.
Callbacks (`sign`, `on_progress`, `on_tokens_changed`, `on_system_warning`) stay plain functions.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar, Unpack, cast

import httpx
from cryptography import x509

from ksef_mcu.client import _operations as ops
from ksef_mcu.client._core import Flow, Sleep
from ksef_mcu.client.client import (
    DEFAULT_AUTH_NAMESPACE,
    DEFAULT_ENROLLMENT_TIMEOUT,
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_TIMEOUT,
    BaseKsefClient,
    ClientOptions,
)
from ksef_mcu.client.credentials import CertificateCredentials
from ksef_mcu.client.environments import Environment
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


class AsyncKsefClient(BaseKsefClient):
    """The asyncio client; same options as `KsefClient`, with an `httpx.AsyncBaseTransport` (e.g.
    `httpx.ASGITransport(app)`), an async `sleep` and an optional ready `httpx.AsyncClient`.

    Use as an async context manager, or `await aclose()`.
    """

    def __init__(
        self,
        environment: Environment | str = Environment.LOCAL,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: ssl.SSLContext | str | bool = True,
        http_client: httpx.AsyncClient | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(environment, **options)
        self._sleep = sleep or asyncio.sleep
        if http_client is not None and transport is not None:
            raise KsefInvalidInputError("Podaj transport albo gotowego klienta HTTP, nie oba.", field="http_client")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=timeout, verify=verify, follow_redirects=False
        )
        self.auth = AsyncAuthApi(self)
        self.certificates = AsyncCertificatesApi(self)
        self.security = AsyncSecurityApi(self)

    async def aclose(self) -> None:
        """Close the HTTP connections (a caller's `http_client` is left open)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncKsefClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def request(
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
        return await self.run(
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

    async def run(self, flow: Flow[T]) -> T:
        """Drive a sans-IO flow to its end (the async counterpart of `KsefClient.run`)."""
        outcome: httpx.Response | httpx.TransportError | None = None
        while True:
            try:
                effect = flow.throw(outcome) if isinstance(outcome, httpx.TransportError) else flow.send(outcome)
            except StopIteration as stop:
                return cast(T, stop.value)
            if isinstance(effect, Sleep):
                await self._sleep(effect.seconds)
                outcome = None
                continue
            spec = self._state.http_request(effect)
            request = self._http.build_request(
                spec.method, spec.url, headers=spec.headers, params=spec.params, json=spec.json, content=spec.content
            )
            try:
                outcome = await self._http.send(request)
            except httpx.TransportError as exc:
                outcome = exc


class AsyncAuthApi:
    """Authentication (see `AuthApi`)."""

    def __init__(self, client: AsyncKsefClient) -> None:
        self._client = client
        self._state = client._state

    async def challenge(self) -> AuthenticationChallenge:
        """`POST /auth/challenge`."""
        return await self._client.run(ops.challenge(self._state))

    async def login_with_xades(
        self,
        sign: Callable[[AuthenticationChallenge], bytes],
        *,
        verify_certificate_chain: bool | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        on_progress: Callable[[AuthenticationOperationStatus], None] | None = None,
    ) -> TokenState:
        """Log in with an AuthTokenRequest signed by `sign` (see `AuthApi.login_with_xades`)."""
        return await self._client.run(
            ops.login_with_xades(
                self._state,
                sign,
                verify_certificate_chain=verify_certificate_chain,
                timeout=timeout,
                on_progress=on_progress,
            )
        )

    async def login_with_certificate(
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
        return await self._client.run(
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

    async def submit_xades_signature(
        self, signed_request: bytes, *, verify_certificate_chain: bool | None = None
    ) -> AuthenticationInit:
        """`POST /auth/xades-signature` alone."""
        return await self._client.run(
            ops.submit_xades_signature(self._state, signed_request, verify_certificate_chain=verify_certificate_chain)
        )

    async def status(self, reference_number: str, authentication_token: str) -> AuthenticationOperationStatus:
        """`GET /auth/{referenceNumber}`."""
        return await self._client.run(ops.authentication_status(self._state, reference_number, authentication_token))

    async def redeem(self, authentication_token: str) -> AuthenticationTokens:
        """`POST /auth/token/redeem` alone (does not store the tokens)."""
        return await self._client.run(ops.redeem_tokens(self._state, authentication_token))

    async def refresh(self) -> TokenState:
        """Renew the access token now."""
        return await self._client.run(ops.refresh(self._state))

    def sessions(self, *, page_size: int = SESSIONS_PAGE_SIZE_MAX) -> AsyncIterator[AuthenticationSession]:
        """Every active authentication session, all pages."""
        validate_page_size(page_size, minimum=SESSIONS_PAGE_SIZE_MIN, maximum=SESSIONS_PAGE_SIZE_MAX)
        return self._sessions(page_size)

    async def _sessions(self, page_size: int) -> AsyncIterator[AuthenticationSession]:
        token: str | None = None
        while True:
            page = await self._client.run(ops.sessions_page(self._state, page_size=page_size, continuation_token=token))
            for item in page.items:
                yield item
            token = ops.next_continuation_token(page)
            if token is None:
                return

    async def revoke_session(self, reference_number: str) -> None:
        """`DELETE /auth/sessions/{referenceNumber}`."""
        await self._client.run(ops.revoke_session(self._state, reference_number))

    async def logout(self) -> None:
        """`DELETE /auth/sessions/current` and forget the tokens."""
        await self._client.run(ops.logout(self._state))


class AsyncEnrollment:
    """A submitted certificate enrollment (see `Enrollment`)."""

    def __init__(self, client: AsyncKsefClient, reference_number: str, submitted_at: datetime | None = None) -> None:
        self._client = client
        self.reference_number = validate_reference_number(reference_number)
        self.submitted_at = submitted_at

    async def status(self) -> CertificateEnrollmentStatus:
        """The current status."""
        return await self._client.run(ops.enrollment_status(self._client._state, self.reference_number))

    async def wait(
        self,
        timeout: float = DEFAULT_ENROLLMENT_TIMEOUT,
        on_progress: Callable[[CertificateEnrollmentStatus], None] | None = None,
    ) -> CertificateEnrollmentStatus:
        """Poll until the enrollment is final (see `Enrollment.wait`)."""
        return await self._client.run(
            ops.wait_for_enrollment(
                self._client._state, self.reference_number, timeout=timeout, on_progress=on_progress
            )
        )

    def __repr__(self) -> str:
        return f"AsyncEnrollment({self.reference_number!r})"


class AsyncCertificatesApi:
    """KSeF certificates (see `CertificatesApi`)."""

    def __init__(self, client: AsyncKsefClient) -> None:
        self._client = client
        self._state = client._state

    async def limits(self) -> CertificateLimits:
        """`GET /certificates/limits`."""
        return await self._client.run(ops.certificate_limits(self._state))

    async def enrollment_data(self) -> CertificateEnrollmentData:
        """`GET /certificates/enrollments/data`."""
        return await self._client.run(ops.enrollment_data(self._state))

    async def enroll(
        self,
        name: str,
        type: CertificateType | str,
        csr: x509.CertificateSigningRequest | bytes | str,
        valid_from: datetime | None = None,
    ) -> AsyncEnrollment:
        """`POST /certificates/enrollments`; returns a handle to follow the enrollment."""
        request = ops.build_enroll_request(name, type, csr, valid_from)
        submission = await self._client.run(ops.enroll(self._state, request))
        return AsyncEnrollment(self._client, submission.reference_number, submission.timestamp)

    def enrollment(self, reference_number: str) -> AsyncEnrollment:
        """A handle for an enrollment submitted earlier."""
        return AsyncEnrollment(self._client, reference_number)

    async def retrieve(self, serial_numbers: Sequence[str] | str) -> list[RetrievedCertificate]:
        """`POST /certificates/retrieve` for 1–10 serials."""
        return list(await self._client.run(ops.retrieve_certificates(self._state, serial_numbers)))

    def query(
        self,
        *,
        serial_number: str | None = None,
        name: str | None = None,
        type: CertificateType | str | None = None,
        status: CertificateStatus | str | None = None,
        expires_after: datetime | None = None,
        page_size: int = QUERY_PAGE_SIZE_MAX,
    ) -> AsyncIterator[CertificateListItem]:
        """Every certificate matching the filters, all pages (filters are checked at once)."""
        query = ops.build_certificate_query(
            serial_number=serial_number,
            name=name,
            type=type,
            status=status,
            expires_after=expires_after,
            page_size=page_size,
        )
        return self._query(query, page_size)

    async def _query(self, query: CertificateQuery, page_size: int) -> AsyncIterator[CertificateListItem]:
        page_offset: int | None = 0
        while page_offset is not None:
            page = await self.query_page(query, page_offset=page_offset, page_size=page_size)
            for item in page.certificates:
                yield item
            page_offset = ops.next_page_offset(page, page_offset)

    async def query_page(
        self, query: CertificateQuery | None = None, *, page_offset: int = 0, page_size: int = 10
    ) -> CertificatePage:
        """One page of `POST /certificates/query`."""
        return await self._client.run(
            ops.query_certificates_page(
                self._state, query or CertificateQuery(), page_offset=page_offset, page_size=page_size
            )
        )

    async def revoke(self, serial_number: str, reason: RevocationReason | str | None = None) -> None:
        """`POST /certificates/{serial}/revoke`; no body when `reason` is None."""
        await self._client.run(ops.revoke_certificate(self._state, serial_number, reason))


class AsyncSecurityApi:
    """The Ministry of Finance's public keys."""

    def __init__(self, client: AsyncKsefClient) -> None:
        self._client = client
        self._state = client._state

    async def public_key_certificates(self) -> list[PublicKeyCertificate]:
        """`GET /security/public-key-certificates`."""
        return list(await self._client.run(ops.public_key_certificates(self._state)))
