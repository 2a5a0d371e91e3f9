"""`/` — the MCU start page: the ways to log in, or, once logged in, the menu; `/wyloguj`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ksef_mcu.server.errors import KsefServerError
from ksef_mcu.server.http.deps import run_service
from ksef_mcu.server.web.fields import (
    CONTEXT_TYPE_LABELS,
    CONTEXT_TYPE_PARAMETER,
    CONTEXT_VALUE_PARAMETER,
    context_hint,
)
from ksef_mcu.server.web.screens import LOGIN_KEY, end_session, screens_of, web_components, web_principal
from ksef_mcu.web.errors import PageError
from ksef_mcu.web.forms import read_form
from ksef_mcu.web.sessions import session_of

start_router = APIRouter(include_in_schema=False)

SMALL_FORM = 16 * 1024


@start_router.get("/")
async def start(request: Request) -> Response:
    """The ways to log in; once logged in, the screens the person may use (the login checked like any page's)."""
    if session_of(request).get(LOGIN_KEY):
        await web_principal(request)
        return screens_of(request).render(request, "start.html")
    hint = context_hint(request.query_params)
    context: dict[str, object] = {"context_hint": None, "context_query": ""}
    if hint is not None:  # carried on to the login pages, which pre-fill their context fields with it
        query = {CONTEXT_TYPE_PARAMETER: hint.type.value, CONTEXT_VALUE_PARAMETER: hint.value}
        context = {
            "context_hint": f"{CONTEXT_TYPE_LABELS[hint.type.value]} {hint.value}",
            "context_query": "?" + urlencode(query),
        }
    return screens_of(request).render(request, "start.html", context)


@start_router.post("/wyloguj")
async def logout(request: Request) -> Response:
    """End the authentication (like `DELETE /v2/auth/sessions/…`), then the cookie session."""
    await read_form(request, max_bytes=SMALL_FORM)
    session = session_of(request)
    if session.get(LOGIN_KEY):
        components = web_components(request)
        try:
            principal = await web_principal(request)
            await run_service(components, components.authentication.revoke, principal, principal.reference_number)
        except (PageError, KsefServerError):
            pass  # already over: nothing left to end but the cookie
        end_session(session)
        session.flash("Wylogowano. Do zobaczenia!", "sukces")
    return RedirectResponse("/", status_code=303)
