"""FastAPI dependencies every domain's routes share: the components, the caller's IP, bearer tokens, per-IP rate
limits, and running a service call from an async route.

Routes reach services one way: through the components the composition root built (`ServerComponents`, kept on
`app.state.components`). This package sits below the domains and does not import the composition root, so each
domain's routes declare what they read from it as a `Protocol` (e.g. `auth.routes.AuthComponents`), which the
real components satisfy.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Generic, ParamSpec, Protocol, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from ksef_mcu.clock import Clock
from ksef_mcu.server.errors import UnauthorizedError
from ksef_mcu.server.http.ratelimit import RateLimiter
from ksef_mcu.storage.database import Database

__all__ = [
    "BearerToken",
    "ClientIp",
    "HttpComponents",
    "PublicCall",
    "PublicRateLimit",
    "bearer_of",
    "client_ip_of",
    "components_of",
    "endpoint_of",
    "get_components",
    "json_response",
    "needs_bearer",
    "public_call",
    "rate_limit_by_ip",
    "requires_bearer",
    "run_service",
]


class HttpComponents(Protocol):
    """What the HTTP plumbing itself reads from the components."""

    @property
    def clock(self) -> Clock: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...

    @property
    def database(self) -> Database: ...


C = TypeVar("C")


def components_of(request: Request) -> Any:
    """The composition root's components of the app serving `request` (the one object on `app.state`)."""
    return request.app.state.components


def client_ip_of(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: as uvicorn's proxy-headers settings decide)."""
    return request.client.host if request.client is not None else "0.0.0.0"  # noqa: S104 - unknown peer


def bearer_of(request: Request) -> str:
    """The token from `Authorization: Bearer …`; 401 if there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Wymagane jest uwierzytelnienie: brak nagłówka Authorization: Bearer <token>.")
    return token.strip()


def endpoint_of(request: Request) -> str:
    """`METHOD /path/{template}`: the key each endpoint's rate-limit counters are kept under."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return f"{request.method} {path}"


# Each dependency below reads the request itself instead of depending on smaller dependencies: FastAPI resolves
# every dependency on every request, and on the login path that bookkeeping cost more than the work.


_BEARER_MARK = "__ksef_mcu_reads_bearer__"
F = TypeVar("F", bound=Callable[..., Any])


def requires_bearer(dependency: F) -> F:
    """Mark a dependency that reads `Authorization: Bearer …`: the operations using it are described with the
    `Bearer` security scheme and 401/403 answers (`http.openapi`)."""
    setattr(dependency, _BEARER_MARK, True)
    return dependency


def needs_bearer(dependency: Callable[..., Any]) -> bool:
    return bool(getattr(dependency, _BEARER_MARK, False))


async def get_components(request: Request) -> Any:
    """Dependency: the components (annotate with the domain's `Protocol` of what it reads)."""
    return components_of(request)


async def client_ip(request: Request) -> str:
    return client_ip_of(request)


ClientIp = Annotated[str, Depends(client_ip)]


@requires_bearer
async def bearer_token(request: Request) -> str:
    return bearer_of(request)


BearerToken = Annotated[str, Depends(bearer_token)]


@dataclass(frozen=True, slots=True)
class PublicCall(Generic[C]):
    """A request to an endpoint that needs no access token, already counted against its per-IP limit."""

    components: C
    client_ip: str


def public_call(group: str = "public") -> Callable[..., Coroutine[Any, Any, PublicCall[Any]]]:
    """A dependency for endpoints without an access token: counts the request per client IP in `group`."""

    async def dependency(request: Request) -> PublicCall[Any]:
        components: HttpComponents = components_of(request)
        ip = client_ip_of(request)
        components.rate_limiter.hit(group, (endpoint_of(request), ip), now=components.clock.now().timestamp())
        return PublicCall(components, ip)

    return dependency


def rate_limit_by_ip(group: str) -> Callable[..., Coroutine[Any, Any, PublicCall[Any]]]:
    """Count requests per client IP in `group` (use as `dependencies=[Depends(rate_limit_by_ip("other"))]`)."""
    return public_call(group)


PublicRateLimit = Depends(public_call())
"""The official public endpoints' limit (60 requests per second per IP), as a route's `dependencies=[…]` entry."""


P = ParamSpec("P")
R = TypeVar("R")


async def run_service(components: HttpComponents, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run one service call (its units of work) from an async route, in the database's threads.

    Never on the event loop: a unit of work can wait for a lock another transaction holds (bounded by
    `database_lock_timeout`), and while the loop waits it answers no other request — not even `/healthz`. Sync `def`
    routes are run in a thread by FastAPI; the hot paths are async routes that come here (`Database.call`).
    """
    return await components.database.call(function, *args, **kwargs)


def json_response(body: BaseModel, *, status_code: int = 200) -> Response:
    """`body` as JSON (aliases, no null fields), skipping FastAPI's second validation of an already typed model."""
    return Response(
        body.model_dump_json(by_alias=True, exclude_none=True), status_code=status_code, media_type="application/json"
    )
