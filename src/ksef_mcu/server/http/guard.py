"""The outermost layer of the app (pure ASGI): what every request meets before any route, dependency or body parser.

- **Body size**: a declared `Content-Length` over the limit is answered 413 at once, before anything is read; a body
  sent without one (chunked) is counted as it streams and refused the moment it passes the limit. The limit is
  `max_request_body_bytes`, or a larger one a domain registers for its paths (`BodyLimits.allow`).
- **Path and query**: a NUL character (`%00`) or a malformed escape is refused (400, 21405) before routing.
- **Client address**: `X-Forwarded-For` / `X-Forwarded-Proto` are applied only when the direct peer is one of the
  `trusted_proxies`; from anyone else they are ignored (a caller cannot pick its own address).
- **Headers**: `X-Content-Type-Options: nosniff` on every response; `Cache-Control: no-store` unless the route set a
  cache policy (tokens and personal data must not be kept by caches).
- **Unexpected errors**: anything a route or dependency let escape is answered here by the mount's responder — a
  database failure as the domain error it means (`database_error`: 503 with `Retry-After`, or 400), anything else
  as 500 with a trace id — and logged once, without the exception's message (a driver's message can carry bound
  values such as a NIP or PESEL).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ksef_mcu.server.errors import (
    InputValidationError,
    KsefServerError,
    PayloadTooLargeError,
    ServiceUnavailableError,
)
from ksef_mcu.storage.errors import DatabaseFailure, classify_database_error

__all__ = [
    "BODY_LIMIT_SCOPE_KEY",
    "BodyLimits",
    "BodyTooLarge",
    "RequestGuard",
    "TrustedProxies",
    "database_error",
    "log_unexpected",
]

logger = logging.getLogger("ksef_mcu.server")

BODY_LIMIT_SCOPE_KEY = "ksef_mcu.body_limit"
"""The body limit (bytes) that applies to the request, kept in its ASGI scope for the error responder."""


DATABASE_BUSY_DETAIL = "Baza danych jest chwilowo zajęta. Nic nie zostało zapisane; ponów żądanie za chwilę."
DATABASE_UNAVAILABLE_DETAIL = "Baza danych jest chwilowo niedostępna. Nic nie zostało zapisane; ponów żądanie później."
DATABASE_INVALID_VALUE_DETAIL = (
    "Przesłana wartość nie może zostać zapisana (niedozwolony znak lub liczba spoza zakresu)."
)


def database_error(error: BaseException) -> KsefServerError | None:
    """The domain error a database or driver failure is answered with (None: `error` is not one): busy → 503
    `Retry-After: 1`, unavailable → 503 `Retry-After: 5`, a refused value → 400 (21405)."""
    failure = classify_database_error(error)
    if failure is DatabaseFailure.BUSY:
        return ServiceUnavailableError(DATABASE_BUSY_DETAIL, retry_after=1)
    if failure is DatabaseFailure.UNAVAILABLE:
        return ServiceUnavailableError(DATABASE_UNAVAILABLE_DETAIL, retry_after=5)
    if failure is DatabaseFailure.INVALID_VALUE:
        return InputValidationError(DATABASE_INVALID_VALUE_DETAIL)
    return None


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its limit (FastAPI lets HTTPExceptions through its body
    parsing untouched, so the mount's responder answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


@dataclass
class BodyLimits:
    """The request-body limit: one default, and larger ones for paths that need them (e.g. invoice uploads)."""

    default: int
    _by_prefix: list[tuple[str, int]] = field(default_factory=list)

    _by_template: list[tuple[re.Pattern[str], int]] = field(default_factory=list)

    def allow(self, prefix: str, limit: int) -> None:
        """Let requests under `prefix` (a path, or a path ending in `/`) carry up to `limit` bytes. A path with
        `{name}` segments (`/v2/sessions/online/{referenceNumber}/invoices`) is a template: exactly the paths it
        matches (each `{…}` one segment), nothing under them."""
        if "{" in prefix:
            pattern = re.escape(prefix)
            pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", pattern)
            self._by_template.append((re.compile(pattern), limit))
            return
        self._by_prefix = sorted([*self._by_prefix, (prefix, limit)], key=lambda item: len(item[0]), reverse=True)

    def for_path(self, path: str) -> int:
        for template, limit in self._by_template:
            if template.fullmatch(path):
                return limit
        for prefix, limit in self._by_prefix:
            if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
                return limit
        return self.default


class TrustedProxies:
    """The reverse proxies whose `X-Forwarded-*` headers are believed (addresses or networks, e.g. `10.0.0.0/8`)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self._networks = [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def client_of(self, peer: str, forwarded_for: str) -> str:
        """The client address: walk `X-Forwarded-For` from the right (the hop nearest to us) past trusted proxies;
        the first address not trusted is the client. Malformed entries end the walk at the last trusted hop."""
        client = peer
        for entry in reversed([part.strip() for part in forwarded_for.split(",")]):
            if not self.trusts(client):
                break
            try:
                ipaddress.ip_address(entry)
            except ValueError:
                break
            client = entry
        return client


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _has_bad_escape(raw: bytes) -> bool:
    """A NUL (raw or `%00`) or a `%` not followed by two hex digits."""
    if b"\x00" in raw:
        return True
    index = raw.find(b"%")
    while index != -1:
        pair = raw[index + 1 : index + 3]
        if len(pair) < 2 or not all(c in b"0123456789abcdefABCDEF" for c in pair) or pair == b"00":
            return True
        index = raw.find(b"%", index + 1)
    return False


def log_unexpected(request_line: str, trace_id: str, error: BaseException) -> None:
    """Log an unexpected error once: the trace id, the error classes and where they happened — never their
    messages (a driver error's message can carry the statement's values)."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}\n{frames}")
        current = current.__cause__ or current.__context__
    logger.error(
        "unhandled %s in %s (traceId %s)\n%s",
        type(error).__qualname__,
        request_line,
        trace_id,
        "caused by ".join(lines).rstrip(),
    )


class ResponderLookup(Protocol):
    """What the guard asks of `problems.ScopedErrorHandlers` (a protocol: `problems` imports this module)."""

    def responder_for(self, path: str) -> Any: ...

    def path_of(self, scope: Scope) -> str: ...


class RequestGuard:
    """See the module docstring. Installed once, outermost, by `ScopedErrorHandlers.install`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        handlers: ResponderLookup,
        body_limits: BodyLimits,
        trusted_proxies: TrustedProxies,
        no_store_prefixes: Sequence[str] = ("/",),
    ) -> None:
        self.app = app
        self._handlers = handlers
        self._body_limits = body_limits
        self._proxies = trusted_proxies
        self._no_store_prefixes = tuple(no_store_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._proxies and scope.get("client"):
            scope = self._apply_forwarded(scope)
        limit = self._body_limits.for_path(scope["path"])
        scope[BODY_LIMIT_SCOPE_KEY] = limit
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        request = Request(scope)
        responder = self._handlers.responder_for(self._handlers.path_of(scope))
        if _has_bad_escape(scope.get("raw_path") or b"") or _has_bad_escape(scope.get("query_string", b"")):
            problem = InputValidationError("Adres żądania zawiera niedozwolony znak (NUL) lub błędne kodowanie (%).")
            await responder.domain_error(request, problem)(scope, receive, send_with_headers)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server's HTTP parser refuses a malformed length before we get here
            if too_large:
                await responder.domain_error(request, PayloadTooLargeError(limit))(scope, receive, send_with_headers)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except Exception as error:
            if started:
                log_unexpected(f"{scope.get('method')} {scope['path']}", "-", error)
                return
            # A database failure is the same answer on every mount (503 or 400, never 500): the mount's responder
            # renders it as a domain error (KSeF JSON on /v2, a page on the screens).
            mapped = database_error(error)
            if mapped is not None:
                logger.warning(
                    "%s %s answered %d: %s (%s)",
                    scope.get("method"),
                    scope["path"],
                    mapped.http_status,
                    classify_database_error(error),
                    type(error).__qualname__,
                )
                response = responder.domain_error(request, mapped)
            else:
                response = responder.unexpected_error(request, error)
            await response(scope, receive, send_with_headers)

    def _apply_forwarded(self, scope: Scope) -> Scope:
        peer = scope["client"][0]
        if not self._proxies.trusts(peer):
            return scope
        scope = dict(scope)
        forwarded_for = _header(scope, b"x-forwarded-for")
        if forwarded_for is not None:
            client = self._proxies.client_of(peer, forwarded_for.decode("latin-1"))
            scope["client"] = (client, 0)
        proto = _header(scope, b"x-forwarded-proto")
        if proto is not None:
            value = proto.decode("latin-1").split(",")[-1].strip().lower()
            if value in ("http", "https"):
                scope["scheme"] = value
        return scope
