"""What both clients are made of: their options and state, and `request` for endpoints without a typed method."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

import httpx

from ksef_mcu.client._core import (
    USER_AGENT,
    ApiRequest,
    Auth,
    ClientState,
    Clock,
    ErrorFormat,
    Flow,
    TokensChangedHandler,
    WarningHandler,
    call,
)
from ksef_mcu.client._faces import D, Face, operation
from ksef_mcu.client.environments import Environment, normalize_base_url
from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.policies import PollPolicy, RetryPolicy
from ksef_mcu.client.tokens import TokenState

__all__ = ["DEFAULT_TIMEOUT", "BaseKsefClient", "ClientOptions", "client_state", "system_clock"]

DEFAULT_TIMEOUT = 30.0  # seconds, per HTTP request


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


def client_state(
    environment: Environment,
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
) -> ClientState:
    """The state of a new client of `environment` with the given `ClientOptions`."""
    return ClientState(
        base_url=normalize_base_url(base_url or environment.api_base_url),
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


class BaseKsefClient(Face[D]):
    """What the sync and async clients share: the environment, the base URL, the token state and `request`."""

    def __init__(self, environment: Environment, driver: D) -> None:
        self.environment = environment
        self._driver = driver

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

    @operation
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
    ) -> Flow[httpx.Response]:
        """Call an endpoint this client has no method for with the same tokens, refresh, retries and error tree.

        `path` is relative to the base URL; `idempotent` (retried on 429/5xx) defaults to True for GET and DELETE
        only (see `policies` for why that matters). Returns the 2xx response as it came; raises like every other
        call.
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
        return (yield from call(self._state, request)).response
