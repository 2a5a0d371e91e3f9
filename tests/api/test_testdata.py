"""`/v2/testdata/*` (sandbox): subjects, persons, permissions, context blocks — and what they refuse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from conftest import TEST_START, ContractChecker
from support.pki import random_nip, random_pesel

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def person(nip: str, pesel: str, **extra: Any) -> dict[str, Any]:
    return {"nip": nip, "pesel": pesel, "isBailiff": False, "description": "JDG testowa", **extra}


class TestSubject:
    async def test_vat_group_with_members(self, client: httpx.AsyncClient, contract: ContractChecker) -> None:
        group, members = random_nip(), [random_nip(), random_nip()]
        body = {
            "subjectNip": group,
            "subjectType": "VatGroup",
            "description": "Grupa VAT",
            "subunits": [{"subjectNip": nip, "description": f"członek grupy {group}"} for nip in members],
        }
        response = await client.post("/v2/testdata/subject", json=body)
        assert response.status_code == 200
        assert response.content == b""
        contract.check(response, "/testdata/subject")

        duplicate = await client.post("/v2/testdata/subject", json=body, headers={"X-Error-Format": "problem-details"})
        assert duplicate.status_code == 400
        contract.check(duplicate, "/testdata/subject")
        assert duplicate.json()["errors"][0]["code"] == 30001
        assert duplicate.json()["errors"][0]["description"] == "Podmiot lub uprawnienie już istnieje."

        later = {**body, "createdDate": (TEST_START + timedelta(days=1)).isoformat(), "subunits": None}
        assert (await client.post("/v2/testdata/subject", json=later)).status_code == 200
        # Re-created without subunits: the former members are free again.
        alone = {"subjectNip": members[0], "subjectType": "jst", "description": "Gmina testowa"}
        assert (await client.post("/v2/testdata/subject", json=alone)).status_code == 200

    async def test_member_of_another_subject_is_taken(self, client: httpx.AsyncClient) -> None:
        first, member = random_nip(), random_nip()
        await client.post(
            "/v2/testdata/subject",
            json={
                "subjectNip": first,
                "subjectType": "VatGroup",
                "description": "Grupa 1",
                "subunits": [{"subjectNip": member, "description": "członek grupy"}],
            },
        )
        response = await client.post(
            "/v2/testdata/subject",
            json={
                "subjectNip": random_nip(),
                "subjectType": "VatGroup",
                "description": "Grupa 2",
                "subunits": [{"subjectNip": member, "description": "członek grupy"}],
            },
        )
        assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 30001

    async def test_remove(self, client: httpx.AsyncClient) -> None:
        nip = random_nip()
        body = {"subjectNip": nip, "subjectType": "EnforcementAuthority", "description": "Urząd skarbowy"}
        await client.post("/v2/testdata/subject", json=body)
        assert (await client.post("/v2/testdata/subject/remove", json={"subjectNip": nip})).status_code == 200
        assert (await client.post("/v2/testdata/subject", json=body)).status_code == 200
        # Removing what is not there is not an error.
        assert (await client.post("/v2/testdata/subject/remove", json={"subjectNip": random_nip()})).status_code == 200

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"subjectNip": "123"}, "subjectNip"),
            ({"subjectType": "Bank"}, "subjectType"),
            ({"description": "abc"}, "description"),
            ({"createdDate": "wczoraj"}, "createdDate"),
        ],
    )
    async def test_validation(self, client: httpx.AsyncClient, change: dict[str, str], field: str) -> None:
        body = {"subjectNip": random_nip(), "subjectType": "JST", "description": "Gmina testowa", **change}
        response = await client.post("/v2/testdata/subject", json=body)
        detail = response.json()["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21405
        assert detail["exceptionDescription"] == "Błąd walidacji danych wejściowych."
        assert detail["details"][0].startswith(f"{field}: ")


class TestPerson:
    async def test_create_duplicate_and_recreate(self, client: httpx.AsyncClient) -> None:
        nip, pesel = random_nip(), random_pesel()
        assert (await client.post("/v2/testdata/person", json=person(nip, pesel))).status_code == 200
        duplicate = await client.post("/v2/testdata/person", json=person(nip, pesel))
        assert duplicate.json()["exception"]["exceptionDetailList"][0] == {
            "exceptionCode": 30001,
            "exceptionDescription": "Podmiot lub uprawnienie już istnieje.",
            "details": [f"Osoba o numerze NIP {nip} już istnieje."],
        }
        older = person(nip, pesel, createdDate=(TEST_START - timedelta(days=1)).isoformat())
        assert (await client.post("/v2/testdata/person", json=older)).status_code == 400
        newer = person(nip, pesel, createdDate=(TEST_START + timedelta(days=1)).isoformat())
        assert (await client.post("/v2/testdata/person", json=newer)).status_code == 200

    async def test_explicit_nulls_and_unknown_fields(self, client: httpx.AsyncClient) -> None:
        body = person(random_nip(), random_pesel(), isDeceased=None, createdDate=None, somethingNew="ignored")
        assert (await client.post("/v2/testdata/person", json=body)).status_code == 200

    async def test_remove_takes_permissions_along(self, client: httpx.AsyncClient) -> None:
        nip, pesel = random_nip(), random_pesel()
        await client.post("/v2/testdata/person", json=person(nip, pesel))
        assert (await client.post("/v2/testdata/person/remove", json={"nip": nip})).status_code == 200
        assert (await client.post("/v2/testdata/person", json=person(nip, pesel))).status_code == 200

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"nip": "5265877635", "pesel": "88132341294", "isBailiff": False, "description": "Osoba"}, "pesel"),
            ({"nip": "5265877635", "pesel": "88102341294", "description": "Osoba"}, "isBailiff"),
            ({"nip": "5265877635", "pesel": "88102341294", "isBailiff": "tak", "description": "Osoba"}, "isBailiff"),
        ],
    )
    async def test_validation(self, client: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
        response = await client.post("/v2/testdata/person", json=body)
        assert response.json()["exception"]["exceptionDetailList"][0]["details"][0].startswith(f"{field}: ")


class TestPermissions:
    async def test_official_scenario_with_lower_case_enums(self, client: httpx.AsyncClient) -> None:
        """`dane-testowe-scenariusze.md`, scenario 3, writes `"type": "nip"` and `"type": "pesel"`."""
        body = {
            "contextIdentifier": {"value": random_nip(), "type": "nip"},
            "authorizedIdentifier": {"value": random_pesel(), "type": "pesel"},
            "permissions": [
                {"permissionType": kind, "description": "praca w kontekście grupy VAT"}
                for kind in (
                    "InvoiceRead",
                    "InvoiceWrite",
                    "Introspection",
                    "CredentialsRead",
                    "CredentialsManage",
                    "SubunitManage",
                )
            ],
        }
        assert (await client.post("/v2/testdata/permissions", json=body)).status_code == 200
        assert (await client.post("/v2/testdata/permissions", json=body)).status_code == 200  # idempotent
        revoke = {k: body[k] for k in ("contextIdentifier", "authorizedIdentifier")}
        assert (await client.post("/v2/testdata/permissions/revoke", json=revoke)).status_code == 200

    @pytest.mark.parametrize(
        ("authorized", "message"),
        [
            ({"type": "Pesel", "value": "5265877635"}, "oczekiwano: 11-cyfrowy numer PESEL"),
            ({"type": "Fingerprint", "value": "AB" * 31}, "oczekiwano: 64 cyfry szesnastkowe"),
            ({"type": "Certificate", "value": "5265877635"}, "dozwolone wartości"),
        ],
    )
    async def test_identifier_must_match_its_type(
        self, client: httpx.AsyncClient, authorized: dict[str, str], message: str
    ) -> None:
        body = {
            "contextIdentifier": {"type": "Nip", "value": random_nip()},
            "authorizedIdentifier": authorized,
            "permissions": [{"permissionType": "InvoiceRead", "description": "odczyt faktur"}],
        }
        response = await client.post("/v2/testdata/permissions", json=body)
        detail = response.json()["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21405
        assert message in detail["details"][0]

    async def test_unknown_permission_type(self, client: httpx.AsyncClient) -> None:
        body = {
            "contextIdentifier": {"type": "Nip", "value": random_nip()},
            "authorizedIdentifier": {"type": "Nip", "value": random_nip()},
            "permissions": [{"permissionType": "VatUeManage", "description": "zarządzanie"}],
        }
        detail = (await client.post("/v2/testdata/permissions", json=body)).json()["exception"]["exceptionDetailList"][
            0
        ]
        assert detail["details"][0].startswith("permissions.0.permissionType: dozwolone wartości")


class TestContextBlock:
    @pytest.mark.parametrize("body", [{}, {"contextIdentifier": None}])
    async def test_needs_a_context(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        response = await client.post("/v2/testdata/context/block", json=body)
        assert response.json()["exception"]["exceptionDetailList"][0]["details"] == [
            "contextIdentifier: pole jest wymagane"
        ]

    async def test_context_must_be_well_formed(self, client: httpx.AsyncClient) -> None:
        body = {"contextIdentifier": {"type": "InternalId", "value": "5265877635"}}
        response = await client.post("/v2/testdata/context/block", json=body)
        assert "InternalId" in response.json()["exception"]["exceptionDetailList"][0]["details"][0]
