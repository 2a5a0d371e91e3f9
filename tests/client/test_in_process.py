"""Wiring: the async client over `httpx.ASGITransport` to an app in-process; a caller-owned `httpx.Client`."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from ksef_mcu.client import NO_RETRIES, AsyncKsefClient, KsefClient, KsefInvalidInputError, KsefRateLimitError

from .fakes import LIMITS, START, tokens


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/v2/certificates/limits")
    def limits(authorization: str = Header()) -> JSONResponse:
        if authorization != "Bearer access-1":
            return JSONResponse({"title": "Unauthorized", "status": 401, "detail": "Zły token."}, status_code=401)
        return JSONResponse(LIMITS, headers={"X-System-Warning": "[t-1]: Test"})

    @app.post("/v2/certificates/query")
    async def query(request: Request) -> JSONResponse:
        return JSONResponse(
            {"title": "Too Many Requests", "status": 429, "detail": str(await request.json())},
            status_code=429,
            headers={"Retry-After": "3", "Content-Type": "application/problem+json"},
        )

    return app


def test_a_ready_http_client_is_used_and_left_open() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json=LIMITS)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        with KsefClient(http_client=http, tokens=tokens(), clock=lambda: START) as client:
            client.certificates.limits()
        assert not http.is_closed
    assert seen == ["Bearer access-1"]


def test_async_client_over_asgi_transport() -> None:
    async def main() -> tuple[int, str, float | None]:
        async with AsyncKsefClient(
            transport=httpx.ASGITransport(app=_app()), tokens=tokens(), clock=lambda: START, retry=NO_RETRIES
        ) as client:
            limits = await client.certificates.limits()
            with pytest.raises(KsefRateLimitError) as info:
                await client.certificates.query_page(page_size=10)
            return limits.certificate.limit, limits.system_warnings[0].code or "", info.value.retry_after

    assert asyncio.run(main()) == (6, "t-1", 3.0)


def test_a_transport_and_a_ready_client_are_exclusive() -> None:
    with httpx.Client() as http, pytest.raises(KsefInvalidInputError):
        KsefClient(http_client=http, transport=httpx.MockTransport(lambda request: httpx.Response(200)))
