"""The certificate listing by status, and "name contains" by trigrams on PostgreSQL.

Two cases of `POST /v2/certificates/query` for a subject with tens of thousands of certificates missed p99 < 20 ms
with the listing index alone (docs/performance.md): a deep page of one status (every entry of the other statuses
stepped over first) and a name fragment (every entry tested). `ix_certificates_listing_status` keeps the listing
order within one status; on PostgreSQL `ix_certificates_name_trigram` (GIN, `pg_trgm` with `btree_gin` for the
subject columns) finds a fragment's candidates directly. Both extensions are trusted ones (PostgreSQL 13+): the
database owner may create them.

Revision ID: c6e2f0a4d8b1
Revises: c5d8e1f3a7b2 (online sessions and invoices)
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c6e2f0a4d8b1"
down_revision: str | None = "c5d8e1f3a7b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_certificates_listing_status",
        "certificates",
        ["subject_type", "subject_value", "status", "request_date", "serial_number"],
        postgresql_include=["certificate_type", "valid_to", "name_folded"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.create_index(
            "ix_certificates_name_trigram",
            "certificates",
            ["subject_type", "subject_value", "name_folded"],
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_certificates_name_trigram", table_name="certificates")
    op.drop_index("ix_certificates_listing_status", table_name="certificates")
