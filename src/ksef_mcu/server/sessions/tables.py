"""Tables of the sessions domain: online sessions, the invoices sent in them (the processing queue), the invoices
KSeF accepted (with their KSeF numbers) and the session UPO pages.

Registered on the server's one `metadata`; created by migration `c5d8e1f3a7b2`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import UtcDateTime

invoice_sessions = Table(
    "invoice_sessions",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("session_type", String(16), nullable=False),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(64), nullable=False),
    Column("opened_by_type", String(16), nullable=False),
    Column("opened_by_value", String(64), nullable=False),
    Column("authentication_reference", String(36), nullable=False),
    Column("upo_authentication", JSON, nullable=False),
    Column("form_system_code", String(32), nullable=False),
    Column("encrypted_key", LargeBinary, nullable=False),
    Column("public_key_id", String(64), nullable=False),
    Column("initialization_vector", LargeBinary, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("status_details", JSON, nullable=True),
    Column("invoice_count", Integer, nullable=False),
    Column("successful_count", Integer, nullable=False),
    Column("failed_count", Integer, nullable=False),
    Column("invoice_limit", Integer, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Column("date_closed", UtcDateTime, nullable=True),
    Column("valid_until", UtcDateTime, nullable=False),
    Index("ix_invoice_sessions_context", "context_type", "context_value", "date_created"),
    Index("ix_invoice_sessions_status", "status_code", "valid_until"),
)
"""One row per session. `encrypted_key` is the AES key as the client wrapped it (RSA-OAEP under our
SymmetricKeyEncryption key): the plain key is never stored; workers unwrap it (and cache it in memory).
`invoice_count`/`successful_count`/`failed_count` are kept with each invoice's status change (one row update), so the
status and listing endpoints never count. `upo_authentication` is what the UPO's `Uwierzytelnienie` says."""

session_invoices = Table(
    "session_invoices",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("session_reference", String(36), nullable=False),
    Column("ordinal_number", Integer, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("status_description", String(256), nullable=False),
    Column("status_details", JSON, nullable=True),
    Column("status_extensions", JSON, nullable=True),
    Column("invoice_hash", String(44), nullable=False),
    Column("invoice_size", Integer, nullable=False),
    Column("encrypted_content", LargeBinary, nullable=True),
    Column("offline_mode", Boolean, nullable=False),
    Column("hash_of_corrected_invoice", String(44), nullable=True),
    Column("invoicing_date", UtcDateTime, nullable=False),
    Column("invoice_number", String(256), nullable=True),
    Column("ksef_number", String(36), nullable=True),
    Column("acquisition_date", UtcDateTime, nullable=True),
    Column("invoicing_mode", String(16), nullable=True),
    Column("upo", LargeBinary, nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("claim_expires_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    UniqueConstraint("session_reference", "ordinal_number", name="uq_session_invoices_ordinal"),
    Index("ix_session_invoices_queue", "status_code", "invoicing_date"),
    Index("ix_session_invoices_failed", "session_reference", "status_code", "ordinal_number"),
    Index("ix_session_invoices_ksef_number", "ksef_number"),
)
"""Every invoice sent in a session, and the processing queue: a row at status 100 is work for a worker (claimed until
`claim_expires_at`); the encrypted content is kept until the invoice is finished, then dropped. A 200 row carries the
KSeF number; its signed UPO is made on first request and kept (so its hash never changes)."""

invoices = Table(
    "invoices",
    metadata,
    Column("ksef_number", String(36), primary_key=True),
    Column("seller_nip", String(10), nullable=False),
    Column("invoice_kind", String(16), nullable=False),
    Column("invoice_number", String(256), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("sha256", LargeBinary(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("form_system_code", String(32), nullable=False),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(64), nullable=False),
    Column("session_reference", String(36), nullable=False),
    Column("invoice_reference", String(36), nullable=False, unique=True),
    Column("invoicing_date", UtcDateTime, nullable=False),
    Column("acquisition_date", UtcDateTime, nullable=False),
    Column("invoicing_mode", String(16), nullable=False),
    Column("content", LargeBinary, nullable=False),
    # KSeF's duplicate rule: one invoice per (seller NIP, kind, P_2); the constraint decides races between workers.
    UniqueConstraint("seller_nip", "invoice_kind", "invoice_number", name="uq_invoices_identity"),
    # KOD I: /invoice/{NIP}/{issue date}/{SHA-256 of the file}.
    Index("ix_invoices_verification", "seller_nip", "issue_date", "sha256"),
)
"""The invoices KSeF accepted: one row per KSeF number, with the file exactly as sent (`GET /invoices/ksef/{n}`).
`invoice_kind` is '' when the invoice has no RodzajFaktury."""

session_upo_pages = Table(
    "session_upo_pages",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("session_reference", String(36), nullable=False),
    Column("page", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("session_reference", "page", name="uq_session_upo_pages_page"),
)
"""The signed pages of a closed session's collective UPO (one per 10 000 invoices), made once by the worker."""
