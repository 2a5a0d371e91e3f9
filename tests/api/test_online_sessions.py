"""Online sessions through the API (ASGI, real database, real cryptography, the in-process invoice worker): opening,
sending, asynchronous checks and numbering, every refusal with its official code, UPOs that verify, closing, listing,
downloading an invoice by its KSeF number, and who may do it."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from documents.samples import invoice_xml
from ksef_mcu.clock import ManualClock
from ksef_mcu.documents.forms import FA2
from ksef_mcu.documents.ksef_numbers import parse_ksef_number
from ksef_mcu.documents.schemas import default_validator
from ksef_mcu.documents.upo import verify_upo
from ksef_mcu.server.settings import ServerSettings
from support.certificates import error_of, owner
from support.ksef_tokens import token_login
from support.login import Identity, bearer, login, start_login, status_of
from support.pki import random_pesel
from support.server import TEST_START, ContractChecker, running
from support.sessions import (
    FA2_CODE,
    OpenSession,
    ciphertext_body,
    invoice_status,
    open_request,
    open_session,
    send,
    sent,
    session_status,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ISSUED = dt.date(2026, 3, 2)


async def _owner_session(client: httpx.AsyncClient, **options: Any) -> tuple[str, OpenSession]:
    identity, token = await owner(client)
    assert identity.nip is not None
    return identity.nip, await open_session(client, token, **options)


async def test_an_invoice_gets_a_ksef_number_and_a_upo_that_verifies(
    client: httpx.AsyncClient, contract: ContractChecker
) -> None:
    nip, session = await _owner_session(client)
    xml = invoice_xml(seller_nip=nip, issue_date=ISSUED, number="FV/1")
    reference = await sent(client, session, xml)
    status = await invoice_status(client, session, reference)
    assert status["status"] == {"code": 200, "description": "Sukces"}
    assert status["ordinalNumber"] == 1
    assert status["invoiceNumber"] == "FV/1"
    assert status["invoicingMode"] == "Online"
    number = parse_ksef_number(status["ksefNumber"])
    assert number.seller_nip == nip
    assert number.accepted_on == ISSUED
    contract.check(
        await client.get(
            f"/v2/sessions/{session.reference_number}/invoices/{reference}", headers=bearer(session.token)
        ),
        "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
    )

    # the UPO of the invoice, by its reference and by its KSeF number: the same signed bytes, hash in the header
    by_reference = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices/{reference}/upo", headers=bearer(session.token)
    )
    by_number = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices/ksef/{status['ksefNumber']}/upo",
        headers=bearer(session.token),
    )
    assert by_reference.status_code == 200
    assert by_reference.headers["content-type"].startswith("application/xml")
    assert by_reference.content == by_number.content
    verified = verify_upo(by_reference.content, now=TEST_START, expected_hash=by_reference.headers["x-ms-meta-hash"])
    [entry] = verified.upo.entries
    assert entry.ksef_number == status["ksefNumber"]
    assert entry.seller_nip == nip
    assert entry.invoice_hash == base64.b64decode(status["invoiceHash"])
    with pytest.raises(Exception, match="x-ms-meta-hash"):
        verify_upo(
            by_reference.content.replace(b"FV/1", b"FV/2"),
            now=TEST_START,
            expected_hash=by_reference.headers["x-ms-meta-hash"],
        )

    # the invoice itself, by its KSeF number
    downloaded = await client.get(f"/v2/invoices/ksef/{status['ksefNumber']}", headers=bearer(session.token))
    assert downloaded.status_code == 200
    assert downloaded.content == xml
    assert downloaded.headers["x-ms-meta-hash"] == status["invoiceHash"]

    # closing: the collective UPO, downloadable without a token
    closed = await client.post(f"/v2/sessions/online/{session.reference_number}/close", headers=bearer(session.token))
    assert closed.status_code == 204
    final = await session_status(client, session)
    contract.check(
        await client.get(f"/v2/sessions/{session.reference_number}", headers=bearer(session.token)),
        "/sessions/{referenceNumber}",
    )
    assert final["status"]["code"] == 200
    assert (final["invoiceCount"], final["successfulInvoiceCount"], final["failedInvoiceCount"]) == (1, 1, 0)
    [page] = final["upo"]["pages"]
    path = page["downloadUrl"].split("://", 1)[1].split("/", 1)[1]
    upo = await client.get("/" + path)
    assert upo.status_code == 200, upo.text
    collective = verify_upo(upo.content, now=TEST_START, expected_hash=upo.headers["x-ms-meta-hash"])
    assert collective.upo.page is not None
    assert collective.upo.page.total == 1
    assert [e.ksef_number for e in collective.upo.entries] == [status["ksefNumber"]]
    flipped = "0" if path[-1] != "0" else "1"
    tampered = await client.get("/" + path[:-1] + flipped)
    assert tampered.status_code == 404

    listed = await client.get("/v2/sessions", params={"sessionType": "Online"}, headers=bearer(session.token))
    contract.check(listed, "/sessions")
    [item] = listed.json()["sessions"]
    assert item["referenceNumber"] == session.reference_number
    assert item["totalInvoiceCount"] == 1
    filtered = await client.get(
        "/v2/sessions", params={"sessionType": "Online", "statuses": "InProgress"}, headers=bearer(session.token)
    )
    assert filtered.json()["sessions"] == []


async def test_fa2_sessions_take_fa2_invoices_only(client: httpx.AsyncClient) -> None:
    if not default_validator().available(FA2):
        pytest.skip("the FA (2) XSDs come only from shared/ksef-docs (ksef-client has FA (3)); set KSEF_MCU_SHARED_DIR")
    nip, session = await _owner_session(client, form_code=FA2_CODE)
    fa2 = await sent(client, session, invoice_xml(FA2, seller_nip=nip, issue_date=ISSUED, number="A/1"))
    fa3 = await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="A/2"))
    assert (await invoice_status(client, session, fa2))["status"]["code"] == 200
    assert (await invoice_status(client, session, fa3))["status"]["code"] == 450


async def test_refusals_found_while_processing_have_their_official_statuses(client: httpx.AsyncClient) -> None:
    nip, session = await _owner_session(client)
    good = invoice_xml(seller_nip=nip, issue_date=ISSUED, number="FV/OK")
    cases: dict[str, tuple[int, str]] = {}

    # tampered ciphertext, honestly declared: decryption or the plain hash catches it
    encrypted = bytearray(session.key.encrypt(invoice_xml(seller_nip=nip, issue_date=ISSUED, number="FV/T")))
    encrypted[5] ^= 0xFF
    response = await client.post(
        f"/v2/sessions/online/{session.reference_number}/invoices",
        json=ciphertext_body(bytes(encrypted), invoice_xml(seller_nip=nip, issue_date=ISSUED, number="FV/T")),
        headers=bearer(session.token),
    )
    assert response.status_code == 202
    cases["tampered"] = (430, response.json()["referenceNumber"])
    # declared plain hash of another document
    cases["wrong plain hash"] = (
        430,
        await sent(client, session, good, invoiceHash=base64.b64encode(b"\x01" * 32).decode()),
    )
    cases["wrong plain size"] = (430, await sent(client, session, good, invoiceSize=len(good) + 1))
    invalid = invoice_xml(seller_nip=nip, issue_date=ISSUED, number="FV/X").replace(
        b"<P_12>23</P_12>", b"<P_12>99</P_12>"
    )
    cases["invalid XSD"] = (450, await sent(client, session, invalid))
    cases["not XML"] = (450, await sent(client, session, b"<Faktura>"))
    cases["another seller"] = (
        410,
        await sent(client, session, invoice_xml(seller_nip="7352765225", issue_date=ISSUED)),
    )
    cases["issued tomorrow"] = (
        450,
        await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED + dt.timedelta(days=1), number="F")),
    )
    big = invoice_xml(seller_nip=nip, issue_date=ISSUED, number="FV/BIG", extra_line_items=7000)
    assert len(big) > 1_000_000
    cases["oversized"] = (430, await sent(client, session, big))
    cases["attachment"] = (
        415,
        await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="Z", attachment=True)),
    )
    cases["another form"] = (450, await sent(client, session, invoice_xml(FA2, seller_nip=nip, issue_date=ISSUED)))
    first = await sent(client, session, good)
    cases["duplicate"] = (440, await sent(client, session, good))

    original = await invoice_status(client, session, first)
    assert original["status"]["code"] == 200
    for name, (code, reference) in cases.items():
        status = await invoice_status(client, session, reference)
        assert status["status"]["code"] == code, (name, status)
        assert status["status"]["description"], name
        assert status.get("ksefNumber") is None, name
    duplicate = await invoice_status(client, session, cases["duplicate"][1])
    assert duplicate["status"]["extensions"] == {
        "originalSessionReferenceNumber": session.reference_number,
        "originalKsefNumber": original["ksefNumber"],
    }
    failed = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices/failed",
        params={"pageSize": 10},
        headers=bearer(session.token),
    )
    first_page = failed.json()
    assert failed.status_code == 200, failed.text
    assert len(first_page["invoices"]) == 10
    assert first_page["continuationToken"]
    rest = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices/failed",
        headers={**bearer(session.token), "x-continuation-token": first_page["continuationToken"]},
    )
    assert len(rest.json()["invoices"]) == len(cases) - 10
    everything = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices", params={"pageSize": 100}, headers=bearer(session.token)
    )
    assert [i["ordinalNumber"] for i in everything.json()["invoices"]] == list(range(1, len(cases) + 2))
    no_upo = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices/{cases['duplicate'][1]}/upo", headers=bearer(session.token)
    )
    assert error_of(no_upo)[0] == 21178


async def test_offline_invoices_keep_their_own_issue_date(client: httpx.AsyncClient) -> None:
    nip, session = await _owner_session(client)
    older = ISSUED - dt.timedelta(days=3)
    declared = await sent(
        client, session, invoice_xml(seller_nip=nip, issue_date=older, number="O/1"), offlineMode=True
    )
    late = await sent(client, session, invoice_xml(seller_nip=nip, issue_date=older, number="O/2"))
    today = await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="O/3"), offlineMode=True)
    for reference in (declared, late, today):
        status = await invoice_status(client, session, reference)
        assert status["status"]["code"] == 200
        assert status["invoicingMode"] == "Offline", status
        assert parse_ksef_number(status["ksefNumber"]).accepted_on == ISSUED


async def test_requests_refused_at_once_have_their_exception_codes(client: httpx.AsyncClient, app: FastAPI) -> None:
    nip, session = await _owner_session(client)
    xml = invoice_xml(seller_nip=nip, issue_date=ISSUED)
    assert (
        error_of(await send(client, session, xml, encryptedInvoiceHash=base64.b64encode(b"\0" * 32).decode()))[0]
        == 21403
    )
    response = await send(client, session, xml)
    assert response.status_code == 202
    wrong_size = await send(client, session, xml, encryptedInvoiceSize=len(xml) + 999)
    assert error_of(wrong_size)[0] == 21402
    not_base64 = await send(client, session, xml, encryptedInvoiceContent="***")
    assert error_of(not_base64)[0] == 21405

    unknown = OpenSession("20260302-SO-0000000000-0000000000-00", session.key, session.token)
    assert error_of(await send(client, unknown, xml))[0] == 21173
    assert (
        error_of(await client.get(f"/v2/sessions/{unknown.reference_number}", headers=bearer(session.token)))[0]
        == 21173
    )

    other_response, _ = await open_request(
        client, session.token, form_code={"systemCode": "PEF (3)", "schemaVersion": "2-1", "value": "PEF"}
    )
    assert error_of(other_response)[0] == 21405
    certificate_response = await client.post(
        "/v2/sessions/online",
        json={
            "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
            "encryption": {
                "encryptedSymmetricKey": "AAAA",
                "initializationVector": base64.b64encode(b"0" * 16).decode(),
                "publicKeyId": base64.b64encode(b"k" * 32).decode(),
            },
        },
        headers=bearer(session.token),
    )
    assert error_of(certificate_response)[0] == 21470

    # a key wrapped for someone else opens a session that cannot take invoices (status 415)
    garbage = await client.post(
        "/v2/sessions/online",
        json={
            "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
            "encryption": {
                "encryptedSymmetricKey": base64.b64encode(b"x" * 256).decode(),
                "initializationVector": base64.b64encode(b"0" * 16).decode(),
            },
        },
        headers=bearer(session.token),
    )
    assert garbage.status_code == 201
    broken = OpenSession(garbage.json()["referenceNumber"], session.key, session.token)
    assert (await session_status(client, broken, until_final=False))["status"]["code"] == 415
    assert error_of(await send(client, broken, xml))[0] == 21180

    # closed: no more invoices, no second close
    closed = await client.post(f"/v2/sessions/online/{session.reference_number}/close", headers=bearer(session.token))
    assert closed.status_code == 204
    code, _, details = error_of(await send(client, session, xml))
    assert code == 21180
    assert details == ["Status sesji 170 uniemożliwia wysyłkę faktur."]
    assert (
        error_of(
            await client.post(f"/v2/sessions/online/{session.reference_number}/close", headers=bearer(session.token))
        )[0]
        == 21180
    )

    # an empty session ends as cancelled
    empty = await open_session(client, session.token)
    await client.post(f"/v2/sessions/online/{empty.reference_number}/close", headers=bearer(session.token))
    cancelled = await session_status(client, empty)
    assert cancelled["status"] == {"code": 440, "description": "Sesja anulowana", "details": ["Nie przesłano faktur"]}

    # bodies over the upload limit are refused before they are read; other paths keep the small limit
    huge = await client.post(
        f"/v2/sessions/online/{session.reference_number}/invoices",
        content=b"{" + b" " * (7 * 1024 * 1024) + b"}",
        headers={**bearer(session.token), "content-type": "application/json"},
    )
    assert huge.status_code == 413
    small_limit = await client.post(
        f"/v2/sessions/online/{session.reference_number}/close",
        content=b" " * (2 * 1024 * 1024),
        headers={**bearer(session.token), "content-type": "application/json"},
    )
    assert small_limit.status_code == 413


async def test_the_session_invoice_limit(app_factory: Callable[..., FastAPI], settings: ServerSettings) -> None:
    app = app_factory(settings.model_copy(update={"session_invoice_limit": 2}))
    async with running(app) as client:
        nip, session = await _owner_session(client)
        for number in ("L/1", "L/2"):
            await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number=number))
        code, _, details = error_of(await send(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED)))
        assert code == 21155
        assert details == [
            f"Sesja o numerze referencyjnym {session.reference_number} osiągnęła dozwolony limit liczby faktur 2."
        ]


async def test_sessions_belong_to_their_context(client: httpx.AsyncClient) -> None:
    nip, session = await _owner_session(client)
    reference = await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="C/1"))
    status = await invoice_status(client, session, reference)
    _, stranger = await owner(client)
    assert error_of(await client.get(f"/v2/sessions/{session.reference_number}", headers=bearer(stranger)))[0] == 21173
    foreign = OpenSession(session.reference_number, session.key, stranger)
    assert error_of(await send(client, foreign, invoice_xml(issue_date=ISSUED)))[0] == 21173
    assert error_of(await client.get(f"/v2/invoices/ksef/{status['ksefNumber']}", headers=bearer(stranger)))[0] == 21164
    assert (
        error_of(await client.get("/v2/invoices/ksef/5265877635-20250826-0100001AF629-00", headers=bearer(stranger)))[0]
        == 21405
    )


async def test_a_ksef_token_with_invoice_read_only_cannot_open_a_session(client: httpx.AsyncClient) -> None:
    identity, token = await owner(client)
    assert identity.nip is not None
    made = await client.post(
        "/v2/tokens",
        json={"permissions": ["InvoiceRead"], "description": "Token tylko do odczytu"},
        headers=bearer(token),
    )
    assert made.status_code == 202, made.text
    reader = await token_login(client, made.json()["token"], context=identity.nip)
    response, _ = await open_request(client, reader.access_token)
    assert response.status_code == 403
    assert response.json()["reasonCode"] == "missing-permissions"

    writer_made = await client.post(
        "/v2/tokens",
        json={"permissions": ["InvoiceWrite"], "description": "Token do wysyłki faktur"},
        headers=bearer(token),
    )
    writer = await token_login(client, writer_made.json()["token"], context=identity.nip)
    session = await open_session(client, writer.access_token)
    reference = await sent(client, session, invoice_xml(seller_nip=identity.nip, issue_date=ISSUED, number="T/1"))
    status = await invoice_status(client, session, reference)
    assert status["status"]["code"] == 200
    upo = await client.get(
        f"/v2/sessions/{session.reference_number}/invoices/{reference}/upo", headers=bearer(writer.access_token)
    )
    verified = verify_upo(upo.content, now=TEST_START)
    assert verified.upo.authentication.ksef_token_reference == writer_made.json()["referenceNumber"]
    # reading the invoice needs InvoiceRead
    assert (
        await client.get(f"/v2/invoices/ksef/{status['ksefNumber']}", headers=bearer(writer.access_token))
    ).status_code == 403


async def test_a_person_granted_invoice_write_by_pesel_sends_for_the_company(client: httpx.AsyncClient) -> None:
    """Issue 14's scenario with real sessions: the owner grants InvoiceWrite to a person by PESEL; that person's own
    certificate logs into the company's context and sends an invoice; without the grant the login is refused."""
    company, owner_token = await owner(client)
    assert company.nip is not None
    pesel = random_pesel()
    person = Identity.person_with_pesel(now=TEST_START, pesel=pesel)
    refused = await start_login(client, person, context=company.nip, now=TEST_START)
    assert (await status_of(client, refused))["status"]["code"] == 415

    grant = await client.post(
        "/v2/permissions/persons/grants",
        json={
            "subjectIdentifier": {"type": "Pesel", "value": pesel},
            "permissions": ["InvoiceWrite"],
            "description": "Księgowa wystawiająca faktury",
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": "Anna", "lastName": "Testowa"},
            },
        },
        headers=bearer(owner_token),
    )
    assert grant.status_code == 202, grant.text
    operation = grant.json()["referenceNumber"]
    for _ in range(100):
        state = await client.get(f"/v2/permissions/operations/{operation}", headers=bearer(owner_token))
        if state.json()["status"]["code"] != 100:
            break
        await asyncio.sleep(0.05)
    assert state.json()["status"]["code"] == 200, state.text

    tokens = await login(client, person, context=company.nip, now=TEST_START)
    session = await open_session(client, tokens.access_token)
    reference = await sent(client, session, invoice_xml(seller_nip=company.nip, issue_date=ISSUED, number="P/1"))
    status = await invoice_status(client, session, reference)
    assert status["status"]["code"] == 200
    assert parse_ksef_number(status["ksefNumber"]).seller_nip == company.nip
    # her own sessions only: InvoiceWrite without Introspection
    listed = await client.get("/v2/sessions", params={"sessionType": "Online"}, headers=bearer(tokens.access_token))
    assert [item["referenceNumber"] for item in listed.json()["sessions"]] == [session.reference_number]
    owner_session = await open_session(client, owner_token)
    assert (
        error_of(
            await client.get(f"/v2/sessions/{owner_session.reference_number}", headers=bearer(tokens.access_token))
        )[0]
        == 21173
    )


async def test_a_session_past_its_validity_closes_itself(client: httpx.AsyncClient, clock: ManualClock) -> None:
    identity, token = await owner(client)
    assert identity.nip is not None
    nip = identity.nip
    session = await open_session(client, token)
    reference = await sent(client, session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="V/1"))
    assert (await invoice_status(client, session, reference))["status"]["code"] == 200
    opened = await session_status(client, session, until_final=False)
    assert opened["validUntil"] == "2026-03-02T21:30:00Z"
    clock.advance(dt.timedelta(hours=12, seconds=1))
    fresh = await login(client, identity, context=nip, now=clock.now())
    later = OpenSession(session.reference_number, session.key, fresh.access_token)
    assert error_of(await send(client, later, invoice_xml(seller_nip=nip, issue_date=ISSUED)))[0] == 21180
    final = await session_status(client, later)
    assert final["status"]["code"] == 200
    assert final["upo"]["pages"]


async def test_an_invoice_for_another_seller_needs_the_sellers_authorization(client: httpx.AsyncClient) -> None:
    """Self-invoicing: the buyer's context issues the invoice with the seller's NIP once the seller authorized it —
    the permissions domain's rule, the same KOD II's verification applies."""
    buyer, session = await _owner_session(client)
    seller_identity, seller_token = await owner(client)
    seller = seller_identity.nip
    assert seller is not None
    refused = await invoice_status(
        client, session, await sent(client, session, invoice_xml(seller_nip=seller, issue_date=ISSUED, number="S/1"))
    )
    assert refused["status"]["code"] == 410, refused
    assert seller in refused["status"]["details"][0]
    grant = await client.post(
        "/v2/permissions/authorizations/grants",
        json={
            "subjectIdentifier": {"type": "Nip", "value": buyer},
            "permission": "SelfInvoicing",
            "description": "Samofakturowanie",
            "subjectDetails": {"fullName": "Nabywca samofakturujący"},
        },
        headers=bearer(seller_token),
    )
    assert grant.status_code == 202, grant.text
    accepted = await invoice_status(
        client, session, await sent(client, session, invoice_xml(seller_nip=seller, issue_date=ISSUED, number="S/2"))
    )
    assert accepted["status"]["code"] == 200, accepted
    assert parse_ksef_number(accepted["ksefNumber"]).seller_nip == seller
