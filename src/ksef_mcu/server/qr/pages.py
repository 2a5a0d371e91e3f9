"""How the QR pages answer: an HTML page for people, JSON for machines (`Accept: application/json`) — results and
errors alike (`QrErrors` is the mount's `ErrorResponder`: a malformed link is a clear Polish page or JSON body, never
a 500)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse, Response

from ksef_mcu.server.errors import (
    BadRequestError,
    KsefServerError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from ksef_mcu.server.qr.errors import InvalidQrLinkError
from ksef_mcu.server.qr.model import QR_PATH, CertificateVerification, CheckOutcome, InvoiceVerification
from ksef_mcu.server.qr.schemas import certificate_verification_body, error_body, invoice_verification_body
from ksef_mcu.web import TOOLKIT_STATIC
from ksef_mcu.web.headers import SECURITY_HEADERS
from ksef_mcu.web.pages import DEFAULT_TEXTS, ErrorPages
from ksef_mcu.web.static import StaticAssets
from ksef_mcu.web.templates import Templates

__all__ = ["APP_NAME", "QrErrors", "QrPages", "wants_json"]

logger = logging.getLogger("ksef_mcu.server.qr")
HERE = Path(__file__).resolve().parent
APP_NAME = "Weryfikacja kodów QR KSeF"
OUTCOME_LABELS = {
    CheckOutcome.PASSED: "Spełniony",
    CheckOutcome.FAILED: "Niespełniony",
    CheckOutcome.NOT_CHECKED: "Nie sprawdzono",
}
OUTCOME_CLASSES = {
    CheckOutcome.PASSED: "Active",
    CheckOutcome.FAILED: "Revoked",
    CheckOutcome.NOT_CHECKED: "Inactive",
}


def _quality(accept: str, wanted: str) -> float:
    best = 0.0
    for item in accept.split(","):
        media, _, parameters = item.strip().partition(";")
        media = media.strip().lower()
        if media not in (wanted, wanted.split("/", maxsplit=1)[0] + "/*", "*/*"):
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # An exact match counts over a wildcard (`*/*` alone means "anything": the page).
        best = max(best, quality if media == wanted else quality * 0.5)
    return best


def wants_json(request: Request) -> bool:
    """True when the caller prefers `application/json` to `text/html` (browsers send `text/html` first)."""
    accept = request.headers.get("accept", "")
    if "json" not in accept:
        return False
    return _quality(accept, "application/json") > _quality(accept, "text/html")


class QrPages:
    """The templates of the QR pages and their answers."""

    def __init__(self, *, contact_url: str) -> None:
        static = StaticAssets("/static", [TOOLKIT_STATIC])  # served by the screens' `/static` route
        self.templates = Templates(
            [HERE / "templates"],
            static=static,
            globals={
                "app_name": APP_NAME,
                "contact_url": contact_url,
                "layout": "base.html",
                "outcome_labels": OUTCOME_LABELS,
                "outcome_classes": OUTCOME_CLASSES,
            },
        )
        self.errors = ErrorPages(self.templates)

    def index(self, request: Request) -> Response:
        context = {
            "base_url": str(request.base_url).rstrip("/") + QR_PATH,
            "check_url": QR_PATH + "/sprawdz",
            "link": "",
        }
        return self.templates.render(request, "qr_index.html", context, headers=SECURITY_HEADERS)

    def certificate(self, request: Request, verification: CertificateVerification) -> Response:
        if wants_json(request):
            return JSONResponse(certificate_verification_body(verification), headers={"Cache-Control": "no-store"})
        return self.templates.render(
            request, "qr_certificate.html", {"verification": verification}, headers=SECURITY_HEADERS
        )

    def invoice(self, request: Request, verification: InvoiceVerification) -> Response:
        if wants_json(request):
            return JSONResponse(invoice_verification_body(verification), headers={"Cache-Control": "no-store"})
        return self.templates.render(
            request, "qr_invoice.html", {"verification": verification}, headers=SECURITY_HEADERS
        )

    def error(
        self,
        request: Request,
        status: int,
        *,
        title: str | None = None,
        message: str | None = None,
        details: Sequence[str] = (),
    ) -> Response:
        text = DEFAULT_TEXTS.get(status) or DEFAULT_TEXTS[500 if status >= 500 else 400]
        if wants_json(request):
            return JSONResponse(
                error_body(status, title or text.title, message or text.message, list(details)),
                status_code=status,
                headers={"Cache-Control": "no-store"},
            )
        return self.errors.render(request, status, title=title, message=message, details=details)


class QrErrors:
    """`ErrorResponder` for `/qr`: pages (or JSON when asked for) in Polish."""

    def __init__(self, pages: QrPages) -> None:
        self._pages = pages

    def domain_error(self, request: Request, error: KsefServerError) -> Response:
        if isinstance(error, InvalidQrLinkError):
            return self._pages.error(
                request,
                400,
                title="Nieprawidłowy link weryfikacyjny",
                message=f"To nie jest poprawny link {error.what}: {error.reason} Sprawdź, czy link został "
                "zeskanowany albo skopiowany w całości.",
            )
        if isinstance(error, TooManyRequestsError | ServiceUnavailableError):
            status = 429 if isinstance(error, TooManyRequestsError) else 503
            response = self._pages.error(request, status, message=error.detail if status == 503 else None)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        if isinstance(error, PayloadTooLargeError):
            return self._pages.error(request, 413)
        if isinstance(error, BadRequestError):
            return self._pages.error(request, 400)
        return self.unexpected_error(request, error)

    def validation_error(self, request: Request, error: RequestValidationError) -> Response:
        return self._pages.error(request, 400)

    def http_error(self, request: Request, status_code: int) -> Response:
        if status_code == 404:
            return self._pages.error(
                request,
                404,
                title="Nie ma takiego linku weryfikacyjnego",
                message="Linki weryfikacyjne KSeF mają postać …/qr/invoice/NIP/DD-MM-RRRR/SKRÓT (KOD I) albo "
                "…/qr/certificate/TYP/KONTEKST/NIP/NUMER-SERYJNY/SKRÓT/PODPIS (KOD II).",
            )
        return self._pages.error(request, status_code)

    def unexpected_error(self, request: Request, error: BaseException) -> Response:
        logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=error)
        return self._pages.error(request, 500)
