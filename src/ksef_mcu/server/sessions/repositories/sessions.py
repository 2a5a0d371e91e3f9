"""Online sessions (`invoice_sessions`) and the pages of their collective UPOs (`session_upo_pages`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from ksef_mcu.server.sessions.model import (
    COMMON_STATUSES,
    SESSION_STATUS_DESCRIPTIONS,
    SessionFilter,
    SessionRecord,
    Status,
)
from ksef_mcu.server.sessions.tables import invoice_sessions, session_upo_pages
from ksef_mcu.storage.statements import FastStatement

_s = invoice_sessions.c
_p = session_upo_pages.c


def session_status(code: int, details: Sequence[str] | None) -> Status:
    return Status(code, SESSION_STATUS_DESCRIPTIONS.get(code, f"Nieznany błąd ({code})"), tuple(details or ()))


def _record(row: Any) -> SessionRecord:
    return SessionRecord(
        reference_number=row.reference_number,
        session_type=row.session_type,
        context_type=row.context_type,
        context_value=row.context_value,
        opened_by_type=row.opened_by_type,
        opened_by_value=row.opened_by_value,
        authentication_reference=row.authentication_reference,
        upo_authentication=dict(row.upo_authentication),
        form_system_code=row.form_system_code,
        encrypted_key=bytes(row.encrypted_key),
        public_key_id=row.public_key_id,
        initialization_vector=bytes(row.initialization_vector),
        status=session_status(row.status_code, row.status_details),
        invoice_count=row.invoice_count,
        successful_count=row.successful_count,
        failed_count=row.failed_count,
        invoice_limit=row.invoice_limit,
        date_created=row.date_created,
        date_updated=row.date_updated,
        date_closed=row.date_closed,
        valid_until=row.valid_until,
    )


_INSERT = FastStatement(insert(invoice_sessions), column_keys=[column.key for column in invoice_sessions.c])
_GET = FastStatement(select(invoice_sessions).where(_s.reference_number == bindparam("ref")))
_LOCK = FastStatement(select(invoice_sessions).where(_s.reference_number == bindparam("ref")).with_for_update())
_COUNT_ONE_MORE = (
    update(invoice_sessions)
    .where(_s.reference_number == bindparam("ref"))
    .values(invoice_count=_s.invoice_count + 1, date_updated=bindparam("now"))
)
_ADD_OUTCOMES = (
    update(invoice_sessions)
    .where(_s.reference_number == bindparam("ref"))
    .values(
        successful_count=_s.successful_count + bindparam("ok"),
        failed_count=_s.failed_count + bindparam("failed"),
        date_updated=bindparam("now"),
    )
)


class SessionRepository:
    """SQL for sessions. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: SessionRecord) -> None:
        _INSERT.execute(
            self._connection,
            {
                "reference_number": record.reference_number,
                "session_type": record.session_type,
                "context_type": record.context_type,
                "context_value": record.context_value,
                "opened_by_type": record.opened_by_type,
                "opened_by_value": record.opened_by_value,
                "authentication_reference": record.authentication_reference,
                "upo_authentication": record.upo_authentication,
                "form_system_code": record.form_system_code,
                "encrypted_key": record.encrypted_key,
                "public_key_id": record.public_key_id,
                "initialization_vector": record.initialization_vector,
                "status_code": record.status.code,
                "status_details": list(record.status.details) or None,
                "invoice_count": record.invoice_count,
                "successful_count": record.successful_count,
                "failed_count": record.failed_count,
                "invoice_limit": record.invoice_limit,
                "date_created": record.date_created,
                "date_updated": record.date_updated,
                "date_closed": record.date_closed,
                "valid_until": record.valid_until,
            },
        )

    def get(self, reference_number: str, *, lock: bool = False) -> SessionRecord | None:
        statement = _LOCK if lock and self._connection.dialect.name == "postgresql" else _GET
        row = statement.execute(self._connection, {"ref": reference_number}).first()
        return _record(row) if row is not None else None

    def get_many(self, reference_numbers: Sequence[str]) -> dict[str, SessionRecord]:
        rows = self._connection.execute(
            select(invoice_sessions).where(_s.reference_number.in_(list(reference_numbers)))
        ).all()
        return {row.reference_number: _record(row) for row in rows}

    def count_invoice(self, reference_number: str, *, now: dt.datetime) -> None:
        self._connection.execute(_COUNT_ONE_MORE, {"ref": reference_number, "now": now})

    def add_outcomes(self, reference_number: str, *, successful: int, failed: int, now: dt.datetime) -> None:
        self._connection.execute(
            _ADD_OUTCOMES, {"ref": reference_number, "ok": successful, "failed": failed, "now": now}
        )

    def set_status(
        self,
        reference_number: str,
        code: int,
        *,
        now: dt.datetime,
        details: Sequence[str] = (),
        expected: int | None = None,
        closed: bool = False,
    ) -> bool:
        """Move a session to `code` (only from `expected`, when given); False when it was not there."""
        statement = update(invoice_sessions).where(_s.reference_number == reference_number)
        if expected is not None:
            statement = statement.where(_s.status_code == expected)
        values: dict[str, Any] = {"status_code": code, "status_details": list(details) or None, "date_updated": now}
        if closed:
            values["date_closed"] = now
        return self._connection.execute(statement.values(**values)).rowcount == 1

    def expired_open(self, *, now: dt.datetime, limit: int) -> list[str]:
        """Open sessions past their `validUntil` (they close themselves)."""
        rows = self._connection.execute(
            select(_s.reference_number).where(_s.status_code == 100, _s.valid_until <= now).limit(limit)
        ).all()
        return [row.reference_number for row in rows]

    def closed_waiting(self, *, limit: int) -> list[str]:
        """Closed sessions (170) whose UPO is yet to be made."""
        rows = self._connection.execute(
            select(_s.reference_number).where(_s.status_code == 170).order_by(_s.date_closed).limit(limit)
        ).all()
        return [row.reference_number for row in rows]

    def query(
        self,
        *,
        context: tuple[str, str],
        where: SessionFilter,
        limit: int,
        after: tuple[dt.datetime, str] | None,
    ) -> list[SessionRecord]:
        """Sessions of a context matching `where`, newest first, after the keyset cursor `after`."""
        conditions = [
            _s.context_type == context[0],
            _s.context_value == context[1],
            _s.session_type == where.session_type,
        ]
        if where.opened_by is not None:
            conditions += [_s.opened_by_type == where.opened_by[0], _s.opened_by_value == where.opened_by[1]]
        if where.reference_number is not None:
            conditions.append(_s.reference_number == where.reference_number)
        for column, low, high in (
            (_s.date_created, where.date_created_from, where.date_created_to),
            (_s.date_closed, where.date_closed_from, where.date_closed_to),
            (_s.date_updated, where.date_modified_from, where.date_modified_to),
        ):
            if low is not None:
                conditions.append(column >= low)
            if high is not None:
                conditions.append(column <= high)
        if where.statuses:
            codes = sorted({code for status in where.statuses for code in COMMON_STATUSES[status]})
            conditions.append(_s.status_code.in_(codes))
        if after is not None:
            conditions.append(
                or_(
                    _s.date_created < after[0],
                    and_(_s.date_created == after[0], _s.reference_number < after[1]),
                )
            )
        rows = self._connection.execute(
            select(invoice_sessions)
            .where(*conditions)
            .order_by(_s.date_created.desc(), _s.reference_number.desc())
            .limit(limit)
        ).all()
        return [_record(row) for row in rows]

    # --- UPO pages ------------------------------------------------------------------------------------------------

    def add_upo_pages(self, session_reference: str, pages: Sequence[tuple[str, bytes]], *, now: dt.datetime) -> None:
        self._connection.execute(
            insert(session_upo_pages),
            [
                {
                    "reference_number": reference,
                    "session_reference": session_reference,
                    "page": index + 1,
                    "content": content,
                    "created_at": now,
                }
                for index, (reference, content) in enumerate(pages)
            ],
        )

    def upo_page_references(self, session_reference: str) -> list[str]:
        rows = self._connection.execute(
            select(_p.reference_number).where(_p.session_reference == session_reference).order_by(_p.page)
        ).all()
        return [row.reference_number for row in rows]

    def upo_page(self, session_reference: str, reference_number: str) -> bytes | None:
        row = self._connection.execute(
            select(_p.content).where(_p.session_reference == session_reference, _p.reference_number == reference_number)
        ).first()
        return bytes(row.content) if row is not None else None
