"""The one place where errors become HTTP responses — chosen per mount.

An `ErrorResponder` turns each kind of failure into a response; `ScopedErrorHandlers` installs the app's exception
handlers once and, for every error, asks the responder of the mount the request went to (the longest registered
path prefix): `/v2` answers in the KSeF formats (`KsefErrors`), a web mount can register one that renders HTML
pages for people, and paths outside every mount get the default.

`KsefErrors`, the KSeF formats:
- 400 and 429: the default KSeF body (`ExceptionResponse` / `TooManyRequestsResponse`), or `application/problem+json`
  when the request sends `X-Error-Format: problem-details`.
- 401, 403, 404, 410: always `application/problem+json` (403 with `reasonCode`).
- 413 (body over the limit, refused before it is read): the 400 shapes with code 21405 and status 413.
- 503 (the database busy past the lock timeout, or unreachable): like 429 — `{"status": {...}}` or problem+json —
  with `Retry-After`.
- Request validation failures, malformed JSON (invalid UTF-8, a number too long, nesting too deep): 400 with code
  21405 and one detail per failed field.
- A database or driver error that escaped: 503 (busy, unavailable) or 400 21405 (a value the database refused) —
  never 500 (`storage.errors.classify_database_error`).
- Anything else: 500 problem+json with a trace id and no internal text; logged once with that trace id and the
  error's class, never its message (`http.guard.log_unexpected`).

`ScopedErrorHandlers.install` also puts `http.guard.RequestGuard` outermost: body limits before parsing, forwarded
headers only from trusted proxies, security headers, and the one catch-all for unexpected errors.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ksef_mcu.clock import Clock
from ksef_mcu.server.errors import (
    BadRequestError,
    ForbiddenError,
    GoneError,
    InputValidationError,
    KsefServerError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    join_details,
)
from ksef_mcu.server.http.guard import (
    BODY_LIMIT_SCOPE_KEY,
    BodyLimits,
    BodyTooLarge,
    RequestGuard,
    TrustedProxies,
    database_error,
    log_unexpected,
)
from ksef_mcu.storage.errors import classify_database_error

logger = logging.getLogger("ksef_mcu.server")

PROBLEM_JSON = "application/problem+json"
SERVICE_NAME = "ksef-mcu"
INTERNAL_ERROR_DETAIL = "Wystąpił nieoczekiwany błąd serwera. Spróbuj ponownie później."
MALFORMED_BODY_DETAIL = (
    "treść żądania nie jest poprawnym dokumentem JSON (kodowanie UTF-8, liczby do 4300 cyfr, zagnieżdżenie do 1000 "
    "poziomów)"
)


def wants_problem_details(request: Request) -> bool:
    return request.headers.get("x-error-format", "").strip().lower() == "problem-details"


def _trace_id() -> str:
    return secrets.token_hex(16)


def _problem(
    request: Request, *, now: datetime, status: int, title: str, detail: str, trace_id: str, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
        "timestamp": now.isoformat(),
        "traceId": trace_id,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def render_bad_request(request: Request, error: BadRequestError, *, now: datetime) -> JSONResponse:
    trace_id = _trace_id()
    if wants_problem_details(request):
        return _problem(
            request,
            now=now,
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
            "timestamp": now.isoformat(),
        }
    }
    return JSONResponse(body, status_code=400)


def render_payload_too_large(request: Request, error: PayloadTooLargeError, *, now: datetime) -> JSONResponse:
    """413 in the 400 shapes (code 21405), so clients that read KSeF exception bodies show the reason."""
    problem = InputValidationError(error.detail)
    response = render_bad_request(request, problem, now=now)
    if wants_problem_details(request):
        return _problem(
            request,
            now=now,
            status=413,
            title="Payload Too Large",
            detail=error.detail,
            trace_id=_trace_id(),
            errors=[{"code": problem.code, "description": problem.description, "details": problem.details}],
        )
    response.status_code = 413
    return response


def _render_status(
    request: Request, *, now: datetime, status: int, title: str, detail: str, retry_after: int
) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)}
    if wants_problem_details(request):
        response = _problem(request, now=now, status=status, title=title, detail=detail, trace_id=_trace_id())
        response.headers.update(headers)
        return response
    body = {"status": {"code": status, "description": title, "details": [detail]}}
    return JSONResponse(body, status_code=status, headers=headers)


def render_too_many_requests(request: Request, error: TooManyRequestsError, *, now: datetime) -> JSONResponse:
    return _render_status(
        request, now=now, status=429, title="Too Many Requests", detail=error.detail, retry_after=error.retry_after
    )


def render_service_unavailable(request: Request, error: ServiceUnavailableError, *, now: datetime) -> JSONResponse:
    return _render_status(
        request, now=now, status=503, title="Service Unavailable", detail=error.detail, retry_after=error.retry_after
    )


def render(request: Request, error: KsefServerError, *, now: datetime) -> Response:
    """The response for a domain error."""
    if isinstance(error, BadRequestError):
        return render_bad_request(request, error, now=now)
    if isinstance(error, TooManyRequestsError):
        return render_too_many_requests(request, error, now=now)
    if isinstance(error, ServiceUnavailableError):
        return render_service_unavailable(request, error, now=now)
    if isinstance(error, PayloadTooLargeError):
        return render_payload_too_large(request, error, now=now)
    trace_id = _trace_id()
    if isinstance(error, UnauthorizedError):
        response = _problem(request, now=now, status=401, title="Unauthorized", detail=error.detail, trace_id=trace_id)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(error, ForbiddenError):
        extra: dict[str, Any] = {"reasonCode": error.reason_code}
        if error.security is not None:
            extra["security"] = error.security
        return _problem(
            request, now=now, status=403, title="Forbidden", detail=error.detail, trace_id=trace_id, **extra
        )
    if isinstance(error, NotFoundError):
        return _problem(request, now=now, status=404, title="Not Found", detail=error.detail, trace_id=trace_id)
    if isinstance(error, GoneError):
        return _problem(request, now=now, status=410, title="Gone", detail=error.detail, trace_id=trace_id)
    return render_internal_error(request, error, now=now)


def render_internal_error(request: Request, error: BaseException, *, now: datetime) -> JSONResponse:
    trace_id = _trace_id()
    log_unexpected(f"{request.method} {request.url.path}", trace_id, error)
    return _problem(
        request, now=now, status=500, title="Internal Server Error", detail=INTERNAL_ERROR_DETAIL, trace_id=trace_id
    )


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
    "json_invalid": MALFORMED_BODY_DETAIL,
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
        field = "" if error.get("type") == "json_invalid" else _field(error.get("loc", ()))
        message = _message(error)
        details.append(f"{field}: {message}" if field else message)
    return details


class ErrorResponder(Protocol):
    """How one mount answers failures (KSeF JSON for the API, HTML pages for people, …)."""

    def domain_error(self, request: Request, error: KsefServerError) -> Response: ...

    def validation_error(self, request: Request, error: RequestValidationError) -> Response: ...

    def http_error(self, request: Request, status_code: int) -> Response:
        """404 (no such path), 405 (method) and other errors Starlette raises itself."""
        ...

    def unexpected_error(self, request: Request, error: BaseException) -> Response:
        """500: log the error, show nothing of it."""
        ...


class KsefErrors:
    """The KSeF JSON formats (both), with timestamps from the server's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def domain_error(self, request: Request, error: KsefServerError) -> Response:
        return render(request, error, now=self._clock.now())

    def validation_error(self, request: Request, error: RequestValidationError) -> Response:
        problem = InputValidationError(*validation_details(error.errors()))
        return render_bad_request(request, problem, now=self._clock.now())

    def http_error(self, request: Request, status_code: int) -> Response:
        now = self._clock.now()
        if status_code == 400:
            # Starlette/FastAPI raise a bare 400 for a body they cannot decode (invalid UTF-8, a number with
            # thousands of digits, nesting too deep for the parser).
            return render_bad_request(request, InputValidationError(MALFORMED_BODY_DETAIL), now=now)
        if status_code == 413:
            limit = int(request.scope.get(BODY_LIMIT_SCOPE_KEY, 0))
            return render(request, PayloadTooLargeError(limit), now=now)
        if status_code == 404:
            return render(request, NotFoundError(), now=now)
        if status_code == 405:
            return _problem(
                request,
                now=now,
                status=405,
                title="Method Not Allowed",
                detail=f"Metoda {request.method} nie jest obsługiwana dla tego zasobu.",
                trace_id=_trace_id(),
            )
        return _problem(
            request,
            now=now,
            status=status_code,
            title="Error",
            detail="Nie można obsłużyć żądania.",
            trace_id=_trace_id(),
        )

    def unexpected_error(self, request: Request, error: BaseException) -> Response:
        mapped = database_error(error)
        if mapped is not None:
            if isinstance(mapped, ServiceUnavailableError):
                logger.warning(
                    "%s %s answered 503: %s", request.method, request.url.path, classify_database_error(error)
                )
            return render(request, mapped, now=self._clock.now())
        return render_internal_error(request, error, now=self._clock.now())


def route_path(request: Request) -> str:
    """The request's path inside the app (without the `root_path` a proxy may put in front)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class ScopedErrorHandlers:
    """The app's exception handlers, answering each error with the responder of the request's mount."""

    def __init__(self, default: ErrorResponder) -> None:
        self._default = default
        self._scopes: list[tuple[str, ErrorResponder]] = []

    def scope(self, prefix: str, responder: ErrorResponder) -> None:
        """Answer errors under `prefix` (e.g. `/v2`; the path itself and everything below it) with `responder`."""
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"a mount prefix starts with '/' and does not end with one: {prefix!r}")
        self._scopes = sorted([*self._scopes, (prefix, responder)], key=lambda scope: len(scope[0]), reverse=True)

    @staticmethod
    def path_of(scope: Any) -> str:
        """The path inside the app of an ASGI scope (see `route_path`)."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        return path[len(root) :] if root and path.startswith(root) else path

    def responder_for(self, path: str) -> ErrorResponder:
        for prefix, responder in self._scopes:
            if path == prefix or path.startswith(prefix + "/"):
                return responder
        return self._default

    def install(
        self,
        app: FastAPI,
        *,
        body_limits: BodyLimits | None = None,
        trusted_proxies: TrustedProxies | None = None,
    ) -> None:
        """Register the handlers on `app` (once) and put `RequestGuard` outermost; later `scope` calls still count.
        `app.state.body_limits` is where a domain lets its paths carry larger bodies."""
        app.state.body_limits = body_limits = body_limits or BodyLimits(default=1_048_576)
        app.add_middleware(
            RequestGuard,
            handlers=self,
            body_limits=body_limits,
            trusted_proxies=trusted_proxies or TrustedProxies(),
        )

        def responder(request: Request) -> ErrorResponder:
            return self.responder_for(route_path(request))

        async def on_domain_error(request: Request, error: Exception) -> Response:
            if not isinstance(error, KsefServerError):  # pragma: no cover - Starlette dispatches by type
                return responder(request).unexpected_error(request, error)
            return responder(request).domain_error(request, error)

        async def on_validation_error(request: Request, error: Exception) -> Response:
            if not isinstance(error, RequestValidationError):  # pragma: no cover - Starlette dispatches by type
                return responder(request).unexpected_error(request, error)
            return responder(request).validation_error(request, error)

        async def on_http_error(request: Request, error: Exception) -> Response:
            if isinstance(error, BodyTooLarge):
                return responder(request).domain_error(request, PayloadTooLargeError(error.limit))
            status = error.status_code if isinstance(error, StarletteHTTPException) else 500
            return responder(request).http_error(request, status)

        app.add_exception_handler(KsefServerError, on_domain_error)
        app.add_exception_handler(RequestValidationError, on_validation_error)
        app.add_exception_handler(StarletteHTTPException, on_http_error)
        # No handler for `Exception` here: Starlette would answer with it and then re-raise to the server, which logs
        # a second traceback. `RequestGuard` catches what escapes, answers through the responder, and logs once.
