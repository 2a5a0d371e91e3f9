"""The application factory. Nothing is created at import time: `create_app(settings)` builds everything."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from ksef_mcu import __version__
from ksef_mcu.clock import Clock, SystemClock
from ksef_mcu.server.api.problems import install_error_handlers
from ksef_mcu.server.api.routes_auth import auth_router, sessions_router
from ksef_mcu.server.api.routes_misc import health_router, security_router, testdata_router
from ksef_mcu.server.api.system_warning import SystemWarningEcho
from ksef_mcu.server.auth.challenges import ChallengeService
from ksef_mcu.server.auth.permissions import DefaultPermissionResolver
from ksef_mcu.server.auth.service import AuthenticationService
from ksef_mcu.server.auth.tokens import TokenService
from ksef_mcu.server.auth.trust import StaticTrustAnchors, TrustStore
from ksef_mcu.server.components import Lifecycle, ServerComponents, ServerModule, Worker
from ksef_mcu.server.db.repositories.authentications import AuthenticationRepository
from ksef_mcu.server.db.repositories.challenges import ChallengeRepository
from ksef_mcu.server.keys import ServerKeys, open_server_keys
from ksef_mcu.server.ratelimit import RateLimiter
from ksef_mcu.server.settings import ServerMode, ServerSettings
from ksef_mcu.server.testdata.service import TestDataService
from ksef_mcu.storage.database import Database

logger = logging.getLogger("ksef_mcu.server")


def default_modules(settings: ServerSettings) -> list[ServerModule]:
    """The modules a normal server runs."""
    del settings
    from ksef_mcu.server.certificates.module import CertificatesModule  # noqa: PLC0415 - it imports the API layer

    return [CertificatesModule()]


def open_database(settings: ServerSettings) -> Database:
    return Database.from_url(
        settings.resolved_database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        pool_size=settings.database_pool_size,
        in_threads=settings.database_in_threads,
    )


def _purge(components: ServerComponents) -> None:
    now = components.clock.now()
    settings = components.settings
    keep_authentications = max(settings.authentication_retention, settings.refresh_token_lifetime)
    with components.database.write() as connection:
        challenges = ChallengeRepository(connection).purge_expired(before=now - timedelta(hours=1))
        operations = AuthenticationRepository(connection).purge(started_before=now - keep_authentications)
    if challenges or operations:
        logger.info("housekeeping: deleted %d challenges and %d authentications", challenges, operations)


def _housekeeping(components: ServerComponents) -> Worker:
    interval = components.settings.housekeeping_interval.total_seconds()

    async def worker(stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                return
            except TimeoutError:
                pass
            try:
                await run_in_threadpool(_purge, components)
            except Exception:
                logger.exception("housekeeping failed; will try again")

    return worker


def create_app(
    settings: ServerSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: ServerKeys | None = None,
    database: Database | None = None,
    modules: Sequence[ServerModule] | None = None,
) -> FastAPI:
    """Build the server.

    `keys` and `database` may be handed in (tests share them between apps); otherwise they are opened from `settings`
    (keys are created in the data directory on first start). Migrations are not applied here: `ksef-mcu serve` and
    `ksef-mcu db upgrade` do that.
    """
    settings = settings or ServerSettings()
    clock = clock or SystemClock()
    owns_database = database is None
    database = database or open_database(settings)
    keys = keys or open_server_keys(settings, now=clock.now())
    tokens = TokenService(signing_key=keys.token_signing_key, key_id=keys.token_key_id, issuer=settings.token_issuer)
    trust = TrustStore([StaticTrustAnchors.from_pem_files(settings.trust_anchors)])
    permissions = DefaultPermissionResolver()
    lifecycle = Lifecycle()
    components = ServerComponents(
        settings=settings,
        clock=clock,
        database=database,
        keys=keys,
        tokens=tokens,
        rate_limiter=RateLimiter(settings.rate_limits, enabled=settings.rate_limits_enabled),
        trust=trust,
        permissions=permissions,
        challenges=ChallengeService(database, clock, lifetime=settings.challenge_lifetime),
        authentication=AuthenticationService(
            settings=settings,
            database=database,
            clock=clock,
            tokens=tokens,
            trust=trust,
            permissions=permissions,
        ),
        testdata=TestDataService(database, clock),
        lifecycle=lifecycle,
    )

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
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.components = components
    install_error_handlers(app)
    if settings.mode is ServerMode.SANDBOX:
        app.add_middleware(SystemWarningEcho)
    # The built-in routes go straight into the app's route list: an included router is matched through an extra
    # layer on every request, which cost ~0.3 ms of CPU per call here. Sessions come before auth_router, because
    # /auth/sessions is not an /auth/{referenceNumber}. Modules use `app.include_router` as usual.
    builtin = [health_router, sessions_router, auth_router, security_router]
    if settings.mode is ServerMode.SANDBOX:
        builtin.append(testdata_router)
    for router in builtin:
        app.router.routes.extend(router.routes)

    for module in default_modules(settings) if modules is None else modules:
        module.install(app, components)

    lifecycle.add_worker("housekeeping", _housekeeping(components))
    if owns_database:
        lifecycle.on_shutdown(database.dispose)
    return app


def create_app_from_environment() -> FastAPI:
    """`uvicorn --factory` entry point: settings from `KSEF_MCU_*` environment variables."""
    return create_app(ServerSettings())
