"""The sans-IO core shared by the sync and async clients.

Every operation is a generator ("flow") that yields effects — `Send(request)` or `Sleep(seconds)` — and receives
the `httpx.Response` for each `Send`. A driver (`KsefClient` with `httpx.Client`, `AsyncKsefClient` with
`httpx.AsyncClient`) executes the effects; transport errors are thrown back into the flow. All policy — headers,
tokens and their refresh, retries, error parsing, polling — lives here once, so the two clients cannot drift apart.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from ksef_mcu import __version__
from ksef_mcu.client.errors import (
    KsefApiError,
    KsefNotAuthenticatedError,
    KsefResponseError,
    SystemWarning,
    parse_error_response,
    parse_retry_after,
    parse_system_warnings,
)
from ksef_mcu.client.models import AuthenticationTokenRefresh, KsefModel
from ksef_mcu.client.policies import PollPolicy, RetryPolicy
from ksef_mcu.client.tokens import Token, TokenState

__all__ = [
    "USER_AGENT",
    "ApiRequest",
    "ApiResponse",
    "Auth",
    "ClientState",
    "Clock",
    "Effect",
    "ErrorFormat",
    "Flow",
    "HttpRequestSpec",
    "Send",
    "Sleep",
    "TokensChangedHandler",
    "WarningHandler",
    "call",
    "error_from_response",
    "logger",
    "parse_adapter",
    "parse_model",
    "refresh_access_token",
    "send",
    "sleep",
]

logger = logging.getLogger("ksef_mcu.client")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Clock = Callable[[], datetime]
ErrorFormat = Literal["problem-details", "legacy"]
# Called with the warnings of one response and the request's method and path (relative to the base URL).
WarningHandler = Callable[[Sequence[SystemWarning], str, str], None]
TokensChangedHandler = Callable[[TokenState | None], None]

USER_AGENT = f"ksef-mcu/{__version__}"


@dataclass(frozen=True, slots=True)
class Send:
    """Effect: send this request and resume the flow with the response."""

    request: ApiRequest
    bearer: str | None


@dataclass(frozen=True, slots=True)
class Sleep:
    """Effect: wait this many seconds, then resume the flow."""

    seconds: float


Effect = Send | Sleep
Flow = Generator[Effect, httpx.Response | None, T]


class Auth(enum.Enum):
    """Which bearer token a request carries."""

    NONE = "none"
    ACCESS = "access"  # the client's access token, refreshed before expiry and once after a 401


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One API call, relative to the base URL. `idempotent` calls may be retried (see `policies`)."""

    method: str
    path: str
    auth: Auth | str = Auth.NONE  # Auth.NONE, Auth.ACCESS, or an explicit bearer token (authentication/refresh)
    idempotent: bool = False
    params: Mapping[str, str | int | list[str]] | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    headers: Mapping[str, str] | None = None

    def __repr__(self) -> str:  # never show an explicit bearer token
        return f"ApiRequest({self.method} {self.path})"


@dataclass(frozen=True, slots=True)
class HttpRequestSpec:
    """What a driver passes to `httpx.Client.build_request` for a `Send` effect."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str | int | list[str]] | None
    json: Any
    content: bytes | None


@dataclass
class ClientState:
    """Configuration and the token state of one client; shared by all its flows."""

    base_url: str
    clock: Clock
    retry: RetryPolicy
    poll: PollPolicy
    error_format: ErrorFormat = "problem-details"
    refresh_margin: timedelta = timedelta(seconds=60)
    user_agent: str = USER_AGENT
    on_system_warning: WarningHandler | None = None
    on_tokens_changed: TokensChangedHandler | None = None
    tokens: TokenState | None = field(default=None, repr=False)

    def now(self) -> datetime:
        """The injected clock's current moment (timezone-aware UTC)."""
        return self.clock()

    def set_tokens(self, tokens: TokenState | None) -> None:
        """Replace the token state and tell the `on_tokens_changed` listener."""
        self.tokens = tokens
        if self.on_tokens_changed is not None:
            self.on_tokens_changed(tokens)

    def report_warnings(self, warnings: Sequence[SystemWarning], request: ApiRequest) -> None:
        """Hand `X-System-Warning`s to the caller's handler, or log them when there is none."""
        if self.on_system_warning is not None:
            self.on_system_warning(warnings, request.method, request.path)
            return
        for warning in warnings:
            logger.warning("KSeF warning on %s %s: %s", request.method, request.path, warning)

    def http_request(self, effect: Send) -> HttpRequestSpec:
        """The concrete HTTP request for a `Send` effect."""
        request = effect.request
        headers = {"Accept": "application/json", "User-Agent": self.user_agent, **(request.headers or {})}
        if self.error_format == "problem-details":
            headers["X-Error-Format"] = "problem-details"
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if effect.bearer is not None:
            headers["Authorization"] = f"Bearer {effect.bearer}"
        return HttpRequestSpec(
            method=request.method,
            url=self.base_url + request.path,
            headers=headers,
            params=dict(request.params) if request.params else None,
            json=request.json,
            content=request.content,
        )


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A successful response and the system warnings that came with it."""

    response: httpx.Response
    warnings: tuple[SystemWarning, ...]


def send(request: ApiRequest, bearer: str | None) -> Flow[httpx.Response]:
    """Yield one `Send` and return the response the driver resumes with."""
    response = yield Send(request, bearer)
    if not isinstance(response, httpx.Response):  # a driver bug, not a KSeF problem
        raise TypeError("driver resumed a Send effect without a response")
    return response


def sleep(seconds: float) -> Flow[None]:
    """Yield one `Sleep`."""
    yield Sleep(seconds)


def call(state: ClientState, request: ApiRequest) -> Flow[ApiResponse]:
    """Send `request` with its token, retrying and refreshing as allowed; return the 2xx response.

    Raises `KsefApiError` (by status) for an error response, `KsefNotAuthenticatedError` when an `Auth.ACCESS` call
    has no usable token, and re-raises `httpx.TransportError` once the retries are used up.
    """
    attempt = 1
    refreshed_after_401 = False
    while True:
        bearer = yield from _bearer(state, request)
        try:
            response = yield from send(request, bearer)
        except httpx.TransportError as exc:
            if not request.idempotent or attempt >= state.retry.max_attempts:
                raise
            delay = state.retry.backoff(attempt)
            logger.info("%s %s failed (%s); retry %d in %.1f s", request.method, request.path, exc, attempt, delay)
            attempt += 1
            yield from sleep(delay)
            continue

        warnings = parse_system_warnings(response.headers.get_list("x-system-warning"))
        if warnings:
            state.report_warnings(warnings, request)
        if response.is_success:
            return ApiResponse(response, warnings)

        if (
            response.status_code == 401
            and request.auth is Auth.ACCESS
            and not refreshed_after_401
            and state.tokens is not None
            and state.tokens.can_refresh(state.now())
        ):
            refreshed_after_401 = True
            yield from refresh_access_token(state)
            continue

        error = error_from_response(state, request, response, warnings)
        if request.idempotent and response.status_code in state.retry.statuses and attempt < state.retry.max_attempts:
            retry_delay = state.retry.delay(attempt, error.retry_after)
            if retry_delay is not None:
                logger.info(
                    "%s %s answered %d; retry %d in %.1f s",
                    request.method,
                    request.path,
                    response.status_code,
                    attempt,
                    retry_delay,
                )
                attempt += 1
                yield from sleep(retry_delay)
                continue
        raise error


def error_from_response(
    state: ClientState, request: ApiRequest, response: httpx.Response, warnings: Sequence[SystemWarning]
) -> KsefApiError:
    """The typed error for an error response."""
    return parse_error_response(
        http_status=response.status_code,
        body=response.content,
        content_type=response.headers.get("content-type"),
        retry_after=parse_retry_after(response.headers.get("retry-after"), now=state.now()),
        method=request.method,
        url=str(response.request.url) if _has_request(response) else state.base_url + request.path,
        warnings=warnings,
        reason_phrase=response.reason_phrase or None,
    )


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises RuntimeError when the response was built without a request
    except RuntimeError:
        return False
    return True


def _bearer(state: ClientState, request: ApiRequest) -> Flow[str | None]:
    """The bearer token for `request`, refreshing the access token first when it is about to expire."""
    if request.auth is Auth.NONE:
        return None
    if isinstance(request.auth, str):
        return request.auth
    tokens = state.tokens
    if tokens is None:
        raise KsefNotAuthenticatedError("Brak zalogowania do KSeF: najpierw się zaloguj.")
    now = state.now()
    if tokens.access_token.is_valid(now, margin=state.refresh_margin):
        return tokens.access_token.token
    if tokens.can_refresh(now):
        tokens = yield from refresh_access_token(state)
        return tokens.access_token.token
    if tokens.access_token.is_valid(now):
        return tokens.access_token.token  # about to expire and no way to renew it: use what is left
    raise KsefNotAuthenticatedError("Sesja KSeF wygasła: zaloguj się ponownie.")


def refresh_access_token(state: ClientState) -> Flow[TokenState]:
    """`POST /auth/token/refresh` with the refresh token; store and return the renewed state.

    Raises `KsefNotAuthenticatedError` when there is no valid refresh token or KSeF refuses it (e.g. 21301 after the
    session was revoked); the refusal is kept as the cause.
    """
    tokens = state.tokens
    if tokens is None or tokens.refresh_token is None or not tokens.can_refresh(state.now()):
        raise KsefNotAuthenticatedError("Sesja KSeF wygasła: zaloguj się ponownie.")
    request = ApiRequest("POST", "/auth/token/refresh", auth=tokens.refresh_token.token, idempotent=True)
    try:
        result = yield from call(state, request)
    except KsefApiError as exc:
        if exc.http_status in (400, 401, 403):
            raise KsefNotAuthenticatedError(
                f"KSeF nie odnowił tokenu dostępu ({exc.description}): zaloguj się ponownie."
            ) from exc
        raise
    refreshed = parse_model(result, AuthenticationTokenRefresh, request)
    new_state = tokens.with_access_token(Token(refreshed.access_token.token, refreshed.access_token.valid_until))
    state.set_tokens(new_state)
    logger.debug("access token refreshed; valid until %s", new_state.access_token.valid_until.isoformat())
    return new_state


def parse_model(result: ApiResponse, model: type[M], request: ApiRequest) -> M:
    """The response body validated as `model`; raises `KsefResponseError` naming the fields that do not fit."""
    try:
        parsed = model.model_validate_json(result.response.content)
    except ValidationError as exc:
        raise _response_error(result, request, exc) from exc
    if isinstance(parsed, KsefModel):
        parsed.with_system_warnings(result.warnings)
    return parsed


def parse_adapter(result: ApiResponse, adapter: TypeAdapter[T], request: ApiRequest) -> T:
    """The response body validated by `adapter` (for top-level arrays); raises `KsefResponseError`."""
    try:
        return adapter.validate_json(result.response.content)
    except ValidationError as exc:
        raise _response_error(result, request, exc) from exc


def _response_error(result: ApiResponse, request: ApiRequest, exc: ValidationError) -> KsefResponseError:
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or '(body)'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    ]
    return KsefResponseError(
        f"Odpowiedź KSeF na {request.method} {request.path} jest niezgodna z API: " + "; ".join(problems[:5]),
        http_status=result.response.status_code,
        method=request.method,
        url=request.path,
        problems=problems,
    )
