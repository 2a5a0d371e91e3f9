"""Our `/openapi.json` says what the server does: no FastAPI 422, the KSeF error answers on every `/v2` operation,
the Bearer scheme exactly where a token is read (checked by calling every operation without one), int32 bounds,
and no body where the server sends none."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.db]


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in document["paths"].items() for method, operation in item.items()]


async def test_no_422_and_the_ksef_errors_everywhere(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    api = [(path, method, op) for path, method, op in operations(document) if path.startswith("/v2/")]
    assert len(api) >= 40
    for path, method, operation in operations(document):
        assert "422" not in operation["responses"], (method, path)
    for path, method, operation in api:
        responses = operation["responses"]
        for status in ("400", "413", "429", "503"):
            assert status in responses, (method, path, status)
        assert responses["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ExceptionResponse"
        }
        assert "Retry-After" in responses["429"]["headers"]
        assert "Retry-After" in responses["503"]["headers"]
    assert document["components"]["securitySchemes"]["Bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["Bearer"]["description"],
    }


async def test_int32_and_empty_answers(document: dict[str, Any]) -> None:
    query = document["paths"]["/v2/certificates/query"]["post"]
    offset = next(p for p in query["parameters"] if p["name"] == "pageOffset")
    assert offset["schema"]["format"] == "int32"
    assert offset["schema"]["maximum"] == 2**31 - 1
    for path in ("/v2/testdata/person", "/v2/testdata/subject", "/v2/testdata/context/block"):
        assert "content" not in document["paths"][path]["post"]["responses"]["200"], path


def concrete(path: str) -> str:
    """A path template filled with values of the right shape."""
    values = {
        "referenceNumber": "20260302-AU-0000000000-0000000000-00",
        "certificateSerialNumber": "0123456789ABCDEF",
        "permissionId": "00000000-0000-0000-0000-000000000000",
    }
    return re.sub(r"\{(\w+)\}", lambda match: values.get(match.group(1), "x" * 36), path)


async def test_bearer_exactly_where_a_token_is_read(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation in operations(document):
        if not path.startswith("/v2/"):
            continue
        response = await client.request(method.upper(), concrete(path), json={})
        if "security" in operation:
            assert operation["security"] == [{"Bearer": []}]
            assert response.status_code == 401, (method, path, response.status_code, response.text[:200])
            assert "401" in operation["responses"]
            assert "403" in operation["responses"]
        else:
            assert response.status_code != 401, (method, path)
        checked += 1
    assert checked >= 40
