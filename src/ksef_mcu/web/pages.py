"""Error pages for people: every failure a screen can meet, as a Polish HTML page with a way back — never JSON.

`ErrorPages.render` picks the title and text for an HTTP status (404, 403, 405, 413, 500, …) or a kind of refusal
(`csrf`, `expired`), which a caller may replace with its own words and details. Internal details of a failure are
never shown. `install_page_errors` makes every `PageError` a route raises (CSRF, expired session, too large a form)
render this way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ksef_mcu.web.errors import LoginRequiredError, PageError, PayloadTooLargeError
from ksef_mcu.web.headers import SECURITY_HEADERS
from ksef_mcu.web.templates import Templates

__all__ = ["ErrorPages", "ErrorText", "install_error_pages", "install_page_errors"]

logger = logging.getLogger("ksef_mcu.web")

LoginHandler = Callable[[Request, LoginRequiredError], Response]
"""What to answer a page that needs a login the visitor never had (typically a redirect to the login page)."""


@dataclass(frozen=True, slots=True)
class ErrorText:
    title: str
    message: str


DEFAULT_TEXTS: dict[int | str, ErrorText] = {
    400: ErrorText(
        "Nieprawidłowe dane",
        "Nie możemy wykonać tej operacji, bo przesłane dane są nieprawidłowe. Wróć, popraw je i spróbuj ponownie.",
    ),
    401: ErrorText("Zaloguj się", "Ta strona jest dostępna po zalogowaniu."),
    403: ErrorText("Brak dostępu", "Nie masz dostępu do tej strony albo operacji."),
    404: ErrorText(
        "Nie znaleziono strony", "Strona, której szukasz, nie istnieje. Sprawdź adres albo wróć na stronę główną."
    ),
    405: ErrorText(
        "Niedozwolona operacja",
        "Ta strona nie obsługuje takiego działania. Wróć do poprzedniej strony i użyj jej przycisków.",
    ),
    410: ErrorText("Już niedostępne", "To, czego szukasz, było dostępne przez ograniczony czas i już wygasło."),
    413: ErrorText("Za duży plik", "Przesłany plik albo formularz jest za duży."),
    429: ErrorText(
        "Zbyt wiele żądań", "Wysłano zbyt wiele żądań w krótkim czasie. Odczekaj chwilę i spróbuj ponownie."
    ),
    500: ErrorText(
        "Błąd serwera",
        "Coś poszło nie tak po naszej stronie i operacja nie została wykonana. Spróbuj ponownie za chwilę.",
    ),
    "csrf": ErrorText(
        "Formularz wygasł",
        "Ze względów bezpieczeństwa nie wykonaliśmy tej operacji: formularz był nieaktualny albo nie pochodził z "
        "tej strony. Nic nie zostało zapisane. Wróć, odśwież stronę i spróbuj ponownie.",
    ),
    "expired": ErrorText(
        "Sesja wygasła",
        "Ze względów bezpieczeństwa sesja wygasła i zostałeś wylogowany. Nic nie zostało zapisane. "
        "Zaloguj się ponownie, aby kontynuować.",
    ),
}


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f}".replace(".", ",") + " MB"


class ErrorPages:
    """Renders `error.html` (the toolkit's, or the application's own) for a status or a kind of refusal."""

    def __init__(self, templates: Templates, *, template: str = "error.html") -> None:
        self.templates = templates
        self.template = template

    def render(
        self,
        request: Request,
        status_code: int,
        *,
        kind: str | None = None,
        title: str | None = None,
        message: str | None = None,
        details: Sequence[str] = (),
    ) -> Response:
        text = DEFAULT_TEXTS.get(kind or status_code) or DEFAULT_TEXTS.get(status_code) or DEFAULT_TEXTS[500]
        if status_code not in DEFAULT_TEXTS and kind is None and 400 <= status_code < 500:
            text = DEFAULT_TEXTS[400]
        context = {
            "status_code": status_code,
            "kind": kind or str(status_code),
            "title": title or text.title,
            "message": message or text.message,
            "details": list(details),
        }
        # Sent here as well as by the middleware: a 500 page is rendered outside every middleware but one.
        return self.templates.render(request, self.template, context, status_code=status_code, headers=SECURITY_HEADERS)

    def page_error(self, request: Request, error: PageError) -> Response:
        details = list(error.details)
        message = error.message
        if isinstance(error, PayloadTooLargeError) and message is None:
            message = f"{DEFAULT_TEXTS[413].message} Najwyższy dopuszczalny rozmiar to {_megabytes(error.limit_bytes)}."
        return self.render(request, error.status, kind=error.kind, title=error.title, message=message, details=details)


def install_page_errors(app: Starlette, pages: ErrorPages, *, on_login_required: LoginHandler | None = None) -> None:
    """Render every `PageError` a route raises with `pages` (a `LoginRequiredError` by `on_login_required`)."""

    async def handle(request: Request, error: Exception) -> Response:
        if isinstance(error, LoginRequiredError) and on_login_required is not None:
            return on_login_required(request, error)
        if not isinstance(error, PageError):  # pragma: no cover - Starlette dispatches by type
            raise error
        return pages.page_error(request, error)

    app.add_exception_handler(PageError, handle)


def install_error_pages(app: Starlette, pages: ErrorPages, *, on_login_required: LoginHandler | None = None) -> None:
    """For an application that is all pages (no API beside it): `PageError`s as in `install_page_errors`, every
    HTTP error Starlette raises (404, 405, …) and every unexpected exception (500, logged, nothing of it shown) as
    pages too."""
    install_page_errors(app, pages, on_login_required=on_login_required)

    async def http_error(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        return pages.render(request, status)

    async def unexpected(request: Request, error: Exception) -> Response:
        logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=error)
        return pages.render(request, 500)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
