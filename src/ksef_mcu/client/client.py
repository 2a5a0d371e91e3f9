"""`KsefClient`: the synchronous client for the KSeF API v2 (auth, certificates, security keys, test data).

Its methods are not written here: each API tag declares its operations once in `_operations` and this module only
names the sync faces (see `_faces`); `AsyncKsefClient` (`aio`) names the async ones from the same declarations.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import TypeVar, Unpack

import httpx

from ksef_mcu.client._core import Flow
from ksef_mcu.client._faces import SyncDriver
from ksef_mcu.client._operations.auth import DEFAULT_AUTH_NAMESPACE, DEFAULT_LOGIN_TIMEOUT, AuthOperations
from ksef_mcu.client._operations.base import (
    DEFAULT_TIMEOUT,
    BaseKsefClient,
    ClientOptions,
    client_state,
    system_clock,
)
from ksef_mcu.client._operations.certificates import (
    DEFAULT_ENROLLMENT_TIMEOUT,
    CertificatesOperations,
    EnrollmentOperations,
)
from ksef_mcu.client._operations.permissions import PermissionsOperations
from ksef_mcu.client._operations.security import SecurityOperations
from ksef_mcu.client._operations.sessions import SessionsOperations
from ksef_mcu.client._operations.testdata import TestdataOperations
from ksef_mcu.client._operations.tokens import TokensOperations
from ksef_mcu.client.environments import Environment
from ksef_mcu.client.errors import KsefInvalidInputError

__all__ = [
    "DEFAULT_AUTH_NAMESPACE",
    "DEFAULT_ENROLLMENT_TIMEOUT",
    "DEFAULT_LOGIN_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "AuthApi",
    "BaseKsefClient",
    "CertificatesApi",
    "ClientOptions",
    "Enrollment",
    "KsefClient",
    "KsefTokensApi",
    "PermissionsApi",
    "SecurityApi",
    "SessionsApi",
    "TestdataApi",
    "system_clock",
]

T = TypeVar("T")


class AuthApi(AuthOperations[SyncDriver]):
    """Authentication: XAdES login, token refresh, sessions, logout."""


class Enrollment(EnrollmentOperations[SyncDriver]):
    """A submitted certificate enrollment: follow it with `status()` or `wait()`."""


class CertificatesApi(CertificatesOperations[SyncDriver, Enrollment]):
    """KSeF certificates: limits, enrollment data, enroll, retrieve, query, revoke."""

    _enrollment_handle = Enrollment


class SecurityApi(SecurityOperations[SyncDriver]):
    """The Ministry of Finance's public keys."""


class PermissionsApi(PermissionsOperations[SyncDriver]):
    """Permissions: grant, revoke, follow the operations, query."""


class KsefTokensApi(TokensOperations[SyncDriver]):
    """KSeF tokens: generate, list, read, revoke."""


class SessionsApi(SessionsOperations[SyncDriver]):
    """Online sessions, invoices and UPOs (the encryption done for you); `send_invoices` for many at once."""


class TestdataApi(TestdataOperations[SyncDriver]):
    """Test data (our server and TEST only): subjects, persons, permissions, context blocks, certificate limits."""


class KsefClient(BaseKsefClient[SyncDriver]):
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
        parsed = Environment.parse(environment)
        state = client_state(parsed, **options)
        if http_client is not None and transport is not None:
            raise KsefInvalidInputError("Podaj transport albo gotowego klienta HTTP, nie oba.", field="http_client")
        self._owns_http = http_client is None
        http = http_client or httpx.Client(transport=transport, timeout=timeout, verify=verify, follow_redirects=False)
        super().__init__(parsed, SyncDriver(state, http, sleep or time.sleep))
        self.auth = AuthApi(self)
        self.certificates = CertificatesApi(self)
        self.security = SecurityApi(self)
        self.testdata = TestdataApi(self)
        self.permissions = PermissionsApi(self)
        self.ksef_tokens = KsefTokensApi(self)
        self.sessions = SessionsApi(self)

    def close(self) -> None:
        """Close the HTTP connections (a caller's `http_client` is left open)."""
        if self._owns_http:
            self._driver.http.close()

    def __enter__(self) -> KsefClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, flow: Flow[T]) -> T:
        """Drive a sans-IO flow to its end: send its requests, sleep its sleeps, throw transport errors into it."""
        return self._driver.run(flow)
