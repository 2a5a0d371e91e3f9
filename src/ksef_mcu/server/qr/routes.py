"""`GET /qr/certificate/…` (KOD II) and `GET /qr/invoice/…` (KOD I): public, no login, counted per client IP in the
public limit; HTML or JSON by `Accept`.

Plain Starlette routes (no FastAPI dependency solving: these pages are the hot path of anyone scanning invoices);
failures raise into the `/qr` mount's `ErrorResponder` like every route's."""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ksef_mcu.server.http.deps import HttpComponents, public_call, run_service
from ksef_mcu.server.qr.model import QR_PATH
from ksef_mcu.server.qr.pages import QrPages
from ksef_mcu.server.qr.service import QrVerificationService

__all__ = ["qr_routes"]


class QrComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def qr_verification(self) -> QrVerificationService: ...


_counted = public_call()


def _pages(request: Request) -> QrPages:
    pages: QrPages = request.app.state.qr_pages
    return pages


def _seen_at(request: Request) -> list[str]:
    """The QR base URL as the visitor reached this server (its `Host`, as the guard left it after a trusted proxy).

    Read from the scope directly: `request.base_url` builds URL objects, a tenth of a millisecond per request. The
    scheme is a placeholder — the signature never covers it."""
    host = request.headers.get("host")
    if not host:
        return []
    return [f"http://{host}{request.scope.get('root_path', '')}{QR_PATH}"]


async def verify_certificate(request: Request) -> Response:
    """KOD II: the issuer's Offline certificate and rights, each check with its result."""
    components: QrComponents = (await _counted(request)).components
    verification = await run_service(
        components,
        components.qr_verification.verify_certificate_link,
        request.path_params["segments"],
        seen_at=_seen_at(request),
    )
    return _pages(request).certificate(request, verification)


async def verify_invoice(request: Request) -> Response:
    """KOD I: whether the invoice is in our KSeF, and its KSeF number."""
    components: QrComponents = (await _counted(request)).components
    verification = await run_service(
        components, components.qr_verification.verify_invoice_link, request.path_params["segments"]
    )
    return _pages(request).invoice(request, verification)


async def index(request: Request) -> Response:
    """`/qr`: what the codes check, and a field to paste a link into."""
    await _counted(request)
    return _pages(request).index(request)


async def check_pasted(request: Request) -> Response:
    """`/qr/sprawdz?link=…`: the page of a pasted link of this server (303), or why it is not one."""
    components: QrComponents = (await _counted(request)).components
    link = request.query_params.get("link", "")
    path = components.qr_verification.local_path(link, seen_at=_seen_at(request))  # no database: pure parsing
    return RedirectResponse(path, status_code=303)


qr_routes = [
    Route(QR_PATH, index, methods=["GET"], name="qr-index"),
    Route(QR_PATH + "/sprawdz", check_pasted, methods=["GET"], name="qr-check"),
    Route(QR_PATH + "/certificate/{segments:path}", verify_certificate, methods=["GET"], name="qr-certificate"),
    Route(QR_PATH + "/invoice/{segments:path}", verify_invoice, methods=["GET"], name="qr-invoice"),
]
