"""Endpoints without login: the challenge, MF-style public key certificates, health, the official contract."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ksef_mcu.clock import ManualClock
from ksef_mcu.server.auth.tables import challenges
from ksef_mcu.storage.database import Database
from support.server import TEST_CLIENT_IP, TEST_START, ContractChecker

pytestmark = [pytest.mark.anyio, pytest.mark.db]


class TestChallenge:
    async def test_shape(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        response = await client.post("/v2/auth/challenge")
        assert response.status_code == 200
        contract.check(response, "/auth/challenge")
        body = response.json()
        assert re.fullmatch(r"\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}", body["challenge"])
        assert len(body["challenge"]) == 36
        assert body["clientIp"] == TEST_CLIENT_IP
        assert body["timestampMs"] == int(TEST_START.timestamp() * 1000)
        assert body["timestamp"].startswith("2026-03-02T09:30:00")

    async def test_stored_with_ten_minutes_of_validity(self, client: httpx.AsyncClient, database: Database) -> None:
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        with database.read() as connection:
            row = connection.execute(challenges.select().where(challenges.c.challenge == challenge)).one()
        assert row.expires_at - row.issued_at == timedelta(minutes=10)
        assert row.client_ip == TEST_CLIENT_IP
        assert row.used_at is None

    async def test_every_challenge_is_new(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        seen = set()
        for _ in range(20):
            seen.add((await client.post("/v2/auth/challenge")).json()["challenge"])
            clock.advance(timedelta(milliseconds=1))
        assert len(seen) == 20


class TestPublicKeyCertificates:
    async def test_two_certificates_one_per_usage(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        response = await client.get("/v2/security/public-key-certificates")
        assert response.status_code == 200
        contract.check(response, "/security/public-key-certificates")
        entries = response.json()
        assert sorted(usage for entry in entries for usage in entry["usage"]) == [
            "KsefTokenEncryption",
            "SymmetricKeyEncryption",
        ]
        for entry in entries:
            der = base64.b64decode(entry["certificate"])
            certificate = x509.load_der_x509_certificate(der)
            assert entry["certificateId"] == base64.b64encode(hashlib.sha256(der).digest()).decode()
            spki = certificate.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            assert entry["publicKeyId"] == base64.b64encode(hashlib.sha256(spki).digest()).decode()
            assert entry["validFrom"] < entry["validTo"]


class TestHealth:
    async def test_ok(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "mode": "sandbox", "version": "0.1.0"}

    async def test_docs_and_openapi(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/docs")).status_code == 200
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert "/v2/auth/xades-signature" in paths
        assert "/v2/auth/sessions" in paths


def test_official_contract_is_available(contract: ContractChecker) -> None:
    """Response bodies are checked against `shared/ksef-docs/open-api.json` only when it is present."""
    if contract.contract is None:
        pytest.skip("shared/ksef-docs/open-api.json is not available: response bodies are not contract-checked")
    assert "/auth/challenge" in contract.contract.document["paths"]


class TestSystemWarningEcho:
    async def test_echoed_ascii_folded_on_success(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v2/auth/challenge", headers={"X-Test-System-Warning": "[sig-001]: Format podpisu niezgodny z profilem"}
        )
        assert response.headers["x-system-warning"] == "[sig-001]: Format podpisu niezgodny z profilem"
        polish = await client.get(
            "/v2/security/public-key-certificates",
            headers={"X-Test-System-Warning": "[w-1]: Zażółć gęślą jaźń, Łódź".encode()},
        )
        assert polish.headers["x-system-warning"] == "[w-1]: Zazolc gesla jazn, Lodz"

    async def test_not_on_errors_or_without_the_request_header(self, client: httpx.AsyncClient) -> None:
        failed = await client.post("/v2/testdata/person", json={}, headers={"X-Test-System-Warning": "[x]: y"})
        assert failed.status_code == 400
        assert "x-system-warning" not in failed.headers
        assert "x-system-warning" not in (await client.post("/v2/auth/challenge")).headers
