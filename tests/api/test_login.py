"""XAdES login: who may log in where, and every status the official API reports."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.xades import AllowedIps
from ksef_mcu.server.settings import ServerMode, ServerSettings
from support.login import Identity, bearer, login, signed_request, start_login, status_of
from support.pki import TestCa, ec_key, random_nip, random_pesel
from support.server import TEST_START, ContractChecker, running
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


async def post_person(client: httpx.AsyncClient, nip: str, pesel: str, **extra: Any) -> None:
    body = {"nip": nip, "pesel": pesel, "isBailiff": False, "description": "Osoba testowa", **extra}
    response = await client.post("/v2/testdata/person", json=body)
    assert response.status_code == 200, response.text


async def grant(client: httpx.AsyncClient, context: str, kind: str, value: str, *permissions: str) -> None:
    body = {
        "contextIdentifier": {"type": "Nip", "value": context},
        "authorizedIdentifier": {"type": kind, "value": value},
        "permissions": [{"permissionType": p, "description": "uprawnienie testowe"} for p in permissions],
    }
    response = await client.post("/v2/testdata/permissions", json=body)
    assert response.status_code == 200, response.text


class TestOwners:
    @pytest.mark.parametrize("namespace", ["2.0", "2.1"])
    @pytest.mark.parametrize("rsa", [False, True], ids=["ec", "rsa"])
    async def test_person_with_nip_into_own_context(
        self, client: httpx.AsyncClient, contract: ContractChecker, namespace: str, rsa: bool
    ) -> None:
        person = Identity.person_with_nip(now=NOW, rsa=rsa)
        started = await start_login(client, person, context=person.nip or "", now=NOW, namespace=namespace)
        response = await client.get(
            f"/v2/auth/{started.reference_number}", headers=bearer(started.authentication_token)
        )
        contract.check(response, "/auth/{referenceNumber}")
        status = response.json()
        assert status["status"] == {"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"}
        assert status["authenticationMethod"] == "QualifiedSignature"
        assert status["authenticationMethodInfo"] == {
            "category": "XadesSignature",
            "code": "xades.qualified-signature",
            "displayName": "Podpis kwalifikowany",
        }
        assert status["isTokenRedeemed"] is False
        assert status["startDate"].startswith("2026-03-02T09:30:00")

        redeemed = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
        contract.check(redeemed, "/auth/token/redeem")
        token_claims = claims(redeemed.json()["accessToken"]["token"])
        assert json.loads(token_claims["per"]) == ["Owner"]
        assert token_claims["cit"] == "Nip"
        assert token_claims["civ"] == person.nip
        assert json.loads(token_claims["sud"])["SubjectIdentifier"] == {"Type": "Nip", "Value": person.nip}

    async def test_seal_into_own_context(self, client: httpx.AsyncClient) -> None:
        seal = Identity.seal(now=NOW, rsa=True)
        tokens = await login(client, seal, context=seal.nip or "", now=NOW)
        assert claims(tokens.access_token)["aum"] == "QualifiedSeal"
        status = await status_of(client, await start_login(client, seal, context=seal.nip or "", now=NOW))
        assert status["authenticationMethodInfo"]["code"] == "xades.qualified-seal"

    async def test_pesel_bound_to_the_nip_is_an_owner(self, client: httpx.AsyncClient) -> None:
        nip, pesel = random_nip(), random_pesel()
        person = Identity.person_with_pesel(now=NOW, pesel=pesel)
        started = await start_login(client, person, context=nip, now=NOW)
        assert (await status_of(client, started))["status"]["code"] == 415
        await post_person(client, nip, pesel)
        tokens = await login(client, person, context=nip, now=NOW)
        assert json.loads(claims(tokens.access_token)["per"]) == ["Owner"]

    async def test_bailiff(self, client: httpx.AsyncClient) -> None:
        nip, pesel = random_nip(), random_pesel()
        await post_person(client, nip, pesel, isBailiff=True)
        tokens = await login(client, Identity.person_with_pesel(now=NOW, pesel=pesel), context=nip, now=NOW)
        token_claims = claims(tokens.access_token)
        assert json.loads(token_claims["per"]) == ["Owner", "EnforcementOperations"]
        assert json.loads(token_claims["rol"]) == ["CourtBailiff"]


class TestDelegates:
    async def test_no_permission_is_415(self, client: httpx.AsyncClient) -> None:
        stranger = Identity.person_with_nip(now=NOW)
        started = await start_login(client, stranger, context=random_nip(), now=NOW)
        assert (await status_of(client, started))["status"] == {
            "code": 415,
            "description": "Uwierzytelnianie zakończone niepowodzeniem",
            "details": ["Brak przypisanych uprawnień."],
        }
        redeem = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
        assert redeem.status_code == 400
        assert redeem.json()["exception"]["exceptionDetailList"] == [
            {
                "exceptionCode": 21301,
                "exceptionDescription": "Brak autoryzacji.",
                "details": ["Status uwierzytelniania (415) nie pozwala na pobranie tokenów."],
            }
        ]

    @pytest.mark.parametrize("kind", ["Nip", "Pesel"])
    async def test_granted_permission(self, client: httpx.AsyncClient, kind: str) -> None:
        owner_nip = random_nip()
        delegate = Identity.person_with_nip(now=NOW) if kind == "Nip" else Identity.person_with_pesel(now=NOW, rsa=True)
        await grant(client, owner_nip, kind, delegate.nip or delegate.pesel or "", "InvoiceWrite", "InvoiceRead")
        tokens = await login(client, delegate, context=owner_nip, now=NOW)
        assert json.loads(claims(tokens.access_token)["per"]) == ["InvoiceRead", "InvoiceWrite"]

    async def test_peppol_context_is_not_modelled_and_ends_with_415(self, client: httpx.AsyncClient) -> None:
        # docs/server.md: Peppol provider logins are not modelled; the context is valid, nobody holds rights in it.
        person = Identity.person_with_nip(now=NOW)
        started = await start_login(client, person, context="PPL123456", context_type="PeppolId", now=NOW)
        status = await status_of(client, started)
        assert status["status"]["code"] == 415
        assert status["authenticationMethodInfo"]["code"] == "xades.qualified-signature"

    async def test_fingerprint_subject_with_a_permission(self, client: httpx.AsyncClient) -> None:
        owner_nip = random_nip()
        foreigner = Identity.foreigner(now=NOW)
        started = await start_login(client, foreigner, context=owner_nip, now=NOW, by_fingerprint=True)
        assert (await status_of(client, started))["status"]["code"] == 415
        await grant(client, owner_nip, "fingerprint", foreigner.fingerprint.lower(), "CredentialsManage")
        tokens = await login(client, foreigner, context=owner_nip, now=NOW, by_fingerprint=True)
        subject = json.loads(claims(tokens.access_token)["sud"])["SubjectIdentifier"]
        assert subject == {"Type": "Fingerprint", "Value": foreigner.fingerprint}

    async def test_certificate_without_identifier_needs_the_fingerprint_mode(self, client: httpx.AsyncClient) -> None:
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        xml = signed_request(Identity.foreigner(now=NOW), challenge, context=random_nip(), now=NOW)
        response = await client.post(
            "/v2/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 400
        detail = response.json()["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21115
        assert "certificateFingerprint" in detail["details"][0]


class TestContextAndPerson:
    async def test_blocked_context_is_480(self, client: httpx.AsyncClient) -> None:
        owner = Identity.person_with_nip(now=NOW)
        block = {"contextIdentifier": {"type": "nip", "value": owner.nip}}
        assert (await client.post("/v2/testdata/context/block", json=block)).status_code == 200
        started = await start_login(client, owner, context=owner.nip or "", now=NOW)
        assert (await status_of(client, started))["status"] == {
            "code": 480,
            "description": "Uwierzytelnienie zablokowane",
            "details": [
                "Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z Ministerstwem Finansów przez formularz "
                "zgłoszeniowy."
            ],
        }
        assert (await client.post("/v2/testdata/context/unblock", json=block)).status_code == 200
        await login(client, owner, context=owner.nip or "", now=NOW)

    async def test_deceased_person_is_470_and_later_21308(self, client: httpx.AsyncClient) -> None:
        nip, pesel = random_nip(), random_pesel()
        await post_person(client, nip, pesel)
        person = Identity.person_with_pesel(now=NOW, pesel=pesel)
        tokens = await login(client, person, context=nip, now=NOW)
        later = (NOW + timedelta(seconds=1)).isoformat()
        await post_person(client, nip, pesel, isDeceased=True, createdDate=later)
        started = await start_login(client, person, context=nip, now=NOW)
        assert (await status_of(client, started))["status"]["code"] == 470
        refresh = await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))
        assert refresh.status_code == 400
        assert refresh.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21308


class TestChallenges:
    async def test_a_challenge_is_used_once(self, client: httpx.AsyncClient) -> None:
        owner = Identity.person_with_nip(now=NOW)
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        xml = signed_request(owner, challenge, context=owner.nip or "", now=NOW)
        headers = {"Content-Type": "application/xml"}
        first = await client.post("/v2/auth/xades-signature", content=xml, headers=headers)
        assert first.status_code == 202
        again = await client.post("/v2/auth/xades-signature", content=xml, headers=headers)
        assert again.status_code == 400
        detail = again.json()["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21111
        assert detail["exceptionDescription"] == "Nieprawidłowe wyzwanie autoryzacyjne."

    async def test_unknown_challenge(self, client: httpx.AsyncClient) -> None:
        owner = Identity.person_with_nip(now=NOW)
        xml = signed_request(owner, "20260302-CR-0123456789-0123456789-AB", context=owner.nip or "", now=NOW)
        response = await client.post(
            "/v2/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 400
        assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21111

    async def test_expired_challenge_is_status_450(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        owner = Identity.person_with_nip(now=NOW)
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        clock.advance(timedelta(minutes=10, seconds=1))
        xml = signed_request(owner, challenge, context=owner.nip or "", now=clock.now())
        response = await client.post(
            "/v2/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 202
        body = response.json()
        status = await client.get(
            f"/v2/auth/{body['referenceNumber']}", headers=bearer(body["authenticationToken"]["token"])
        )
        assert status.json()["status"] == {
            "code": 450,
            "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
            "details": ["Nieprawidłowe wyzwanie autoryzacyjne."],
        }


class TestDocuments:
    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"not xml at all", 21001),
            (b"", 21001),
            (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 21001),
            ("<?xml version='1.0' encoding='iso-8859-2'?><a>zażółć</a>".encode("iso-8859-2"), 21217),
            (b"<AuthTokenRequest xmlns='http://ksef.mf.gov.pl/auth/token/2.1'/>", 9102),
        ],
    )
    async def test_unusable_documents(self, client: httpx.AsyncClient, content: bytes, code: int) -> None:
        response = await client.post(
            "/v2/auth/xades-signature", content=content, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 400
        assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == code

    async def test_tampered_document(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        owner = Identity.person_with_nip(now=NOW)
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        xml = signed_request(owner, challenge, context=owner.nip or "", now=NOW)
        forged = xml.replace(f"<Nip>{owner.nip}</Nip>".encode(), f"<Nip>{random_nip()}</Nip>".encode())
        response = await client.post(
            "/v2/auth/xades-signature",
            content=forged,
            headers={"Content-Type": "application/xml", "X-Error-Format": "problem-details"},
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        contract.check(response, "/auth/xades-signature")
        assert response.json()["errors"][0]["code"] == 9105
        # The refused attempt did not use the challenge up.
        retry = await client.post("/v2/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"})
        assert retry.status_code == 202

    async def test_wrong_content_type(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v2/auth/xades-signature", json={"challenge": "x"})
        assert response.status_code == 400
        detail = response.json()["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21405
        assert "application/xml" in detail["details"][0]

    async def test_oversized_body(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v2/auth/xades-signature",
            content=b"<a>" + b"x" * 1_100_000 + b"</a>",
            headers={"Content-Type": "text/xml"},
        )
        # Refused before it is read (http/guard.py): 413, still in the KSeF exception shape with code 21405.
        assert response.status_code == 413
        assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
        assert "za duża" in response.json()["exception"]["exceptionDetailList"][0]["details"][0]

    @pytest.mark.parametrize("when", ["expired", "not-yet-valid"])
    async def test_certificate_outside_its_validity_is_status_460(self, client: httpx.AsyncClient, when: str) -> None:
        """As in KSeF: the request is accepted (202) and the login ends with 460 "Nieważny certyfikat." — no tokens."""
        issued_at = NOW - timedelta(days=800) if when == "expired" else NOW + timedelta(days=1)
        identity = Identity.person_with_nip(now=issued_at)
        started = await start_login(client, identity, context=identity.nip or "", now=NOW)
        assert (await status_of(client, started))["status"] == {
            "code": 460,
            "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
            "details": ["Nieważny certyfikat."],
        }
        redeemed = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
        assert redeemed.status_code == 400
        assert redeemed.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301


class TestTrust:
    async def test_chain_check_on_request_refuses_self_signed(self, client: httpx.AsyncClient) -> None:
        owner = Identity.person_with_nip(now=NOW)
        started = await start_login(client, owner, context=owner.nip or "", now=NOW, verify_chain=True)
        assert (await status_of(client, started))["status"] == {
            "code": 460,
            "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
            "details": ["Niezaufany łańcuch certyfikatów."],
        }

    async def test_trust_anchor_from_settings(self, app_factory: Any, settings: ServerSettings, tmp_path: Path) -> None:
        ca = TestCa.root("Kwalifikowane Centrum Testowe", now=NOW)
        anchors = tmp_path / "anchors.pem"
        anchors.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
        strict: FastAPI = app_factory(
            settings.model_copy(update={"mode": ServerMode.STRICT, "trust_anchors": [anchors]})
        )
        nip = random_nip()
        key = ec_key()
        trusted = Identity._make(key, ca.issue_person(key, now=NOW, serial_number=f"TINPL-{nip}"), nip=nip)
        async with running(strict) as client:
            await login(client, trusted, context=nip, now=NOW)
            self_signed = Identity.person_with_nip(now=NOW)
            started = await start_login(client, self_signed, context=self_signed.nip or "", now=NOW)
            assert (await status_of(client, started))["status"]["details"] == ["Niezaufany łańcuch certyfikatów."]
            assert (await client.post("/v2/testdata/person", json={})).status_code == 404


class TestIpPolicy:
    async def test_access_token_bound_to_allowed_addresses(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        owner = Identity.person_with_nip(now=NOW)
        elsewhere = await login(
            client, owner, context=owner.nip or "", now=NOW, allowed_ips=AllowedIps(ip4_addresses=("198.51.100.1",))
        )
        response = await client.get("/v2/auth/sessions", headers=bearer(elsewhere.access_token))
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["reasonCode"] == "ip-not-allowed"
        assert body["security"] == {"clientIp": "203.0.113.7"}
        here = await login(
            client, owner, context=owner.nip or "", now=NOW, allowed_ips=AllowedIps(ip4_masks=("203.0.113.0/24",))
        )
        assert (await client.get("/v2/auth/sessions", headers=bearer(here.access_token))).status_code == 200
