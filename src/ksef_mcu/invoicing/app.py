"""The Obsługa Faktur application: its services, built once, and the Starlette app serving its screens.

`create_app(config)` opens the database (migrated to head), the master key, and mounts the pages of `screens` with
the web toolkit's sessions, CSRF-checked forms, security headers (CSP without inline code) and error pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from ksef_mcu.clock import Clock
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.screens import Screens
from ksef_mcu.invoicing.services import Invoicing, open_invoicing
from ksef_mcu.web import TOOLKIT_STATIC
from ksef_mcu.web.headers import SecurityHeadersMiddleware
from ksef_mcu.web.sessions import SessionConfig, SessionManager, SessionMiddleware
from ksef_mcu.web.static import StaticAssets

__all__ = ["Invoicing", "create_app", "open_invoicing"]

HERE = Path(__file__).resolve().parent
DEFAULT_QUEUE_INTERVAL = 60.0
"""Seconds between attempts to send the queued offline invoices (when there are any)."""
logger = logging.getLogger("ksef_mcu.invoicing")


async def _send_queue_periodically(invoicing: Invoicing, interval: float) -> None:
    """Send the queued offline invoices (offlineMode=true) whenever KSeF answers again: one try per `interval`."""
    while True:
        await asyncio.sleep(interval)
        try:
            if await run_in_threadpool(invoicing.sending.has_queued):
                numbered = await run_in_threadpool(invoicing.sending.send_all_queued)
                if numbered:
                    logger.info("sent %d queued offline invoice(s) to KSeF", numbered)
        except Exception:  # the loop must survive anything (a database hiccup): the next round tries again
            logger.exception("sending the offline queue failed")


def create_app(
    config: InvoicingConfig,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
    queue_interval: float = DEFAULT_QUEUE_INTERVAL,
) -> Starlette:
    invoicing = open_invoicing(config, clock=clock, transport=transport)
    static = StaticAssets("/static", [HERE / "static", TOOLKIT_STATIC])
    screens = Screens(invoicing, static)
    sessions = SessionManager(
        invoicing.master_key.derive("session-cookie"), invoicing.clock.now, SessionConfig(cookie_name="faktury_sesja")
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        interrupted = await run_in_threadpool(invoicing.sending.interrupt_unfinished_jobs)
        if interrupted:
            logger.warning("%d sending(s) were cut off by the last stop; marked as interrupted", interrupted)
        retry = asyncio.create_task(_send_queue_periodically(invoicing, queue_interval))
        try:
            yield
        finally:
            retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retry
            invoicing.close()

    app = Starlette(
        routes=[*screens.routes(), static.route("static")],
        middleware=[
            Middleware(SecurityHeadersMiddleware, applies_to=lambda _path: True),
            Middleware(SessionMiddleware, manager=sessions, applies_to=lambda path: not path.startswith("/static/")),
        ],
        lifespan=lifespan,
    )
    screens.install(app)
    app.state.invoicing = invoicing
    return app
