"""`/v2/certificates/*` through HTTP: the official client scenarios (official-clients.md §6 items 2–11), every error
code, isolation between subjects, login with issued certificates, the CA endpoints.

Issuance runs in the app's own background worker, as in `ksef-mcu serve`; tests poll the status like clients do.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.certificates import KsefCertificateType, classify_certificate
from ksef_mcu.crypto.csr import EnrollmentData, create_csr
from ksef_mcu.server.certificates.model import CertificateStatus
from ksef_mcu.server.certificates.repositories.certificates import CertificateRepository
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database
from support.certificates import (
    enrollment_data,
    error_of,
    limits_of,
    obtain,
    owner,
    owner_at,
    pesel_person,
    query,
    retrieve,
    set_limits,
    submit,
    wait_for_status,
)
from support.login import bearer
from support.pki import ec_key, rsa_key
from support.server import TEST_START, ContractChecker, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


# --- §6 item 2: limits ---------------------------------------------------------------------------------------------


class TestLimits:
    async def test_nip_defaults(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        _, token = await owner(client)
        response = await client.get("/v2/certificates/limits", headers=bearer(token))
        contract.check(response, "/certificates/limits")
        assert response.json() == {
            "canRequest": True,
            "enrollment": {"remaining": 300, "limit": 300},
            "certificate": {"remaining": 100, "limit": 100},
        }

    async def test_pesel_defaults_and_counting(self, client: httpx.AsyncClient) -> None:
        _, token, _ = await pesel_person(client)
        assert await limits_of(client, token) == {
            "canRequest": True,
            "enrollment": {"remaining": 12, "limit": 12},
            "certificate": {"remaining": 6, "limit": 6},
        }
        await obtain(client, token)
        assert await limits_of(client, token) == {
            "canRequest": True,
            "enrollment": {"remaining": 11, "limit": 12},
            "certificate": {"remaining": 5, "limit": 6},
        }

    async def test_enrollments_count_for_30_days(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        person, token = await owner(client)
        await obtain(client, token)
        clock.advance(timedelta(days=30, seconds=1))
        _, token = await owner_at(client, clock.now(), nip=person.nip)
        limits = await limits_of(client, token)
        assert limits["enrollment"]["remaining"] == 300
        assert limits["certificate"]["remaining"] == 99

    async def test_testdata_override_and_restore(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        _, token = await owner(client)
        await set_limits(client, token, enrollments=15, certificates=7)
        assert await limits_of(client, token) == {
            "canRequest": True,
            "enrollment": {"remaining": 15, "limit": 15},
            "certificate": {"remaining": 7, "limit": 7},
        }
        subject_limits = await client.get("/v2/limits/subject", headers=bearer(token))
        contract.check(subject_limits, "/limits/subject")
        assert subject_limits.json() == {"enrollment": {"maxEnrollments": 15}, "certificate": {"maxCertificates": 7}}
        restored = await client.delete("/v2/testdata/limits/subject/certificate", headers=bearer(token))
        assert restored.status_code == 200
        assert (await limits_of(client, token))["certificate"]["limit"] == 100

    async def test_override_of_one_limit_keeps_the_other(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        await set_limits(client, token, certificates=2)
        limits = await limits_of(client, token)
        assert (limits["enrollment"]["limit"], limits["certificate"]["limit"]) == (300, 2)

    async def test_override_validation(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        response = await client.post(
            "/v2/testdata/limits/subject/certificate",
            json={"certificate": {"maxCertificates": -1}},
            headers=bearer(token),
        )
        code, _, details = error_of(response)
        assert code == 21405
        assert details == ["certificate.maxCertificates: musi być większe lub równe 0"]

    async def test_configured_defaults(self, app_factory: Any, settings: ServerSettings) -> None:

        configured = ServerSettings(
            data_dir=settings.data_dir,
            database_url=settings.database_url,
            rate_limits_enabled=False,
            certificate_limits={"Nip": {"maxEnrollments": 4, "maxCertificates": 2}},
        )
        async with running(app_factory(configured)) as client:
            _, token = await owner(client)
            limits = await limits_of(client, token)
        assert (limits["enrollment"]["limit"], limits["certificate"]["limit"]) == (4, 2)

    async def test_needs_an_access_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v2/certificates/limits")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


# --- §6 item 3: enrollment data ------------------------------------------------------------------------------------


class TestEnrollmentData:
    async def test_person(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        person, token = await owner(client)
        response = await client.get("/v2/certificates/enrollments/data", headers=bearer(token))
        contract.check(response, "/certificates/enrollments/data")
        data = response.json()
        assert data["serialNumber"] == f"TINPL-{person.nip}"
        assert data["commonName"]
        assert data["givenName"]
        assert data["surname"]
        assert data["countryName"] == "PL"
        assert "organizationName" not in data  # absent, as the official API leaves out empty fields
        assert "organizationIdentifier" not in data

    async def test_company_seal(self, client: httpx.AsyncClient) -> None:
        seal, token = await owner(client, seal=True)
        data = await enrollment_data(client, token)
        assert data.organization_identifier == f"VATPL-{seal.nip}"
        assert data.organization_name
        assert data.given_name is None
        assert data.surname is None


# --- §6 items 4, 5, 9: enroll, poll, retrieve ---------------------------------------------------------------------


class TestEnroll:
    @pytest.mark.parametrize("certificate_type", ["Authentication", "Offline"])
    @pytest.mark.parametrize(("key_kind", "padding"), [("ec", "pkcs1"), ("rsa", "pkcs1"), ("rsa", "pss")])
    async def test_csr_kinds_and_types(
        self,
        client: httpx.AsyncClient,
        contract: ContractChecker,
        certificate_type: str,
        key_kind: str,
        padding: str,
    ) -> None:
        person, token = await owner(client)
        key = ec_key() if key_kind == "ec" else rsa_key()
        data = await enrollment_data(client, token)
        response = await submit(
            client, token, key=key, data=data, certificate_type=certificate_type, rsa_padding=padding
        )
        contract.check(response, "/certificates/enrollments")
        accepted = response.json()
        reference = accepted["referenceNumber"]
        assert len(reference) == 36
        assert reference[9:11] == "EH"
        assert accepted["timestamp"].startswith("2026-03-02T09:30:00")

        status = await wait_for_status(client, token, reference)
        assert status["status"] == {"code": 200, "description": "Wniosek obsłużony (certyfikat wygenerowany)"}
        serial = status["certificateSerialNumber"]
        assert len(serial) == 16
        assert serial == serial.upper()
        assert status["requestDate"].startswith("2026-03-02T09:30:00")

        retrieved = await client.post(
            "/v2/certificates/retrieve", json={"certificateSerialNumbers": [serial]}, headers=bearer(token)
        )
        contract.check(retrieved, "/certificates/retrieve")
        [item] = retrieved.json()["certificates"]
        assert item["certificateSerialNumber"] == serial
        assert item["certificateName"] == "Certyfikat testowy"
        assert item["certificateType"] == certificate_type
        certificate = x509.load_der_x509_certificate(base64.b64decode(item["certificate"]))
        assert classify_certificate(certificate) is KsefCertificateType(certificate_type)
        assert f"{certificate.serial_number:016X}" == serial
        assert certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) == key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        suffix = " (uwierzytelnienie)" if certificate_type == "Authentication" else " (offline)"
        [common_name] = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert common_name.value == data.common_name + suffix
        [serial_attribute] = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        assert serial_attribute.value == f"TINPL-{person.nip}"
        assert certificate.not_valid_before_utc == NOW
        assert certificate.not_valid_after_utc == NOW.replace(year=NOW.year + 2)

        chain = x509.load_pem_x509_certificates((await client.get("/ca/certificate")).content)
        certificate.verify_directly_issued_by(chain[0])
        chain[0].verify_directly_issued_by(chain[1])

    async def test_valid_from_tomorrow_is_honoured(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        tomorrow = NOW + timedelta(days=1)
        issued = await obtain(client, token, valid_from="2026-03-03T09:30:00.1234567+00:00")
        assert issued.certificate.not_valid_before_utc == tomorrow
        [listed] = (await query(client, token))["certificates"]
        assert listed["validFrom"].startswith("2026-03-03T09:30:00")
        assert listed["validTo"].startswith("2028-03-03T09:30:00")
        assert listed["status"] == "Active"

    @pytest.mark.parametrize(
        "valid_from",
        [
            "2026-03-01T09:30:00.000+00:00",  # C#: UtcNow − 1 day
            "2026-03-02T06:30:00.123456",  # Java: LocalDateTime.now().minusHours(3), no offset
            "2026-03-02T11:29:00.123456789+02:00",  # Java: OffsetDateTime.now().minusMinutes(1), 9 digits
        ],
    )
    async def test_past_valid_from_starts_at_issuance(self, client: httpx.AsyncClient, valid_from: str) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token, valid_from=valid_from)
        assert issued.certificate.not_valid_before_utc == NOW

    async def test_valid_from_more_than_90_days_ahead(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        data = await enrollment_data(client, token)
        ahead = (NOW + timedelta(days=90, minutes=1)).isoformat()
        code, description, details = error_of(
            await submit(client, token, key=ec_key(), data=data, valid_from=ahead, expected_status=400)
        )
        assert (code, description) == (21405, "Błąd walidacji danych wejściowych.")
        assert details[0].startswith("validFrom: ")

    async def test_explicit_null_valid_from_and_unknown_fields(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        data = await enrollment_data(client, token)
        body = {
            "certificateName": "Certyfikat z nullem",
            "certificateType": "authentication",
            "csr": create_csr(ec_key(), data),
            "validFrom": None,
            "somethingNew": 1,
        }
        response = await client.post("/v2/certificates/enrollments", json=body, headers=bearer(token))
        assert response.status_code == 202, response.text
        status = await wait_for_status(client, token, response.json()["referenceNumber"])
        assert status["status"]["code"] == 200

    async def test_polish_name(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token, name="Certyfikat źdźbło żółć")
        [item] = await retrieve(client, token, issued.serial_number)
        assert item["certificateName"] == "Certyfikat źdźbło żółć"


class TestEnrollErrors:
    async def _expect(self, client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> tuple[int, str, list[str]]:
        response = await client.post("/v2/certificates/enrollments", json=body, headers=bearer(token))
        return error_of(response)

    async def _body(self, client: httpx.AsyncClient, token: str, **changes: Any) -> dict[str, Any]:
        data = await enrollment_data(client, token)
        body = {"certificateName": "Certyfikat", "certificateType": "Authentication", "csr": create_csr(ec_key(), data)}
        body.update(changes)
        return body

    async def test_name_rule_21405(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        code, _, details = await self._expect(client, token, await self._body(client, token, certificateName="Abc"))
        assert code == 21405
        assert details == ["certificateName: Nazwa certyfikatu musi mieć od 5 do 100 znaków (ma 3)."]

    async def test_missing_fields_21405(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        code, _, details = await self._expect(client, token, {"certificateType": "Offline"})
        assert code == 21405
        assert sorted(details) == ["certificateName: pole jest wymagane", "csr: pole jest wymagane"]

    async def test_unknown_type_21405(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        code, _, details = await self._expect(client, token, await self._body(client, token, certificateType="Both"))
        assert code == 21405
        assert details[0].startswith("certificateType: dozwolone wartości")

    async def test_other_subject_data_25003(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        data = await enrollment_data(client, token)
        changed = EnrollmentData.from_api({**data.to_api(), "serialNumber": "TINPL-1111111111"})
        code, description, details = await self._expect(
            client, token, await self._body(client, token, csr=create_csr(ec_key(), changed))
        )
        assert (code, description) == (
            25003,
            "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym.",
        )
        assert any("TINPL-1111111111" in detail for detail in details)

    async def test_pem_csr_25004(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        body = await self._body(client, token)
        der = base64.b64decode(body["csr"])
        pem = x509.load_der_x509_csr(der).public_bytes(serialization.Encoding.PEM).decode()
        code, description, _ = await self._expect(client, token, {**body, "csr": pem})
        assert (code, description) == (25004, "Niepoprawny format CSR lub niepoprawny podpis CSR.")

    async def test_tampered_csr_25004(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        body = await self._body(client, token)
        der = bytearray(base64.b64decode(body["csr"]))
        der[-5] ^= 0x01  # inside the signature
        code, _, _ = await self._expect(client, token, {**body, "csr": base64.b64encode(bytes(der)).decode()})
        assert code == 25004

    async def test_rsa_1024_25010(self, client: httpx.AsyncClient) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa

        from ksef_mcu.crypto.csr import build_subject_name

        _, token = await owner(client)
        data = await enrollment_data(client, token)
        small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        request = (
            x509.CertificateSigningRequestBuilder().subject_name(build_subject_name(data)).sign(small, hashes.SHA256())
        )
        csr = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
        code, description, _ = await self._expect(client, token, await self._body(client, token, csr=csr))
        assert (code, description) == (25010, "Nieprawidłowy typ lub długość klucza.")

    async def test_sha224_25011(self, client: httpx.AsyncClient) -> None:
        from cryptography.hazmat.primitives import hashes

        from ksef_mcu.crypto.csr import build_subject_name

        _, token = await owner(client)
        data = await enrollment_data(client, token)
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(build_subject_name(data))
            .sign(ec_key(), hashes.SHA224())
        )
        csr = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
        code, description, _ = await self._expect(client, token, await self._body(client, token, csr=csr))
        assert (code, description) == (25011, "Nieprawidłowy algorytm podpisu CSR.")

    async def test_problem_details_format(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        _, token = await owner(client)
        body = await self._body(client, token, csr="not base64!")
        response = await client.post(
            "/v2/certificates/enrollments",
            json=body,
            headers={**bearer(token), "X-Error-Format": "problem-details"},
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        contract.check(response, "/certificates/enrollments")
        [error] = response.json()["errors"]
        assert error["code"] == 25004

    async def test_rejected_requests_are_not_stored(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        await self._expect(client, token, await self._body(client, token, csr="AAAA"))
        limits = await limits_of(client, token)
        assert limits["enrollment"]["remaining"] == 300


# --- status of a request -------------------------------------------------------------------------------------------


class TestEnrollmentStatus:
    async def test_contract_and_unknown_reference(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token)
        response = await client.get(f"/v2/certificates/enrollments/{issued.reference_number}", headers=bearer(token))
        contract.check(response, "/certificates/enrollments/{referenceNumber}")
        unknown = "20260302-EH-0000000000-0000000000-00"
        code, description, _ = error_of(
            await client.get(f"/v2/certificates/enrollments/{unknown}", headers=bearer(token))
        )
        assert (code, description) == (25005, "Wniosek certyfikacyjny o podanym numerze referencyjnym nie istnieje.")

    async def test_gone_after_30_days(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        person, token = await owner(client)
        issued = await obtain(client, token)
        clock.advance(timedelta(days=30))
        _, token = await owner_at(client, clock.now(), nip=person.nip)
        response = await client.get(f"/v2/certificates/enrollments/{issued.reference_number}", headers=bearer(token))
        assert response.status_code == 200
        clock.advance(timedelta(seconds=1))
        response = await client.get(f"/v2/certificates/enrollments/{issued.reference_number}", headers=bearer(token))
        assert response.status_code == 410
        assert response.json()["detail"] == "Operacja wygasła i nie jest już dostępna."


# --- §6 item 7 and 9: query ---------------------------------------------------------------------------------------


class TestQuery:
    async def test_filters_and_paging(
        self, client: httpx.AsyncClient, clock: ManualClock, contract: ContractChecker
    ) -> None:
        _, token = await owner(client)
        issued = []
        for index in range(12):
            certificate_type = "Offline" if index % 3 == 0 else "Authentication"
            issued.append(
                await obtain(client, token, name=f"Certyfikat {index:02d}", certificate_type=certificate_type)
            )
            clock.advance(timedelta(minutes=1))
        newest_first = [item.serial_number for item in reversed(issued)]

        response = await client.post("/v2/certificates/query", headers=bearer(token))  # no body at all
        contract.check(response, "/certificates/query")
        first = response.json()
        assert [c["certificateSerialNumber"] for c in first["certificates"]] == newest_first[:10]
        assert first["hasMore"] is True
        second = await query(client, token, {}, pageOffset=1)
        assert [c["certificateSerialNumber"] for c in second["certificates"]] == newest_first[10:]
        assert second["hasMore"] is False
        assert len((await query(client, token, None, pageSize=50))["certificates"]) == 12

        by_serial = await query(client, token, {"certificateSerialNumber": issued[4].serial_number})
        assert [c["name"] for c in by_serial["certificates"]] == ["Certyfikat 04"]
        by_name = await query(client, token, {"name": "ERTYFIKAT 1"}, pageSize=20)
        assert sorted(c["name"] for c in by_name["certificates"]) == ["Certyfikat 10", "Certyfikat 11"]
        offline = await query(client, token, {"type": "Offline"}, pageSize=20)
        assert {c["type"] for c in offline["certificates"]} == {"Offline"}
        assert len(offline["certificates"]) == 4
        combined = await query(
            client, token, {"certificateSerialNumber": issued[3].serial_number, "name": "03", "type": "Offline"}
        )
        assert len(combined["certificates"]) == 1

        # The fragment is matched literally: LIKE's wildcards and quotes are plain characters (the pattern is rendered
        # into the statement's text on purpose, so it must be escaped there).
        for literal in ("%", "_", "Certyfikat_1", "' OR '1'='1", "/", "1%"):
            assert (await query(client, token, {"name": literal}, pageSize=20))["certificates"] == [], literal
        assert len((await query(client, token, {"name": "t 0"}, pageSize=20))["certificates"]) == 10

        item = first["certificates"][0]
        assert item["commonName"]
        assert item["subjectIdentifier"]["type"] == "Nip"
        assert item["status"] == "Active"
        assert "lastUseDate" not in item

    async def test_status_and_expires_after(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        person, token = await owner(client)
        early = await obtain(client, token, name="Wczesny")
        later = await obtain(client, token, name="Pozniejszy", valid_from=(NOW + timedelta(days=60)).isoformat())
        revoked = await obtain(client, token, name="Odwolany")
        await client.post(f"/v2/certificates/{revoked.serial_number}/revoke", headers=bearer(token))

        def names(result: dict[str, Any]) -> set[str]:
            return {c["name"] for c in result["certificates"]}

        assert names(await query(client, token, {"status": "Active"})) == {"Wczesny", "Pozniejszy"}
        assert names(await query(client, token, {"status": "Revoked"})) == {"Odwolany"}
        assert names(await query(client, token, {"expiresAfter": (NOW + timedelta(days=740)).isoformat()})) == {
            "Pozniejszy"
        }
        clock.advance(timedelta(days=732))
        _, token = await owner_at(client, clock.now(), nip=person.nip)
        assert names(await query(client, token, {"status": "Expired"})) == {"Wczesny"}
        assert names(await query(client, token, {"status": "Active"})) == {"Pozniejszy"}
        assert early.serial_number != later.serial_number

    async def test_name_wildcards_are_literal(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        await obtain(client, token, name="Cert 100 proc")
        assert (await query(client, token, {"name": "%"}))["certificates"] == []
        assert (await query(client, token, {"name": "_"}))["certificates"] == []

    @pytest.mark.parametrize(
        ("params", "body", "field"),
        [
            ({"pageSize": 9}, None, "pageSize"),
            ({"pageSize": 51}, None, "pageSize"),
            ({"pageOffset": -1}, None, "pageOffset"),
            ({}, {"status": "Lost"}, "status"),
            ({}, {"type": "Both"}, "type"),
            ({}, {"certificateSerialNumber": "XYZ"}, "certificateSerialNumber"),
            ({}, {"expiresAfter": "tomorrow"}, "expiresAfter"),
        ],
    )
    async def test_validation_21405(
        self, client: httpx.AsyncClient, params: dict[str, Any], body: dict[str, Any] | None, field: str
    ) -> None:
        _, token = await owner(client)
        response = await client.post("/v2/certificates/query", params=params, json=body, headers=bearer(token))
        code, _, details = error_of(response)
        assert code == 21405
        assert details[0].startswith(f"{field}: ")


# --- retrieve -------------------------------------------------------------------------------------------------------


class TestRetrieve:
    async def test_several_in_order_each_once(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        first, second = await obtain(client, token), await obtain(client, token)
        items = await retrieve(
            client, token, second.serial_number, first.serial_number.lower(), second.serial_number, "0123456789ABCDEF"
        )
        assert [item["certificateSerialNumber"] for item in items] == [second.serial_number, first.serial_number]

    @pytest.mark.parametrize("count", [0, 11])
    async def test_between_1_and_10(self, client: httpx.AsyncClient, count: int) -> None:
        _, token = await owner(client)
        response = await client.post(
            "/v2/certificates/retrieve",
            json={"certificateSerialNumbers": ["0123456789ABCDEF"] * count},
            headers=bearer(token),
        )
        code, _, details = error_of(response)
        assert code == 21405
        assert details[0].startswith("certificateSerialNumbers: ")


# --- §6 item 6: revoke ----------------------------------------------------------------------------------------------


class TestRevoke:
    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            ({"json": {"revocationReason": "KeyCompromise"}}, x509.ReasonFlags.key_compromise),
            ({"json": {"revocationReason": "Superseded"}}, x509.ReasonFlags.superseded),
            ({"json": {"revocationReason": "Unspecified"}}, None),
            ({"json": {"revocationReason": None}}, None),
            ({"json": {}}, None),
            ({"content": b"", "headers": {"Content-Type": "application/json"}}, None),
            ({}, None),
        ],
        ids=["key-compromise", "superseded", "unspecified", "null", "empty-object", "empty-json-body", "no-body"],
    )
    async def test_reasons_and_bodies(
        self, client: httpx.AsyncClient, body: dict[str, Any], reason: x509.ReasonFlags | None
    ) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token)
        headers = {**bearer(token), **body.pop("headers", {})}
        response = await client.post(f"/v2/certificates/{issued.serial_number}/revoke", headers=headers, **body)
        assert response.status_code == 204, response.text
        assert response.content == b""
        [listed] = (await query(client, token, {"certificateSerialNumber": issued.serial_number}))["certificates"]
        assert listed["status"] == "Revoked"

        crl = x509.load_der_x509_crl((await client.get("/ca/crl")).content)
        entry = crl.get_revoked_certificate_by_serial_number(issued.certificate.serial_number)
        assert entry is not None
        reasons = [ext.value.reason for ext in entry.extensions if isinstance(ext.value, x509.CRLReason)]
        assert reasons == ([reason] if reason else [])

    async def test_twice_is_25009_and_unknown_is_25008(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token)
        assert (
            await client.post(f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(token))
        ).status_code == 204
        code, description, _ = error_of(
            await client.post(f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(token))
        )
        assert (code, description) == (
            25009,
            "Nie można odwołać wskazanego certyfikatu, ponieważ jest już odwołany, zablokowany lub nieważny.",
        )
        code, description, _ = error_of(
            await client.post("/v2/certificates/0123456789ABCDEF/revoke", headers=bearer(token))
        )
        assert (code, description) == (25008, "Certyfikat o podanym numerze seryjnym nie istnieje.")

    async def test_expired_and_blocked_are_25009(
        self, client: httpx.AsyncClient, clock: ManualClock, database: Database
    ) -> None:
        person, token = await owner(client)
        blocked, expiring = await obtain(client, token), await obtain(client, token)
        with database.write() as connection:
            CertificateRepository(connection).set_status(blocked.serial_number, CertificateStatus.BLOCKED, now=NOW)
        response = await client.post(f"/v2/certificates/{blocked.serial_number}/revoke", headers=bearer(token))
        assert error_of(response)[0] == 25009
        clock.advance(timedelta(days=732))
        _, later_token = await owner_at(client, clock.now(), nip=person.nip)
        response = await client.post(f"/v2/certificates/{expiring.serial_number}/revoke", headers=bearer(later_token))
        code, _, details = error_of(response)
        assert code == 25009
        assert details == [f"Certyfikat {expiring.serial_number} wygasł."]

    async def test_bad_reason_and_bad_serial_21405(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token)
        code, _, details = error_of(
            await client.post(
                f"/v2/certificates/{issued.serial_number}/revoke",
                json={"revocationReason": "Lost"},
                headers=bearer(token),
            )
        )
        assert code == 21405
        assert details[0].startswith("revocationReason: ")
        code, _, details = error_of(await client.post("/v2/certificates/XYZ/revoke", headers=bearer(token)))
        assert code == 21405
        assert details[0].startswith("certificateSerialNumber: ")

    async def test_lower_case_serial(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token)
        response = await client.post(f"/v2/certificates/{issued.serial_number.lower()}/revoke", headers=bearer(token))
        assert response.status_code == 204
