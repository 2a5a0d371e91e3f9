"""Our `/openapi.json`, saying what the server does: FastAPI's document, corrected where it would mislead a client.

For every `/v2` operation:
- no `422` (FastAPI's validation answer, which this server never sends: validation failures are 400 with 21405);
- the KSeF error answers with the official contract's shapes: 400 (`ExceptionResponse` or
  `BadRequestProblemDetails`), 413 (the same shapes), 429 and 503 (`TooManyRequestsResponse`-shaped status body or
  problem details, with `Retry-After`); and 401 (`UnauthorizedProblemDetails`) and 403 (`ForbiddenProblemDetails`)
  plus the `Bearer` security requirement on operations that read a bearer token;
- an answer without a body (test data, `200 OK`) has no content, instead of FastAPI's "any JSON";
- integers bounded to int32 say `format: int32`.

Which operations need a token is read from their dependencies: `http.deps.requires_bearer` marks the dependency
functions that read one (`auth.deps.access_principal`, `token_of_kinds`, `http.deps.bearer_token`), so a new domain's
routes are described right by construction. `tests/api/test_openapi_document.py` and the schemathesis run
(`tests/api/test_fuzz.py`) check this document against the server and the official `open-api.json`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from ksef_mcu.server.http.deps import needs_bearer
from ksef_mcu.server.http.schemas import INT32_MAX

__all__ = ["install_openapi"]

API_PREFIX = "/v2/"
_INT32_MIN = -(2**31)

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_INT32 = {"type": "integer", "format": "int32"}
_TIMESTAMP = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(title: str, *, required: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": {
            "title": {"type": "string", "description": title},
            "status": _INT32,
            "detail": _STRING,
            "instance": {"type": "string", "nullable": True} if "instance" not in required else _STRING,
            "timestamp": _TIMESTAMP,
            "traceId": {"type": "string", "nullable": True} if "traceId" not in required else _STRING,
            **extra,
        },
    }


# The error bodies, shaped as the official contract's (field for field; our descriptions).
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "ExceptionDetails": {
        "type": "object",
        "properties": {
            "exceptionCode": _INT32,
            "exceptionDescription": _NULLABLE_STRING,
            "details": {"type": "array", "items": _STRING, "nullable": True},
        },
    },
    "ExceptionInfo": {
        "type": "object",
        "properties": {
            "exceptionDetailList": {"type": "array", "items": _ref("ExceptionDetails"), "nullable": True},
            "referenceNumber": _NULLABLE_STRING,
            "serviceCode": _NULLABLE_STRING,
            "serviceCtx": _NULLABLE_STRING,
            "serviceName": _NULLABLE_STRING,
            "timestamp": _TIMESTAMP,
        },
    },
    "ExceptionResponse": {
        "type": "object",
        "description": "Błąd: kod wyjątku KSeF, jego opis i szczegóły.",
        "properties": {"exception": {"allOf": [_ref("ExceptionInfo")], "nullable": True}},
    },
    "ApiError": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {
            "code": _INT32,
            "description": _STRING,
            "details": {"type": "array", "items": _STRING, "nullable": True},
        },
    },
    "BadRequestProblemDetails": _problem(
        "Bad Request",
        required=["detail", "errors", "instance", "status", "timestamp", "title", "traceId"],
        errors={"type": "array", "items": _ref("ApiError")},
    ),
    "UnauthorizedProblemDetails": _problem("Unauthorized", required=["detail", "status", "timestamp", "title"]),
    "ForbiddenProblemDetails": _problem(
        "Forbidden",
        required=["detail", "reasonCode", "status", "timestamp", "title"],
        reasonCode=_STRING,
        security={"type": "object", "additionalProperties": True, "nullable": True},
    ),
    "StatusResponse": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {
                "type": "object",
                "required": ["code", "description", "details"],
                "properties": {"code": _INT32, "description": _STRING, "details": {"type": "array", "items": _STRING}},
            }
        },
    },
    "StatusProblemDetails": _problem(
        "Too Many Requests / Service Unavailable",
        required=["detail", "instance", "status", "timestamp", "title", "traceId"],
    ),
}

_RETRY_AFTER = {"Retry-After": {"description": "Po ilu sekundach ponowić żądanie.", "schema": _INT32}}


def _error_responses(bearer: bool) -> dict[str, dict[str, Any]]:
    bad_request = {
        "application/json": {"schema": _ref("ExceptionResponse")},
        "application/problem+json": {"schema": _ref("BadRequestProblemDetails")},
    }
    status_body = {
        "application/json": {"schema": _ref("StatusResponse")},
        "application/problem+json": {"schema": _ref("StatusProblemDetails")},
    }
    responses: dict[str, dict[str, Any]] = {
        "400": {"description": "Błąd walidacji lub odmowa (kod wyjątku KSeF, np. 21405).", "content": bad_request},
        "413": {
            "description": "Treść żądania jest za duża (odrzucona przed odczytaniem; kod 21405).",
            "content": bad_request,
        },
        "429": {"description": "Przekroczono limit żądań.", "headers": _RETRY_AFTER, "content": status_body},
        "503": {
            "description": "Baza danych chwilowo zajęta lub niedostępna; nic nie zostało zapisane.",
            "headers": _RETRY_AFTER,
            "content": status_body,
        },
    }
    if bearer:
        responses["401"] = {
            "description": "Brak tokenu albo token nieprawidłowy, wygasły lub innego rodzaju.",
            "content": {"application/problem+json": {"schema": _ref("UnauthorizedProblemDetails")}},
        }
        responses["403"] = {
            "description": "Brak uprawnień albo adres IP spoza dozwolonych.",
            "content": {"application/problem+json": {"schema": _ref("ForbiddenProblemDetails")}},
        }
    return responses


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _integers(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield node
        for value in node.values():
            yield from _integers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _integers(value)


def describe(app: FastAPI) -> dict[str, Any]:
    """The corrected document (see the module docstring)."""
    document = get_openapi(
        title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(copy.deepcopy(ERROR_SCHEMAS))
    components["securitySchemes"] = {
        "Bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Token dostępu (albo token operacji uwierzytelnienia lub odświeżający, gdzie tak podano).",
        }
    }
    bearer_paths = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, APIRoute) and any(needs_bearer(call) for call in _calls(route.dependant))
        for method in route.methods or ()
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for answer in responses.values():
                content = answer.get("content", {})
                if content.get("application/json", {}).get("schema") == {}:
                    answer.pop("content")  # a route that answers with an empty body
            if not path.startswith(API_PREFIX):
                continue
            bearer = (path, method) in bearer_paths
            for status, answer in _error_responses(bearer).items():
                responses.setdefault(status, answer)
            if bearer:
                operation["security"] = [{"Bearer": []}]
    for integer in _integers(document):
        if integer.get("maximum", INT32_MAX + 1) <= INT32_MAX and integer.get("minimum", _INT32_MIN) >= _INT32_MIN:
            integer.setdefault("format", "int32")
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `describe(app)` at the app's `openapi_url` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
