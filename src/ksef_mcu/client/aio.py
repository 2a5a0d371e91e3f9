"""`AsyncKsefClient`: the asyncio twin of `KsefClient`.

It names the async faces of the very same declarations (`_operations`) that `KsefClient` names the sync faces of,
so every method, parameter and default is the same and tokens, refresh, retries, errors and polling behave exactly
as in the sync client; only the driver differs (`httpx.AsyncClient`, an async sleep). Callbacks (`sign`,
`on_progress`, `on_tokens_changed`, `on_system_warning`) stay plain functions.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import TypeVar, Unpack

import httpx

from ksef_mcu.client._core import Flow
from ksef_mcu.client._faces import AsyncDriver
from ksef_mcu.client._operations.auth import AuthOperations
from ksef_mcu.client._operations.base import DEFAULT_TIMEOUT, BaseKsefClient, ClientOptions, client_state
from ksef_mcu.client._operations.certificates import CertificatesOperations, EnrollmentOperations
from ksef_mcu.client._operations.permissions import PermissionsOperations
from ksef_mcu.client._operations.security import SecurityOperations
from ksef_mcu.client._operations.sessions import SessionsOperations
from ksef_mcu.client._operations.testdata import TestdataOperations
from ksef_mcu.client._operations.tokens import TokensOperations
from ksef_mcu.client.environments import Environment
from ksef_mcu.client.errors import KsefInvalidInputError

__all__ = [
    "AsyncAuthApi",
    "AsyncCertificatesApi",
    "AsyncEnrollment",
    "AsyncKsefClient",
    "AsyncKsefTokensApi",
    "AsyncPermissionsApi",
    "AsyncSecurityApi",
    "AsyncSessionsApi",
    "AsyncTestdataApi",
]

T = TypeVar("T")


class AsyncAuthApi(AuthOperations[AsyncDriver]):
    """Authentication: XAdES login, token refresh, sessions, logout (coroutines)."""


class AsyncEnrollment(EnrollmentOperations[AsyncDriver]):
    """A submitted certificate enrollment: follow it with `await status()` or `await wait()`."""


class AsyncCertificatesApi(CertificatesOperations[AsyncDriver, AsyncEnrollment]):
    """KSeF certificates: limits, enrollment data, enroll, retrieve, query, revoke (coroutines)."""

    _enrollment_handle = AsyncEnrollment


class AsyncSecurityApi(SecurityOperations[AsyncDriver]):
    """The Ministry of Finance's public keys (coroutines)."""


class AsyncPermissionsApi(PermissionsOperations[AsyncDriver]):
    """Permissions: grant, revoke, follow the operations, query."""


class AsyncKsefTokensApi(TokensOperations[AsyncDriver]):
    """KSeF tokens: generate, list, read, revoke."""


class AsyncSessionsApi(SessionsOperations[AsyncDriver]):
    """Online sessions, invoices and UPOs (the encryption done for you); `send_invoices` for many at once."""


class AsyncTestdataApi(TestdataOperations[AsyncDriver]):
    """Test data (our server and TEST only): subjects, persons, permissions, context blocks, certificate limits."""


class AsyncKsefClient(BaseKsefClient[AsyncDriver]):
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
        parsed = Environment.parse(environment)
        state = client_state(parsed, **options)
        if http_client is not None and transport is not None:
            raise KsefInvalidInputError("Podaj transport albo gotowego klienta HTTP, nie oba.", field="http_client")
        self._owns_http = http_client is None
        http = http_client or httpx.AsyncClient(
            transport=transport, timeout=timeout, verify=verify, follow_redirects=False
        )
        super().__init__(parsed, AsyncDriver(state, http, sleep or asyncio.sleep))
        self.auth = AsyncAuthApi(self)
        self.certificates = AsyncCertificatesApi(self)
        self.security = AsyncSecurityApi(self)
        self.testdata = AsyncTestdataApi(self)
        self.permissions = AsyncPermissionsApi(self)
        self.ksef_tokens = AsyncKsefTokensApi(self)
        self.sessions = AsyncSessionsApi(self)

    async def aclose(self) -> None:
        """Close the HTTP connections (a caller's `http_client` is left open)."""
        if self._owns_http:
            await self._driver.http.aclose()

    async def __aenter__(self) -> AsyncKsefClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def run(self, flow: Flow[T]) -> T:
        """Drive a sans-IO flow to its end: send its requests, sleep its sleeps, throw transport errors into it."""
        return await self._driver.run(flow)
