"""Status, redemption, refresh, and authentication sessions: lifetimes, one-time use, revocation."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.clock import ManualClock
from ksef_mcu.server.settings import ServerSettings
from support.login import Identity, bearer, login, start_login
from support.pki import random_nip
from support.server import TEST_START, ContractChecker, running
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


@pytest.fixture
def owner() -> Identity:
    return Identity.person_with_nip(now=NOW)


def exception_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    detail: dict[str, Any] = response.json()["exception"]["exceptionDetailList"][0]
    return detail


class TestStatus:
    async def test_requires_the_operations_own_token(self, client: httpx.AsyncClient, owner: Identity) -> None:
        first = await start_login(client, owner, context=owner.nip or "", now=NOW)
        second = await start_login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get(f"/v2/auth/{first.reference_number}", headers=bearer(second.authentication_token))
        assert response.status_code == 403
        assert response.json()["reasonCode"] == "insufficient-resource-access"

    async def test_without_a_token(self, client: httpx.AsyncClient, contract: ContractChecker, owner: Identity) -> None:
        started = await start_login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get(f"/v2/auth/{started.reference_number}")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        contract.check(response, "/auth/{referenceNumber}")

    async def test_access_token_is_not_an_authentication_token(
        self, client: httpx.AsyncClient, owner: Identity
    ) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get(f"/v2/auth/{tokens.reference_number}", headers=bearer(tokens.access_token))
        assert response.status_code == 401
        assert "oczekiwano: token operacji uwierzytelnienia" in response.json()["detail"]

    async def test_reports_redemption(self, client: httpx.AsyncClient, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get(f"/v2/auth/{tokens.reference_number}", headers=bearer(tokens.authentication_token))
        body = response.json()
        assert body["isTokenRedeemed"] is True
        assert body["refreshTokenValidUntil"].startswith("2026-03-09T09:30:00")

    async def test_gone_after_retention(
        self, app_factory: Any, settings: ServerSettings, clock: ManualClock, contract: ContractChecker, owner: Identity
    ) -> None:
        app: FastAPI = app_factory(
            settings.model_copy(
                update={
                    "authentication_retention": timedelta(hours=1),
                    "authentication_token_lifetime": timedelta(hours=2),
                }
            )
        )
        async with running(app) as client:
            started = await start_login(client, owner, context=owner.nip or "", now=NOW)
            clock.advance(timedelta(minutes=61))
            response = await client.get(
                f"/v2/auth/{started.reference_number}", headers=bearer(started.authentication_token)
            )
        assert response.status_code == 410
        assert response.json()["detail"] == "Operacja wygasła i nie jest już dostępna."
        contract.check(response, "/auth/{referenceNumber}")

    async def test_authentication_token_expires(
        self, client: httpx.AsyncClient, clock: ManualClock, owner: Identity
    ) -> None:
        started = await start_login(client, owner, context=owner.nip or "", now=NOW)
        clock.advance(timedelta(minutes=45))
        response = await client.get(
            f"/v2/auth/{started.reference_number}", headers=bearer(started.authentication_token)
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "Token wygasł (token operacji uwierzytelnienia)."

    async def test_malformed_reference_number(self, client: httpx.AsyncClient, owner: Identity) -> None:
        started = await start_login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get("/v2/auth/too-short", headers=bearer(started.authentication_token))
        assert exception_of(response)["exceptionCode"] == 21405


class TestRedeem:
    async def test_only_once(self, client: httpx.AsyncClient, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        again = await client.post("/v2/auth/token/redeem", headers=bearer(tokens.authentication_token))
        assert exception_of(again) == {
            "exceptionCode": 21301,
            "exceptionDescription": "Brak autoryzacji.",
            "details": [f"Tokeny dla operacji uwierzytelniania {tokens.reference_number} zostały już pobrane."],
        }
        assert again.json()["exception"]["referenceNumber"] == tokens.reference_number

    async def test_concurrent_redemptions_hand_out_one_pair(self, client: httpx.AsyncClient, owner: Identity) -> None:
        started = await start_login(client, owner, context=owner.nip or "", now=NOW)
        responses = await asyncio.gather(
            *(client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token)) for _ in range(8))
        )
        assert sorted(r.status_code for r in responses) == [200] + [400] * 7

    async def test_lifetimes(self, client: httpx.AsyncClient, contract: ContractChecker, owner: Identity) -> None:
        started = await start_login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
        body = response.json()
        assert body["accessToken"]["validUntil"].startswith("2026-03-02T09:45:00")
        assert body["refreshToken"]["validUntil"].startswith("2026-03-09T09:30:00")
        access, refresh = claims(body["accessToken"]["token"]), claims(body["refreshToken"]["token"])
        assert access["exp"] - access["iat"] == 15 * 60
        assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
        assert access["typ"] == "ContextToken"
        assert refresh["typ"] == "RefreshToken"
        assert access["arn"] == refresh["arn"] == started.reference_number

    async def test_refresh_token_cannot_redeem(self, client: httpx.AsyncClient, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.post("/v2/auth/token/redeem", headers=bearer(tokens.refresh_token))
        assert response.status_code == 401


class TestRefresh:
    async def test_new_access_token_with_current_permissions(
        self, client: httpx.AsyncClient, contract: ContractChecker
    ) -> None:
        owner_nip = random_nip()
        delegate = Identity.person_with_nip(now=NOW)
        grant: dict[str, Any] = {
            "contextIdentifier": {"type": "Nip", "value": owner_nip},
            "authorizedIdentifier": {"type": "Nip", "value": delegate.nip},
            "permissions": [{"permissionType": "InvoiceRead", "description": "odczyt faktur"}],
        }
        await client.post("/v2/testdata/permissions", json=grant)
        tokens = await login(client, delegate, context=owner_nip, now=NOW)
        grant["permissions"] = [{"permissionType": "InvoiceWrite", "description": "wystawianie faktur"}]
        await client.post("/v2/testdata/permissions", json=grant)
        response = await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))
        assert response.status_code == 200
        contract.check(response, "/auth/token/refresh")
        refreshed = response.json()["accessToken"]["token"]
        assert refreshed != tokens.access_token
        assert json.loads(claims(refreshed)["per"]) == ["InvoiceRead", "InvoiceWrite"]
        status = await client.get(f"/v2/auth/{tokens.reference_number}", headers=bearer(tokens.authentication_token))
        assert status.json()["lastTokenRefreshDate"].startswith("2026-03-02T09:30:00")

    async def test_permissions_lost(self, client: httpx.AsyncClient) -> None:
        owner_nip = random_nip()
        delegate = Identity.person_with_nip(now=NOW)
        identifiers = {
            "contextIdentifier": {"type": "Nip", "value": owner_nip},
            "authorizedIdentifier": {"type": "Nip", "value": delegate.nip},
        }
        await client.post(
            "/v2/testdata/permissions",
            json={**identifiers, "permissions": [{"permissionType": "InvoiceRead", "description": "odczyt"}]},
        )
        tokens = await login(client, delegate, context=owner_nip, now=NOW)
        assert (await client.post("/v2/testdata/permissions/revoke", json=identifiers)).status_code == 200
        response = await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))
        assert exception_of(response)["exceptionCode"] == 21301

    @pytest.mark.parametrize("kind", ["access", "authentication"])
    async def test_only_refresh_tokens_refresh(self, client: httpx.AsyncClient, owner: Identity, kind: str) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        token = tokens.access_token if kind == "access" else tokens.authentication_token
        assert (await client.post("/v2/auth/token/refresh", headers=bearer(token))).status_code == 401

    async def test_refresh_token_expires(self, client: httpx.AsyncClient, clock: ManualClock, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        clock.advance(timedelta(days=6, hours=23))
        assert (await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))).status_code == 200
        clock.advance(timedelta(hours=1))
        assert (await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))).status_code == 401

    async def test_access_token_expires(self, client: httpx.AsyncClient, clock: ManualClock, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        clock.advance(timedelta(minutes=15))
        response = await client.get("/v2/auth/sessions", headers=bearer(tokens.access_token))
        assert response.status_code == 401
        assert response.json()["detail"] == "Token wygasł (token dostępowy)."


class TestSessions:
    async def test_list_own_sessions(
        self, client: httpx.AsyncClient, contract: ContractChecker, owner: Identity
    ) -> None:
        first = await login(client, owner, context=owner.nip or "", now=NOW)
        second = await login(client, owner, context=owner.nip or "", now=NOW)
        other = Identity.person_with_nip(now=NOW)
        await login(client, other, context=other.nip or "", now=NOW)
        response = await client.get("/v2/auth/sessions", headers=bearer(second.access_token))
        assert response.status_code == 200
        contract.check(response, "/auth/sessions")
        items = response.json()["items"]
        assert {item["referenceNumber"] for item in items} == {first.reference_number, second.reference_number}
        current = [item["referenceNumber"] for item in items if item["isCurrent"]]
        assert current == [second.reference_number]
        assert "continuationToken" not in response.json()

    async def test_pages(self, client: httpx.AsyncClient, clock: ManualClock, owner: Identity) -> None:
        references = []
        for _ in range(12):
            references.append((await login(client, owner, context=owner.nip or "", now=clock.now())).reference_number)
            clock.advance(timedelta(seconds=1))
        access = (await login(client, owner, context=owner.nip or "", now=clock.now())).access_token
        first = (await client.get("/v2/auth/sessions", headers=bearer(access))).json()
        assert len(first["items"]) == 10
        second = (
            await client.get(
                "/v2/auth/sessions", headers={**bearer(access), "x-continuation-token": first["continuationToken"]}
            )
        ).json()
        assert "continuationToken" not in second
        listed = [item["referenceNumber"] for item in first["items"] + second["items"]]
        assert listed[1:] == list(reversed(references))
        larger = (await client.get("/v2/auth/sessions", params={"pageSize": 20}, headers=bearer(access))).json()
        assert len(larger["items"]) == 13

    @pytest.mark.parametrize("page_size", ["9", "101", "ten"])
    async def test_page_size_is_checked(self, client: httpx.AsyncClient, owner: Identity, page_size: str) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get(
            "/v2/auth/sessions", params={"pageSize": page_size}, headers=bearer(tokens.access_token)
        )
        detail = exception_of(response)
        assert detail["exceptionCode"] == 21405
        assert detail["details"][0].startswith("pageSize: ")

    async def test_bad_continuation_token(self, client: httpx.AsyncClient, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.get(
            "/v2/auth/sessions", headers={**bearer(tokens.access_token), "x-continuation-token": "definitely-not"}
        )
        assert exception_of(response) == {
            "exceptionCode": 21418,
            "exceptionDescription": "Przekazany token kontynuacji ma nieprawidłowy format.",
            "details": None,
        }

    @pytest.mark.parametrize("with_refresh_token", [False, True])
    async def test_revoke_current(self, client: httpx.AsyncClient, owner: Identity, with_refresh_token: bool) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        token = tokens.refresh_token if with_refresh_token else tokens.access_token
        response = await client.delete("/v2/auth/sessions/current", headers=bearer(token))
        assert response.status_code == 204
        assert response.content == b""
        refresh = await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))
        assert exception_of(refresh) == {
            "exceptionCode": 21301,
            "exceptionDescription": "Brak autoryzacji.",
            "details": ["Status uwierzytelnienia (425) nie pozwala na odświeżenie tokenu dostępowego."],
        }
        status = await client.get(f"/v2/auth/{tokens.reference_number}", headers=bearer(tokens.authentication_token))
        assert status.json()["status"]["code"] == 425
        # Access tokens already issued stay valid until they expire (documented behaviour).
        assert (await client.get("/v2/auth/sessions", headers=bearer(tokens.access_token))).status_code == 200

    async def test_revoke_another_of_my_sessions(self, client: httpx.AsyncClient, owner: Identity) -> None:
        first = await login(client, owner, context=owner.nip or "", now=NOW)
        second = await login(client, owner, context=owner.nip or "", now=NOW)
        response = await client.delete(
            f"/v2/auth/sessions/{first.reference_number}", headers=bearer(second.access_token)
        )
        assert response.status_code == 204
        listed = (await client.get("/v2/auth/sessions", headers=bearer(second.access_token))).json()["items"]
        assert [item["referenceNumber"] for item in listed] == [second.reference_number]

    async def test_cannot_revoke_someone_elses_session(self, client: httpx.AsyncClient, owner: Identity) -> None:
        mine = await login(client, owner, context=owner.nip or "", now=NOW)
        other = Identity.person_with_nip(now=NOW)
        theirs = await login(client, other, context=other.nip or "", now=NOW)
        response = await client.delete(
            f"/v2/auth/sessions/{theirs.reference_number}", headers=bearer(mine.access_token)
        )
        assert exception_of(response)["exceptionCode"] == 21304
        assert (await client.post("/v2/auth/token/refresh", headers=bearer(theirs.refresh_token))).status_code == 200

    async def test_sessions_need_an_access_token(self, client: httpx.AsyncClient, owner: Identity) -> None:
        tokens = await login(client, owner, context=owner.nip or "", now=NOW)
        assert (await client.get("/v2/auth/sessions", headers=bearer(tokens.refresh_token))).status_code == 401
        assert (await client.get("/v2/auth/sessions")).status_code == 401
        assert (await client.get("/v2/auth/sessions", headers={"Authorization": "Basic abc"})).status_code == 401
