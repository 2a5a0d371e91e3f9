"""The invoices KSeF accepted (`invoices`): registration with the duplicate rule, and the reads of KOD I and
`GET /invoices/ksef/{ksefNumber}`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ksef_mcu.server.sessions.tables import invoices
from ksef_mcu.storage.statements import FastStatement, upsert

_c = invoices.c

_FIND_FOR_VERIFICATION = FastStatement(
    select(_c.ksef_number).where(
        _c.seller_nip == bindparam("seller_nip"),
        _c.issue_date == bindparam("issue_date"),
        _c.sha256 == bindparam("sha256"),
    )
)
_FIND_BY_IDENTITY = FastStatement(
    select(_c.ksef_number, _c.session_reference).where(
        _c.seller_nip == bindparam("seller_nip"),
        _c.invoice_kind == bindparam("invoice_kind"),
        _c.invoice_number == bindparam("invoice_number"),
    )
)
_GET = FastStatement(
    select(_c.ksef_number, _c.context_type, _c.context_value, _c.content).where(
        _c.ksef_number == bindparam("ksef_number")
    )
)
_INSERT = {
    dialect: FastStatement(
        upsert(dialect, invoices).on_conflict_do_nothing(), column_keys=[column.key for column in invoices.c]
    )
    for dialect in ("sqlite", "postgresql")
}


@dataclass(frozen=True, slots=True)
class AcceptedInvoice:
    """One row of `invoices`: an invoice with its KSeF number."""

    ksef_number: str
    seller_nip: str
    invoice_kind: str
    invoice_number: str
    issue_date: dt.date
    sha256: bytes
    size: int
    form_system_code: str
    context_type: str
    context_value: str
    session_reference: str
    invoice_reference: str
    invoicing_date: dt.datetime
    acquisition_date: dt.datetime
    invoicing_mode: str
    content: bytes


@dataclass(frozen=True, slots=True)
class StoredInvoiceFile:
    """An accepted invoice's file and the context it was sent in (`GET /invoices/ksef/{ksefNumber}`)."""

    ksef_number: str
    context_type: str
    context_value: str
    content: bytes


def _accepted(row: Any) -> AcceptedInvoice:
    return AcceptedInvoice(
        ksef_number=row.ksef_number,
        seller_nip=row.seller_nip,
        invoice_kind=row.invoice_kind,
        invoice_number=row.invoice_number,
        issue_date=row.issue_date,
        sha256=bytes(row.sha256),
        size=row.size,
        form_system_code=row.form_system_code,
        context_type=row.context_type,
        context_value=row.context_value,
        session_reference=row.session_reference,
        invoice_reference=row.invoice_reference,
        invoicing_date=row.invoicing_date,
        acquisition_date=row.acquisition_date,
        invoicing_mode=row.invoicing_mode,
        content=bytes(row.content),
    )


class InvoiceRepository:
    """SQL for `invoices`. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find_ksef_number(self, seller_nip: str, issue_date: dt.date, sha256: bytes) -> str | None:
        """The KSeF number of the invoice of `seller_nip` issued on `issue_date` whose file has SHA-256 `sha256`
        (KOD I's three segments), or None when KSeF holds no such invoice."""
        row = _FIND_FOR_VERIFICATION.execute(
            self._connection, {"seller_nip": seller_nip, "issue_date": issue_date, "sha256": sha256}
        ).first()
        return row.ksef_number if row is not None else None

    def find_by_identity(self, seller_nip: str, invoice_kind: str, invoice_number: str) -> tuple[str, str] | None:
        """(KSeF number, session reference) of the invoice KSeF's duplicate rule would match, if any."""
        row = _FIND_BY_IDENTITY.execute(
            self._connection,
            {"seller_nip": seller_nip, "invoice_kind": invoice_kind, "invoice_number": invoice_number},
        ).first()
        return (row.ksef_number, row.session_reference) if row is not None else None

    def get_many(self, invoice_references: Sequence[str]) -> dict[str, AcceptedInvoice]:
        """Accepted invoices by the reference number of their sending (UPOs)."""
        result: dict[str, AcceptedInvoice] = {}
        references = list(invoice_references)
        for start in range(0, len(references), 500):
            rows = self._connection.execute(
                select(invoices).where(_c.invoice_reference.in_(references[start : start + 500]))
            ).all()
            for row in rows:
                result[row.invoice_reference] = _accepted(row)
        return result

    def get_file(self, ksef_number: str) -> StoredInvoiceFile | None:
        row = _GET.execute(self._connection, {"ksef_number": ksef_number}).first()
        if row is None:
            return None
        return StoredInvoiceFile(row.ksef_number, row.context_type, row.context_value, bytes(row.content))

    def add(self, invoice: AcceptedInvoice) -> bool:
        """Insert one accepted invoice; False (nothing written) when KSeF's duplicate rule already holds one with the
        same seller, kind and number (or, never in practice, the same KSeF number)."""
        result = _INSERT[self._connection.dialect.name].execute(
            self._connection,
            {
                "ksef_number": invoice.ksef_number,
                "seller_nip": invoice.seller_nip,
                "invoice_kind": invoice.invoice_kind,
                "invoice_number": invoice.invoice_number,
                "issue_date": invoice.issue_date,
                "sha256": invoice.sha256,
                "size": invoice.size,
                "form_system_code": invoice.form_system_code,
                "context_type": invoice.context_type,
                "context_value": invoice.context_value,
                "session_reference": invoice.session_reference,
                "invoice_reference": invoice.invoice_reference,
                "invoicing_date": invoice.invoicing_date,
                "acquisition_date": invoice.acquisition_date,
                "invoicing_mode": invoice.invoicing_mode,
                "content": invoice.content,
            },
        )
        return result.rowcount == 1

    def count(self) -> int:
        """How many invoices are stored (tests and tools)."""
        return len(self._connection.execute(select(_c.ksef_number)).all())
