"""API checks that once passed with a deliberate bug planted (issue 16, "Tests that let real bugs through"): a seal's
CSR naming another NIP, the per-context limit of endpoints behind an access token, a refresh token offered as an
access token."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.server.settings import RateLimit, ServerSettings
from support.certificates import enrollment_data, error_of, owner
from support.login import Identity, bearer, login
from support.pki import ec_key, random_nip
from support.server import TEST_START, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


async def test_seal_csr_with_another_nip_is_25003(client: httpx.AsyncClient) -> None:
    _, token = await owner(client, seal=True)
    data = await enrollment_data(client, token)
    assert data.organization_identifier is not None
    assert data.organization_identifier.startswith("VATPL-")
    forged = dataclasses.replace(data, organization_identifier=f"VATPL-{random_nip()}")
    body = {
        "certificateName": "Pieczec firmy",
        "certificateType": "Authentication",
        "csr": create_csr(ec_key(), forged),
    }
    response = await client.post("/v2/certificates/enrollments", json=body, headers=bearer(token))
    code, _, details = error_of(response)
    assert code == 25003
    assert any("organizationIdentifier=" in detail for detail in details), details


async def test_access_token_endpoints_are_rate_limited_per_context(
    app_factory: Any, settings: ServerSettings, clock: ManualClock
) -> None:
    limits = {"other": RateLimit(per_second=2)}
    app: FastAPI = app_factory(settings.model_copy(update={"rate_limits_enabled": True, "rate_limits": limits}))
    async with running(app) as client:
        _, token = await owner(client)
        _, neighbour = await owner(client)
        clock.advance(timedelta(seconds=5))  # the logins' own calls are behind us
        statuses = [(await client.get("/v2/certificates/limits", headers=bearer(token))).status_code for _ in range(2)]
        assert statuses == [200, 200]
        refused = await client.get("/v2/certificates/limits", headers=bearer(token))
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["status"]["details"] == [
            "Przekroczono limit 2 żądania na sekundę. Spróbuj ponownie po 1 sekundzie."
        ]
        # Another context has counters of its own; the first is served again once the second has passed.
        assert (await client.get("/v2/certificates/limits", headers=bearer(neighbour))).status_code == 200
        clock.advance(timedelta(seconds=1))
        assert (await client.get("/v2/certificates/limits", headers=bearer(token))).status_code == 200


async def test_refresh_token_is_not_an_access_token(client: httpx.AsyncClient) -> None:
    identity = Identity.person_with_nip(now=NOW)
    tokens = await login(client, identity, context=identity.nip or "", now=NOW)
    for path in ("/v2/certificates/limits", "/v2/certificates/enrollments/data"):
        response = await client.get(path, headers=bearer(tokens.refresh_token))
        assert response.status_code == 401
        assert response.json()["detail"] == (
            "Nieprawidłowy rodzaj tokenu (token odświeżający): oczekiwano: token dostępowy."
        )
    # And the other way round: an access token does not refresh.
    response = await client.post("/v2/auth/token/refresh", headers=bearer(tokens.access_token))
    assert response.status_code == 401
    assert response.json()["detail"] == "Nieprawidłowy rodzaj tokenu (token dostępowy): oczekiwano: token odświeżający."
