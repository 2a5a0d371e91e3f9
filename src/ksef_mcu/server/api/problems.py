"""The one place where errors become HTTP responses.

- 400 and 429: the default KSeF body (`ExceptionResponse` / `TooManyRequestsResponse`), or `application/problem+json`
  when the request sends `X-Error-Format: problem-details`.
- 401, 403, 404, 410: always `application/problem+json` (403 with `reasonCode`).
- Request validation failures: 400 with code 21405 and one detail per failed field.
- Anything else: 500 problem+json with a trace id and no internal text; the exception is logged with that trace id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ksef_mcu.server.errors import (
    BadRequestError,
    ForbiddenError,
    GoneError,
    InputValidationError,
    KsefServerError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
    join_details,
)

logger = logging.getLogger("ksef_mcu.server")

PROBLEM_JSON = "application/problem+json"
SERVICE_NAME = "ksef-mcu"
INTERNAL_ERROR_DETAIL = "Wystąpił nieoczekiwany błąd serwera. Spróbuj ponownie później."


def wants_problem_details(request: Request) -> bool:
    return request.headers.get("x-error-format", "").strip().lower() == "problem-details"


def _now(request: Request) -> datetime:
    components = getattr(request.app.state, "components", None)
    return components.clock.now() if components is not None else datetime.now(UTC)


def _trace_id() -> str:
    return secrets.token_hex(16)


def _problem(request: Request, *, status: int, title: str, detail: str, trace_id: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
        "timestamp": _now(request).isoformat(),
        "traceId": trace_id,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def render_bad_request(request: Request, error: BadRequestError) -> JSONResponse:
    trace_id = _trace_id()
    if wants_problem_details(request):
        return _problem(
            request,
            status=400,
            title="Bad Request",
            detail=join_details(error.details) or error.description,
            trace_id=trace_id,
            errors=[{"code": error.code, "description": error.description, "details": error.details or None}],
        )
    body = {
        "exception": {
            "exceptionDetailList": [
                {
                    "exceptionCode": error.code,
                    "exceptionDescription": error.description,
                    "details": error.details or None,
                }
            ],
            "referenceNumber": error.reference_number,
            "serviceCode": f"00-{trace_id}-{secrets.token_hex(8)}-00",
            "serviceCtx": SERVICE_NAME,
            "serviceName": SERVICE_NAME,
            "timestamp": _now(request).isoformat(),
        }
    }
    return JSONResponse(body, status_code=400)


def render_too_many_requests(request: Request, error: TooManyRequestsError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)}
    if wants_problem_details(request):
        response = _problem(request, status=429, title="Too Many Requests", detail=error.detail, trace_id=_trace_id())
        response.headers.update(headers)
        return response
    body = {"status": {"code": 429, "description": "Too Many Requests", "details": [error.detail]}}
    return JSONResponse(body, status_code=429, headers=headers)


def render(request: Request, error: KsefServerError) -> Response:
    """The response for a domain error."""
    if isinstance(error, BadRequestError):
        return render_bad_request(request, error)
    if isinstance(error, TooManyRequestsError):
        return render_too_many_requests(request, error)
    trace_id = _trace_id()
    if isinstance(error, UnauthorizedError):
        response = _problem(request, status=401, title="Unauthorized", detail=error.detail, trace_id=trace_id)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(error, ForbiddenError):
        extra: dict[str, Any] = {"reasonCode": error.reason_code}
        if error.security is not None:
            extra["security"] = error.security
        return _problem(request, status=403, title="Forbidden", detail=error.detail, trace_id=trace_id, **extra)
    if isinstance(error, NotFoundError):
        return _problem(request, status=404, title="Not Found", detail=error.detail, trace_id=trace_id)
    if isinstance(error, GoneError):
        return _problem(request, status=410, title="Gone", detail=error.detail, trace_id=trace_id)
    return render_internal_error(request, error)


def render_internal_error(request: Request, error: BaseException) -> JSONResponse:
    trace_id = _trace_id()
    logger.error("unhandled error in %s %s (traceId %s)", request.method, request.url.path, trace_id, exc_info=error)
    return _problem(request, status=500, title="Internal Server Error", detail=INTERNAL_ERROR_DETAIL, trace_id=trace_id)


# --- request validation ---------------------------------------------------------------------------------------------

_MESSAGES: dict[str, str] = {
    "missing": "pole jest wymagane",
    "string_type": "musi być tekstem",
    "string_pattern_mismatch": "ma nieprawidłowy format",
    "bool_type": "musi być wartością logiczną (true albo false)",
    "bool_parsing": "musi być wartością logiczną (true albo false)",
    "int_type": "musi być liczbą całkowitą",
    "int_parsing": "musi być liczbą całkowitą",
    "datetime_type": "musi być datą i czasem (ISO 8601)",
    "datetime_parsing": "musi być datą i czasem (ISO 8601)",
    "datetime_from_date_parsing": "musi być datą i czasem (ISO 8601)",
    "model_type": "musi być obiektem JSON",
    "model_attributes_type": "musi być obiektem JSON",
    "dict_type": "musi być obiektem JSON",
    "list_type": "musi być tablicą JSON",
    "json_invalid": "treść żądania nie jest poprawnym dokumentem JSON",
}


def _field(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "header", "path")]
    return ".".join(parts)


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_too_short":
        return f"musi mieć co najmniej {context.get('min_length')} znaków"
    if kind == "string_too_long":
        return f"może mieć najwyżej {context.get('max_length')} znaków"
    if kind == "enum":
        return f"dozwolone wartości: {context.get('expected')}"
    if kind == "greater_than_equal":
        return f"musi być większe lub równe {context.get('ge')}"
    if kind == "less_than_equal":
        return f"musi być mniejsze lub równe {context.get('le')}"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return _MESSAGES.get(kind, str(error.get("msg", "nieprawidłowa wartość")))


def validation_details(errors: Sequence[dict[str, Any]]) -> list[str]:
    """One Polish line per failed field, e.g. `subjectNip: ma nieprawidłowy format`."""
    details = []
    for error in errors:
        field = _field(error.get("loc", ()))
        message = _message(error)
        details.append(f"{field}: {message}" if field else message)
    return details


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on `app`."""

    async def on_domain_error(request: Request, error: Exception) -> Response:
        if not isinstance(error, KsefServerError):  # pragma: no cover - FastAPI dispatches by type
            return render_internal_error(request, error)
        return render(request, error)

    async def on_validation_error(request: Request, error: Exception) -> Response:
        errors = error.errors() if isinstance(error, RequestValidationError) else []
        return render_bad_request(request, InputValidationError(*validation_details(errors)))

    async def on_http_error(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, StarletteHTTPException) else 500
        if status == 404:
            return render(request, NotFoundError())
        if status == 405:
            return _problem(
                request,
                status=405,
                title="Method Not Allowed",
                detail=f"Metoda {request.method} nie jest obsługiwana dla tego zasobu.",
                trace_id=_trace_id(),
            )
        return _problem(
            request, status=status, title="Error", detail="Nie można obsłużyć żądania.", trace_id=_trace_id()
        )

    async def on_unexpected_error(request: Request, error: Exception) -> Response:
        return render_internal_error(request, error)

    app.add_exception_handler(KsefServerError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)
