"""Online sessions against real `ksef-mcu serve` processes (and a `ksef-mcu worker`), on SQLite and PostgreSQL:
100 invoices get KSeF numbers and UPOs whose signature and hash verify; a server killed with SIGKILL in the middle of
200 sends and started again loses no accepted invoice and numbers none twice; ksef-client 0.20.0 opens a session and
sends an invoice to our server."""

from __future__ import annotations

import asyncio
import base64
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from documents.samples import invoice_xml
from ksef_mcu.documents.ksef_numbers import parse_ksef_number
from ksef_mcu.documents.upo import verify_upo
from ksef_mcu.server.sessions.tables import invoices, session_invoices
from ksef_mcu.storage.database import Database
from support.login import Identity, bearer, login
from support.processes import Serve, Worker, serving
from support.sessions import OpenSession, invoice_status, open_session, send, session_status

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

FAST = {"rate_limits_enabled": "false", "invoice_claim_lease": "PT2S", "issuance_poll_interval": "PT0.1S"}


def today() -> object:
    return datetime.now(ZoneInfo("Europe/Warsaw")).date()


async def owner(client: httpx.AsyncClient) -> tuple[str, str]:
    identity = Identity.person_with_nip(now=datetime.now(UTC))
    tokens = await login(client, identity, context=identity.nip or "", now=datetime.now(UTC))
    assert identity.nip is not None
    return identity.nip, tokens.access_token


async def test_a_hundred_invoices_get_ksef_numbers_and_upos_that_verify(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    # One API process without its own worker and a separate `ksef-mcu worker`: the queue crosses processes.
    server = Serve(data_dir, database_url, **FAST, issuance_worker="false")
    worker = Worker(data_dir, database_url, "invoices", **FAST)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            nip, token = await owner(client)
            session = await open_session(client, token)
            bodies = [invoice_xml(seller_nip=nip, issue_date=today(), number=f"E2E/{i}") for i in range(100)]  # type: ignore[arg-type]
            references: list[str] = [""] * 100

            async def sender(offset: int) -> None:
                for index in range(offset, 100, 8):
                    response = await send(client, session, bodies[index])
                    assert response.status_code == 202, response.text
                    references[index] = response.json()["referenceNumber"]

            await asyncio.gather(*(sender(offset) for offset in range(8)))
            numbers = set()
            for index, reference in enumerate(references):
                status = await invoice_status(client, session, reference, timeout=120)
                assert status["status"]["code"] == 200, status
                numbers.add(status["ksefNumber"])
                assert parse_ksef_number(status["ksefNumber"]).seller_nip == nip
                upo = await client.get(
                    f"/v2/sessions/{session.reference_number}/invoices/{reference}/upo", headers=bearer(token)
                )
                verified = verify_upo(upo.content, now=datetime.now(UTC), expected_hash=upo.headers["x-ms-meta-hash"])
                assert verified.upo.entries[0].ksef_number == status["ksefNumber"]
                assert verified.upo.entries[0].invoice_number == f"E2E/{index}"
            assert len(numbers) == 100
            assert (
                await client.post(f"/v2/sessions/online/{session.reference_number}/close", headers=bearer(token))
            ).status_code == 204
            final = await session_status(client, session, timeout=120)
            assert final["status"]["code"] == 200
            assert final["successfulInvoiceCount"] == 100
            [page] = final["upo"]["pages"]
            upo = await client.get(
                f"/v2/sessions/{session.reference_number}/upo/{page['referenceNumber']}", headers=bearer(token)
            )
            collective = verify_upo(upo.content, now=datetime.now(UTC), expected_hash=upo.headers["x-ms-meta-hash"])
            assert {entry.ksef_number for entry in collective.upo.entries} == numbers
        assert worker.terminate() == 0, worker.output()
        assert "invoice worker" in worker.output()
        assert "Traceback" not in worker.output()
    finally:
        for process in (server, worker):
            if process.process.poll() is None:
                process.terminate()


def database_facts(url: str) -> dict[str, int]:
    database = Database.from_url(url)
    try:
        with database.read() as connection:
            pending = connection.execute(
                select(func.count()).select_from(session_invoices).where(session_invoices.c.status_code == 100)
            ).scalar_one()
            numbered = connection.execute(
                select(func.count()).select_from(session_invoices).where(session_invoices.c.status_code == 200)
            ).scalar_one()
            distinct_numbers = connection.execute(
                select(func.count(func.distinct(session_invoices.c.ksef_number))).where(
                    session_invoices.c.status_code == 200
                )
            ).scalar_one()
            stored = connection.execute(select(func.count()).select_from(invoices)).scalar_one()
            distinct_invoices = connection.execute(
                select(func.count(func.distinct(invoices.c.invoice_number)))
            ).scalar_one()
    finally:
        database.dispose()
    return {
        "pending": pending,
        "numbered": numbered,
        "distinct_numbers": distinct_numbers,
        "stored": stored,
        "distinct_invoices": distinct_invoices,
    }


async def test_sigkill_during_200_sends_loses_and_duplicates_nothing(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    server = Serve(data_dir, database_url, **FAST)
    accepted: dict[int, str] = {}
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            nip, token = await owner(client)
            session = await open_session(client, token)
            bodies = [invoice_xml(seller_nip=nip, issue_date=today(), number=f"K/{i}") for i in range(200)]  # type: ignore[arg-type]
            killed = asyncio.Event()

            async def sender(offset: int) -> None:
                for index in range(offset, 200, 8):
                    if killed.is_set():
                        return
                    try:
                        response = await send(client, session, bodies[index])
                    except httpx.TransportError:
                        return  # the server is gone: this invoice's fate is unknown to us, the database knows
                    assert response.status_code == 202, response.text
                    accepted[index] = response.json()["referenceNumber"]
                    if len(accepted) == 100 and not killed.is_set():
                        killed.set()
                        server.kill()

            await asyncio.gather(*(sender(offset) for offset in range(8)))
        assert server.process.returncode == -signal.SIGKILL
    finally:
        if server.process.poll() is None:
            server.kill()

    restarted = Serve(data_dir, database_url, **FAST)
    try:
        async with httpx.AsyncClient(base_url=restarted.base_url, timeout=30) as client:
            again = OpenSession(session.reference_number, session.key, token)  # same keys: the token still works
            numbers = {}
            for index, reference in accepted.items():
                status = await invoice_status(client, again, reference, timeout=120)
                assert status["status"]["code"] == 200, status
                numbers[index] = status["ksefNumber"]
            assert len(set(numbers.values())) == len(numbers)
            # Resending everything (as a client unsure of what arrived would) numbers each invoice once at most.
            second = await open_session(client, token)
            resent = {}
            for index, body in enumerate(bodies):
                response = await send(client, second, body)
                assert response.status_code == 202, response.text
                resent[index] = response.json()["referenceNumber"]
            for index, reference in resent.items():
                status = await invoice_status(client, second, reference, timeout=120)
                if index in numbers:
                    assert status["status"]["code"] == 440, status
                    assert status["status"]["extensions"]["originalKsefNumber"] == numbers[index]
                else:
                    assert status["status"]["code"] in (200, 440), status
        facts = database_facts(database_url)
        assert facts["pending"] == 0
        assert facts["numbered"] == facts["distinct_numbers"] == facts["stored"] == 200
        assert facts["distinct_invoices"] == 200
    finally:
        restarted.terminate()
    print(f"\n{len(accepted)} accepted before SIGKILL; all numbered after the restart; 200 invoices numbered once")


def test_ksef_client_opens_a_session_and_sends_an_invoice(tmp_path: Path) -> None:
    ksef_client = pytest.importorskip("ksef_client", reason="the dev extra ksef-client[xml] is not installed")
    del ksef_client
    from cryptography.hazmat.primitives import serialization
    from ksef_client.client import KsefClient
    from ksef_client.config import KsefClientOptions
    from ksef_client.models import FormCode
    from ksef_client.services.workflows import AuthCoordinator, OnlineSessionWorkflow

    from ksef_mcu.crypto.keys import generate_private_key
    from ksef_mcu.crypto.self_signed import TestSubject, build_self_signed_certificate
    from ksef_mcu.identifiers import generate_random_nip

    nip = generate_random_nip()
    key = generate_private_key()
    certificate = build_self_signed_certificate(key, TestSubject.seal(nip), now=datetime.now(UTC))
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    invoice = invoice_xml(seller_nip=nip, issue_date=today(), number="PEER/1")  # type: ignore[arg-type]

    with serving(tmp_path / "data", rate_limits_enabled="false") as base_url:
        options = KsefClientOptions(base_url=base_url, base_qr_url=f"{base_url}/qr")
        with KsefClient(options) as peer:
            token = (
                AuthCoordinator(peer.auth)
                .authenticate_with_xades(
                    context_identifier_type="nip",
                    context_identifier_value=nip,
                    subject_identifier_type="certificateSubject",
                    certificate_pem=certificate_pem,
                    private_key_pem=key_pem,
                    verify_certificate_chain=False,
                    poll_interval_seconds=0.1,
                )
                .tokens.access_token.token
            )
            public = peer.security.get_public_key_certificate("SymmetricKeyEncryption")
            workflow = OnlineSessionWorkflow(peer.sessions)
            handle = workflow.open_session(
                form_code=FormCode(system_code="FA (3)", schema_version="1-0E", value="FA"),
                public_certificate=public.certificate,
                access_token=token,
            )
            sent = handle.send_invoice(invoice)
            reference = sent.reference_number
            deadline = datetime.now(UTC).timestamp() + 60
            while True:
                status = peer.sessions.get_session_invoice_status(
                    handle.reference_number, reference, access_token=token
                )
                if status.status.code not in (100, 150):
                    break
                assert datetime.now(UTC).timestamp() < deadline
                time.sleep(0.05)
            assert status.status.code == 200, status
            assert parse_ksef_number(status.ksef_number).seller_nip == nip
            upo = peer.sessions.get_session_invoice_upo_by_ref(handle.reference_number, reference, access_token=token)
            upo_bytes = upo if isinstance(upo, bytes) else getattr(upo, "content", upo)
            verify_upo(upo_bytes, now=datetime.now(UTC))
            handle.close()
            assert base64.b64decode(status.invoice_hash)
