"""The composition root: every service of the server is built here, once per app, and nowhere else.

`build_components(settings, …)` opens what the server runs on (database, keys, the CA) and builds the services of
every domain into one `ServerComponents`; `create_app` (server/app.py) keeps it on `app.state.components`, through
which every route reaches its services (`http.deps`). Services receive their collaborators here; the seams other
parts may change at run time live in shared objects (`LoginHooks`: the permission resolver and login-certificate
authorities; `TrustStore`: trust-anchor providers; `Lifecycle`: start-up and shutdown hooks and background workers).

A `ServerModule` (tests, extensions) plugs in after the components are built: it may add routes, hooks, trust
anchors and workers, and replace `components.permissions`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from starlette.concurrency import run_in_threadpool

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.xades.signer import XadesSigner
from ksef_mcu.server.auth.hooks import LoginHooks, PermissionResolver
from ksef_mcu.server.auth.service import AuthenticationService, ChallengeService
from ksef_mcu.server.auth.tokens import TokenService
from ksef_mcu.server.auth.trust import StaticTrustAnchors, TrustStore
from ksef_mcu.server.certificates.ca import CertificateAuthority, open_certificate_authority
from ksef_mcu.server.certificates.registration import EnrollmentService
from ksef_mcu.server.certificates.service import CertificateService
from ksef_mcu.server.certificates.worker import IssuanceWorker
from ksef_mcu.server.http.ratelimit import RateLimiter
from ksef_mcu.server.keys import ServerKeys
from ksef_mcu.server.permissions.required import required_permissions
from ksef_mcu.server.permissions.service import PermissionService
from ksef_mcu.server.qr.model import QR_PATH
from ksef_mcu.server.qr.service import QrVerificationService
from ksef_mcu.server.sessions.lookup import InvoiceLookup
from ksef_mcu.server.sessions.service import SessionService
from ksef_mcu.server.sessions.signing import DOWNLOAD_SECRET_PURPOSE, DownloadLinks, open_upo_signer
from ksef_mcu.server.sessions.worker import InvoiceWorker
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.server.testdata.permissions import TestDataBindings, TestDataEntityRegister, TestDataPermissionResolver
from ksef_mcu.server.testdata.service import TestDataService
from ksef_mcu.server.tokens.service import KsefTokenService
from ksef_mcu.server.web.service import WEB_SECRET_PURPOSE, WebLogins
from ksef_mcu.storage.database import Database
from ksef_mcu.web.signing import SignedSerializer

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["Lifecycle", "ServerComponents", "ServerModule", "Worker", "build_components", "periodic"]

logger = logging.getLogger("ksef_mcu.server")

Hook = Callable[[], Awaitable[None] | None]
Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""A long-running task: it should return soon after the event is set (shutdown)."""


@dataclass
class Lifecycle:
    """Start-up and shutdown hooks and background workers, run by the app's lifespan."""

    drain_timeout: float = 30.0
    _startup: list[Hook] = field(default_factory=list)
    _shutdown: list[Hook] = field(default_factory=list)
    _workers: list[tuple[str, Worker]] = field(default_factory=list)
    _running: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event | None = None

    def on_startup(self, hook: Hook) -> None:
        self._startup.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        """Runs after the workers have stopped, in reverse order of registration."""
        self._shutdown.append(hook)

    def add_worker(self, name: str, worker: Worker) -> None:
        self._workers.append((name, worker))

    @staticmethod
    async def _call(hook: Hook) -> None:
        result = hook()
        if inspect.isawaitable(result):
            await result

    async def start(self) -> None:
        if self._stop is not None:
            raise RuntimeError("the lifecycle has already been started")
        for hook in self._startup:
            await self._call(hook)
        self._stop = asyncio.Event()
        for name, worker in self._workers:
            self._running.append(asyncio.create_task(worker(self._stop), name=name))

    async def stop(self) -> None:
        """Signal the workers, wait for them (up to `drain_timeout`), then run the shutdown hooks."""
        if self._stop is not None:
            self._stop.set()
        if self._running:
            done, pending = await asyncio.wait(self._running, timeout=self.drain_timeout)
            for task in pending:
                logger.warning(
                    "worker %s did not stop within %.0f s; cancelling it", task.get_name(), self.drain_timeout
                )
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    logger.error("worker %s failed", task.get_name(), exc_info=task.exception())
            self._running.clear()
        self._stop = None
        for hook in reversed(self._shutdown):
            await self._call(hook)


def periodic(name: str, interval: float, task: Callable[[], object]) -> Worker:
    """A worker that runs `task` (blocking: in a thread) every `interval` seconds until shutdown; a failure is
    logged and the next round comes as planned."""

    async def worker(stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                return
            except TimeoutError:
                pass
            try:
                await run_in_threadpool(task)
            except Exception:
                logger.exception("%s failed; will try again", name)

    return worker


@dataclass
class ServerComponents:
    """Everything the server is made of, built once per app by `build_components`."""

    settings: ServerSettings
    clock: Clock
    database: Database
    keys: ServerKeys
    lifecycle: Lifecycle
    rate_limiter: RateLimiter
    tokens: TokenService
    trust: TrustStore
    login_hooks: LoginHooks
    # auth
    challenges: ChallengeService
    authentication: AuthenticationService
    # test data (its routes exist in sandbox mode only)
    testdata: TestDataService
    # certificates
    authority: CertificateAuthority
    enrollment: EnrollmentService
    certificates: CertificateService
    issuance: IssuanceWorker | None
    """The in-process issuance worker, or None when only `ksef-mcu worker` processes issue."""
    # permissions and KSeF tokens
    permission_service: PermissionService
    ksef_tokens: KsefTokenService
    # online sessions, invoices, UPO
    sessions: SessionService
    invoice_worker: InvoiceWorker | None
    """The in-process invoice worker, or None when only `ksef-mcu worker` processes process invoices."""
    # the web screens and the public QR verification pages
    web_logins: WebLogins
    qr_verification: QrVerificationService
    required_permissions: Callable[[str], tuple[str, ...] | None] = required_permissions
    """`METHOD /v2/path` → the permissions the operation requires (`permissions/required.py`); `AccessPrincipal`
    checks it on every call."""

    @property
    def permissions(self) -> PermissionResolver:
        """Who may act in a context: the login flow asks this resolver on every login, redemption and refresh."""
        return self.login_hooks.permissions

    @permissions.setter
    def permissions(self, resolver: PermissionResolver) -> None:
        self.login_hooks.permissions = resolver


def _housekeeping(authentication: AuthenticationService, permissions: PermissionService) -> None:
    challenges, operations = authentication.purge_expired()
    if challenges or operations:
        logger.info("housekeeping: deleted %d challenges and %d authentications", challenges, operations)
    permission_operations = permissions.purge_expired()
    if permission_operations:
        logger.info("housekeeping: deleted %d permission operations", permission_operations)


def build_permission_service(database: Database, clock: Clock) -> PermissionService:
    """The permissions domain as this server runs it (groups from the test data's entity register)."""
    return PermissionService(database, clock, register=TestDataEntityRegister())


def build_invoice_worker(
    settings: ServerSettings,
    database: Database,
    clock: Clock,
    keys: ServerKeys,
    *,
    upo_signer: XadesSigner | None = None,
    permissions: PermissionService | None = None,
) -> InvoiceWorker:
    """The invoice worker, in `serve` or in `ksef-mcu worker`: the seller rule (the same one KOD II's verification page
    applies) and the attachment consent are the permissions domain's."""
    permissions = permissions or build_permission_service(database, clock)
    return InvoiceWorker(
        settings=settings,
        database=database,
        clock=clock,
        keys=keys,
        upo_signer=upo_signer or open_upo_signer(keys, now=clock.now()),
        seller_relation=permissions.seller_relation,
        attachment_consent=permissions.attachments_allowed,
    )


def build_components(
    settings: ServerSettings, *, clock: Clock, database: Database, keys: ServerKeys
) -> ServerComponents:
    """Build every service of the server (and open the CA in the key store, creating it on first start)."""
    lifecycle = Lifecycle()
    tokens = TokenService(signing_key=keys.token_signing_key, key_id=keys.token_key_id, issuer=settings.token_issuer)
    trust = TrustStore([StaticTrustAnchors.from_pem_files(settings.trust_anchors)])
    login_hooks = LoginHooks(permissions=TestDataPermissionResolver())
    authentication = AuthenticationService(
        settings=settings, database=database, clock=clock, tokens=tokens, trust=trust, hooks=login_hooks, keys=keys
    )

    authority = open_certificate_authority(
        keys.store, now=clock.now(), crl_url=f"{settings.resolved_public_url}/ca/crl"
    )
    certificates = CertificateService(settings=settings, database=database, clock=clock, authority=authority)
    issuance = (
        IssuanceWorker(settings=settings, database=database, clock=clock, issuer=authority.issuer)
        if settings.issuance_worker
        else None
    )
    enrollment = EnrollmentService(
        settings=settings,
        database=database,
        clock=clock,
        notify=issuance.wake if issuance is not None else None,
    )
    # Certificates issued here log in as `InternalCertificate` and chain to our CA.
    login_hooks.certificate_authorities.append(certificates)
    trust.add_provider(authority)

    permission_service = build_permission_service(database, clock)
    ksef_tokens = KsefTokenService(database, clock, bindings=TestDataBindings())
    # `POST /auth/ksef-token` checks the tokens made here; redemption and refresh see them revoked.
    login_hooks.ksef_tokens = ksef_tokens

    upo_signer = open_upo_signer(keys, now=clock.now())
    invoice_worker = (
        build_invoice_worker(settings, database, clock, keys, upo_signer=upo_signer, permissions=permission_service)
        if settings.issuance_worker
        else None
    )
    sessions = SessionService(
        settings=settings,
        database=database,
        clock=clock,
        keys=keys,
        upo_signer=upo_signer,
        links=DownloadLinks(keys.derived_secret(DOWNLOAD_SECRET_PURPOSE)),
        notify=invoice_worker.wake if invoice_worker is not None else None,
    )

    if issuance is not None:
        lifecycle.add_worker("issuance", issuance.run)
    if invoice_worker is not None:
        lifecycle.add_worker("invoices", invoice_worker.run)
    lifecycle.add_worker(
        "housekeeping",
        periodic(
            "housekeeping",
            settings.housekeeping_interval.total_seconds(),
            lambda: _housekeeping(authentication, permission_service),
        ),
    )
    challenges = ChallengeService(database, clock, lifetime=settings.challenge_lifetime)
    testdata = TestDataService(database, clock)
    web_logins = WebLogins(
        clock=clock,
        challenges=challenges,
        authentication=authentication,
        testdata=testdata,
        signer=SignedSerializer(keys.derived_secret(WEB_SECRET_PURPOSE), "ksef-certificate-login"),
        state_lifetime=settings.challenge_lifetime,
    )
    return ServerComponents(
        settings=settings,
        clock=clock,
        database=database,
        keys=keys,
        lifecycle=lifecycle,
        rate_limiter=RateLimiter(settings.rate_limits, enabled=settings.rate_limits_enabled),
        tokens=tokens,
        trust=trust,
        login_hooks=login_hooks,
        challenges=challenges,
        authentication=authentication,
        testdata=testdata,
        authority=authority,
        enrollment=enrollment,
        certificates=certificates,
        issuance=issuance,
        permission_service=permission_service,
        ksef_tokens=ksef_tokens,
        sessions=sessions,
        invoice_worker=invoice_worker,
        web_logins=web_logins,
        qr_verification=QrVerificationService(
            database=database,
            clock=clock,
            certificates=certificates,
            relations=permission_service,
            invoices=InvoiceLookup(database),
            login_hooks=login_hooks,
            base_url=settings.resolved_public_url + QR_PATH,
        ),
    )


class ServerModule(Protocol):
    """An extension that plugs in after the components are built (tests use it; so may a deployment)."""

    name: str

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        """Add routes (under `/v2`), hooks and workers. Called once, before the app starts."""
        ...
