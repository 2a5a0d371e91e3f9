"""`/docs` (Swagger UI) and `/redoc` (ReDoc) without the internet: the assets come from the `fastapi-offline` package
and are served by us; our own init scripts replace FastAPI's inline ones, so the pages keep a CSP without inline
scripts. (Both libraries set styles from script and use data: images, which their pages' policy allows.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ksef_mcu.server.web.screens import screens_of
from ksef_mcu.web.headers import content_security_policy

docs_router = APIRouter(include_in_schema=False)

DOCS_ASSETS = "/static/api-docs"
DOCS_POLICY = content_security_policy(
    style_src="'self' 'unsafe-inline'", img_src="'self' data:", worker_src="'self' blob:", font_src="'self' data:"
)


def _page(request: Request, template: str) -> Response:
    response = screens_of(request).render(request, template, {"openapi_url": request.app.openapi_url})
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@docs_router.get("/docs")
async def swagger_ui(request: Request) -> Response:
    return _page(request, "docs_swagger.html")


@docs_router.get("/redoc")
async def redoc(request: Request) -> Response:
    return _page(request, "docs_redoc.html")
