"""The accepted-invoice store: KOD I's lookup (seller NIP, issue date, SHA-256) and the duplicate rule's constraint."""

from __future__ import annotations

import datetime as dt
import hashlib

from ksef_mcu.server.sessions.lookup import InvoiceLookup
from ksef_mcu.server.sessions.repositories.invoices import AcceptedInvoice, InvoiceRepository
from ksef_mcu.storage.database import Database

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def _invoice(number: str, content: bytes, *, ksef_number: str, kind: str = "VAT") -> AcceptedInvoice:
    return AcceptedInvoice(
        ksef_number=ksef_number,
        seller_nip="5265877635",
        invoice_kind=kind,
        invoice_number=number,
        issue_date=dt.date(2026, 12, 1),
        sha256=hashlib.sha256(content).digest(),
        size=len(content),
        form_system_code="FA (3)",
        context_type="Nip",
        context_value="5265877635",
        session_reference="20261202-SO-0000000001-0000000001-01",
        invoice_reference=f"20261202-EE-{ksef_number[-13:-3]}-0000000001-01",
        invoicing_date=NOW,
        acquisition_date=NOW,
        invoicing_mode="Online",
        content=content,
    )


def test_kod_i_lookup_finds_only_the_exact_invoice(database: Database) -> None:
    content = b"<Faktura>1</Faktura>"
    with database.write() as connection:
        InvoiceRepository(connection).add(_invoice("FV/1", content, ksef_number="5265877635-20261202-0100001AF629-11"))
    lookup = InvoiceLookup(database)
    digest = hashlib.sha256(content).digest()
    assert lookup.ksef_number_for("5265877635", dt.date(2026, 12, 1), digest) == "5265877635-20261202-0100001AF629-11"
    assert lookup.ksef_number_for("5265877635", dt.date(2026, 12, 2), digest) is None
    assert lookup.ksef_number_for("1111111111", dt.date(2026, 12, 1), digest) is None
    assert lookup.ksef_number_for("5265877635", dt.date(2026, 12, 1), hashlib.sha256(b"other").digest()) is None


def test_the_same_seller_kind_and_number_is_stored_once(database: Database) -> None:
    with database.write() as connection:
        repository = InvoiceRepository(connection)
        assert repository.add(_invoice("FV/2", b"a", ksef_number="5265877635-20261202-0100001AF629-12"))
        assert not repository.add(_invoice("FV/2", b"b", ksef_number="5265877635-20261202-0100001AF630-13"))
        # another kind is another invoice
        assert repository.add(_invoice("FV/2", b"c", ksef_number="5265877635-20261202-0100001AF631-14", kind="KOR"))
        assert InvoiceRepository(connection).find_by_identity("5265877635", "VAT", "FV/2") == (
            "5265877635-20261202-0100001AF629-12",
            "20261202-SO-0000000001-0000000001-01",
        )
