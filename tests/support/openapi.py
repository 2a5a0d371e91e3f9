"""Checks response bodies against the official `open-api.json` (read from the shared folder, never copied).

A small validator for the OpenAPI 3.0 schema dialect the contract uses (`$ref`, `allOf`, `nullable`, `required`,
`enum`, lengths, patterns, ranges, `date-time`/`byte` formats). It is strict about shape: a response property the
schema does not declare is an error too, so our bodies match the contract exactly.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx


class ContractViolationError(AssertionError):
    """A body does not match its schema."""


def find_shared_dir() -> Path | None:
    """`KSEF_MCU_SHARED_DIR`, else the nearest `shared/` with `ksef-docs` beside an ancestor of this repository."""
    if configured := os.environ.get("KSEF_MCU_SHARED_DIR"):
        return Path(configured)
    for ancestor in Path(__file__).resolve().parents:
        if (ancestor / "shared" / "ksef-docs").is_dir():
            return ancestor / "shared"
    return None


@cache
def load_contract() -> OpenApiContract | None:
    shared = find_shared_dir()
    path = shared / "ksef-docs" / "open-api.json" if shared else None
    if path is None or not path.is_file():
        return None
    return OpenApiContract(json.loads(path.read_text(encoding="utf-8")))


class OpenApiContract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document["components"]["schemas"]

    def response_schema(self, path: str, method: str, status: int, content_type: str) -> dict[str, Any] | None:
        """The schema for a response, or None if the contract gives none (e.g. 204, 200 with no body)."""
        operation = self.document["paths"][path][method.lower()]
        response = operation["responses"].get(str(status))
        if response is None:
            raise ContractViolationError(f"{method.upper()} {path}: status {status} is not in the contract")
        content = response.get("content")
        if not content:
            return None
        media = content.get(content_type)
        if media is None:
            raise ContractViolationError(
                f"{method.upper()} {path} {status}: content type {content_type} not in {sorted(content)}"
            )
        schema: dict[str, Any] = media["schema"]
        return schema

    def check_response(self, response: httpx.Response, path: str) -> None:
        """Validate `response` (of the operation at contract `path`, e.g. `/auth/{referenceNumber}`)."""
        method = response.request.method
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
        schema = self.response_schema(path, method, response.status_code, content_type or "application/json")
        if schema is None:
            if response.content:
                raise ContractViolationError(f"{method} {path} {response.status_code}: expected no body")
            return
        self.validate(response.json(), schema, "$")

    # --- the validator ---------------------------------------------------------------------------------------------

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = {**self.schemas[name], **{k: v for k, v in schema.items() if k != "$ref"}}
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                resolved = self._resolve(part)
                for key, value in resolved.items():
                    if key == "required":
                        merged["required"] = sorted({*merged.get("required", []), *value})
                    elif key == "properties":
                        merged["properties"] = {**resolved["properties"], **merged.get("properties", {})}
                    else:
                        merged.setdefault(key, value)
            return merged
        return schema

    def validate(self, value: Any, schema: dict[str, Any], where: str) -> None:
        schema = self._resolve(schema)
        if value is None:
            if schema.get("nullable"):
                return
            raise ContractViolationError(f"{where}: null is not allowed")
        if "enum" in schema and value not in schema["enum"]:
            raise ContractViolationError(f"{where}: {value!r} is not one of {schema['enum']}")
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if kind == "object":
            self._validate_object(value, schema, where)
        elif kind == "array":
            if not isinstance(value, list):
                raise ContractViolationError(f"{where}: expected an array, got {type(value).__name__}")
            for index, item in enumerate(value):
                self.validate(item, schema.get("items", {}), f"{where}[{index}]")
        elif kind == "string":
            self._validate_string(value, schema, where)
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ContractViolationError(f"{where}: expected an integer, got {value!r}")
            self._validate_range(value, schema, where)
        elif kind == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ContractViolationError(f"{where}: expected a number, got {value!r}")
            self._validate_range(value, schema, where)
        elif kind == "boolean" and not isinstance(value, bool):
            raise ContractViolationError(f"{where}: expected a boolean, got {value!r}")

    def _validate_object(self, value: Any, schema: dict[str, Any], where: str) -> None:
        if not isinstance(value, dict):
            raise ContractViolationError(f"{where}: expected an object, got {type(value).__name__}")
        properties: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise ContractViolationError(f"{where}: required property {name!r} is missing")
        additional = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                self.validate(item, properties[name], f"{where}.{name}")
            elif isinstance(additional, dict):
                self.validate(item, additional, f"{where}.{name}")
            elif additional is not True:
                raise ContractViolationError(f"{where}: property {name!r} is not in the contract")

    @staticmethod
    def _validate_string(value: Any, schema: dict[str, Any], where: str) -> None:
        if not isinstance(value, str):
            raise ContractViolationError(f"{where}: expected a string, got {value!r}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ContractViolationError(f"{where}: {value!r} is shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ContractViolationError(f"{where}: {value!r} is longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise ContractViolationError(f"{where}: {value!r} does not match {schema['pattern']}")
        fmt = schema.get("format")
        if fmt == "date-time":
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError as error:
                raise ContractViolationError(f"{where}: {value!r} is not an ISO 8601 date-time") from error
            if parsed.tzinfo is None:
                raise ContractViolationError(f"{where}: {value!r} has no time zone")
        elif fmt == "byte":
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as error:
                raise ContractViolationError(f"{where}: {value!r} is not Base64") from error

    @staticmethod
    def _validate_range(value: float, schema: dict[str, Any], where: str) -> None:
        if "minimum" in schema and value < schema["minimum"]:
            raise ContractViolationError(f"{where}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise ContractViolationError(f"{where}: {value} is above {schema['maximum']}")
