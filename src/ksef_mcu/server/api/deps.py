"""FastAPI dependencies: the components, the caller's IP, bearer tokens, access principals, rate limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from ksef_mcu.server.auth.model import AllowedIps, Principal
from ksef_mcu.server.auth.tokens import TokenKind, VerifiedToken
from ksef_mcu.server.components import ServerComponents
from ksef_mcu.server.errors import ForbiddenError, UnauthorizedError


async def get_components(request: Request) -> ServerComponents:
    components: ServerComponents = request.app.state.components
    return components


Components = Annotated[ServerComponents, Depends(get_components)]


async def client_ip(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: as uvicorn's proxy-headers settings decide)."""
    return request.client.host if request.client is not None else "0.0.0.0"  # noqa: S104 - unknown peer


ClientIp = Annotated[str, Depends(client_ip)]


def _endpoint(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return f"{request.method} {path}"


async def bearer_token(request: Request) -> str:
    """The token from `Authorization: Bearer …`; 401 if there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Wymagane jest uwierzytelnienie: brak nagłówka Authorization: Bearer <token>.")
    return token.strip()


BearerToken = Annotated[str, Depends(bearer_token)]


def rate_limit_by_ip(group: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """A dependency counting requests to an endpoint that needs no token (limits per client IP)."""

    async def dependency(request: Request, components: Components, ip: ClientIp) -> None:
        components.rate_limiter.hit(group, (_endpoint(request), ip), now=components.clock.now().timestamp())

    return dependency


PublicRateLimit = Depends(rate_limit_by_ip("public"))
"""The official public endpoints' limit: 60 requests per second per IP."""


def _ip_allowed(ip: str, allowed: AllowedIps) -> bool:
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    if ip in allowed.addresses:
        return True
    for ip_range in allowed.ranges:
        first, _, last = ip_range.partition("-")
        try:
            if ipaddress.IPv4Address(first.strip()) <= address <= ipaddress.IPv4Address(last.strip()):
                return True
        except ValueError:
            continue
    for mask in allowed.masks:
        try:
            if address in ipaddress.IPv4Network(mask.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _verified(components: ServerComponents, token: str, *kinds: TokenKind) -> VerifiedToken:
    return components.tokens.verify(token, kinds=kinds, now=components.clock.now())


async def access_principal(request: Request, components: Components, token: BearerToken, ip: ClientIp) -> Principal:
    """The caller behind a valid access token; enforces its IP policy and the per-(context, IP) rate limit."""
    principal = _verified(components, token, TokenKind.ACCESS).principal()
    if principal.allowed_ips is not None and not _ip_allowed(ip, principal.allowed_ips):
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

    async def dependency(request: Request, components: Components, token: BearerToken, ip: ClientIp) -> VerifiedToken:
        verified = _verified(components, token, *kinds)
        context = (verified.claims.get("cit"), verified.claims.get("civ"))
        components.rate_limiter.hit("other", (_endpoint(request), *context, ip), now=components.clock.now().timestamp())
        return verified

    return dependency
