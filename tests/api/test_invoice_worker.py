"""The invoice worker's queue: a worker whose claim ran out loses its batch to another worker, and the invoice is
numbered once; an invoice claimed too often ends at 550; the key of a session is unwrapped once per worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from documents.samples import invoice_xml
from ksef_mcu.clock import ManualClock
from ksef_mcu.server.sessions.signing import open_upo_signer
from ksef_mcu.server.sessions.tables import invoices
from ksef_mcu.server.sessions.worker import MAX_ATTEMPTS, InvoiceWorker
from ksef_mcu.server.settings import ServerSettings
from support.certificates import owner
from support.server import TEST_START, running
from support.sessions import invoice_status, open_session, sent

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def _worker(app: FastAPI, clock: ManualClock, name: str, **options: object) -> InvoiceWorker:
    components = app.state.components
    return InvoiceWorker(
        settings=components.settings,
        database=components.database,
        clock=clock,
        keys=components.keys,
        upo_signer=open_upo_signer(components.keys, now=clock.now()),
        seller_relation=components.permission_service.seller_relation,
        attachment_consent=components.permission_service.attachments_allowed,
        worker_id=name,
        **options,  # type: ignore[arg-type]
    )


async def test_a_worker_whose_lease_ran_out_loses_its_batch(
    app_factory: Callable[..., FastAPI], settings: ServerSettings, clock: ManualClock
) -> None:
    app = app_factory(settings.model_copy(update={"issuance_worker": False}))
    async with running(app) as client:
        identity, token = await owner(client)
        assert identity.nip is not None
        session = await open_session(client, token)
        references = [
            await sent(
                client, session, invoice_xml(seller_nip=identity.nip, issue_date=TEST_START.date(), number=f"W/{i}")
            )
            for i in range(3)
        ]
        second = _worker(app, clock, "second")
        taken_over: list[int] = []

        def meanwhile(claimed: list[str]) -> None:
            clock.advance(settings.invoice_claim_lease + dt.timedelta(seconds=1))
            taken_over.append(second.run_once().numbered)

        first = _worker(app, clock, "first", before_store=meanwhile)
        outcome = first.run_once()
        assert taken_over == [3]
        assert (outcome.numbered, outcome.lost) == (0, 3)
        for reference in references:
            assert (await invoice_status(client, session, reference))["status"]["code"] == 200
        with app.state.components.database.read() as connection:
            assert connection.execute(select(func.count()).select_from(invoices)).scalar_one() == 3


async def test_an_invoice_claimed_too_often_is_cancelled(
    app_factory: Callable[..., FastAPI], settings: ServerSettings, clock: ManualClock
) -> None:
    app = app_factory(settings.model_copy(update={"issuance_worker": False}))
    async with running(app) as client:
        identity, token = await owner(client)
        assert identity.nip is not None
        session = await open_session(client, token)
        reference = await sent(client, session, invoice_xml(seller_nip=identity.nip, issue_date=TEST_START.date()))

        def crash(claimed: list[str]) -> None:
            raise RuntimeError("the worker dies before storing")

        for _ in range(MAX_ATTEMPTS):
            with pytest.raises(RuntimeError):
                _worker(app, clock, "dying", before_store=crash).run_once()
            clock.advance(settings.invoice_claim_lease + dt.timedelta(seconds=1))
        assert _worker(app, clock, "last").run_once().refused == 1
        status = await invoice_status(client, session, reference)
        assert status["status"]["code"] == 550
