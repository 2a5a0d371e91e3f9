"""A context's consent to issue invoices with attachments: `GET /v2/permissions/attachments/status`, set in the
sandbox by `/v2/testdata/attachment` and ended by `/v2/testdata/attachment/revoke` (dane-testowe-scenariusze.md,
scenarios 4 and 5) — and what it changes for an invoice with attachments sent online."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import httpx
import pytest

from documents.samples import invoice_xml
from ksef_mcu.clock import ManualClock
from ksef_mcu.formatting import polish_date, start_of_day
from support.certificates import error_of, owner
from support.login import Identity, bearer, login
from support.pki import random_nip, random_pesel
from support.server import TEST_START, ContractChecker
from support.sessions import invoice_status, open_session, sent

pytestmark = [pytest.mark.anyio, pytest.mark.db]

STATUS = "/v2/permissions/attachments/status"


async def status_of(
    client: httpx.AsyncClient, token: str, contract: ContractChecker | None = None
) -> dict[str, object]:
    response = await client.get(STATUS, headers=bearer(token))
    assert response.status_code == 200, response.text
    if contract is not None:
        contract.check(response, "/permissions/attachments/status")
    body: dict[str, object] = response.json()
    return body


async def test_the_consent_is_given_ended_later_and_ended_now(
    client: httpx.AsyncClient, clock: ManualClock, contract: ContractChecker
) -> None:
    company, token = await owner(client)
    other, other_token = await owner(client)
    assert company.nip is not None
    assert await status_of(client, token, contract) == {"isAttachmentAllowed": False}

    given = await client.post("/v2/testdata/attachment", json={"nip": company.nip})
    assert given.status_code == 200, given.text
    assert given.content == b""
    contract.check(given, "/testdata/attachment")
    assert await status_of(client, token, contract) == {"isAttachmentAllowed": True}
    assert await status_of(client, other_token) == {"isAttachmentAllowed": False}  # only the named context

    # ended from a later day: in force until that day starts (Polish time), then not
    end_day = polish_date(clock.now()) + dt.timedelta(days=3)
    ends_at = start_of_day(end_day)
    later = await client.post(
        "/v2/testdata/attachment/revoke", json={"nip": company.nip, "expectedEndDate": str(end_day)}
    )
    assert later.status_code == 200, later.text
    status = await status_of(client, token, contract)
    assert status["isAttachmentAllowed"] is True
    assert dt.datetime.fromisoformat(str(status["revokedDate"])) == ends_at
    clock.set(ends_at - dt.timedelta(seconds=1))
    token = (await login(client, company, context=company.nip, now=clock.now())).access_token
    assert (await status_of(client, token))["isAttachmentAllowed"] is True
    clock.set(ends_at)
    status = await status_of(client, token)
    assert status["isAttachmentAllowed"] is False
    assert dt.datetime.fromisoformat(str(status["revokedDate"])) == ends_at

    # given again: no end; ended without a date: ends now
    assert (await client.post("/v2/testdata/attachment", json={"nip": company.nip})).status_code == 200
    assert await status_of(client, token) == {"isAttachmentAllowed": True}
    assert (await client.post("/v2/testdata/attachment/revoke", json={"nip": company.nip})).status_code == 200
    status = await status_of(client, token)
    assert status["isAttachmentAllowed"] is False
    assert dt.datetime.fromisoformat(str(status["revokedDate"])) == clock.now()
    # a later end date does not bring an ended consent back
    later_again = {"nip": company.nip, "expectedEndDate": str(end_day + dt.timedelta(days=5))}
    assert (await client.post("/v2/testdata/attachment/revoke", json=later_again)).status_code == 200
    assert (await status_of(client, token))["isAttachmentAllowed"] is False
    assert other.nip is not None
    # ending a consent that was never given changes nothing
    assert (await client.post("/v2/testdata/attachment/revoke", json={"nip": other.nip})).status_code == 200
    other_token = (await login(client, other, context=other.nip, now=clock.now())).access_token
    assert await status_of(client, other_token) == {"isAttachmentAllowed": False}


async def test_bad_requests_are_refused_with_21405(client: httpx.AsyncClient, clock: ManualClock) -> None:
    nip = random_nip()
    yesterday = polish_date(clock.now()) - dt.timedelta(days=1)
    past = await client.post("/v2/testdata/attachment/revoke", json={"nip": nip, "expectedEndDate": str(yesterday)})
    code, _, details = error_of(past)
    assert code == 21405
    assert "expectedEndDate" in details[0]
    for body in ({}, {"nip": "123"}, {"nip": nip, "expectedEndDate": "jutro"}):
        path = "/v2/testdata/attachment/revoke" if "expectedEndDate" in body else "/v2/testdata/attachment"
        assert error_of(await client.post(path, json=body))[0] == 21405, body


async def test_the_status_needs_credentials_permissions(client: httpx.AsyncClient) -> None:
    """The contract lists CredentialsManage and CredentialsRead: a person who may only send invoices gets 403."""
    company, owner_token = await owner(client)
    assert company.nip is not None
    pesel = random_pesel()
    granted = await client.post(
        "/v2/testdata/permissions",
        json={
            "contextIdentifier": {"type": "Nip", "value": company.nip},
            "authorizedIdentifier": {"type": "Pesel", "value": pesel},
            "permissions": [{"permissionType": "InvoiceWrite", "description": "Wystawianie faktur"}],
        },
    )
    assert granted.status_code == 200, granted.text
    clerk = await login(
        client, Identity.person_with_pesel(now=TEST_START, pesel=pesel), context=company.nip, now=TEST_START
    )
    refused = await client.get(STATUS, headers=bearer(clerk.access_token))
    assert refused.status_code == 403, refused.text
    assert (await client.get(STATUS)).status_code == 401
    assert (await client.get(STATUS, headers=bearer(owner_token))).status_code == 200


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


async def test_an_online_invoice_with_attachments_needs_a_technical_correction_and_the_consent(
    client: httpx.AsyncClient,
) -> None:
    company, token = await owner(client)
    assert company.nip is not None
    session = await open_session(client, token)
    issued = dt.date(2026, 3, 1)
    original = invoice_xml(seller_nip=company.nip, issue_date=issued, number="OFF/1", attachment=True)
    corrected = {"offlineMode": True, "hashOfCorrectedInvoice": _sha256_b64(original)}

    def correction(number: str) -> bytes:
        return invoice_xml(seller_nip=company.nip or "", issue_date=issued, number=number, attachment=True)

    plain = await sent(client, session, correction("Z/1"), offlineMode=True)  # not a correction: batch only
    without_consent = await sent(client, session, correction("Z/2"), **corrected)
    refused = await invoice_status(client, session, plain)
    assert refused["status"]["code"] == 415
    assert refused["status"]["details"] == ["Faktury z załącznikiem można wysyłać tylko w sesji wsadowej."]
    missing = await invoice_status(client, session, without_consent)
    assert missing["status"]["code"] == 415
    assert "zgody na wystawianie faktur z załącznikiem" in missing["status"]["details"][0]

    assert (await client.post("/v2/testdata/attachment", json={"nip": company.nip})).status_code == 200
    assert (await invoice_status(client, session, await sent(client, session, correction("Z/4"))))["status"][
        "code"
    ] == 415  # the consent does not open online sessions to other invoices with attachments
    with_consent = await sent(client, session, correction("Z/3"), **corrected)
    accepted = await invoice_status(client, session, with_consent)
    assert accepted["status"]["code"] == 200, accepted
    assert accepted["ksefNumber"].startswith(company.nip)
