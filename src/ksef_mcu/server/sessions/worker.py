"""The invoice worker: turns accepted invoices (status 100) into KSeF numbers (200) or refusals (4xx/5xx), and closed
sessions (170) into their collective UPO (200) — on the durable-queue model of the certificates' issuance worker.

The `session_invoices` rows are the queue; any number of workers (in `ksef-mcu serve` processes or `ksef-mcu worker`
processes) may share one database:

1. Claim — one write transaction takes up to `invoice_batch_size` pending invoices, oldest first, that no live claim
   holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), until now + `invoice_claim_lease`.
2. Check — outside any transaction: decrypt with the session's key (unwrapped once per process and kept in memory),
   compare with the declared size and hash, read and validate the invoice (`processing.check_invoice`).
3. Store — one write transaction: for each invoice still pending and still ours, either register it in `invoices`
   with a fresh KSeF number (the unique constraint on seller NIP, kind and number refuses a duplicate: status 440 with
   the original's numbers) and set 200, or set its refusal; the session's counters move in the same transaction.
   An invoice is numbered exactly once: the number and the status are written together, only while the claim holds.
4. Resume — invoices claimed by a worker that died are claimed again when the lease runs out; an invoice claimed
   `MAX_ATTEMPTS` times ends at 550. Nothing accepted is lost: the encrypted invoice stays in its row until then.
5. Sessions — open sessions past `validUntil` close themselves; a closed session with nothing pending gets its UPO
   pages (signed once, stored) and status 200, or 440 (no invoices) / 445 (no valid invoices).

On PostgreSQL a trigger (migration `c5d8e1f3a7b2`) wakes `ksef-mcu worker` processes by NOTIFY; on SQLite they poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.encryption import EncryptionError, SessionKey, unwrap_symmetric_key
from ksef_mcu.crypto.xades.signer import XadesSigner
from ksef_mcu.documents.ksef_numbers import build_ksef_number, random_technical_part
from ksef_mcu.documents.schemas import FaSchemaValidator, default_validator
from ksef_mcu.documents.upo import build_session_upo_pages, sign_upo
from ksef_mcu.identifiers import ContextIdentifier
from ksef_mcu.server.keys import ServerKeys
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.server.sessions.model import (
    CANCELLED_BY_SYSTEM_DETAIL,
    NO_INVOICES_DETAIL,
    InvoiceStatusCode,
    SessionInvoiceRecord,
    SessionRecord,
    SessionStatusCode,
    Status,
)
from ksef_mcu.server.sessions.processing import (
    AttachmentConsentRule,
    Checked,
    SellerRelation,
    accepted_day,
    check_invoice,
    form_of,
    upo_authentication,
    upo_entry,
)
from ksef_mcu.server.sessions.repositories.invoices import AcceptedInvoice, InvoiceRepository
from ksef_mcu.server.sessions.repositories.session_invoices import SessionInvoiceRepository, invoice_status
from ksef_mcu.server.sessions.repositories.sessions import SessionRepository
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database
from ksef_mcu.storage.queue_loop import BatchProgress, QueueLoop, new_worker_id

logger = logging.getLogger("ksef_mcu.server.invoices")

NOTIFY_CHANNEL = "ksef_mcu_invoices"  # also named in migration c5d8e1f3a7b2, whose triggers notify it
MAX_ATTEMPTS = 5
_KEY_CACHE_SIZE = 4096


@dataclass
class InvoiceBatchOutcome:
    numbered: int = 0
    refused: int = 0
    lost: int = 0
    sessions_finished: int = 0

    @property
    def claimed(self) -> int:
        return self.numbered + self.refused + self.lost


class InvoiceWorker:
    """Runs the invoice cycle. `run_once` is one batch (synchronous); `run` loops until told to stop."""

    def __init__(
        self,
        *,
        settings: ServerSettings,
        database: Database,
        clock: Clock,
        keys: ServerKeys,
        upo_signer: XadesSigner,
        seller_relation: SellerRelation,
        attachment_consent: AttachmentConsentRule,
        validator: FaSchemaValidator | None = None,
        worker_id: str | None = None,
        before_store: Callable[[list[str]], None] | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._keys = keys
        self._upo_signer = upo_signer
        self._seller_relation = seller_relation
        self._attachment_consent = attachment_consent
        self._validator = validator or default_validator()
        self.worker_id = worker_id or new_worker_id()
        self._before_store = before_store
        self._session_keys: OrderedDict[tuple[bytes, bytes], SessionKey | None] = OrderedDict()
        self._queue = QueueLoop(
            name=f"invoice worker {self.worker_id}",
            database=database,
            channel=NOTIFY_CHANNEL,
            poll=settings.issuance_poll_interval.total_seconds(),
            window=settings.issuance_batch_window.total_seconds(),
            batch_size=settings.invoice_batch_size,
            logger=logger,
        )

    # --- one batch ------------------------------------------------------------------------------------------------

    def run_once(self) -> InvoiceBatchOutcome:
        outcome = InvoiceBatchOutcome()
        claimed, sessions = self._claim()
        if claimed:
            # One read unit for the batch: the seller rule reads grants (another seller than the context's own).
            with self._database.read() as connection:

                def seller_allowed(context: ContextIdentifier, seller_nip: str) -> bool:
                    return self._seller_relation(connection, context, seller_nip) is not None

                def attachments_allowed(context: ContextIdentifier) -> bool:
                    return self._attachment_consent(connection, context)

                checked = [
                    (
                        record,
                        self._check(sessions[record.session_reference], record, seller_allowed, attachments_allowed),
                    )
                    for record in claimed
                ]
            if self._before_store is not None:
                self._before_store([record.reference_number for record in claimed])
            self._store(checked, sessions, outcome)
        self._finish_sessions(outcome)
        return outcome

    def _claim(self) -> tuple[list[SessionInvoiceRecord], dict[str, SessionRecord]]:
        now = self._clock.now()
        with self._database.write() as connection:
            claimed = SessionInvoiceRepository(connection).claim(
                worker_id=self.worker_id,
                now=now,
                lease=self._settings.invoice_claim_lease,
                limit=self._settings.invoice_batch_size,
            )
            if not claimed:
                return [], {}
            sessions = SessionRepository(connection).get_many(sorted({r.session_reference for r in claimed}))
            return claimed, sessions

    def _session_key(self, session: SessionRecord) -> SessionKey | None:
        cache_key = (session.encrypted_key, session.initialization_vector)
        if cache_key in self._session_keys:
            self._session_keys.move_to_end(cache_key)
            return self._session_keys[cache_key]
        try:
            private_key = self._keys.session_key_decryption_key()
            key: SessionKey | None = SessionKey(
                unwrap_symmetric_key(session.encrypted_key, private_key), session.initialization_vector
            )
        except EncryptionError:
            key = None
        self._session_keys[cache_key] = key
        if len(self._session_keys) > _KEY_CACHE_SIZE:
            self._session_keys.popitem(last=False)
        return key

    def _check(
        self,
        session: SessionRecord,
        record: SessionInvoiceRecord,
        seller_allowed: Callable[[ContextIdentifier, str], bool],
        attachments_allowed: Callable[[ContextIdentifier], bool],
    ) -> Checked | Status:
        if record.attempts + 1 > MAX_ATTEMPTS:
            logger.error("invoice %s claimed %d times without finishing", record.reference_number, record.attempts + 1)
            return invoice_status(InvoiceStatusCode.CANCELLED_BY_SYSTEM, (CANCELLED_BY_SYSTEM_DETAIL,))
        key = self._session_key(session)
        if key is None:
            return invoice_status(InvoiceStatusCode.DECRYPTION_ERROR, ("Nie można odszyfrować klucza sesji.",))
        try:
            return check_invoice(
                session,
                record,
                key,
                validator=self._validator,
                seller_allowed=seller_allowed,
                attachments_allowed=attachments_allowed,
            )
        except Exception:
            logger.exception("checking invoice %s failed", record.reference_number)
            return invoice_status(InvoiceStatusCode.UNKNOWN_ERROR)

    def _store(
        self,
        checked: list[tuple[SessionInvoiceRecord, Checked | Status]],
        sessions: dict[str, SessionRecord],
        outcome: InvoiceBatchOutcome,
    ) -> None:
        now = self._clock.now()
        counts: dict[str, list[int]] = {}
        with self._database.write() as connection:
            queue = SessionInvoiceRepository(connection)
            registry = InvoiceRepository(connection)
            mine = queue.lock_mine([record.reference_number for record, _ in checked], worker_id=self.worker_id)
            for record, checked_result in checked:
                if record.reference_number not in mine:
                    logger.warning("invoice %s was taken over by another worker", record.reference_number)
                    outcome.lost += 1
                    continue
                session = sessions[record.session_reference]
                result: Status | None
                if isinstance(checked_result, Checked):
                    result = self._register(
                        registry, queue, session=session, record=record, checked=checked_result, now=now
                    )
                else:
                    result = checked_result
                    queue.finish(record.reference_number, result, now=now)
                tally = counts.setdefault(record.session_reference, [0, 0])
                if result is None:
                    tally[0] += 1
                    outcome.numbered += 1
                else:
                    tally[1] += 1
                    outcome.refused += 1
            repository = SessionRepository(connection)
            for reference, (successful, failed) in sorted(counts.items()):
                repository.add_outcomes(reference, successful=successful, failed=failed, now=now)

    @staticmethod
    def _register(
        registry: InvoiceRepository,
        queue: SessionInvoiceRepository,
        *,
        session: SessionRecord,
        record: SessionInvoiceRecord,
        checked: Checked,
        now: datetime,
    ) -> Status | None:
        """Number and register one checked invoice (None), or refuse it as a duplicate (its status)."""
        invoice = checked.invoice
        kind = invoice.invoice_kind or ""
        for _ in range(4):
            number = str(build_ksef_number(invoice.seller_nip, accepted_day(now), random_technical_part()))
            accepted = AcceptedInvoice(
                ksef_number=number,
                seller_nip=invoice.seller_nip,
                invoice_kind=kind,
                invoice_number=invoice.invoice_number,
                issue_date=invoice.issue_date,
                sha256=invoice.sha256,
                size=invoice.size,
                form_system_code=invoice.form.system_code,
                context_type=session.context_type,
                context_value=session.context_value,
                session_reference=session.reference_number,
                invoice_reference=record.reference_number,
                invoicing_date=record.invoicing_date,
                acquisition_date=now,
                invoicing_mode=checked.mode,
                content=checked.content,
            )
            if registry.add(accepted):
                queue.finish(
                    record.reference_number,
                    invoice_status(InvoiceStatusCode.SUCCESS),
                    now=now,
                    invoice_number=invoice.invoice_number,
                    ksef_number=number,
                    acquisition_date=now,
                    invoicing_mode=checked.mode,
                )
                return None
            original = registry.find_by_identity(invoice.seller_nip, kind, invoice.invoice_number)
            if original is not None:
                status = invoice_status(
                    InvoiceStatusCode.DUPLICATE,
                    (
                        f"Duplikat faktury. Faktura o numerze KSeF: {original[0]} została już prawidłowo przesłana do "
                        f"systemu w sesji: {original[1]}",
                    ),
                    {"originalSessionReferenceNumber": original[1], "originalKsefNumber": original[0]},
                )
                queue.finish(record.reference_number, status, now=now, invoice_number=invoice.invoice_number)
                return status
        status = invoice_status(InvoiceStatusCode.UNKNOWN_ERROR)  # pragma: no cover - four 48-bit collisions
        queue.finish(record.reference_number, status, now=now)
        return status

    # --- sessions ---------------------------------------------------------------------------------------------------

    def _finish_sessions(self, outcome: InvoiceBatchOutcome) -> None:
        now = self._clock.now()
        with self._database.read() as connection:
            repository = SessionRepository(connection)
            expired = repository.expired_open(now=now, limit=100)
            closed = repository.closed_waiting(limit=20)
        for reference in expired:
            with self._database.write() as connection:
                SessionRepository(connection).set_status(
                    reference, int(SessionStatusCode.CLOSED), now=now, expected=int(SessionStatusCode.OPEN), closed=True
                )
            closed.append(reference)
        for reference in closed:
            if self._finish_session(reference, now):
                outcome.sessions_finished += 1

    def _finish_session(self, reference: str, now: datetime) -> bool:
        with self._database.write() as connection:
            sessions = SessionRepository(connection)
            session = sessions.get(reference, lock=True)
            if session is None or session.status.code != SessionStatusCode.CLOSED:
                return False
            queue = SessionInvoiceRepository(connection)
            if queue.has_pending(reference):
                return False
            if session.invoice_count == 0:
                sessions.set_status(reference, int(SessionStatusCode.CANCELLED), now=now, details=(NO_INVOICES_DETAIL,))
                return True
            successful = queue.successful(reference)
            if not successful:
                sessions.set_status(reference, int(SessionStatusCode.NO_VALID_INVOICES), now=now)
                return True
            accepted = InvoiceRepository(connection).get_many([r.reference_number for r in successful])
            entries = [upo_entry(record, accepted.get(record.reference_number)) for record in successful]
            pages = build_session_upo_pages(
                session_reference=reference,
                authentication=upo_authentication(session),
                form=form_of(session.form_system_code),
                entries=entries,
            )
            signed = [
                (new_reference_number(ReferenceKind.UPO_PAGE, now=now), sign_upo(page, self._upo_signer, now=now))
                for page in pages
            ]
            sessions.add_upo_pages(reference, signed, now=now)
            sessions.set_status(reference, int(SessionStatusCode.PROCESSED), now=now)
            return True

    # --- the loop -------------------------------------------------------------------------------------------------

    def has_work(self) -> bool:
        now = self._clock.now()
        with self._database.read() as connection:
            if SessionInvoiceRepository(connection).has_claimable(now=now):
                return True
            repository = SessionRepository(connection)
            return bool(repository.closed_waiting(limit=1) or repository.expired_open(now=now, limit=1))

    def wake(self) -> None:
        """Tell the running loop there is new work. Safe from any thread; a no-op when not running."""
        self._queue.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Process batches until `stop` is set, then finish the batch in hand and return."""
        await self._queue.run(stop, batch=self._batch, has_work=self.has_work)

    async def _batch(self) -> BatchProgress:
        outcome = await asyncio.to_thread(self.run_once)
        return BatchProgress(claimed=outcome.claimed, progressed=bool(outcome.claimed or outcome.sessions_finished))
