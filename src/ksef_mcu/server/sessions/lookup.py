"""Read-only lookups other domains use (the public KOD I page): one unit of work each, no permissions involved."""

from __future__ import annotations

import datetime as dt

from ksef_mcu.server.sessions.repositories.invoices import InvoiceRepository
from ksef_mcu.storage.database import Database


class InvoiceLookup:
    """Is an invoice in our KSeF? (KOD I: seller NIP, issue date, SHA-256 of the invoice file.)"""

    def __init__(self, database: Database) -> None:
        self._database = database

    def ksef_number_for(self, seller_nip: str, issue_date: dt.date, sha256: bytes) -> str | None:
        """The KSeF number of the invoice with these KOD I segments, or None. `sha256` is the 32-byte digest of the
        invoice file exactly as sent (KOD I carries it Base64URL-encoded)."""
        with self._database.read() as connection:
            return InvoiceRepository(connection).find_ksef_number(seller_nip, issue_date, sha256)
