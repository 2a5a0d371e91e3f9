"""A small application built only from the web toolkit (`ksef_mcu.web`), for testing each of its pieces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ksef_mcu.clock import ManualClock
from ksef_mcu.web import TOOLKIT_STATIC
from ksef_mcu.web.errors import LoginRequiredError, SessionExpiredError
from ksef_mcu.web.forms import FormErrors, read_form
from ksef_mcu.web.headers import SecurityHeadersMiddleware
from ksef_mcu.web.pages import ErrorPages, install_error_pages
from ksef_mcu.web.sessions import SessionConfig, SessionManager, SessionMiddleware, session_of
from ksef_mcu.web.static import StaticAssets
from ksef_mcu.web.templates import Templates

TEMPLATES = Path(__file__).resolve().parent / "templates"
SECRET = b"toolkit-test-secret-0123456789abcdef"
IDLE = timedelta(minutes=20)
FORM_LIMIT = 2_000


@dataclass
class ToolkitApp:
    app: Starlette
    clock: ManualClock
    saved: list[str] = field(default_factory=list)


def build_app(clock: ManualClock) -> ToolkitApp:
    static = StaticAssets("/static", [TOOLKIT_STATIC])
    templates = Templates(
        [TEMPLATES], static=static, globals={"app_name": "Aplikacja testowa", "contact_url": "mailto:pomoc@example.org"}
    )
    pages = ErrorPages(templates)
    manager = SessionManager(SECRET, clock.now, SessionConfig(idle_timeout=IDLE))
    saved: list[str] = []

    async def start(request: Request) -> Response:
        return templates.render(request, "start.html")

    async def show_form(request: Request) -> Response:
        context = {"values": {}, "today": clock.now(), "echo": request.query_params.get("echo", "")}
        return templates.render(request, "form.html", context)

    async def submit_form(request: Request) -> Response:
        form = await read_form(request, max_bytes=FORM_LIMIT)
        values = {name: form.text(name) for name in ("nazwa", "miasto", "rodzaj", "cel", "zgoda")}
        errors = FormErrors()
        if not 3 <= len(values["nazwa"]) <= 20:
            errors.add("nazwa", "Nazwa musi mieć od 3 do 20 znaków.")
        if values["cel"] not in ("x", "y"):
            errors.add("cel", "Wybierz cel.")
        if errors:
            context = {"values": values, "errors": errors, "today": clock.now(), "echo": ""}
            return templates.render(request, "form.html", context, status_code=400)
        saved.append(values["nazwa"])
        session_of(request).flash("Zapisano.", "sukces")
        return RedirectResponse("/formularz", status_code=303)

    async def login(request: Request) -> Response:
        await read_form(request, max_bytes=FORM_LIMIT)
        session = session_of(request)
        session.rotate()
        session["user"] = "Jan"
        return RedirectResponse("/konto", status_code=303)

    async def logout(request: Request) -> Response:
        await read_form(request, max_bytes=FORM_LIMIT)
        session_of(request).rotate()
        return RedirectResponse("/", status_code=303)

    async def account(request: Request) -> Response:
        session = session_of(request)
        if "user" not in session:
            raise SessionExpiredError() if session.expired else LoginRequiredError()
        return templates.render(request, "konto.html")

    async def broken(request: Request) -> Response:
        raise RuntimeError("tajne szczegóły wnętrza")

    routes = [
        Route("/", start),
        Route("/formularz", show_form, methods=["GET"]),
        Route("/formularz", submit_form, methods=["POST"]),
        Route("/logowanie", login, methods=["POST"]),
        Route("/wyloguj", logout, methods=["POST"]),
        Route("/konto", account),
        Route("/blad", broken),
        static.route(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeadersMiddleware, applies_to=lambda path: True),
            Middleware(SessionMiddleware, manager=manager, applies_to=lambda path: not path.startswith("/static/")),
        ],
    )
    install_error_pages(app, pages, on_login_required=lambda request, error: RedirectResponse("/", status_code=303))
    return ToolkitApp(app, clock, saved)
