"""FastAPI dependencies: the components, the caller's IP, bearer tokens, access principals, rate limits."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.auth.tokens import TokenKind, VerifiedToken
from ksef_mcu.server.components import ServerComponents
from ksef_mcu.server.errors import ForbiddenError, UnauthorizedError


def _components(request: Request) -> ServerComponents:
    components: ServerComponents = request.app.state.components
    return components


def _client_ip(request: Request) -> str:
    return request.client.host if request.client is not None else "0.0.0.0"  # noqa: S104 - unknown peer


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Wymagane jest uwierzytelnienie: brak nagłówka Authorization: Bearer <token>.")
    return token.strip()


def _endpoint(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return f"{request.method} {path}"


# Each dependency below reads the request itself instead of depending on smaller dependencies: FastAPI resolves
# every dependency on every request, and on the login path that bookkeeping cost more than the work.


async def get_components(request: Request) -> ServerComponents:
    return _components(request)


Components = Annotated[ServerComponents, Depends(get_components)]


async def client_ip(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: as uvicorn's proxy-headers settings decide)."""
    return _client_ip(request)


ClientIp = Annotated[str, Depends(client_ip)]


async def bearer_token(request: Request) -> str:
    """The token from `Authorization: Bearer …`; 401 if there is none."""
    return _bearer(request)


BearerToken = Annotated[str, Depends(bearer_token)]


@dataclass(frozen=True, slots=True)
class PublicCall:
    """A request to an endpoint that needs no access token, already counted against its per-IP limit."""

    components: ServerComponents
    client_ip: str


def public_call(group: str = "public") -> Callable[..., Coroutine[Any, Any, PublicCall]]:
    """A dependency for endpoints without an access token: counts the request per client IP in `group`."""

    async def dependency(request: Request) -> PublicCall:
        components, ip = _components(request), _client_ip(request)
        components.rate_limiter.hit(group, (_endpoint(request), ip), now=components.clock.now().timestamp())
        return PublicCall(components, ip)

    return dependency


Public = Annotated[PublicCall, Depends(public_call())]
"""The official public endpoints' limit: 60 requests per second per IP."""


def rate_limit_by_ip(group: str) -> Callable[..., Coroutine[Any, Any, PublicCall]]:
    """Count requests per client IP in `group` (use as `dependencies=[Depends(rate_limit_by_ip("other"))]`)."""
    return public_call(group)


PublicRateLimit = Depends(public_call())


def _verified(components: ServerComponents, token: str, *kinds: TokenKind) -> VerifiedToken:
    return components.tokens.verify(token, kinds=kinds, now=components.clock.now())


async def access_principal(request: Request) -> Principal:
    """The caller behind a valid access token; enforces its IP policy and the per-(context, IP) rate limit."""
    components, ip = _components(request), _client_ip(request)
    principal = _verified(components, _bearer(request), TokenKind.ACCESS).principal()
    if principal.allowed_ips is not None and not principal.allowed_ips.admits(ip):
        raise ForbiddenError(
            "Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.",
            reason_code="ip-not-allowed",
            security={"clientIp": ip},
        )
    key = (_endpoint(request), principal.context.type.value, principal.context.value, ip)
    components.rate_limiter.hit("other", key, now=components.clock.now().timestamp())
    return principal


AccessPrincipal = Annotated[Principal, Depends(access_principal)]


def token_of_kinds(*kinds: TokenKind) -> Callable[..., Coroutine[Any, Any, VerifiedToken]]:
    """A dependency accepting a bearer token of one of `kinds` (rate-limited like protected endpoints)."""

    async def dependency(request: Request) -> VerifiedToken:
        components, ip = _components(request), _client_ip(request)
        verified = _verified(components, _bearer(request), *kinds)
        context = (verified.claims.get("cit"), verified.claims.get("civ"))
        components.rate_limiter.hit("other", (_endpoint(request), *context, ip), now=components.clock.now().timestamp())
        return verified

    return dependency


P = ParamSpec("P")
R = TypeVar("R")


async def run_service(components: ServerComponents, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run one service call (one unit of work) from an async route.

    It runs right here on the event loop: the work is CPU plus statements of microseconds (SQLite) or a fraction of
    a millisecond (a local PostgreSQL), and a thread hop plus the GIL contention it brings cost more than the overlap
    saves. With `database_in_threads` (a database behind a slow link) it runs in a worker thread, so the network
    round trips of one request overlap with the work of others.
    """
    if components.database.blocks_briefly:
        return function(*args, **kwargs)
    return await run_in_threadpool(function, *args, **kwargs)
