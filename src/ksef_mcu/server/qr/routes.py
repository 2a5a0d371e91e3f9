"""`GET /qr/certificate/…` (KOD II) and `GET /qr/invoice/…` (KOD I): public, no login, counted per client IP in the
public limit; HTML or JSON by `Accept`."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ksef_mcu.server.http.deps import HttpComponents, PublicCall, public_call, run_service
from ksef_mcu.server.qr.model import QR_PATH
from ksef_mcu.server.qr.pages import QrPages
from ksef_mcu.server.qr.service import QrVerificationService

__all__ = ["qr_router"]


class QrComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def qr_verification(self) -> QrVerificationService: ...


Call = Annotated[PublicCall[Any], Depends(public_call())]

qr_router = APIRouter(include_in_schema=False)


def _pages(request: Request) -> QrPages:
    pages: QrPages = request.app.state.qr_pages
    return pages


def _seen_at(request: Request) -> list[str]:
    """The QR base URL as the visitor reached this server (its host, or the one a trusted proxy forwarded)."""
    return [str(request.base_url).rstrip("/") + QR_PATH]


@qr_router.get(QR_PATH + "/certificate/{segments:path}", name="qr-certificate")
async def verify_certificate(request: Request, segments: str, call: Call) -> Response:
    """KOD II: the issuer's Offline certificate and rights, each check with its result."""
    components: QrComponents = call.components
    service = components.qr_verification
    verification = await run_service(components, service.verify_certificate_link, segments, seen_at=_seen_at(request))
    return _pages(request).certificate(request, verification)


@qr_router.get(QR_PATH + "/invoice/{segments:path}", name="qr-invoice")
async def verify_invoice(request: Request, segments: str, call: Call) -> Response:
    """KOD I: whether the invoice is in our KSeF, and its KSeF number."""
    components: QrComponents = call.components
    verification = await run_service(components, components.qr_verification.verify_invoice_link, segments)
    return _pages(request).invoice(request, verification)
