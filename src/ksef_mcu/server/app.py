"""The application factory: the HTTP face of what the composition root builds.

Nothing is created at import time: `create_app(settings)` opens the database and keys (unless handed in), has
`build_components` build every service, and assembles the FastAPI app — routes of every domain, error handlers
scoped per mount, middleware, the lifespan that runs the background workers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from ksef_mcu import __version__
from ksef_mcu.clock import Clock, SystemClock
from ksef_mcu.server.auth.routes import auth_router, sessions_router
from ksef_mcu.server.certificates.routes import ca_router, certificates_router, limits_router, testdata_limits_router
from ksef_mcu.server.composition import ServerModule, build_components
from ksef_mcu.server.health import health_router
from ksef_mcu.server.http.guard import BodyLimits, TrustedProxies
from ksef_mcu.server.http.openapi import install_openapi
from ksef_mcu.server.http.problems import KsefErrors, ScopedErrorHandlers
from ksef_mcu.server.http.system_warning import SystemWarningEcho
from ksef_mcu.server.keys import ServerKeys, open_server_keys
from ksef_mcu.server.permissions.routes import permission_routers
from ksef_mcu.server.qr.module import install_qr_pages
from ksef_mcu.server.security.routes import security_router
from ksef_mcu.server.sessions.routes import (
    UPLOAD_BODY_LIMIT,
    UPLOAD_PATH,
    invoices_router,
    upo_download_router,
)
from ksef_mcu.server.sessions.routes import (
    sessions_router as invoice_sessions_router,
)
from ksef_mcu.server.settings import ServerMode, ServerSettings
from ksef_mcu.server.testdata.routes import testdata_router
from ksef_mcu.server.tokens.routes import tokens_router
from ksef_mcu.server.web.module import install_screens
from ksef_mcu.server.web.service import WEB_SECRET_PURPOSE
from ksef_mcu.storage.database import Database

__all__ = ["API_MOUNT", "create_app", "create_app_from_environment", "open_database"]

logger = logging.getLogger("ksef_mcu.server")

API_MOUNT = "/v2"
"""Where the KSeF API lives; errors under it answer in the KSeF JSON formats."""


def open_database(settings: ServerSettings) -> Database:
    return Database.from_url(
        settings.resolved_database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        pool_size=settings.database_pool_size,
        in_threads=settings.database_in_threads,
        lock_timeout=settings.database_lock_timeout,
        idle_transaction_timeout=settings.database_idle_transaction_timeout,
        threads=settings.database_threads,
    )


def _routers(settings: ServerSettings) -> list[APIRouter]:
    """Every domain's routes, in matching order: /auth/sessions before /auth/{referenceNumber}."""
    routers = [health_router, sessions_router, auth_router, security_router, certificates_router, limits_router]
    routers += [*permission_routers, tokens_router, invoice_sessions_router, invoices_router, upo_download_router]
    if settings.mode is ServerMode.SANDBOX:
        routers += [testdata_router, testdata_limits_router]
    return [*routers, ca_router]


def create_app(
    settings: ServerSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: ServerKeys | None = None,
    database: Database | None = None,
    modules: Sequence[ServerModule] = (),
) -> FastAPI:
    """Build the server.

    `keys` and `database` may be handed in (tests share them between apps); otherwise they are opened from `settings`
    (keys are created in the data directory on first start). Migrations are not applied here: `ksef-mcu serve` and
    `ksef-mcu db upgrade` do that. `modules` plug in after every service is built (see `ServerModule`).
    """
    settings = settings or ServerSettings()
    clock = clock or SystemClock()
    owns_database = database is None
    database = database or open_database(settings)
    keys = keys or open_server_keys(settings, now=clock.now())
    components = build_components(settings, clock=clock, database=database, keys=keys)
    lifecycle = components.lifecycle

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await lifecycle.start()
        try:
            yield
        finally:
            await lifecycle.stop()

    app = FastAPI(
        title="ksef-mcu",
        summary="Moduł Certyfikatów i Uprawnień KSeF — serwer zgodny z API KSeF 2.0",
        version=__version__,
        lifespan=lifespan,
        # /docs and /redoc are the screens' (server/web): the same pages with assets served by us, no CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.components = components
    # Errors answer per mount: `/v2` in the KSeF formats, and so do health, /ca and unknown paths; the screens
    # (server/web) register their HTML pages for their own paths with `error_handlers.scope`.
    ksef_errors = KsefErrors(clock)
    app.state.error_handlers = error_handlers = ScopedErrorHandlers(default=ksef_errors)
    error_handlers.scope(API_MOUNT, ksef_errors)
    error_handlers.install(
        app,
        body_limits=BodyLimits(default=settings.max_request_body_bytes),
        trusted_proxies=TrustedProxies(settings.trusted_proxies),
    )
    # Invoice uploads (up to 3 MB of invoice, encrypted and in Base64) and nothing else carry larger bodies.
    app.state.body_limits.allow(UPLOAD_PATH, max(UPLOAD_BODY_LIMIT, settings.max_request_body_bytes))
    # `/v2/foo/` is not `/v2/foo`: no redirect (Starlette builds its target from the request's Host header, which a
    # caller can forge), a 404 like any unknown path.
    app.router.redirect_slashes = False
    install_openapi(app)
    if settings.mode is ServerMode.SANDBOX:
        app.add_middleware(SystemWarningEcho)
    # Routes go straight into the app's route list: FastAPI matches an included router through an extra layer on
    # every request, which costs CPU on the hot login path (docs/performance.md).
    for router in _routers(settings):
        app.router.routes.extend(router.routes)

    install_screens(app, components, secret=keys.derived_secret(WEB_SECRET_PURPOSE))
    install_qr_pages(app, settings)

    for module in modules:
        module.install(app, components)

    if owns_database:
        lifecycle.on_shutdown(database.dispose)
    return app


def create_app_from_environment() -> FastAPI:
    """`uvicorn --factory` entry point: settings from `KSEF_MCU_*` environment variables."""
    return create_app(ServerSettings())
