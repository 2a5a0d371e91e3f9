"""Error handlers are scoped per mount: `/v2` keeps the KSeF formats while a mount for people answers HTML."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response

from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.errors import GoneError, KsefServerError
from ksef_mcu.server.http.problems import ScopedErrorHandlers
from ksef_mcu.server.settings import ServerSettings
from support.server import running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PAGES = "/strony-testowe"


class HtmlPages:
    """An `ErrorResponder` for people: a page, never JSON."""

    def _page(self, status: int, text: str) -> Response:
        return HTMLResponse(f"<!doctype html><title>Błąd</title><h1>{status}</h1><p>{escape(text)}</p>", status)

    def domain_error(self, request: Request, error: KsefServerError) -> Response:
        return self._page(error.http_status, str(error))

    def validation_error(self, request: Request, error: RequestValidationError) -> Response:
        return self._page(400, "Popraw dane w formularzu.")

    def http_error(self, request: Request, status_code: int) -> Response:
        return self._page(status_code, "Nie ma takiej strony." if status_code == 404 else "Nie można obsłużyć żądania.")

    def unexpected_error(self, request: Request, error: BaseException) -> Response:
        return self._page(500, "Coś poszło nie tak. Spróbuj ponownie później.")


class TestPages:
    """A test-only mount for people, the way the web screens will plug in."""

    __test__ = False
    name = "pages"

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        router = APIRouter(prefix=PAGES)

        @router.get("/gone")
        def gone() -> None:
            raise GoneError()

        @router.get("/boom")
        def boom() -> None:
            raise RuntimeError("secret internals")

        @router.get("/number")
        def number(value: int) -> dict[str, int]:
            return {"value": value}

        app.router.routes.extend(router.routes)
        handlers: ScopedErrorHandlers = app.state.error_handlers
        handlers.scope(PAGES, HtmlPages())


@pytest.fixture
def app_with_pages(app_factory: Any, settings: ServerSettings) -> FastAPI:
    app: FastAPI = app_factory(settings, modules=[TestPages()])
    return app


def _is_page(response: Any, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{status}</h1>" in response.text
    assert "secret internals" not in response.text


async def test_the_mount_for_people_answers_html(app_with_pages: FastAPI) -> None:
    async with running(app_with_pages) as client:
        _is_page(await client.get(f"{PAGES}/no-such-page"), 404)
        _is_page(await client.get(f"{PAGES}/boom"), 500)
        _is_page(await client.get(f"{PAGES}/gone"), 410)
        _is_page(await client.get(f"{PAGES}/number", params={"value": "abc"}), 400)
        _is_page(await client.put(f"{PAGES}/gone"), 405)


async def test_v2_keeps_the_ksef_formats_beside_it(app_with_pages: FastAPI) -> None:
    async with running(app_with_pages) as client:
        missing = await client.get("/v2/no-such-endpoint")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["instance"] == "/v2/no-such-endpoint"

        invalid = await client.get("/v2/auth/sessions", params={"pageSize": "x"}, headers={"Authorization": "Bearer x"})
        assert invalid.status_code == 401
        assert invalid.headers["content-type"] == "application/problem+json"

        bad = await client.post("/v2/testdata/person/remove", json={"nip": "123"})
        assert bad.status_code == 400
        assert bad.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
        problem = await client.post(
            "/v2/testdata/person/remove", json={"nip": "123"}, headers={"X-Error-Format": "problem-details"}
        )
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["errors"][0]["code"] == 21405

        # A path that only shares the prefix's first letters is not inside the mount.
        elsewhere = await client.get(f"{PAGES}-nie/x")
        assert elsewhere.headers["content-type"] == "application/problem+json"


def test_a_mount_prefix_is_a_path() -> None:
    handlers = ScopedErrorHandlers(default=HtmlPages())
    for prefix in ("v2", "/v2/", ""):
        with pytest.raises(ValueError, match="mount prefix"):
            handlers.scope(prefix, HtmlPages())
