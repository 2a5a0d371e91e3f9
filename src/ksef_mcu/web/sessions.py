"""Cookie sessions for the web screens: signed, HttpOnly, SameSite=Strict, Secure over HTTPS, with an idle timeout.

The whole session lives in one cookie signed with HMAC-SHA256 (`signing.SignedSerializer`); the server keeps no
session table, so any number of server processes share sessions through their common secret. The cookie carries

    i  the session id (random, 128 bits; replaced at login and logout: `Session.rotate`)
    c  when the session started, s  when it was last seen (Unix seconds)
    t  the CSRF token bound to this session (random, 128 bits; replaced with the id)
    d  the application's data (JSON), f  flash messages waiting to be shown

A session unused for `idle_timeout`, or older than `max_age`, is over: the request gets a fresh, empty session whose
`expired` flag says that a session with data ran out, so a page can say why the user is logged out. The cookie is a
browser-session cookie (no Max-Age): closing the browser ends it too.

`SessionMiddleware` loads the session of every request it covers into the ASGI scope (`session_of(request)`) and
writes the cookie back when the session changed, or at most every `touch_interval` to move its idle deadline.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ksef_mcu.web.signing import SignedSerializer

__all__ = [
    "Flash",
    "Session",
    "SessionConfig",
    "SessionManager",
    "SessionMiddleware",
    "session_of",
]

SCOPE_KEY = "ksef_mcu.web.session"


def _new_id() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Flash:
    """A message for the next page the user sees: `kind` is `sukces`, `informacja` or `blad`."""

    kind: str
    text: str


@dataclass
class Session:
    """One visitor's session. Changing it (data, flashes, rotation) makes the response rewrite the cookie."""

    id: str
    csrf_token: str
    created_at: int
    seen_at: int
    data: dict[str, Any] = field(default_factory=dict)
    flashes: list[Flash] = field(default_factory=list)
    expired: bool = False
    """The request came with a session that had data and ran out (idle or too old); this one is new and empty."""
    is_new: bool = False
    changed: bool = False

    @classmethod
    def fresh(cls, now: int, *, expired: bool = False) -> Session:
        return cls(_new_id(), _new_id(), now, now, expired=expired, is_new=True, changed=True)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.changed = True

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def pop(self, key: str, default: Any = None) -> Any:
        if key in self.data:
            self.changed = True
        return self.data.pop(key, default)

    def rotate(self, *, keep_data: bool = False) -> None:
        """A new id and CSRF token (at login, against session fixation; at logout); data is dropped unless
        `keep_data`. Flash messages stay."""
        self.id = _new_id()
        self.csrf_token = _new_id()
        if not keep_data:
            self.data = {}
        self.changed = True

    def flash(self, text: str, kind: str = "informacja") -> None:
        self.flashes.append(Flash(kind, text))
        self.changed = True

    def pop_flashes(self) -> list[Flash]:
        """The waiting messages, removed from the session (shown once)."""
        flashes, self.flashes = self.flashes, []
        if flashes:
            self.changed = True
        return flashes

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    cookie_name: str = "ksef_sesja"
    idle_timeout: timedelta = timedelta(minutes=20)
    max_age: timedelta = timedelta(hours=12)
    touch_interval: timedelta = timedelta(minutes=1)
    """How often, at most, an unchanged session's cookie is rewritten to move its idle deadline."""
    secure: bool | None = None
    """The Secure flag: None sets it exactly when the request came over HTTPS."""
    path: str = "/"


class SessionManager:
    """Reads and writes session cookies; `now` gives the current time (the application's clock)."""

    def __init__(self, secret: bytes, now: Callable[[], datetime], config: SessionConfig | None = None) -> None:
        self.config = config or SessionConfig()
        self._serializer = SignedSerializer(secret, "session-cookie")
        self._now = now

    def _timestamp(self) -> int:
        return int(self._now().timestamp())

    def load(self, cookie_header: str | None) -> Session:
        """The session named by the request's cookie, or a fresh one (expired=True if a session with data ran
        out; a forged or damaged cookie is simply ignored)."""
        now = self._timestamp()
        value = _cookie_value(cookie_header, self.config.cookie_name)
        payload = self._serializer.loads(value) if value else None
        if payload is None:
            return Session.fresh(now)
        try:
            session = Session(
                id=str(payload["i"]),
                csrf_token=str(payload["t"]),
                created_at=int(payload["c"]),
                seen_at=int(payload["s"]),
                data=dict(payload.get("d") or {}),
                flashes=[Flash(str(kind), str(text)) for kind, text in payload.get("f") or []],
            )
        except (KeyError, TypeError, ValueError):
            return Session.fresh(now)
        idle = now - session.seen_at > self.config.idle_timeout.total_seconds()
        too_old = now - session.created_at > self.config.max_age.total_seconds()
        if idle or too_old or session.seen_at > now + 60:
            return Session.fresh(now, expired=bool(session.data))
        return session

    def cookie(self, session: Session, *, https: bool) -> str | None:
        """The `Set-Cookie` value for `session` after a request, or None when the browser's cookie is still right."""
        now = self._timestamp()
        if not session.changed and now - session.seen_at < self.config.touch_interval.total_seconds():
            return None
        session.seen_at = now
        payload: dict[str, Any] = {
            "i": session.id,
            "t": session.csrf_token,
            "c": session.created_at,
            "s": session.seen_at,
        }
        if session.data:
            payload["d"] = session.data
        if session.flashes:
            payload["f"] = [[flash.kind, flash.text] for flash in session.flashes]
        secure = https if self.config.secure is None else self.config.secure
        parts = [
            f"{self.config.cookie_name}={self._serializer.dumps(payload)}",
            f"Path={self.config.path}",
            "HttpOnly",
            "SameSite=Strict",
        ]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)


def _cookie_value(header: str | None, name: str) -> str | None:
    if not header:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(header)
    except Exception:
        return None
    morsel = cookies.get(name)
    return morsel.value if morsel is not None else None


def session_of(connection: HTTPConnection) -> Session:
    """The session `SessionMiddleware` loaded for this request. Raises `LookupError` outside its paths."""
    session = connection.scope.get(SCOPE_KEY)
    if not isinstance(session, Session):
        raise LookupError("this request is not covered by SessionMiddleware")
    return session


class SessionMiddleware:
    """Loads the session for the requests `applies_to(path)` selects and writes its cookie back when needed."""

    def __init__(self, app: ASGIApp, *, manager: SessionManager, applies_to: Callable[[str], bool]) -> None:
        self.app = app
        self.manager = manager
        self.applies_to = applies_to

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        session = self.manager.load(connection.headers.get("cookie"))
        scope[SCOPE_KEY] = session
        https = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = self.manager.cookie(session, https=https)
                if cookie is not None:
                    headers = MutableHeaders(scope=message)
                    headers.append("Set-Cookie", cookie)
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_cookie)
