"""What every MCU screen shares: the components it reads, the template renderer, the error pages, and the cookie
session's login — turned into the same `Principal` a bearer access token gives.

A login keeps the authentication's access and refresh tokens in the (signed, HttpOnly) session cookie. Every page
verifies the access token exactly as `/v2` does (`TokenService.verify` → `Principal`), refreshes it through
`AuthenticationService.refresh` when it has expired (which re-checks the subject's permissions), and asks
`AuthenticationService.is_active`, so "Wyloguj" — which ends the authentication like `DELETE /auth/sessions/…` —
ends the session at once, also for a copy of the cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from starlette.responses import HTMLResponse

from ksef_mcu.server.auth.model import METHOD_INFO, AuthenticationMethod, Principal
from ksef_mcu.server.auth.service import AuthenticationService, ChallengeService
from ksef_mcu.server.auth.tokens import TokenKind, TokenService
from ksef_mcu.server.certificates.registration import EnrollmentService
from ksef_mcu.server.certificates.service import CertificateService
from ksef_mcu.server.errors import ForbiddenError, KsefServerError
from ksef_mcu.server.http.deps import HttpComponents, client_ip_of, components_of, run_service
from ksef_mcu.server.permissions.service import PermissionService
from ksef_mcu.server.settings import ServerMode, ServerSettings
from ksef_mcu.server.testdata.service import TestDataService
from ksef_mcu.server.tokens.model import TOKEN_PERMISSIONS
from ksef_mcu.server.tokens.service import KsefTokenService
from ksef_mcu.server.web.abilities import Abilities, abilities_of
from ksef_mcu.server.web.fields import CONTEXT_TYPE_LABELS
from ksef_mcu.server.web.service import WebLogin, WebLogins
from ksef_mcu.web.errors import LoginRequiredError, SessionExpiredError
from ksef_mcu.web.pages import ErrorPages
from ksef_mcu.web.sessions import Session, session_of
from ksef_mcu.web.templates import Templates

LOGIN_KEY = "login"
APP_NAME = "Moduł Certyfikatów i Uprawnień"
SESSION_ENDED = "Sesja została zakończona. Zaloguj się ponownie."


class WebComponents(HttpComponents, Protocol):
    """What the screens read from the components."""

    @property
    def settings(self) -> ServerSettings: ...

    @property
    def tokens(self) -> TokenService: ...

    @property
    def challenges(self) -> ChallengeService: ...

    @property
    def authentication(self) -> AuthenticationService: ...

    @property
    def testdata(self) -> TestDataService: ...

    @property
    def enrollment(self) -> EnrollmentService: ...

    @property
    def certificates(self) -> CertificateService: ...

    @property
    def web_logins(self) -> WebLogins: ...

    @property
    def permission_service(self) -> PermissionService: ...

    @property
    def ksef_tokens(self) -> KsefTokenService: ...

    @property
    def required_permissions(self) -> Callable[[str], tuple[str, ...] | None]: ...


@dataclass(frozen=True, slots=True)
class LoginView:
    """The session's login as the layout shows it."""

    name: str
    method: str
    context: str
    subject: str
    fingerprint: str | None
    by_fingerprint: bool


def login_view(login: dict[str, Any]) -> LoginView:
    method = AuthenticationMethod(login["method"])
    context_type, context_value = login["context"]
    subject_type, subject_value = login["subject"]
    return LoginView(
        name=str(login["name"]),
        method=METHOD_INFO[method].display_name,
        context=f"{CONTEXT_TYPE_LABELS.get(context_type, context_type)} {context_value}",
        subject=f"{subject_type.upper() if subject_type != 'Fingerprint' else 'Odcisk palca'} {subject_value}",
        fingerprint=login.get("fingerprint"),
        by_fingerprint=subject_type == "Fingerprint",
    )


def page_context(request: Request) -> dict[str, Any]:
    """What every MCU page shows: who is logged in (from the session; nothing on pages outside the session's paths,
    such as the API documentation) and what the menu offers them (`can`)."""
    try:
        login = session_of(request).get(LOGIN_KEY)
    except LookupError:
        login = None
    if not isinstance(login, dict):
        return {"login": None, "can": None}
    principal = _principal_for_menu(request, login)
    return {"login": login_view(login), "can": abilities(request, principal) if principal is not None else None}


def _principal_for_menu(request: Request, login: dict[str, Any]) -> Principal | None:
    """The principal the page checked (`web_principal`), or — on pages that check nothing, such as "not found" —
    the one the session's access token names while it is valid (only to draw the menu)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    components = web_components(request)
    try:
        verified = components.tokens.verify(login["access"], kinds=(TokenKind.ACCESS,), now=components.clock.now())
        return verified.principal()
    except (KsefServerError, KeyError, TypeError):
        return None


def abilities(request: Request, principal: Principal) -> Abilities:
    """What the logged-in person may use (the menu; each screen checks its own action again)."""
    return abilities_of(principal, web_components(request).required_permissions, TOKEN_PERMISSIONS)


@dataclass
class Screens:
    """The MCU screens' renderer and error pages (kept on `app.state.screens`)."""

    templates: Templates
    pages: ErrorPages

    def render(
        self, request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
    ) -> HTMLResponse:
        return self.templates.render(request, name, context, status_code=status_code)


def screens_of(request: Request) -> Screens:
    screens: Screens = request.app.state.screens
    return screens


def web_components(request: Request) -> WebComponents:
    components: WebComponents = components_of(request)
    return components


def begin_session(session: Session, login: WebLogin) -> None:
    """A fresh session (new id and CSRF token: no session fixation) holding the login."""
    session.rotate()
    session[LOGIN_KEY] = login.to_session()


def end_session(session: Session) -> None:
    session.rotate()


async def web_principal(request: Request) -> Principal:
    """The caller behind the session's login, as a bearer access token would give it. Raises
    `LoginRequiredError` (never logged in), `SessionExpiredError` (ran out, logged out, permissions gone) and
    403 for a request from outside the login's allowed addresses."""
    session = session_of(request)
    login = session.get(LOGIN_KEY)
    if not isinstance(login, dict):
        raise SessionExpiredError() if session.expired else LoginRequiredError()
    components = web_components(request)
    try:
        verified = components.tokens.verify(login["access"], kinds=(TokenKind.ACCESS,), now=components.clock.now())
    except KsefServerError:
        try:
            refreshed = await run_service(components, components.authentication.refresh, login["refresh"])
        except KsefServerError as error:
            end_session(session)
            raise SessionExpiredError(SESSION_ENDED) from error
        session[LOGIN_KEY] = {**login, "access": refreshed.token}
        verified = components.tokens.verify(refreshed.token, kinds=(TokenKind.ACCESS,), now=components.clock.now())
    principal = verified.principal()
    if not await run_service(components, components.authentication.is_active, principal.reference_number):
        end_session(session)
        raise SessionExpiredError(SESSION_ENDED)
    ip = client_ip_of(request)
    if principal.allowed_ips is not None and not principal.allowed_ips.admits(ip):
        raise ForbiddenError(
            "Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.", reason_code="ip-not-allowed"
        )
    request.state.principal = principal
    return principal


WebPrincipal = Annotated[Principal, Depends(web_principal)]


def is_sandbox(settings: ServerSettings) -> bool:
    return settings.mode is ServerMode.SANDBOX
