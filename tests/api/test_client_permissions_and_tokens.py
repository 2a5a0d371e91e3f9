"""The client's permission and KSeF-token calls against our server in-process (`AsyncKsefClient` over
`httpx.ASGITransport`): grant and follow the operation, query, revoke; generate a token, log in with it, list it,
revoke it and see the next login refused."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.client import (
    AsyncKsefClient,
    ContextIdentifier,
    ContextIdentifierType,
    KsefAuthenticationFailedError,
    KsefInvalidInputError,
)
from ksef_mcu.client.tokens import Token, TokenState
from ksef_mcu.crypto.certificates import SubjectIdentifier, SubjectIdentifierType
from support.login import Identity, login
from support.pki import random_nip, random_pesel
from support.server import TEST_START, running
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def _owner_client(app: FastAPI) -> tuple[str, AsyncKsefClient]:
    nip = random_nip()
    async with running(app) as raw:
        tokens = await login(raw, Identity.person_with_nip(now=TEST_START, nip=nip), context=nip, now=TEST_START)
    state = TokenState(
        Token(tokens.access_token, TEST_START + timedelta(minutes=15)),
        Token(tokens.refresh_token, TEST_START + timedelta(days=7)),
    )
    client = AsyncKsefClient(
        base_url="http://testserver/v2",
        transport=httpx.ASGITransport(app=app),
        tokens=state,
        clock=lambda: TEST_START,
    )
    return nip, client


async def test_grant_query_and_revoke_through_the_client(app: FastAPI) -> None:
    nip, client = await _owner_client(app)
    async with client:
        pesel = random_pesel()
        subject = SubjectIdentifier(SubjectIdentifierType.PESEL, pesel)
        operation = await client.permissions.grant_to_person(
            subject,
            ["InvoiceRead", "Introspection"],
            "Pracownik działu księgowości",
            first_name="Anna",
            last_name="Nowak",
        )
        final = await client.permissions.wait(operation.reference_number)
        assert final.status.succeeded
        granted = [item async for item in client.permissions.persons()]
        assert {(item.scope, item.holder, item.holder_name) for item in granted} == {
            ("InvoiceRead", f"Pesel {pesel}", "Anna Nowak"),
            ("Introspection", f"Pesel {pesel}", "Anna Nowak"),
        }
        revocation = await client.permissions.revoke(granted[0].id)
        assert (await client.permissions.wait(revocation.reference_number)).status.succeeded
        assert len([item async for item in client.permissions.persons()]) == 1
        with pytest.raises(KsefInvalidInputError):
            await client.permissions.grant_to_person(subject, ["InvoiceRead"], "x", first_name="A", last_name="Nowak")
        assert nip


async def test_a_token_made_and_used_through_the_client(app: FastAPI) -> None:
    nip, owner = await _owner_client(app)
    context = ContextIdentifier(ContextIdentifierType.NIP, nip)
    async with owner:
        generated = await owner.ksef_tokens.generate(["InvoiceRead"], "Token do integracji z ERP")
        assert generated.token not in repr(generated)
        info = await owner.ksef_tokens.get(generated.reference_number)
        assert info.status == "Active"
        assert [t.reference_number async for t in owner.ksef_tokens.list()] == [generated.reference_number]

        async with AsyncKsefClient(
            base_url="http://testserver/v2", transport=httpx.ASGITransport(app=app), clock=lambda: TEST_START
        ) as user:
            state = await user.auth.login_with_ksef_token(generated.token, context)
            assert claims(state.access_token.token)["aum"] == "Token"
            assert [t.reference_number async for t in user.ksef_tokens.list()] == [generated.reference_number]

            await owner.ksef_tokens.revoke(generated.reference_number)
            with pytest.raises(KsefAuthenticationFailedError) as failure:
                await user.auth.login_with_ksef_token(generated.token, context)
            assert failure.value.status_code == 450
            assert failure.value.details == ("Token unieważniony.",)


async def test_attachment_consent_through_the_client(app: FastAPI) -> None:
    nip, client = await _owner_client(app)
    async with client:
        assert (await client.permissions.attachment_status()).is_attachment_allowed is False
        await client.testdata.allow_attachments(nip)
        status = await client.permissions.attachment_status()
        assert status.is_attachment_allowed is True
        assert status.revoked_date is None
        await client.testdata.end_attachments(nip, end_date=TEST_START.date() + timedelta(days=30))
        status = await client.permissions.attachment_status()
        assert status.is_attachment_allowed is True
        assert status.revoked_date is not None
        assert status.revoked_date.date() in {
            TEST_START.date() + timedelta(days=29),
            TEST_START.date() + timedelta(days=30),
        }
        await client.testdata.end_attachments(nip)
        assert (await client.permissions.attachment_status()).is_attachment_allowed is False
        with pytest.raises(KsefInvalidInputError):
            await client.testdata.allow_attachments("123")
