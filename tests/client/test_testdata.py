"""Test data: the bodies both faces send, what is refused before sending, and the real server in-process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.client import (
    AsyncKsefClient,
    ContextIdentifier,
    ContextIdentifierType,
    KsefApiError,
    KsefInvalidInputError,
    KsefRateLimitError,
    SubjectIdentifier,
    SubjectIdentifierType,
    SubjectType,
    Subunit,
    TestDataPermission,
    TestDataPermissionType,
)
from support.pki import random_nip, random_pesel
from support.server import TEST_CLIENT_IP, TEST_START

from .fakes import FakeClock, FakeKsef, all_paths, body, make_client, ok, tokens
from .test_contract import _operation, _properties

NIP, MEMBER, PESEL = "5265877635", "7010002137", "90010112345"
FINGERPRINT = "A" * 64
LIMITS_PATH = "/testdata/limits/subject/certificate"


def test_every_operation_sends_the_contract_body(fake: FakeKsef, clock: FakeClock, open_api: dict[str, Any]) -> None:
    for path in (
        "/testdata/subject",
        "/testdata/subject/remove",
        "/testdata/person",
        "/testdata/person/remove",
        "/testdata/permissions",
        "/testdata/permissions/revoke",
        "/testdata/context/block",
        "/testdata/context/unblock",
        LIMITS_PATH,
    ):
        fake.on("POST", path, ok())
    fake.on("DELETE", LIMITS_PATH, ok())
    authorized = SubjectIdentifier(SubjectIdentifierType.PESEL, PESEL)
    context = ContextIdentifier(ContextIdentifierType.INTERNAL_ID, f"{NIP}-00001")
    with make_client(fake, clock, token_state=tokens()) as client:
        client.testdata.create_subject(
            NIP,
            "vatgroup",
            "Grupa VAT testowa",
            subunits=[Subunit(MEMBER, "Członek grupy")],
            created_date=datetime(2026, 3, 1, tzinfo=UTC),
        )
        client.testdata.remove_subject(NIP)
        client.testdata.create_person(NIP, PESEL, "JDG testowa", is_deceased=True)
        client.testdata.remove_person(NIP)
        client.testdata.grant_permissions(
            NIP, authorized, [TestDataPermission(TestDataPermissionType.INVOICE_READ, "Odczyt faktur")]
        )
        client.testdata.revoke_permissions(NIP, authorized)
        client.testdata.block_context(context)
        client.testdata.unblock_context(context)
        client.testdata.set_certificate_limits(max_certificates=0)
        client.testdata.restore_certificate_limits()

    bodies = [body(request) if request.content else None for request in fake.requests]
    assert bodies == [
        {
            "subjectNip": NIP,
            "subjectType": "VatGroup",
            "description": "Grupa VAT testowa",
            "subunits": [{"subjectNip": MEMBER, "description": "Członek grupy"}],
            "createdDate": "2026-03-01T00:00:00+00:00",
        },
        {"subjectNip": NIP},
        {"nip": NIP, "pesel": PESEL, "isBailiff": False, "description": "JDG testowa", "isDeceased": True},
        {"nip": NIP},
        {
            "contextIdentifier": {"type": "Nip", "value": NIP},
            "authorizedIdentifier": {"type": "Pesel", "value": PESEL},
            "permissions": [{"permissionType": "InvoiceRead", "description": "Odczyt faktur"}],
        },
        {
            "contextIdentifier": {"type": "Nip", "value": NIP},
            "authorizedIdentifier": {"type": "Pesel", "value": PESEL},
        },
        {"contextIdentifier": {"type": "InternalId", "value": f"{NIP}-00001"}},
        {"contextIdentifier": {"type": "InternalId", "value": f"{NIP}-00001"}},
        {"certificate": {"maxCertificates": 0}},
        None,
    ]
    # Only the limits carry the access token: the rest of the test data is public in KSeF.
    assert [request.headers.get("authorization") for request in fake.requests][-3:] == [
        None,
        "Bearer access-1",
        "Bearer access-1",
    ]
    for request in fake.requests:
        path = request.url.path.removeprefix("/v2")
        operation = _operation(open_api, request.method, path)
        if request.content:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            sent = set(body(request))
            assert sent <= _properties(open_api, schema), f"{path}: {sent - _properties(open_api, schema)}"


Call = Callable[[Any], Any]
REFUSED: list[tuple[str, Call, str]] = [
    ("nip with dashes", lambda t: t.create_subject("526-587-76-35", "JST", "Gmina testowa"), "nip"),
    ("unknown subject type", lambda t: t.create_subject(NIP, "Firma", "Gmina testowa"), "subject_type"),
    ("short description", lambda t: t.create_subject(NIP, SubjectType.JST, "Gm"), "description"),
    ("bad subunit", lambda t: t.create_subject(NIP, "JST", "Gmina", subunits=[Subunit("1", "x" * 5)]), "subunits.nip"),
    ("naive created date", lambda t: t.create_person(NIP, PESEL, "Osoba", created_date=datetime(2026, 1, 1)), ""),
    ("pesel month 13", lambda t: t.create_person(NIP, "90130112345", "Osoba testowa"), "pesel"),
    ("no permissions", lambda t: t.grant_permissions(NIP, SubjectIdentifier(SubjectIdentifierType.NIP, NIP), []), ""),
    (
        "lower-case fingerprint",
        lambda t: t.revoke_permissions(NIP, SubjectIdentifier(SubjectIdentifierType.FINGERPRINT, "a" * 64)),
        "authorized",
    ),
    ("context value", lambda t: t.block_context(ContextIdentifier(ContextIdentifierType.NIP, "123")), "context"),
    ("no limit", lambda t: t.set_certificate_limits(), "limits"),
    ("negative limit", lambda t: t.set_certificate_limits(max_enrollments=-1), "max_enrollments"),
]


@pytest.mark.parametrize(("case", "call", "field"), REFUSED, ids=[case for case, _, _ in REFUSED])
def test_bad_input_is_refused_before_sending(
    fake: FakeKsef, clock: FakeClock, case: str, call: Call, field: str
) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError) as info:
        call(client.testdata)
    assert info.value.message
    if field:
        assert info.value.field == field
    assert fake.requests == []


def test_only_restoring_the_limits_is_retried(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/testdata/person/remove", httpx.Response(429, headers={"Retry-After": "1"}))
    fake.on("DELETE", LIMITS_PATH, httpx.Response(503), ok())
    with make_client(fake, clock, token_state=tokens()) as client:
        with pytest.raises(KsefRateLimitError):
            client.testdata.remove_person(NIP)
        client.testdata.restore_certificate_limits()
    assert all_paths(fake.requests) == [
        "POST /testdata/person/remove",
        f"DELETE {LIMITS_PATH}",
        f"DELETE {LIMITS_PATH}",
    ]


@pytest.mark.anyio
@pytest.mark.db
async def test_against_the_real_server_in_process(
    database: Any, server_keys: Any, settings: Any, open_api: dict[str, Any]
) -> None:
    from ksef_mcu.clock import ManualClock
    from ksef_mcu.server.app import create_app

    app: FastAPI = create_app(settings, clock=ManualClock(TEST_START), keys=server_keys, database=database)
    group, member, person_nip = random_nip(), random_nip(), random_nip()
    transport = httpx.ASGITransport(app=app, client=(TEST_CLIENT_IP, 50123))
    async with app.router.lifespan_context(app), AsyncKsefClient(transport=transport) as client:
        await client.testdata.create_subject(
            group, SubjectType.VAT_GROUP, "Grupa VAT", subunits=[Subunit(member, "Członek grupy")]
        )
        with pytest.raises(KsefApiError) as duplicate:
            await client.testdata.create_subject(group, SubjectType.VAT_GROUP, "Grupa VAT")
        assert duplicate.value.code == 30001
        await client.testdata.create_person(person_nip, random_pesel(), "JDG testowa")
        authorized = SubjectIdentifier(SubjectIdentifierType.NIP, person_nip)
        await client.testdata.grant_permissions(
            group, authorized, [TestDataPermission(TestDataPermissionType.CREDENTIALS_MANAGE, "Certyfikaty")]
        )
        await client.testdata.revoke_permissions(group, authorized)
        context = ContextIdentifier(ContextIdentifierType.NIP, group)
        await client.testdata.block_context(context)
        await client.testdata.unblock_context(context)
        await client.testdata.remove_person(person_nip)
        await client.testdata.remove_subject(group)
        await client.testdata.create_subject(group, "jst", "Gmina testowa")  # 30001 if the removal did nothing
