"""Plugging the QR verification pages into the server: their routes, and error answers scoped to `/qr` (pages for
people, JSON for machines) while `/v2` keeps answering in the KSeF formats."""

from __future__ import annotations

from fastapi import FastAPI

from ksef_mcu.server.http.problems import ScopedErrorHandlers
from ksef_mcu.server.qr.model import QR_PATH
from ksef_mcu.server.qr.pages import QrErrors, QrPages
from ksef_mcu.server.qr.routes import qr_routes
from ksef_mcu.server.settings import ServerSettings

__all__ = ["install_qr_pages"]


def install_qr_pages(app: FastAPI, settings: ServerSettings) -> None:
    """Add the pages to `app` (after `ScopedErrorHandlers.install`)."""
    pages = QrPages(contact_url=settings.web_contact_url)
    app.state.qr_pages = pages
    # First in the list: nothing else lives under /qr, and the pages then skip matching every API route.
    app.router.routes[0:0] = qr_routes
    handlers: ScopedErrorHandlers = app.state.error_handlers
    handlers.scope(QR_PATH, QrErrors(pages))
