"""What a web screen raises when a request cannot be served, each shown to people as a Polish page.

`PageError` is the root; `install_page_errors` (pages.py) registers one handler that renders every subclass with the
application's `ErrorPages`, so routes just raise. None of these ever becomes JSON.
"""

from __future__ import annotations

__all__ = [
    "CsrfError",
    "LoginRequiredError",
    "PageError",
    "PayloadTooLargeError",
    "SessionExpiredError",
]


class PageError(Exception):
    """A request refused with a page: HTTP `status`, a `kind` naming the page, optional Polish `title`/`message`."""

    status: int = 400
    kind: str = "error"

    def __init__(self, message: str | None = None, *, title: str | None = None, details: tuple[str, ...] = ()) -> None:
        super().__init__(message or self.kind)
        self.message = message
        self.title = title
        self.details = details


class CsrfError(PageError):
    """The form's CSRF token is missing or is not this session's: forged, stale, or from another site."""

    status = 403
    kind = "csrf"


class SessionExpiredError(PageError):
    """The page needs a logged-in session and the session ran out (or was ended elsewhere)."""

    status = 401
    kind = "expired"


class LoginRequiredError(PageError):
    """The page needs a logged-in session and there never was one: the application sends the visitor to log in."""

    status = 401
    kind = "login"


class PayloadTooLargeError(PageError):
    """The form or upload is larger than the screen accepts."""

    status = 413
    kind = "too-large"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__()
        self.limit_bytes = limit_bytes
