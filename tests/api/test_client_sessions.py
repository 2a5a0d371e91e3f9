"""The client's session, invoice and UPO calls against our server: `AsyncKsefClient` in-process (ASGI) and
`KsefClient` over TCP (the app in a thread) — the encryption done by the client, `send_invoices` end to end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from documents.samples import invoice_xml
from ksef_mcu.client import AsyncKsefClient, KsefApiError, KsefClient
from ksef_mcu.client.tokens import Token, TokenState
from ksef_mcu.documents.ksef_numbers import parse_ksef_number
from ksef_mcu.documents.upo import verify_upo
from support.live_server import serve_in_thread
from support.login import Identity, login
from support.pki import random_nip
from support.server import TEST_START, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ISSUED = TEST_START.date()


async def _tokens(raw: httpx.AsyncClient, nip: str) -> TokenState:
    tokens = await login(raw, Identity.person_with_nip(now=TEST_START, nip=nip), context=nip, now=TEST_START)
    return TokenState(
        Token(tokens.access_token, TEST_START + timedelta(minutes=15)),
        Token(tokens.refresh_token, TEST_START + timedelta(days=7)),
    )


async def test_send_invoices_through_the_async_client(app: FastAPI, tmp_path: Path) -> None:
    nip = random_nip()
    async with running(app) as raw:
        client = AsyncKsefClient(
            base_url="http://testserver/v2",
            transport=httpx.ASGITransport(app=app),
            tokens=await _tokens(raw, nip),
            clock=lambda: TEST_START,
        )
        async with client:
            path = tmp_path / "faktura.xml"
            path.write_bytes(invoice_xml(seller_nip=nip, issue_date=ISSUED, number="K/1"))
            progress: list[tuple[str, int, int]] = []
            report = await client.sessions.send_invoices(
                [path, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="K/2"), path.read_bytes()],
                on_progress=lambda stage, done, total: progress.append((stage, done, total)),
            )
            assert [item.name for item in report.invoices] == ["faktura.xml", "#2", "#3"]
            assert [item.status.status.code for item in report.invoices] == [200, 200, 440]
            assert progress[:3] == [("sent", 1, 3), ("sent", 2, 3), ("sent", 3, 3)]
            assert ("processed", 3, 3) in progress
            for item in report.succeeded:
                assert item.ksef_number is not None
                assert parse_ksef_number(item.ksef_number).seller_nip == nip
                assert item.upo is not None
                assert item.upo.hash_matches
                verified = verify_upo(item.upo.content, now=TEST_START, expected_hash=item.upo.meta_hash)
                assert [entry.ksef_number for entry in verified.upo.entries] == [item.ksef_number]
            [duplicate] = report.failed
            assert duplicate.status.status.extensions is not None
            assert duplicate.status.status.extensions["originalKsefNumber"] == report.invoices[0].ksef_number
            assert report.session.status.code == 200
            [page] = report.session_upo
            collective = verify_upo(page.content, now=TEST_START, expected_hash=page.meta_hash)
            assert {entry.ksef_number for entry in collective.upo.entries} == {
                item.ksef_number for item in report.succeeded
            }

            listed = [item async for item in client.sessions.list()]
            assert [item.reference_number for item in listed] == [report.session_reference]
            invoices = [item async for item in client.sessions.invoices(report.session_reference)]
            assert [item.ordinal_number for item in invoices] == [1, 2, 3]
            failed = [item async for item in client.sessions.invoices(report.session_reference, failed_only=True)]
            assert [item.status.code for item in failed] == [440]
            # downloading an invoice needs InvoiceRead, which an owner has
            first = report.invoices[0].ksef_number
            assert first is not None
            document = await client.sessions.invoice_by_ksef_number(first)
            assert document.content == path.read_bytes()

            # one by one, with the handle
            session = await client.sessions.open_online("FA (3)")
            reference = await client.sessions.send_invoice(
                session, invoice_xml(seller_nip=nip, issue_date=ISSUED, number="K/3")
            )
            status = await client.sessions.wait_for_invoice(session.reference_number, reference, timeout=30)
            assert status.status.code == 200
            assert status.ksef_number is not None
            upo = await client.sessions.invoice_upo(session.reference_number, ksef_number=status.ksef_number)
            assert upo.hash_matches
            await client.sessions.close(session.reference_number)
            assert (await client.sessions.wait_closed(session.reference_number, timeout=30)).status.code == 200


async def test_the_sync_client_over_tcp(app: FastAPI) -> None:
    nip = random_nip()
    async with running(app) as raw:
        tokens = await _tokens(raw, nip)

    def scenario(base_url: str) -> None:
        with KsefClient(base_url=f"{base_url}/v2", tokens=tokens, clock=lambda: TEST_START) as client:
            report = client.sessions.send_invoices([invoice_xml(seller_nip=nip, issue_date=ISSUED, number="S/1")])
            [item] = report.invoices
            assert item.status.status.code == 200
            assert item.upo is not None
            verify_upo(item.upo.content, now=TEST_START, expected_hash=item.upo.meta_hash)
            with pytest.raises(KsefApiError, match="21164"):
                client.sessions.invoice_by_ksef_number("5265877635-20250826-0100001AF629-AF")

    with serve_in_thread(app) as base_url:
        await asyncio.to_thread(scenario, base_url)
