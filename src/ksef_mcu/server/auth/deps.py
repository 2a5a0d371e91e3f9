"""Who is calling: the dependencies that turn a bearer token into a caller, for every domain's protected routes.

`AccessPrincipal` is the one a protected route asks for: a verified access token, its IP policy enforced, the request
counted against the per-(context, IP) limit — one dependency without sub-dependencies (see `http.deps`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.auth.tokens import TokenKind, TokenService, VerifiedToken
from ksef_mcu.server.errors import ForbiddenError, UnauthorizedError
from ksef_mcu.server.http.deps import (
    HttpComponents,
    bearer_of,
    client_ip_of,
    components_of,
    endpoint_of,
    requires_bearer,
)
from ksef_mcu.server.settings import rate_limit_group

__all__ = ["AccessPrincipal", "TokenComponents", "access_principal", "token_of_kinds"]


class TokenComponents(HttpComponents, Protocol):
    """What these dependencies read from the components."""

    @property
    def tokens(self) -> TokenService: ...

    @property
    def required_permissions(self) -> Callable[[str], tuple[str, ...] | None]:
        """`METHOD /v2/path/{template}` → the permissions of which a caller needs one (`()`: none), None when the
        operation has no entry (then it is refused: an operation nobody classified is not served)."""
        ...


def _verified(request: Request, components: TokenComponents, ip: str, *kinds: TokenKind) -> VerifiedToken:
    """The request's bearer token, verified. A missing, forged, expired or wrong-kind token counts against the
    endpoint's limit for the caller's IP before it is refused, so guessing tokens is throttled like any request."""
    try:
        return components.tokens.verify(bearer_of(request), kinds=kinds, now=components.clock.now())
    except UnauthorizedError:
        endpoint = endpoint_of(request)
        key = (endpoint, "invalid-token", ip)
        components.rate_limiter.hit(rate_limit_group(endpoint), key, now=components.clock.now().timestamp())
        raise


@requires_bearer
async def access_principal(request: Request) -> Principal:
    """The caller behind a valid access token; enforces its IP policy and the per-(context, IP) rate limit."""
    components: TokenComponents = components_of(request)
    ip = client_ip_of(request)
    principal = _verified(request, components, ip, TokenKind.ACCESS).principal()
    if principal.allowed_ips is not None and not principal.allowed_ips.admits(ip):
        raise ForbiddenError(
            "Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.",
            reason_code="ip-not-allowed",
            security={"clientIp": ip},
        )
    endpoint = endpoint_of(request)
    key = (endpoint, principal.context.type.value, principal.context.value, ip)
    components.rate_limiter.hit(rate_limit_group(endpoint), key, now=components.clock.now().timestamp())
    _check_required_permissions(components, endpoint, principal)
    return principal


def _check_required_permissions(components: TokenComponents, endpoint: str, principal: Principal) -> None:
    required = components.required_permissions(endpoint)
    if required is None:
        raise ForbiddenError(
            "Operacja nie ma określonych wymaganych uprawnień, więc nie jest udostępniana.",
            reason_code="missing-permissions",
            security={"requiredAnyOfPermissions": [], "presentPermissions": list(principal.permissions)},
        )
    if required and not any(permission in principal.permissions for permission in required):
        raise ForbiddenError(
            f"Brak wymaganych uprawnień w bieżącym kontekście: potrzebne jedno z: {', '.join(required)}.",
            reason_code="missing-permissions",
            security={"requiredAnyOfPermissions": list(required), "presentPermissions": list(principal.permissions)},
        )


AccessPrincipal = Annotated[Principal, Depends(access_principal)]


def token_of_kinds(*kinds: TokenKind) -> Callable[..., Coroutine[Any, Any, VerifiedToken]]:
    """A dependency accepting a bearer token of one of `kinds` (rate-limited like protected endpoints)."""

    @requires_bearer
    async def dependency(request: Request) -> VerifiedToken:
        components: TokenComponents = components_of(request)
        ip = client_ip_of(request)
        verified = _verified(request, components, ip, *kinds)
        endpoint = endpoint_of(request)
        key = (endpoint, verified.claims.get("cit"), verified.claims.get("civ"), ip)
        components.rate_limiter.hit(rate_limit_group(endpoint), key, now=components.clock.now().timestamp())
        return verified

    return dependency
