"""Online sessions, the invoices sent in them (the processing queue), the accepted invoices and the session UPOs.

On PostgreSQL a trigger on `session_invoices` (every insert) and on `invoice_sessions` (a session closed, status 170)
notifies the invoice workers' channel, as `3c9a51d2e7f0` does for the issuance queue.

Revision ID: c5d8e1f3a7b2
Revises: b41c7e9d2a05 (certificate listing index)
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ksef_mcu.storage.types import UtcDateTime

revision: str = "c5d8e1f3a7b2"
down_revision: str | None = "b41c7e9d2a05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `NOTIFY_CHANNEL` of the sessions domain; the migration keeps its own copy.
_CHANNEL = "ksef_mcu_invoices"


def upgrade() -> None:
    op.create_table(
        "invoice_sessions",
        sa.Column("reference_number", sa.String(36), nullable=False),
        sa.Column("session_type", sa.String(16), nullable=False),
        sa.Column("context_type", sa.String(16), nullable=False),
        sa.Column("context_value", sa.String(64), nullable=False),
        sa.Column("opened_by_type", sa.String(16), nullable=False),
        sa.Column("opened_by_value", sa.String(64), nullable=False),
        sa.Column("authentication_reference", sa.String(36), nullable=False),
        sa.Column("upo_authentication", sa.JSON(), nullable=False),
        sa.Column("form_system_code", sa.String(32), nullable=False),
        sa.Column("encrypted_key", sa.LargeBinary(), nullable=False),
        sa.Column("public_key_id", sa.String(64), nullable=False),
        sa.Column("initialization_vector", sa.LargeBinary(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("status_details", sa.JSON(), nullable=True),
        sa.Column("invoice_count", sa.Integer(), nullable=False),
        sa.Column("successful_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("invoice_limit", sa.Integer(), nullable=False),
        sa.Column("date_created", UtcDateTime(), nullable=False),
        sa.Column("date_updated", UtcDateTime(), nullable=False),
        sa.Column("date_closed", UtcDateTime(), nullable=True),
        sa.Column("valid_until", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_invoice_sessions")),
    )
    op.create_index(
        "ix_invoice_sessions_context", "invoice_sessions", ["context_type", "context_value", "date_created"]
    )
    op.create_index("ix_invoice_sessions_status", "invoice_sessions", ["status_code", "valid_until"])
    op.create_table(
        "session_invoices",
        sa.Column("reference_number", sa.String(36), nullable=False),
        sa.Column("session_reference", sa.String(36), nullable=False),
        sa.Column("ordinal_number", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("status_description", sa.String(256), nullable=False),
        sa.Column("status_details", sa.JSON(), nullable=True),
        sa.Column("status_extensions", sa.JSON(), nullable=True),
        sa.Column("invoice_hash", sa.String(44), nullable=False),
        sa.Column("invoice_size", sa.Integer(), nullable=False),
        sa.Column("encrypted_content", sa.LargeBinary(), nullable=True),
        sa.Column("offline_mode", sa.Boolean(), nullable=False),
        sa.Column("hash_of_corrected_invoice", sa.String(44), nullable=True),
        sa.Column("invoicing_date", UtcDateTime(), nullable=False),
        sa.Column("invoice_number", sa.String(256), nullable=True),
        sa.Column("ksef_number", sa.String(36), nullable=True),
        sa.Column("acquisition_date", UtcDateTime(), nullable=True),
        sa.Column("invoicing_mode", sa.String(16), nullable=True),
        sa.Column("upo", sa.LargeBinary(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claim_expires_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_session_invoices")),
        sa.UniqueConstraint("session_reference", "ordinal_number", name="uq_session_invoices_ordinal"),
    )
    op.create_index("ix_session_invoices_queue", "session_invoices", ["status_code", "invoicing_date"])
    op.create_index(
        "ix_session_invoices_failed", "session_invoices", ["session_reference", "status_code", "ordinal_number"]
    )
    op.create_index("ix_session_invoices_ksef_number", "session_invoices", ["ksef_number"])
    op.create_table(
        "invoices",
        sa.Column("ksef_number", sa.String(36), nullable=False),
        sa.Column("seller_nip", sa.String(10), nullable=False),
        sa.Column("invoice_kind", sa.String(16), nullable=False),
        sa.Column("invoice_number", sa.String(256), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("form_system_code", sa.String(32), nullable=False),
        sa.Column("context_type", sa.String(16), nullable=False),
        sa.Column("context_value", sa.String(64), nullable=False),
        sa.Column("session_reference", sa.String(36), nullable=False),
        sa.Column("invoice_reference", sa.String(36), nullable=False),
        sa.Column("invoicing_date", UtcDateTime(), nullable=False),
        sa.Column("acquisition_date", UtcDateTime(), nullable=False),
        sa.Column("invoicing_mode", sa.String(16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("ksef_number", name=op.f("pk_invoices")),
        sa.UniqueConstraint("invoice_reference", name=op.f("uq_invoices_invoice_reference")),
        sa.UniqueConstraint("seller_nip", "invoice_kind", "invoice_number", name="uq_invoices_identity"),
    )
    op.create_index("ix_invoices_verification", "invoices", ["seller_nip", "issue_date", "sha256"])
    op.create_table(
        "session_upo_pages",
        sa.Column("reference_number", sa.String(36), nullable=False),
        sa.Column("session_reference", sa.String(36), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_session_upo_pages")),
        sa.UniqueConstraint("session_reference", "page", name="uq_session_upo_pages_page"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION ksef_mcu_notify_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{_CHANNEL}', '');
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            """
            CREATE TRIGGER session_invoices_notify AFTER INSERT ON session_invoices
            FOR EACH STATEMENT EXECUTE FUNCTION ksef_mcu_notify_invoices()
            """
        )
        op.execute(
            """
            CREATE TRIGGER invoice_sessions_notify AFTER UPDATE OF status_code ON invoice_sessions
            FOR EACH STATEMENT EXECUTE FUNCTION ksef_mcu_notify_invoices()
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS invoice_sessions_notify ON invoice_sessions")
        op.execute("DROP TRIGGER IF EXISTS session_invoices_notify ON session_invoices")
        op.execute("DROP FUNCTION IF EXISTS ksef_mcu_notify_invoices()")
    op.drop_table("session_upo_pages")
    op.drop_index("ix_invoices_verification", table_name="invoices")
    op.drop_table("invoices")
    op.drop_index("ix_session_invoices_ksef_number", table_name="session_invoices")
    op.drop_index("ix_session_invoices_failed", table_name="session_invoices")
    op.drop_index("ix_session_invoices_queue", table_name="session_invoices")
    op.drop_table("session_invoices")
    op.drop_index("ix_invoice_sessions_status", table_name="invoice_sessions")
    op.drop_index("ix_invoice_sessions_context", table_name="invoice_sessions")
    op.drop_table("invoice_sessions")
