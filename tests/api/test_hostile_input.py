"""Hostile input gets a clear KSeF error, never a 500 (SQLite and PostgreSQL alike): values at the edges of their
ranges, characters databases refuse, malformed JSON, bodies over the limit (refused before they are read or the
caller authenticated), forged forwarded headers, forged Host on a redirect, unbounded echoes, guessed tokens."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from ksef_mcu.clock import ManualClock
from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.settings import RateLimit, ServerSettings
from support.certificates import enrollment_data, owner
from support.login import bearer
from support.pki import random_nip
from support.server import in_process_client, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

EDGE_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
HUGE_INTEGERS = [2**31, 2**63, 2**64, 10**30]
BAD_STRINGS = {"lone-surrogate": "Nazwa \ud800 certyfikatu", "nul": "Nazwa \x00 certyfikatu"}


def escaped(body: Any) -> dict[str, Any]:
    """`body` as JSON with every non-ASCII character escaped (`"\\ud800"`), as a hostile client sends it."""
    return {"content": json.dumps(body).encode("ascii"), "headers": {"Content-Type": "application/json"}}


def exception_of(response: httpx.Response) -> tuple[int, list[str]]:
    assert response.status_code == 400, response.text
    [detail] = response.json()["exception"]["exceptionDetailList"]
    return detail["exceptionCode"], detail["details"] or []


@pytest.fixture
async def access(client: httpx.AsyncClient) -> str:
    _, token = await owner(client)
    return token


class TestValuesAtTheEdges:
    @pytest.mark.parametrize("moment", EDGE_DATES)
    async def test_valid_from(self, client: httpx.AsyncClient, access: str, moment: str) -> None:
        body = {
            "certificateName": "Certyfikat",
            "certificateType": "Authentication",
            "csr": "AAAA",
            "validFrom": moment,
        }
        response = await client.post("/v2/certificates/enrollments", json=body, headers=bearer(access))
        code, details = exception_of(response)
        assert code == 21405
        assert any(detail.startswith("validFrom: data i czas muszą mieścić się") for detail in details), details

    @pytest.mark.parametrize("moment", EDGE_DATES)
    async def test_expires_after(self, client: httpx.AsyncClient, access: str, moment: str) -> None:
        response = await client.post("/v2/certificates/query", json={"expiresAfter": moment}, headers=bearer(access))
        assert exception_of(response) == (
            21405,
            ["expiresAfter: data i czas muszą mieścić się w zakresie 1900-01-01 – 9998-12-31 (po przeliczeniu na UTC)"],
        )

    @pytest.mark.parametrize("moment", EDGE_DATES)
    async def test_created_date(self, client: httpx.AsyncClient, moment: str) -> None:
        body = {"subjectNip": random_nip(), "subjectType": "EnforcementAuthority", "description": "Podmiot"}
        response = await client.post("/v2/testdata/subject", json={**body, "createdDate": moment})
        code, details = exception_of(response)
        assert code == 21405
        assert details[0].startswith("createdDate: data i czas")

    async def test_dates_inside_the_range_still_work(self, client: httpx.AsyncClient, access: str) -> None:
        response = await client.post(
            "/v2/certificates/query", json={"expiresAfter": "1900-01-01T00:00:00+00:00"}, headers=bearer(access)
        )
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("value", HUGE_INTEGERS)
    async def test_page_offset(self, client: httpx.AsyncClient, access: str, value: int) -> None:
        response = await client.post(f"/v2/certificates/query?pageOffset={value}", json={}, headers=bearer(access))
        assert exception_of(response) == (21405, ["pageOffset: musi być mniejsze lub równe 2147483647"])

    async def test_page_offset_at_int32_max_is_an_empty_page(self, client: httpx.AsyncClient, access: str) -> None:
        response = await client.post(f"/v2/certificates/query?pageOffset={2**31 - 1}", json={}, headers=bearer(access))
        assert response.status_code == 200, response.text
        assert response.json() == {"certificates": [], "hasMore": False}

    @pytest.mark.parametrize("value", HUGE_INTEGERS)
    async def test_limits_are_int32(self, client: httpx.AsyncClient, access: str, value: int) -> None:
        body = {"subjectIdentifierType": "Nip", "enrollment": {"maxEnrollments": value}}
        response = await client.post("/v2/testdata/limits/subject/certificate", json=body, headers=bearer(access))
        code, details = exception_of(response)
        assert code == 21405
        assert details == ["enrollment.maxEnrollments: musi być mniejsze lub równe 2147483647"]


class TestCharactersDatabasesRefuse:
    @pytest.mark.parametrize("kind", sorted(BAD_STRINGS))
    async def test_certificate_name(self, client: httpx.AsyncClient, access: str, kind: str) -> None:
        data = await enrollment_data(client, access)
        assert data is not None
        body = {"certificateName": BAD_STRINGS[kind], "certificateType": "Authentication", "csr": "AAAA"}
        request = escaped(body)
        response = await client.post(
            "/v2/certificates/enrollments", content=request["content"], headers={**request["headers"], **bearer(access)}
        )
        code, details = exception_of(response)
        assert code == 21405
        assert details[0].startswith("certificateName: ")

    @pytest.mark.parametrize("kind", sorted(BAD_STRINGS))
    async def test_query_name_and_description(self, client: httpx.AsyncClient, access: str, kind: str) -> None:
        request = escaped({"name": BAD_STRINGS[kind]})
        response = await client.post(
            "/v2/certificates/query", content=request["content"], headers={**request["headers"], **bearer(access)}
        )
        assert exception_of(response)[0] == 21405
        person = {"nip": random_nip(), "pesel": "88102341294", "isBailiff": False, "description": BAD_STRINGS[kind]}
        response = await client.post("/v2/testdata/person", **escaped(person))
        assert exception_of(response)[0] == 21405

    async def test_nul_in_the_path_or_query(self, client: httpx.AsyncClient, access: str) -> None:
        for target in (
            "/v2/certificates/enrollments/20260302-CE-0000000000-0000000000-0%00",
            "/v2/certificates/query?pageSize=10%00",
            "/v2/auth/sessions?x=%zz",
        ):
            response = await client.request(
                "POST" if "query" in target else "GET", target, json={}, headers=bearer(access)
            )
            assert exception_of(response)[0] == 21405, target


class TestMalformedJson:
    BODIES: ClassVar[dict[str, bytes]] = {
        "invalid-utf8": b'{"name": "\xff\xfe"}',
        "5000-digit-number": b'{"pageSize": ' + b"9" * 5000 + b"}",
        "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
        "truncated": b'{"name": ',
    }

    @pytest.mark.parametrize("kind", sorted(BODIES))
    async def test_default_format(self, client: httpx.AsyncClient, access: str, kind: str) -> None:
        response = await client.post(
            "/v2/certificates/query",
            content=self.BODIES[kind],
            headers={**bearer(access), "Content-Type": "application/json"},
        )
        code, details = exception_of(response)
        assert code == 21405
        assert details[0].startswith("treść żądania nie jest poprawnym dokumentem JSON")

    @pytest.mark.parametrize("kind", sorted(BODIES))
    async def test_problem_details(self, client: httpx.AsyncClient, access: str, kind: str) -> None:
        response = await client.post(
            "/v2/certificates/query",
            content=self.BODIES[kind],
            headers={**bearer(access), "Content-Type": "application/json", "X-Error-Format": "problem-details"},
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["code"] == 21405


class TestBodyLimit:
    @pytest.fixture
    async def small(self, app_factory: Any, settings: ServerSettings) -> AsyncIterator[httpx.AsyncClient]:
        app: FastAPI = app_factory(settings.model_copy(update={"max_request_body_bytes": 4096}))
        async with running(app) as client:
            yield client

    @pytest.mark.parametrize(
        "path", ["/v2/certificates/query", "/v2/certificates/enrollments", "/v2/testdata/person", "/v2/auth/challenge"]
    )
    async def test_declared_length_is_refused_before_authentication(self, small: httpx.AsyncClient, path: str) -> None:
        # No token at all: the size is checked first, so a stranger cannot make the server read 5 kB, let alone 100 MB.
        response = await small.post(
            path, content=b"{" + b" " * 5000 + b"}", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        [detail] = response.json()["exception"]["exceptionDetailList"]
        assert detail["exceptionCode"] == 21405
        assert detail["details"] == ["Treść żądania jest za duża (najwyżej 4096 bajtów)."]

    async def test_streamed_body_is_cut_off(self, small: httpx.AsyncClient) -> None:
        read: list[int] = []

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(1000):  # 1 MB offered in 1 kB chunks, without a Content-Length
                read.append(1)
                yield b" " * 1024

        response = await small.post(
            "/v2/testdata/person",
            content=chunks(),
            headers={"Content-Type": "application/json", "X-Error-Format": "problem-details"},
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 413
        assert response.json()["errors"][0]["details"] == ["Treść żądania jest za duża (najwyżej 4096 bajtów)."]

    async def test_bodies_within_the_limit_pass(self, small: httpx.AsyncClient) -> None:
        person = {"nip": random_nip(), "pesel": "88102341294", "isBailiff": False, "description": "Osoba testowa"}
        assert (await small.post("/v2/testdata/person", json=person)).status_code == 200


class TestForwardedHeaders:
    FORGED: ClassVar[dict[str, str]] = {"X-Forwarded-For": "192.0.2.99", "X-Forwarded-Proto": "https"}

    async def test_ignored_by_default(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v2/auth/challenge", headers=self.FORGED)
        assert response.json()["clientIp"] == "203.0.113.7"  # the peer, not what it claims

    async def test_ignored_from_an_untrusted_peer(self, app_factory: Any, settings: ServerSettings) -> None:
        app = app_factory(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]}))
        async with running(app, client_ip="203.0.113.7") as client:
            response = await client.post("/v2/auth/challenge", headers=self.FORGED)
        assert response.json()["clientIp"] == "203.0.113.7"

    async def test_believed_from_a_trusted_proxy(self, app_factory: Any, settings: ServerSettings) -> None:
        app = app_factory(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]}))
        async with running(app, client_ip="10.1.2.3") as proxy:
            # The client forged a first entry; our proxy appended the address it saw. The nearest untrusted one wins.
            response = await proxy.post("/v2/auth/challenge", headers={"X-Forwarded-For": "198.51.100.1, 192.0.2.99"})
            assert response.json()["clientIp"] == "192.0.2.99"
            chained = await proxy.post("/v2/auth/challenge", headers={"X-Forwarded-For": "192.0.2.99, 10.9.9.9"})
            assert chained.json()["clientIp"] == "192.0.2.99"
            garbage = await proxy.post("/v2/auth/challenge", headers={"X-Forwarded-For": "not-an-address"})
            assert garbage.json()["clientIp"] == "10.1.2.3"


class TestResponseHeaders:
    async def test_nosniff_and_no_store(self, client: httpx.AsyncClient) -> None:
        for response in (
            await client.post("/v2/auth/challenge"),
            await client.get("/v2/nie-ma-takiego"),
            await client.get("/healthz"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["cache-control"] == "no-store"

    async def test_no_redirect_to_a_forged_host(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v2/auth/challenge/", headers={"Host": "evil.example"})
        assert response.status_code == 404
        assert "location" not in response.headers
        assert "evil.example" not in response.text

    async def test_echoed_warning_is_bounded(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v2/auth/challenge", headers={"X-Test-System-Warning": "A" * 10_000})
        assert response.headers["x-system-warning"] == "A" * 256


class TestInvalidTokensCount:
    async def test_guessed_tokens_are_rate_limited(
        self, app_factory: Any, settings: ServerSettings, clock: ManualClock
    ) -> None:
        limits = {"other": RateLimit(per_second=2)}
        app = app_factory(settings.model_copy(update={"rate_limits_enabled": True, "rate_limits": limits}))
        async with running(app) as client, in_process_client(app, client_ip="198.51.100.9") as neighbour:
            statuses = [
                (await client.get("/v2/certificates/limits", headers=bearer(f"guess-{n}"))).status_code
                for n in range(3)
            ]
            assert statuses == [401, 401, 429]
            refused = await client.get("/v2/certificates/limits")  # no token at all counts too
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "1"
            assert (await neighbour.get("/v2/certificates/limits", headers=bearer("x"))).status_code == 401
            clock.advance(timedelta(seconds=1))
            assert (await client.get("/v2/certificates/limits", headers=bearer("x"))).status_code == 401


class TestLogHygiene:
    async def test_one_record_with_trace_id_and_class_never_values(
        self, app_factory: Any, settings: ServerSettings, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Exploding:
            name = "exploding"

            def install(self, app: FastAPI, components: ServerComponents) -> None:
                router = APIRouter()

                @router.get("/boom")
                def boom() -> None:
                    # Values built at run time: the logged frames show source lines, which must not be what matches.
                    pesel, nip = "881023" + "41294", "52658" + "77635"
                    try:
                        raise KeyError(f"PESEL {pesel}")
                    except KeyError as error:
                        raise RuntimeError(f"NIP {nip} rejected") from error

                app.include_router(router, prefix="/v2")

        app: FastAPI = app_factory(settings, modules=[Exploding()])
        caplog.set_level(logging.INFO)
        async with running(app) as client:
            response = await client.get("/v2/boom")
        assert response.status_code == 500
        records = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert len(records) == 1, [record.getMessage() for record in records]
        message = records[0].getMessage()
        assert response.json()["traceId"] in message
        assert "builtins.RuntimeError" in message
        assert "builtins.KeyError" in message
        assert "5265877635" not in caplog.text
        assert "88102341294" not in caplog.text
        assert records[0].exc_info is None  # no second, full traceback with the messages

    async def test_a_driver_error_is_never_a_500(
        self, app_factory: Any, settings: ServerSettings, caplog: pytest.LogCaptureFixture
    ) -> None:
        import sqlite3

        class Failing:
            name = "failing"

            def install(self, app: FastAPI, components: ServerComponents) -> None:
                router = APIRouter()

                @router.get("/locked")
                def locked() -> None:
                    nip = "52658" + "77635"
                    raise sqlite3.OperationalError(f"database is locked: INSERT ... VALUES ('{nip}')")

                @router.get("/full")
                def full() -> None:
                    raise sqlite3.OperationalError("database or disk is full")

                app.include_router(router, prefix="/v2")

        app: FastAPI = app_factory(settings, modules=[Failing()])
        async with running(app) as client:
            locked = await client.get("/v2/locked")
            full = await client.get("/v2/full")
        assert locked.status_code == 503
        assert locked.headers["retry-after"] == "1"
        assert full.status_code == 503
        assert full.headers["retry-after"] == "5"
        assert "5265877635" not in caplog.text
