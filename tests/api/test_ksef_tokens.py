"""KSeF tokens (`/v2/tokens`) and logging in with them (`/v2/auth/ksef-token`): generation rules, scoping, revocation
taking effect, the required permissions of an invoice-sending endpoint, and the contract's shapes."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, FastAPI, Response

from ksef_mcu.crypto.encryption import EcTokenLayout, encrypt_ksef_token
from ksef_mcu.server.app import create_app
from ksef_mcu.server.auth.deps import AccessPrincipal
from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.keys import open_server_keys
from ksef_mcu.server.settings import KsefTokenKeyType, ServerSettings
from support.ksef_tokens import start_token_login, token_encryption_key, token_login
from support.login import Identity, Started, Tokens, bearer, login, status_of
from support.pki import random_nip
from support.server import TEST_START, ContractChecker, running
from support.sessions import open_request, open_session
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START
TOKEN_SHAPE = re.compile(r"^(\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2})\|nip-(\d{10})\|[0-9a-f]{64}$")


async def owner(client: httpx.AsyncClient) -> tuple[str, Tokens]:
    nip = random_nip()
    return nip, await login(client, Identity.person_with_nip(now=NOW, nip=nip), context=nip, now=NOW)


async def generate(client: httpx.AsyncClient, access_token: str, permissions: list[str]) -> httpx.Response:
    return await client.post(
        "/v2/tokens",
        json={"permissions": permissions, "description": "Token do integracji z systemem ERP"},
        headers=bearer(access_token),
    )


async def test_a_token_logs_in_with_its_fixed_permissions(client: httpx.AsyncClient, contract: ContractChecker) -> None:
    company, tokens = await owner(client)
    response = await generate(client, tokens.access_token, ["InvoiceRead", "InvoiceWrite"])
    assert response.status_code == 202, response.text
    contract.check(response, "/tokens")
    body = response.json()
    match = TOKEN_SHAPE.fullmatch(body["token"])
    assert match is not None
    assert match.group(1) == body["referenceNumber"]
    assert match.group(2) == company

    status = await client.get(f"/v2/tokens/{body['referenceNumber']}", headers=bearer(tokens.access_token))
    assert status.status_code == 200
    contract.check(status, "/tokens/{referenceNumber}")
    assert status.json()["status"] == "Active"
    assert status.json()["requestedPermissions"] == ["InvoiceRead", "InvoiceWrite"]
    assert status.json()["authorIdentifier"] == {"type": "Nip", "value": company}
    assert "lastUseDate" not in status.json()

    logged_in = await token_login(client, body["token"], context=company)
    access = claims(logged_in.access_token)
    assert access["aum"] == "Token"
    assert json.loads(access["pep"]) == ["InvoiceRead", "InvoiceWrite"]
    assert access["ktr"] == body["referenceNumber"]
    used = await client.get(f"/v2/tokens/{body['referenceNumber']}", headers=bearer(tokens.access_token))
    assert used.json()["lastUseDate"].startswith("2026-03-02T09:30")

    # A token login carries no certificate: the certificates module's 25001/25002 rules apply.
    data = await client.get("/v2/certificates/enrollments/data", headers=bearer(logged_in.access_token))
    assert data.status_code == 400
    assert data.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 25001
    # Nor may a token make tokens.
    refused = await generate(client, logged_in.access_token, ["InvoiceRead"])
    assert refused.status_code == 403
    assert refused.json()["reasonCode"] == "auth-method-not-allowed"


async def test_a_token_with_invoice_read_only_cannot_open_a_session(client: httpx.AsyncClient) -> None:
    company, tokens = await owner(client)
    reader = (await generate(client, tokens.access_token, ["InvoiceRead"])).json()["token"]
    writer = (await generate(client, tokens.access_token, ["InvoiceWrite"])).json()["token"]
    reading = await token_login(client, reader, context=company)
    refused, _ = await open_request(
        client, reading.access_token
    )  # a complete, valid request: only the permission lacks
    assert refused.status_code == 403
    assert refused.json()["reasonCode"] == "missing-permissions"
    assert refused.json()["security"] == {
        "requiredAnyOfPermissions": ["InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations"],
        "presentPermissions": ["InvoiceRead"],
    }
    writing = await token_login(client, writer, context=company)
    session = await open_session(client, writing.access_token)  # the real online session, with the same request
    assert session.reference_number


async def test_a_revoked_token_is_refused_at_the_next_login_and_refresh(client: httpx.AsyncClient) -> None:
    company, tokens = await owner(client)
    body = (await generate(client, tokens.access_token, ["InvoiceRead"])).json()
    session = await token_login(client, body["token"], context=company)
    revoked = await client.delete(f"/v2/tokens/{body['referenceNumber']}", headers=bearer(tokens.access_token))
    assert revoked.status_code == 204
    status = await client.get(f"/v2/tokens/{body['referenceNumber']}", headers=bearer(tokens.access_token))
    assert status.json()["status"] == "Revoked"

    again = await start_token_login(client, body["token"], context=company)
    outcome = await status_of(client, again)
    assert outcome["status"] == {
        "code": 450,
        "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
        "details": ["Token unieważniony."],
    }
    refresh = await client.post("/v2/auth/token/refresh", headers=bearer(session.refresh_token))
    assert refresh.status_code == 400
    detail = refresh.json()["exception"]["exceptionDetailList"][0]
    assert detail["exceptionCode"] == 21301
    assert detail["details"] == ["Token KSeF został unieważniony."]


async def test_what_a_token_login_refuses(client: httpx.AsyncClient) -> None:
    company, tokens = await owner(client)
    token = (await generate(client, tokens.access_token, ["InvoiceRead"])).json()["token"]

    async def status_details(started: Any) -> list[str]:
        return list((await status_of(client, started))["status"]["details"])

    assert await status_details(await start_token_login(client, token, context=company, timestamp_shift_ms=1)) == [
        "Nieprawidłowy czas tokena."
    ]
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    assert await status_details(await start_token_login(client, forged, context=company)) == ["Nieprawidłowy token."]
    assert await status_details(await start_token_login(client, token, context=random_nip())) == [
        "Nieprawidłowy token."
    ]

    challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
    unknown_key = await client.post(
        "/v2/auth/ksef-token",
        json={
            "challenge": challenge,
            "contextIdentifier": {"type": "Nip", "value": company},
            "encryptedToken": "AAAA",
            "publicKeyId": "A" * 43 + "=",
        },
    )
    assert unknown_key.status_code == 400
    detail = unknown_key.json()["exception"]["exceptionDetailList"][0]
    assert detail["exceptionCode"] == 21470
    assert detail["details"] == [f"Klucz o identyfikatorze {'A' * 43}= nie jest wspierany."]
    unknown_challenge = await client.post(
        "/v2/auth/ksef-token",
        json={
            "challenge": "20260302-CR-0000000000-0000000000-00",
            "contextIdentifier": {"type": "Nip", "value": company},
            "encryptedToken": "AAAA",
        },
    )
    assert unknown_challenge.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21111


async def test_generation_rules(client: httpx.AsyncClient) -> None:
    company, tokens = await owner(client)
    clerk = Identity.person_with_pesel(now=NOW)
    assert clerk.pesel is not None
    await client.post(
        "/v2/permissions/persons/grants",
        json={
            "subjectIdentifier": {"type": "Pesel", "value": clerk.pesel},
            "permissions": ["InvoiceRead"],
            "description": "Księgowa",
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": "Ewa", "lastName": "Nowak"},
            },
        },
        headers=bearer(tokens.access_token),
    )
    clerk_tokens = await login(client, clerk, context=company, now=NOW)
    too_much = await generate(client, clerk_tokens.access_token, ["InvoiceRead", "InvoiceWrite"])
    assert too_much.status_code == 400
    detail = too_much.json()["exception"]["exceptionDetailList"][0]
    assert detail["exceptionCode"] == 26001
    assert detail["exceptionDescription"] == "Nie można nadać tokenowi uprawnień których nie posiadasz."
    assert detail["details"] == ["Brakujące uprawnienia: InvoiceWrite."]
    repeated = await generate(client, clerk_tokens.access_token, ["InvoiceRead", "InvoiceRead"])
    assert repeated.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405

    # Scoping: the clerk sees only the tokens they made; the owner (CredentialsManage) sees every token here.
    mine = (await generate(client, clerk_tokens.access_token, ["InvoiceRead"])).json()["referenceNumber"]
    theirs = (await generate(client, tokens.access_token, ["InvoiceWrite"])).json()["referenceNumber"]
    clerk_list = await client.get("/v2/tokens", headers=bearer(clerk_tokens.access_token))
    assert [t["referenceNumber"] for t in clerk_list.json()["tokens"]] == [mine]
    owner_list = await client.get("/v2/tokens", headers=bearer(tokens.access_token))
    assert {t["referenceNumber"] for t in owner_list.json()["tokens"]} == {mine, theirs}
    foreign = await client.delete(f"/v2/tokens/{theirs}", headers=bearer(clerk_tokens.access_token))
    assert foreign.status_code == 400
    assert (await client.delete(f"/v2/tokens/{mine}", headers=bearer(tokens.access_token))).status_code == 204


async def test_listing_pages_and_filters(client: httpx.AsyncClient, contract: ContractChecker) -> None:
    _, tokens = await owner(client)
    made = [(await generate(client, tokens.access_token, ["InvoiceRead"])).json()["referenceNumber"] for _ in range(12)]
    first = await client.get("/v2/tokens", headers=bearer(tokens.access_token))
    contract.check(first, "/tokens")
    assert len(first.json()["tokens"]) == 10
    cursor = first.json()["continuationToken"]
    second = await client.get("/v2/tokens", headers={**bearer(tokens.access_token), "x-continuation-token": cursor})
    assert "continuationToken" not in second.json()
    seen = [t["referenceNumber"] for t in first.json()["tokens"] + second.json()["tokens"]]
    assert sorted(seen) == sorted(made)
    await client.delete(f"/v2/tokens/{made[0]}", headers=bearer(tokens.access_token))
    revoked = await client.get("/v2/tokens", params={"status": "Revoked"}, headers=bearer(tokens.access_token))
    assert [t["referenceNumber"] for t in revoked.json()["tokens"]] == [made[0]]
    bad = await client.get("/v2/tokens", headers={**bearer(tokens.access_token), "x-continuation-token": "%%%"})
    assert bad.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21418


class UnclassifiedRoute:
    """A `/v2` operation nobody entered in the required-permissions table."""

    name = "unclassified"

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        router = APIRouter()

        @router.get("/v2/unclassified")
        async def unclassified(principal: AccessPrincipal) -> Response:
            return Response(status_code=200)

        app.router.routes.extend(router.routes)


async def test_an_operation_without_an_entry_in_the_table_is_refused(
    app_factory: Any, settings: ServerSettings
) -> None:
    async with running(app_factory(settings, modules=[UnclassifiedRoute()])) as client:
        _, tokens = await owner(client)
        response = await client.get("/v2/unclassified", headers=bearer(tokens.access_token))
        assert response.status_code == 403
        assert response.json()["reasonCode"] == "missing-permissions"
        assert (
            response.json()["detail"] == "Operacja nie ma określonych wymaganych uprawnień, więc nie jest udostępniana."
        )


async def test_an_ec_token_encryption_key_takes_both_official_clients_layouts(
    database: Any, clock: Any, settings: ServerSettings, tmp_path: Any
) -> None:
    """`KSEF_MCU_KSEF_TOKEN_KEY_TYPE=EC`: the `KsefTokenEncryption` certificate is EC P-256 (key agreement), session
    keys stay RSA, and a token encrypted with ECDH + AES-256-GCM logs in whichever client's layout it uses."""
    ec_settings = settings.model_copy(update={"ksef_token_key_type": KsefTokenKeyType.EC})
    key_settings = ServerSettings(
        data_dir=tmp_path / "ec-keys", secret="test-secret-for-the-key-store", ksef_token_key_type=KsefTokenKeyType.EC
    )
    keys = open_server_keys(key_settings, now=NOW)
    async with running(create_app(ec_settings, clock=clock, keys=keys, database=database)) as client:
        certificate, _ = await token_encryption_key(client)
        assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_agreement
        assert not usage.key_encipherment
        published = (await client.get("/v2/security/public-key-certificates")).json()
        [session_entry] = [e for e in published if "SymmetricKeyEncryption" in e["usage"]]
        session_certificate = x509.load_der_x509_certificate(base64.b64decode(session_entry["certificate"]))
        assert isinstance(session_certificate.public_key(), rsa.RSAPublicKey)

        company, tokens = await owner(client)
        made = (await generate(client, tokens.access_token, ["InvoiceWrite"])).json()
        for layout in EcTokenLayout:
            started = await start_token_login(client, made["token"], context=company, ec_layout=layout)
            assert (await status_of(client, started))["status"]["code"] == 200, layout
        # a token encrypted for an RSA key (a client that ignored the published EC certificate) is refused
        challenge = (await client.post("/v2/auth/challenge")).json()
        wrong = encrypt_ksef_token(
            made["token"], challenge["timestampMs"], keys.session_key_decryption_key().public_key()
        )
        refused = await client.post(
            "/v2/auth/ksef-token",
            json={
                "challenge": challenge["challenge"],
                "contextIdentifier": {"type": "Nip", "value": company},
                "encryptedToken": base64.b64encode(wrong).decode("ascii"),
            },
        )
        assert refused.status_code == 202, refused.text
        started = Started(refused.json()["referenceNumber"], refused.json()["authenticationToken"]["token"])
        status = (await status_of(client, started))["status"]
        assert (status["code"], status["details"]) == (450, ["Nieprawidłowy token."])
        # the session key is still wrapped with RSA-OAEP: a token login opens an online session
        logged_in = await token_login(client, made["token"], context=company)
        await open_session(client, logged_in.access_token)
