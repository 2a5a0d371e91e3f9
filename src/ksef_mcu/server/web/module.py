"""Plugging the MCU screens into the server: their routes, static files, cookie sessions, security headers, and
error pages scoped to their paths (`/v2` keeps answering in the KSeF formats)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from ksef_mcu.server.http.problems import ScopedErrorHandlers
from ksef_mcu.server.web.errors import ScreenErrors
from ksef_mcu.server.web.routes import screens_routers
from ksef_mcu.server.web.routes.docs import DOCS_ASSETS
from ksef_mcu.server.web.screens import APP_NAME, Screens, WebComponents, is_sandbox, page_context
from ksef_mcu.web import TOOLKIT_STATIC
from ksef_mcu.web.errors import LoginRequiredError
from ksef_mcu.web.headers import SecurityHeadersMiddleware
from ksef_mcu.web.pages import ErrorPages, install_page_errors
from ksef_mcu.web.sessions import SessionConfig, SessionManager, SessionMiddleware, session_of
from ksef_mcu.web.static import StaticAssets
from ksef_mcu.web.templates import Templates

__all__ = ["SCREEN_PREFIXES", "install_screens", "is_screen_path"]

HERE = Path(__file__).resolve().parent
SCREEN_PREFIXES = ("/logowanie", "/certyfikaty", "/uprawnienia", "/tokeny", "/wyloguj")
"""Where the screens live besides `/` (their error pages are HTML; sessions and security headers apply)."""
STATIC_PREFIX = "/static"
DOCS_PATHS = ("/docs", "/redoc")


def is_screen_path(path: str) -> bool:
    return path == "/" or any(path == prefix or path.startswith(prefix + "/") for prefix in SCREEN_PREFIXES)


def _gets_security_headers(path: str) -> bool:
    return is_screen_path(path) or path.startswith(STATIC_PREFIX + "/") or path in DOCS_PATHS


def _to_login(request: Request, error: LoginRequiredError) -> Response:
    session_of(request).flash("Zaloguj się, aby przejść dalej.", "informacja")
    return RedirectResponse("/", status_code=303)


def install_screens(app: FastAPI, components: WebComponents, *, secret: bytes) -> None:
    """Add the screens to `app`; `secret` signs the session cookies (`ServerKeys.derived_secret`)."""
    settings = components.settings
    static = StaticAssets(STATIC_PREFIX, [HERE / "static", TOOLKIT_STATIC])
    docs_assets = StaticAssets(DOCS_ASSETS, [Path(fastapi_offline.__file__).resolve().parent / "static"])
    templates = Templates(
        [HERE / "templates"],
        static=static,
        globals={
            "app_name": APP_NAME,
            "contact_url": settings.web_contact_url,
            "layout": "mcu.html",
            "docs_url": docs_assets.url,
            "sandbox": is_sandbox(settings),
        },
        context=page_context,
    )
    pages = ErrorPages(templates)
    app.state.screens = Screens(templates, pages)

    sessions = SessionManager(
        secret,
        components.clock.now,
        SessionConfig(
            idle_timeout=settings.web_session_idle_timeout,
            max_age=settings.web_session_max_age,
            secure=settings.web_secure_cookies,
        ),
    )
    app.add_middleware(SessionMiddleware, manager=sessions, applies_to=is_screen_path)
    app.add_middleware(SecurityHeadersMiddleware, applies_to=_gets_security_headers)

    # The documentation assets' prefix lies inside /static: its route goes first.
    app.router.routes.append(docs_assets.route(name="api-docs-assets"))
    app.router.routes.append(static.route(name="static"))
    for router in screens_routers():
        app.router.routes.extend(router.routes)

    handlers: ScopedErrorHandlers = app.state.error_handlers
    for prefix in (*SCREEN_PREFIXES, STATIC_PREFIX):
        handlers.scope(prefix, ScreenErrors(pages))
    install_page_errors(app, pages, on_login_required=_to_login)
