"""Error bodies (both formats), unknown routes, unexpected failures, and rate limits over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from ksef_mcu.clock import ManualClock
from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.settings import RateLimit, ServerSettings
from support.server import ContractChecker, in_process_client, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

BAD_PERSON = {"nip": "123", "pesel": "88102341294", "isBailiff": False, "description": "Osoba testowa"}


class TestBadRequestFormats:
    async def test_default_body(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        response = await client.post("/v2/testdata/person", json=BAD_PERSON)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json"
        contract.check(response, "/testdata/person")
        exception = response.json()["exception"]
        assert exception["exceptionDetailList"] == [
            {
                "exceptionCode": 21405,
                "exceptionDescription": "Błąd walidacji danych wejściowych.",
                "details": ["nip: musi mieć co najmniej 10 znaków"],
            }
        ]
        assert exception["referenceNumber"] is None
        assert exception["timestamp"].startswith("2026-03-02T09:30:00")
        assert exception["serviceCode"].startswith("00-")

    async def test_problem_details(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        response = await client.post(
            "/v2/testdata/person", json=BAD_PERSON, headers={"X-Error-Format": "problem-details"}
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        contract.check(response, "/testdata/person")
        body = response.json()
        assert body["title"] == "Bad Request"
        assert body["instance"] == "/v2/testdata/person"
        assert body["errors"] == [
            {
                "code": 21405,
                "description": "Błąd walidacji danych wejściowych.",
                "details": ["nip: musi mieć co najmniej 10 znaków"],
            }
        ]
        assert len(body["traceId"]) == 32

    async def test_every_failed_field_is_reported(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v2/testdata/person", json={"nip": "5265877635"})
        details = response.json()["exception"]["exceptionDetailList"][0]["details"]
        assert details == [
            "pesel: pole jest wymagane",
            "isBailiff: pole jest wymagane",
            "description: pole jest wymagane",
        ]

    async def test_not_json(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v2/testdata/person", content=b"{nip:", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        details = response.json()["exception"]["exceptionDetailList"][0]["details"]
        assert any("nie jest poprawnym dokumentem JSON" in detail for detail in details)


class TestOtherErrors:
    async def test_unknown_route(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v2/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Nie znaleziono zasobu."

    async def test_wrong_method(self, client: httpx.AsyncClient) -> None:
        response = await client.put("/v2/security/public-key-certificates")
        assert response.status_code == 405
        assert response.json()["detail"] == "Metoda PUT nie jest obsługiwana dla tego zasobu."

    async def test_unexpected_failure_reveals_nothing(
        self, app_factory: Any, settings: ServerSettings, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Exploding:
            name = "exploding"

            def install(self, app: FastAPI, components: ServerComponents) -> None:
                router = APIRouter()

                @router.get("/boom")
                def boom() -> None:
                    raise RuntimeError("database password is hunter2")

                app.include_router(router, prefix="/v2")

        app: FastAPI = app_factory(settings, modules=[Exploding()])
        async with running(app) as client:
            response = await client.get("/v2/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text
        assert body["detail"] == "Wystąpił nieoczekiwany błąd serwera. Spróbuj ponownie później."
        assert body["traceId"] in caplog.text  # the operator can find it in the log


class TestRateLimits:
    @pytest.fixture
    def limited(self, app_factory: Any, settings: ServerSettings) -> FastAPI:
        limits = {"public": RateLimit(per_second=3), "other": RateLimit(per_second=2, per_minute=3)}
        app: FastAPI = app_factory(settings.model_copy(update={"rate_limits_enabled": True, "rate_limits": limits}))
        return app

    async def test_public_endpoint_per_ip(
        self, limited: FastAPI, clock: ManualClock, contract: ContractChecker
    ) -> None:
        async with running(limited) as client, in_process_client(limited, client_ip="198.51.100.9") as neighbour:
            for _ in range(3):
                assert (await client.post("/v2/auth/challenge")).status_code == 200
            refused = await client.post("/v2/auth/challenge")
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "1"
            contract.check(refused, "/auth/challenge")
            assert refused.json() == {
                "status": {
                    "code": 429,
                    "description": "Too Many Requests",
                    "details": ["Przekroczono limit 3 żądania na sekundę. Spróbuj ponownie po 1 sekundzie."],
                }
            }
            problem = await client.post("/v2/auth/challenge", headers={"X-Error-Format": "problem-details"})
            assert problem.status_code == 429
            assert problem.headers["content-type"] == "application/problem+json"
            contract.check(problem, "/auth/challenge")
            # Another endpoint and another address have counters of their own.
            assert (await client.get("/v2/security/public-key-certificates")).status_code == 200
            assert (await neighbour.post("/v2/auth/challenge")).status_code == 200
            clock.advance(timedelta(seconds=1))
            assert (await client.post("/v2/auth/challenge")).status_code == 200

    async def test_context_block_uses_the_stricter_group(self, limited: FastAPI, clock: ManualClock) -> None:
        body = {"contextIdentifier": {"type": "Nip", "value": "5265877635"}}
        async with running(limited) as client:
            statuses = []
            for _ in range(4):
                statuses.append((await client.post("/v2/testdata/context/block", json=body)).status_code)
                clock.advance(timedelta(milliseconds=600))
            assert statuses == [200, 200, 200, 429]
            refused = await client.post("/v2/testdata/context/block", json=body)
            assert "na minutę" in refused.json()["status"]["details"][0]
