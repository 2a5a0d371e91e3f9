"""`/v2/permissions/*`: the official delegation scenarios, who may grant what, revocation, the queries, and the
responses checked against `open-api.json`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from support.login import Identity, Tokens, bearer, login, start_login, status_of
from support.pki import random_nip, random_pesel
from support.server import TEST_START, ContractChecker

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


def person_grant(identifier_type: str, value: str, permissions: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "subjectIdentifier": {"type": identifier_type, "value": value},
        "permissions": permissions,
        "description": "Pracownik działu księgowości",
        "subjectDetails": {
            "subjectDetailsType": "PersonByIdentifier",
            "personById": {"firstName": "Anna", "lastName": "Testowa"},
        },
        **extra,
    }


def entity_grant(nip: str, permissions: list[tuple[str, bool]]) -> dict[str, Any]:
    return {
        "subjectIdentifier": {"type": "Nip", "value": nip},
        "permissions": [{"type": p, "canDelegate": d} for p, d in permissions],
        "description": "Biuro rachunkowe obsługujące firmę",
        "subjectDetails": {"fullName": "Biuro Rachunkowe XYZ sp. z o.o."},
    }


async def operation(
    client: httpx.AsyncClient, token: str, response: httpx.Response, contract: ContractChecker | None = None
) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    reference = response.json()["referenceNumber"]
    status = await client.get(f"/v2/permissions/operations/{reference}", headers=bearer(token))
    assert status.status_code == 200, status.text
    if contract is not None:
        contract.check(status, "/permissions/operations/{referenceNumber}")
    body: dict[str, Any] = status.json()["status"]
    return body


def claims(token: str) -> dict[str, Any]:
    import base64

    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return result


async def owner_login(client: httpx.AsyncClient, nip: str | None = None, *, now: Any = NOW) -> tuple[str, Tokens]:
    nip = nip or random_nip()
    owner = Identity.person_with_nip(now=now, nip=nip)
    return nip, await login(client, owner, context=nip, now=now)


class TestPersonGrants:
    async def test_owner_grants_invoice_write_to_a_pesel_who_then_logs_in(
        self, client: httpx.AsyncClient, contract: ContractChecker
    ) -> None:
        company, owner = await owner_login(client)
        employee = Identity.person_with_pesel(now=NOW)
        assert employee.pesel is not None

        refused = await start_login(client, employee, context=company, now=NOW)
        assert (await status_of(client, refused))["status"]["code"] == 415

        response = await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", employee.pesel, ["InvoiceWrite"]),
            headers=bearer(owner.access_token),
        )
        contract.check(response, "/permissions/persons/grants")
        status = await operation(client, owner.access_token, response, contract)
        assert status == {"code": 200, "description": "Operacja zakończona sukcesem"}

        tokens = await login(client, employee, context=company, now=NOW)
        granted = claims(tokens.access_token)
        assert json.loads(granted["per"]) == ["InvoiceWrite"]
        assert json.loads(granted["pep"]) == ["InvoiceWrite"]

        # The employee sees it among their own permissions; the owner among those granted in the context.
        own = await client.post("/v2/permissions/query/personal/grants", json={}, headers=bearer(tokens.access_token))
        assert own.status_code == 200, own.text
        contract.check(own, "/permissions/query/personal/grants")
        [item] = own.json()["permissions"]
        assert item["permissionScope"] == "InvoiceWrite"
        assert item["contextIdentifier"] == {"type": "Nip", "value": company}
        assert item["permissionState"] == "Active"
        assert item["subjectPersonDetails"] == {
            "subjectDetailsType": "PersonByIdentifier",
            "firstName": "Anna",
            "lastName": "Testowa",
        }

        listed = await client.post(
            "/v2/permissions/query/persons/grants",
            json={"queryType": "PermissionsGrantedInCurrentContext"},
            headers=bearer(owner.access_token),
        )
        assert listed.status_code == 200, listed.text
        contract.check(listed, "/permissions/query/persons/grants")
        [granted_item] = listed.json()["permissions"]
        assert granted_item["authorizedIdentifier"] == {"type": "Pesel", "value": employee.pesel}
        assert granted_item["authorIdentifier"] == {"type": "Nip", "value": company}

        # Revocation: the next login is refused with 415, and so is a refresh of the old session.
        revoke = await client.delete(
            f"/v2/permissions/common/grants/{granted_item['id']}", headers=bearer(owner.access_token)
        )
        contract.check(revoke, "/permissions/common/grants/{permissionId}")
        assert (await operation(client, owner.access_token, revoke))["code"] == 200
        again = await start_login(client, employee, context=company, now=NOW)
        assert (await status_of(client, again))["status"]["code"] == 415
        refresh = await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))
        assert refresh.status_code == 400
        assert refresh.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301

    async def test_a_grantee_without_credentials_manage_gets_403(self, client: httpx.AsyncClient) -> None:
        company, owner = await owner_login(client)
        clerk = Identity.person_with_pesel(now=NOW)
        assert clerk.pesel is not None
        await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", clerk.pesel, ["InvoiceRead"]),
            headers=bearer(owner.access_token),
        )
        tokens = await login(client, clerk, context=company, now=NOW)
        response = await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", random_pesel(), ["InvoiceRead"]),
            headers={**bearer(tokens.access_token)},
        )
        assert response.status_code == 403
        body = response.json()
        assert body["reasonCode"] == "missing-permissions"
        assert body["security"] == {
            "requiredAnyOfPermissions": ["CredentialsManage"],
            "presentPermissions": ["InvoiceRead"],
        }

    async def test_an_administrator_gives_only_what_they_hold(self, client: httpx.AsyncClient) -> None:
        company, owner = await owner_login(client)
        admin = Identity.person_with_pesel(now=NOW)
        assert admin.pesel is not None
        await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", admin.pesel, ["CredentialsManage", "InvoiceRead"]),
            headers=bearer(owner.access_token),
        )
        tokens = await login(client, admin, context=company, now=NOW)
        response = await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", random_pesel(), ["InvoiceRead", "InvoiceWrite"]),
            headers=bearer(tokens.access_token),
        )
        status = await operation(client, tokens.access_token, response)
        assert status["code"] == 420
        assert status["description"] == "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji"
        assert status["details"] == [
            "Nie można nadać uprawnień, których nie posiadasz w bieżącym kontekście: InvoiceWrite."
        ]
        ok = await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", random_pesel(), ["InvoiceRead"]),
            headers=bearer(tokens.access_token),
        )
        assert (await operation(client, tokens.access_token, ok))["code"] == 200

    async def test_bad_identifiers_are_refused_at_once(self, client: httpx.AsyncClient) -> None:
        _, owner = await owner_login(client)
        bad_pesel = "12345678901"
        response = await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", bad_pesel, ["InvoiceRead"]),
            headers=bearer(owner.access_token),
        )
        assert response.status_code == 400
        detail = response.json()["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21405
        assert "PESEL" in detail["details"][0]
        fingerprint_details = person_grant("Fingerprint", "A" * 64, ["InvoiceRead"])
        mismatch = await client.post(
            "/v2/permissions/persons/grants", json=fingerprint_details, headers=bearer(owner.access_token)
        )
        assert mismatch.status_code == 400
        assert "PersonByIdentifier" in mismatch.json()["exception"]["exceptionDetailList"][0]["details"][0]


class TestEntityAndIndirectGrants:
    async def test_accounting_office_passes_the_grant_on_to_its_employee(
        self, client: httpx.AsyncClient, contract: ContractChecker
    ) -> None:
        company, owner = await owner_login(client)
        office_nip, office = await owner_login(client)
        accountant = Identity.person_with_pesel(now=NOW)
        assert accountant.pesel is not None

        granted = await client.post(
            "/v2/permissions/entities/grants",
            json=entity_grant(office_nip, [("InvoiceWrite", True), ("InvoiceRead", False)]),
            headers=bearer(owner.access_token),
        )
        contract.check(granted, "/permissions/entities/grants")
        assert (await operation(client, owner.access_token, granted))["code"] == 200

        # The office's seal logs into the company's context with the entity's permissions.
        seal = Identity.seal(now=NOW, nip=office_nip)
        seal_tokens = await login(client, seal, context=company, now=NOW)
        assert sorted(json.loads(claims(seal_tokens.access_token)["pep"])) == ["InvoiceRead", "InvoiceWrite"]

        received = await client.post(
            "/v2/permissions/query/entities/grants", json={}, headers=bearer(office.access_token)
        )
        assert received.status_code == 200, received.text
        contract.check(received, "/permissions/query/entities/grants")
        scopes = {(i["permissionScope"], i["canDelegate"]) for i in received.json()["permissions"]}
        assert scopes == {("InvoiceWrite", True), ("InvoiceRead", False)}

        # InvoiceRead was not delegable: passing it on is refused (430); InvoiceWrite goes through.
        indirect = {
            **person_grant("Pesel", accountant.pesel, ["InvoiceRead"]),
            "targetIdentifier": {"type": "Nip", "value": company},
        }
        refused = await client.post(
            "/v2/permissions/indirect/grants", json=indirect, headers=bearer(office.access_token)
        )
        assert (await operation(client, office.access_token, refused))["code"] == 430
        indirect["permissions"] = ["InvoiceWrite"]
        passed = await client.post(
            "/v2/permissions/indirect/grants", json=indirect, headers=bearer(office.access_token)
        )
        contract.check(passed, "/permissions/indirect/grants")
        assert (await operation(client, office.access_token, passed))["code"] == 200

        employee_tokens = await login(client, accountant, context=company, now=NOW)
        assert json.loads(claims(employee_tokens.access_token)["pep"]) == ["InvoiceWrite"]

        # The company withdraws the office's delegable grant: the indirect one goes inactive, logins stop.
        [write] = [i for i in received.json()["permissions"] if i["permissionScope"] == "InvoiceWrite"]
        revoke = await client.delete(f"/v2/permissions/common/grants/{write['id']}", headers=bearer(owner.access_token))
        assert (await operation(client, owner.access_token, revoke))["code"] == 200
        again = await start_login(client, accountant, context=company, now=NOW)
        assert (await status_of(client, again))["status"]["code"] == 415
        listed = await client.post(
            "/v2/permissions/query/persons/grants",
            json={"queryType": "PermissionsGrantedInCurrentContext", "permissionState": "Inactive"},
            headers=bearer(office.access_token),
        )
        contract.check(listed, "/permissions/query/persons/grants")
        [inactive] = listed.json()["permissions"]
        assert inactive["targetIdentifier"] == {"type": "Nip", "value": company}
        assert inactive["permissionState"] == "Inactive"


class TestOperations:
    async def test_an_operation_of_another_context_is_not_found_and_old_ones_are_gone(
        self, client: httpx.AsyncClient, clock: Any
    ) -> None:
        company, owner = await owner_login(client)
        _, stranger = await owner_login(client)
        response = await client.post(
            "/v2/permissions/persons/grants",
            json=person_grant("Pesel", random_pesel(), ["InvoiceRead"]),
            headers=bearer(owner.access_token),
        )
        reference = response.json()["referenceNumber"]
        foreign = await client.get(f"/v2/permissions/operations/{reference}", headers=bearer(stranger.access_token))
        assert foreign.status_code == 400
        assert foreign.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
        day_29 = NOW + timedelta(days=29)
        clock.set(day_29)
        _, later = await owner_login(client, company, now=day_29)
        kept = await client.get(f"/v2/permissions/operations/{reference}", headers=bearer(later.access_token))
        assert kept.status_code == 200
        day_31 = NOW + timedelta(days=31)
        clock.set(day_31)
        _, latest = await owner_login(client, company, now=day_31)
        gone = await client.get(f"/v2/permissions/operations/{reference}", headers=bearer(latest.access_token))
        assert gone.status_code == 410
        assert gone.json()["detail"] == "Operacja wygasła i nie jest już dostępna."
