"""The web toolkit, piece by piece, through a small application built only from it (web_toolkit/app.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from ksef_mcu.web.headers import CONTENT_SECURITY_POLICY
from web_toolkit.app import FORM_LIMIT, IDLE, ToolkitApp

pytestmark = pytest.mark.anyio

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


def set_cookie(response: httpx.Response) -> str:
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1, cookies
    return cookies[0]


async def form_page(web: httpx.AsyncClient) -> str:
    return csrf_of(await web.get("/formularz"))


VALID = {"nazwa": "Ala", "cel": "x"}


class TestSessionCookie:
    async def test_flags_http(self, web: httpx.AsyncClient) -> None:
        cookie = set_cookie(await web.get("/formularz"))
        assert cookie.startswith("ksef_sesja=")
        attributes = [part.strip() for part in cookie.split(";")[1:]]
        assert attributes == ["Path=/", "HttpOnly", "SameSite=Strict"]  # no Secure over plain HTTP, no Max-Age

    async def test_secure_over_https(self, toolkit: ToolkitApp) -> None:
        transport = httpx.ASGITransport(app=toolkit.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as web:
            response = await web.get("/formularz")
        assert "Secure" in [part.strip() for part in set_cookie(response).split(";")]
        assert response.headers["strict-transport-security"] == "max-age=31536000"

    async def test_tampered_cookie_is_a_new_session(self, web: httpx.AsyncClient) -> None:
        token = await form_page(web)
        value = web.cookies["ksef_sesja"]
        body, _, mac = value.partition(".")
        web.cookies.set("ksef_sesja", body + "." + ("A" if mac[0] != "A" else "B") + mac[1:])
        # The forged cookie is ignored: the request has a fresh session whose token differs from the old one.
        refused = await web.post("/formularz", data={**VALID, "csrf_token": token})
        assert refused.status_code == 403
        assert "Formularz wygasł" in refused.text

    async def test_rotation_at_login_and_logout(self, web: httpx.AsyncClient) -> None:
        start = await web.get("/")
        before = (csrf_of(start), web.cookies["ksef_sesja"])
        logged_in = await web.post("/logowanie", data={"csrf_token": before[0]}, follow_redirects=True)
        assert "Konto: Jan" in logged_in.text
        after = csrf_of(await web.get("/formularz"))
        assert after != before[0]
        # The pre-login token no longer works: whoever planted a session before the login gets nothing.
        stale = await web.post("/formularz", data={**VALID, "csrf_token": before[0]})
        assert stale.status_code == 403
        out = await web.post("/wyloguj", data={"csrf_token": after}, follow_redirects=True)
        assert out.url.path == "/"
        assert (await web.get("/konto")).status_code == 303  # never had a session now: to the login page

    async def test_idle_timeout_gives_the_expired_page(self, web: httpx.AsyncClient, toolkit: ToolkitApp) -> None:
        token = csrf_of(await web.get("/"))
        await web.post("/logowanie", data={"csrf_token": token})
        toolkit.clock.advance(IDLE - timedelta(seconds=5))
        assert (await web.get("/konto")).status_code == 200  # activity moves the idle deadline
        toolkit.clock.advance(IDLE - timedelta(seconds=5))
        assert (await web.get("/konto")).status_code == 200
        toolkit.clock.advance(IDLE + timedelta(seconds=1))
        expired = await web.get("/konto")
        assert expired.status_code == 401
        assert expired.headers["content-type"].startswith("text/html")
        assert "Sesja wygasła" in expired.text
        assert "Zaloguj się ponownie" in expired.text

    async def test_unchanged_session_is_not_rewritten_on_every_request(self, web: httpx.AsyncClient) -> None:
        await web.get("/formularz")
        assert not (await web.get("/formularz")).headers.get_list("set-cookie")

    async def test_flash_shown_once(self, web: httpx.AsyncClient) -> None:
        token = await form_page(web)
        saved = await web.post("/formularz", data={**VALID, "csrf_token": token}, follow_redirects=True)
        assert 'class="flash flash--sukces" role="status">Zapisano.' in saved.text
        assert "Zapisano." not in (await web.get("/formularz")).text


class TestCsrf:
    async def test_valid_token_saves(self, web: httpx.AsyncClient, toolkit: ToolkitApp) -> None:
        token = await form_page(web)
        response = await web.post("/formularz", data={**VALID, "csrf_token": token})
        assert response.status_code == 303
        assert toolkit.saved == ["Ala"]

    @pytest.mark.parametrize("token", [None, "", "nie-ten-token", "x" * 1000])
    async def test_forged_or_missing_token_is_refused_and_nothing_saved(
        self, web: httpx.AsyncClient, toolkit: ToolkitApp, token: str | None
    ) -> None:
        await form_page(web)
        data = dict(VALID) if token is None else {**VALID, "csrf_token": token}
        response = await web.post("/formularz", data=data)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "Nic nie zostało zapisane" in response.text
        assert toolkit.saved == []

    async def test_token_in_header_for_scripts(self, web: httpx.AsyncClient, toolkit: ToolkitApp) -> None:
        token = await form_page(web)
        response = await web.post("/formularz", data=VALID, headers={"X-CSRF-Token": token})
        assert response.status_code == 303
        assert toolkit.saved == ["Ala"]

    async def test_another_sessions_token_is_refused(self, toolkit: ToolkitApp, web: httpx.AsyncClient) -> None:
        transport = httpx.ASGITransport(app=toolkit.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            foreign = await form_page(other)
        await form_page(web)
        assert (await web.post("/formularz", data={**VALID, "csrf_token": foreign})).status_code == 403
        assert toolkit.saved == []

    async def test_multipart_form_too(self, web: httpx.AsyncClient, toolkit: ToolkitApp) -> None:
        token = await form_page(web)
        files = {"plik": ("a.txt", b"abc", "text/plain")}
        response = await web.post("/formularz", data={**VALID, "csrf_token": token}, files=files)
        assert response.status_code == 303
        forged = await web.post("/formularz", data=VALID, files=files)
        assert forged.status_code == 403
        assert toolkit.saved == ["Ala"]


class TestForms:
    async def test_errors_are_tied_to_their_fields(self, web: httpx.AsyncClient, toolkit: ToolkitApp) -> None:
        token = await form_page(web)
        page = await web.post("/formularz", data={"nazwa": "A", "csrf_token": token})
        assert page.status_code == 400
        text = page.text
        assert '<a href="#nazwa">Nazwa musi mieć od 3 do 20 znaków.</a>' in text
        assert '<a href="#cel">Wybierz cel.</a>' in text
        assert 'role="alert"' in text
        field = re.search(r"<input[^>]*id=\"nazwa\"[^>]*>", text)
        assert field
        assert 'aria-invalid="true"' in field.group(0)
        assert 'aria-describedby="nazwa-hint nazwa-error"' in field.group(0)
        assert '<p class="field__error" id="nazwa-error" data-error-for="nazwa">Nazwa musi' in text
        assert '<label class="field__label" for="nazwa">Nazwa</label>' in text
        city = re.search(r"<input[^>]*id=\"miasto\"[^>]*>", text)
        assert city
        assert "aria-invalid" not in city.group(0)
        assert 'value="A"' in field.group(0)  # what was typed comes back
        assert toolkit.saved == []

    async def test_too_large_a_form_is_a_413_page(self, web: httpx.AsyncClient, toolkit: ToolkitApp) -> None:
        token = await form_page(web)
        files = {"plik": ("duzy.xml", b"x" * (FORM_LIMIT + 1), "application/xml")}
        response = await web.post("/formularz", data={**VALID, "csrf_token": token}, files=files)
        assert response.status_code == 413
        assert "Za duży plik" in response.text
        assert "0,0 MB" in response.text or "MB" in response.text
        assert toolkit.saved == []


class TestHeadersAndPages:
    async def test_security_headers_on_pages(self, web: httpx.AsyncClient) -> None:
        response = await web.get("/formularz")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        csp = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
        assert csp["script-src"] == "'self'"
        assert csp["style-src"] == "'self'"
        assert csp["default-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        assert "unsafe" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers

    async def test_pages_have_no_inline_code(self, web: httpx.AsyncClient) -> None:
        text = (await web.get("/formularz")).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == []
        assert " style=" not in text
        assert re.search(r"\son[a-z]+=", text) is None

    async def test_output_is_escaped(self, web: httpx.AsyncClient) -> None:
        text = (await web.get("/formularz", params={"echo": "<script>alert(1)</script>"})).text
        assert "<script>alert(1)" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text

    async def test_polish_filters(self, web: httpx.AsyncClient) -> None:
        text = (await web.get("/formularz")).text
        assert "Dziś: 2026-03-02; chwila: 2026-03-02 10:30 CET; 3 pliki; Aktywny" in text

    async def test_layout(self, web: httpx.AsyncClient) -> None:
        text = (await web.get("/formularz")).text
        assert text.startswith('<!doctype html>\n<html lang="pl">')
        assert '<a class="skip-link" href="#tresc">Przejdź do treści</a>' in text
        assert '<main id="tresc"' in text
        assert '<a href="mailto:pomoc@example.org">Skontaktuj się z nami</a>' in text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
        assert "<title>Formularz – Aplikacja testowa</title>" in text

    @pytest.mark.parametrize(
        ("method", "path", "status", "title"),
        [
            ("GET", "/nie-ma-takiej", 404, "Nie znaleziono strony"),
            ("DELETE", "/formularz", 405, "Niedozwolona operacja"),
            ("GET", "/blad", 500, "Błąd serwera"),
        ],
    )
    async def test_error_pages_are_html_for_people(
        self, web: httpx.AsyncClient, method: str, path: str, status: int, title: str
    ) -> None:
        response = await web.request(method, path)
        assert response.status_code == status
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert f'<h1 id="error-title">{title}</h1>' in response.text
        assert "Przejdź do strony głównej" in response.text
        assert "tajne szczegóły" not in response.text
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


class TestStatic:
    async def test_versioned_url_is_cached_for_a_year(self, web: httpx.AsyncClient) -> None:
        page = (await web.get("/formularz")).text
        match = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{16})"', page)
        assert match
        response = await web.get(match.group(1))
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"] == "text/css; charset=utf-8"
        assert "set-cookie" not in response.headers

    async def test_unversioned_is_revalidated(self, web: httpx.AsyncClient) -> None:
        first = await web.get("/static/js/forms.js")
        assert first.headers["cache-control"] == "no-cache"
        assert first.headers["content-type"] == "text/javascript; charset=utf-8"
        again = await web.get("/static/js/forms.js", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""

    @pytest.mark.parametrize(
        "path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/css", "/static/nie.css", "/static/x.py"]
    )
    async def test_nothing_else(self, web: httpx.AsyncClient, path: str) -> None:
        response = await web.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
