"""The web toolkit both applications' screens are built with (the MCU screens, Obsługa Faktur's screens).

- `sessions`  signed HttpOnly cookie sessions: SameSite=Strict, Secure over HTTPS, idle timeout, rotation at login
- `forms`     reading forms within size limits with their CSRF token checked; errors per field
- `headers`   the Content-Security-Policy without inline code, and the other security headers
- `templates` the Jinja2 environment: autoescape, Polish formatting filters, the base layout (`base.html`)
- `pages`     error pages for people (404, 403, 405, 413, 500, CSRF, expired session) — never JSON
- `static`    static files with cache headers (versioned URLs cached for a year, the rest revalidated)
- `signing`   HMAC-signed values (the session cookie, state a page hands back)
- `errors`    what a route raises to get one of those pages

It imports nothing from the applications (`server`, `invoicing`) or the client (an import-linter contract holds it
so); `formatting` gives it the Polish dates and labels. Templates `base.html`, `error.html`, `forms.html` and the
static `css/site.css`, `js/forms.js` live beside the modules.
"""

from pathlib import Path

TOOLKIT_STATIC = Path(__file__).resolve().parent / "static"
"""The toolkit's static files (`css/site.css`, `js/forms.js`): serve them after the application's own."""

__all__ = ["TOOLKIT_STATIC"]
