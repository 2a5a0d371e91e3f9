"""Invoices sent in sessions (`session_invoices`): the processing queue and the statuses the API reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from ksef_mcu.server.sessions.model import (
    INVOICE_STATUS_DESCRIPTIONS,
    InvoiceStatusCode,
    SessionInvoiceRecord,
    Status,
)
from ksef_mcu.server.sessions.tables import session_invoices
from ksef_mcu.storage.statements import FastStatement

_i = session_invoices.c
_PENDING = int(InvoiceStatusCode.ACCEPTED)

_STATUS_COLUMNS = (
    _i.reference_number,
    _i.session_reference,
    _i.ordinal_number,
    _i.status_code,
    _i.status_description,
    _i.status_details,
    _i.status_extensions,
    _i.invoice_hash,
    _i.invoice_size,
    _i.offline_mode,
    _i.hash_of_corrected_invoice,
    _i.invoicing_date,
    _i.invoice_number,
    _i.ksef_number,
    _i.acquisition_date,
    _i.invoicing_mode,
    _i.attempts,
)


def _record(row: Any, *, content: bool = False) -> SessionInvoiceRecord:
    return SessionInvoiceRecord(
        reference_number=row.reference_number,
        session_reference=row.session_reference,
        ordinal_number=row.ordinal_number,
        status=Status(
            row.status_code,
            row.status_description,
            tuple(row.status_details or ()),
            dict(row.status_extensions) if row.status_extensions else None,
        ),
        invoice_hash=row.invoice_hash,
        invoice_size=row.invoice_size,
        offline_mode=bool(row.offline_mode),
        hash_of_corrected_invoice=row.hash_of_corrected_invoice,
        invoicing_date=row.invoicing_date,
        invoice_number=row.invoice_number,
        ksef_number=row.ksef_number,
        acquisition_date=row.acquisition_date,
        invoicing_mode=row.invoicing_mode,
        attempts=row.attempts,
        encrypted_content=bytes(row.encrypted_content) if content and row.encrypted_content is not None else None,
    )


_INSERT = FastStatement(insert(session_invoices), column_keys=[column.key for column in session_invoices.c])
_GET = FastStatement(
    select(*_STATUS_COLUMNS).where(
        _i.session_reference == bindparam("session"), _i.reference_number == bindparam("ref")
    )
)
_GET_BY_KSEF_NUMBER = FastStatement(
    select(*_STATUS_COLUMNS).where(
        _i.session_reference == bindparam("session"), _i.ksef_number == bindparam("ksef_number")
    )
)
_CLAIMABLE = (
    select(*_STATUS_COLUMNS, _i.encrypted_content)
    .where(
        _i.status_code == _PENDING,
        (_i.claim_expires_at.is_(None)) | (_i.claim_expires_at < bindparam("now")),
    )
    .order_by(_i.invoicing_date, _i.session_reference, _i.ordinal_number)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_HAS_CLAIMABLE = FastStatement(
    select(_i.reference_number)
    .where(
        _i.status_code == _PENDING,
        (_i.claim_expires_at.is_(None)) | (_i.claim_expires_at < bindparam("now")),
    )
    .limit(1)
)
_CLAIM = (
    update(session_invoices)
    .where(_i.reference_number.in_(bindparam("references", expanding=True)))
    .values(claimed_by=bindparam("worker_id"), claim_expires_at=bindparam("lease_until"), attempts=_i.attempts + 1)
)
_LOCK_MINE = (
    select(_i.reference_number)
    .where(
        _i.reference_number.in_(bindparam("references", expanding=True)),
        _i.status_code == _PENDING,
        _i.claimed_by == bindparam("worker_id"),
    )
    .with_for_update()
)
_FINISH = (
    update(session_invoices)
    .where(_i.reference_number == bindparam("ref"), _i.status_code == _PENDING)
    .values(
        status_code=bindparam("new_status_code"),
        status_description=bindparam("new_description"),
        status_details=bindparam("new_details"),
        status_extensions=bindparam("new_extensions"),
        invoice_number=bindparam("new_invoice_number"),
        ksef_number=bindparam("new_ksef_number"),
        acquisition_date=bindparam("new_acquisition_date"),
        invoicing_mode=bindparam("new_invoicing_mode"),
        finished_at=bindparam("finished"),
        encrypted_content=None,
        claimed_by=None,
        claim_expires_at=None,
    )
)


class SessionInvoiceRepository:
    """SQL for invoices in sessions. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: SessionInvoiceRecord) -> None:
        _INSERT.execute(
            self._connection,
            {
                "reference_number": record.reference_number,
                "session_reference": record.session_reference,
                "ordinal_number": record.ordinal_number,
                "status_code": record.status.code,
                "status_description": record.status.description,
                "status_details": None,
                "status_extensions": None,
                "invoice_hash": record.invoice_hash,
                "invoice_size": record.invoice_size,
                "encrypted_content": record.encrypted_content,
                "offline_mode": record.offline_mode,
                "hash_of_corrected_invoice": record.hash_of_corrected_invoice,
                "invoicing_date": record.invoicing_date,
                "invoice_number": None,
                "ksef_number": None,
                "acquisition_date": None,
                "invoicing_mode": None,
                "upo": None,
                "claimed_by": None,
                "claim_expires_at": None,
                "attempts": 0,
                "finished_at": None,
            },
        )

    def get(self, session_reference: str, reference_number: str) -> SessionInvoiceRecord | None:
        row = _GET.execute(self._connection, {"session": session_reference, "ref": reference_number}).first()
        return _record(row) if row is not None else None

    def get_by_ksef_number(self, session_reference: str, ksef_number: str) -> SessionInvoiceRecord | None:
        row = _GET_BY_KSEF_NUMBER.execute(
            self._connection, {"session": session_reference, "ksef_number": ksef_number}
        ).first()
        return _record(row) if row is not None else None

    def page(
        self, session_reference: str, *, after: int, limit: int, failed_only: bool = False
    ) -> list[SessionInvoiceRecord]:
        """Invoices of a session in ordinal order after ordinal `after` (failed ones only: status ≥ 400)."""
        statement = select(*_STATUS_COLUMNS).where(_i.session_reference == session_reference, _i.ordinal_number > after)
        if failed_only:
            statement = statement.where(_i.status_code >= 400)
        rows = self._connection.execute(statement.order_by(_i.ordinal_number).limit(limit)).all()
        return [_record(row) for row in rows]

    def successful(self, session_reference: str) -> list[SessionInvoiceRecord]:
        rows = self._connection.execute(
            select(*_STATUS_COLUMNS)
            .where(_i.session_reference == session_reference, _i.status_code == int(InvoiceStatusCode.SUCCESS))
            .order_by(_i.ordinal_number)
        ).all()
        return [_record(row) for row in rows]

    def has_pending(self, session_reference: str) -> bool:
        row = self._connection.execute(
            select(_i.reference_number)
            .where(_i.session_reference == session_reference, _i.status_code == _PENDING)
            .limit(1)
        ).first()
        return row is not None

    # --- the queue ------------------------------------------------------------------------------------------------

    def has_claimable(self, *, now: dt.datetime) -> bool:
        return _HAS_CLAIMABLE.execute(self._connection, {"now": now}).first() is not None

    def claim(self, *, worker_id: str, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[SessionInvoiceRecord]:
        """Take up to `limit` pending invoices, oldest first, that nobody holds (or whose claim ran out)."""
        rows = self._connection.execute(_CLAIMABLE, {"now": now, "limit": limit}).all()
        if not rows:
            return []
        self._connection.execute(
            _CLAIM,
            {"references": [row.reference_number for row in rows], "worker_id": worker_id, "lease_until": now + lease},
        )
        return [_record(row, content=True) for row in rows]

    def lock_mine(self, reference_numbers: Sequence[str], *, worker_id: str) -> set[str]:
        """Those of `reference_numbers` still pending and still claimed by `worker_id`, locked until commit."""
        rows = self._connection.execute(
            _LOCK_MINE, {"references": list(reference_numbers), "worker_id": worker_id}
        ).all()
        return {row.reference_number for row in rows}

    def finish(
        self,
        reference_number: str,
        status: Status,
        *,
        now: dt.datetime,
        invoice_number: str | None = None,
        ksef_number: str | None = None,
        acquisition_date: dt.datetime | None = None,
        invoicing_mode: str | None = None,
    ) -> bool:
        """End a pending invoice at its final status; False when it was no longer pending."""
        result = self._connection.execute(
            _FINISH,
            {
                "ref": reference_number,
                "new_status_code": status.code,
                "new_description": status.description,
                "new_details": list(status.details) or None,
                "new_extensions": status.extensions,
                "new_invoice_number": invoice_number[:256] if invoice_number else None,
                "new_ksef_number": ksef_number,
                "new_acquisition_date": acquisition_date,
                "new_invoicing_mode": invoicing_mode,
                "finished": now,
            },
        )
        return result.rowcount == 1

    def cancel_pending(self, session_reference: str, status: Status, *, now: dt.datetime) -> int:
        """End every pending invoice of a session with `status` (e.g. 405 when the session failed)."""
        return self._connection.execute(
            update(session_invoices)
            .where(_i.session_reference == session_reference, _i.status_code == _PENDING)
            .values(
                status_code=status.code,
                status_description=status.description,
                status_details=list(status.details) or None,
                finished_at=now,
                encrypted_content=None,
                claimed_by=None,
                claim_expires_at=None,
            )
        ).rowcount

    # --- the per-invoice UPO ---------------------------------------------------------------------------------------

    def upo(self, reference_number: str) -> bytes | None:
        row = self._connection.execute(select(_i.upo).where(_i.reference_number == reference_number)).first()
        return bytes(row.upo) if row is not None and row.upo is not None else None

    def keep_upo(self, reference_number: str, upo: bytes) -> None:
        """Store an invoice's signed UPO unless one is stored already (the first one made stays)."""
        self._connection.execute(
            update(session_invoices).where(_i.reference_number == reference_number, _i.upo.is_(None)).values(upo=upo)
        )


def invoice_status(code: int, details: Sequence[str] = (), extensions: dict[str, str | None] | None = None) -> Status:
    return Status(code, INVOICE_STATUS_DESCRIPTIONS.get(code, f"Nieznany błąd ({code})"), tuple(details), extensions)
