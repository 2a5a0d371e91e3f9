"""The Jinja2 environment of the web screens: autoescaped templates, Polish formatting filters, and a `render` that
hands every page what the layout needs (session, CSRF token, flash messages, static URLs, the application's name and
contact address).

Templates are looked up in the application's directories first, then in the toolkit's (`base.html`, `error.html`,
`forms.html` macros), so an application extends the toolkit's layout and may override any of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ksef_mcu import formatting
from ksef_mcu.web.forms import CSRF_FIELD, FormErrors
from ksef_mcu.web.sessions import Session, session_of
from ksef_mcu.web.static import StaticAssets

__all__ = ["TOOLKIT_TEMPLATES", "Templates", "polish_filters"]

TOOLKIT_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _plural(count: int, one: str, few: str, many: str) -> str:
    return f"{count} {formatting.plural(count, one, few, many)}"


def _moment(value: datetime | None) -> str:
    return formatting.format_moment(value)


def _day(value: datetime | None) -> str:
    return "—" if value is None or value.year <= 1 else formatting.format_day(value)


def _iso(value: datetime | None) -> str:
    return "" if value is None else formatting.iso_moment(value)


def _label(mapping: Mapping[str, str]) -> Any:
    def label(value: object) -> str:
        key = str(getattr(value, "value", value))
        return mapping.get(key, key)

    return label


def polish_filters() -> dict[str, Any]:
    """The filters every screen may use: `moment`, `day`, `iso`, `plural`, and KSeF labels."""
    return {
        "moment": _moment,
        "day": _day,
        "iso": _iso,
        "plural": _plural,
        "certificate_status": _label(formatting.CERTIFICATE_STATUS_LABELS),
        "certificate_type": _label(formatting.CERTIFICATE_TYPE_LABELS),
        "certificate_type_short": _label(formatting.CERTIFICATE_TYPE_SHORT_LABELS),
    }


class Templates:
    """Renders the pages of one application.

    `globals` are available in every template (e.g. `app_name`, `contact_url`); `static` gives `static_url(path)`;
    `context(request)` adds what every page of the application shows (e.g. who is logged in), error pages included.
    """

    def __init__(
        self,
        directories: Sequence[Path],
        *,
        static: StaticAssets,
        globals: Mapping[str, Any] | None = None,
        context: Callable[[Request], Mapping[str, Any]] | None = None,
    ) -> None:
        self._context = context
        own = FileSystemLoader([str(directory) for directory in directories])
        loader = ChoiceLoader([own, FileSystemLoader(str(TOOLKIT_TEMPLATES))])
        self.environment = Environment(
            loader=loader,
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.environment.filters.update(polish_filters())
        self.environment.globals.update(
            {
                "static_url": static.url,
                "csrf_field_name": CSRF_FIELD,
                "app_name": "",
                "contact_url": "",
                "layout": "base.html",
                **(globals or {}),
            }
        )

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """The page `name` with `context`, plus `request`, `session`, `csrf_token`, `flashes`, `errors`."""
        try:
            session: Session | None = session_of(request)
        except LookupError:
            session = None
        values: dict[str, Any] = {
            "request": request,
            "session": session,
            "csrf_token": session.csrf_token if session is not None else "",
            "flashes": session.pop_flashes() if session is not None else [],
            "errors": FormErrors(),
            "current_path": request.url.path,
        }
        if self._context is not None:
            values.update(self._context(request))
        values.update(context or {})
        body = self.environment.get_template(name).render(values)
        response = HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))
        response.headers["Cache-Control"] = "no-store"
        return response
