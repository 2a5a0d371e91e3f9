"""The certificate listing index: `POST /v2/certificates/query` answered from the index alone.

The listing is always one subject's certificates, newest request first (`request_date DESC, serial_number DESC`),
filtered by status, type, `validTo` and a name fragment. The index keys are the subject and that order (a backward
scan gives it without a sort); on PostgreSQL it also carries the filtered columns (`INCLUDE`), so the page's serial
numbers are found by an index-only scan — however deep the page, whatever the filter — and only the 51 rows shown are
read from the table (docs/performance.md, "The certificate listing at scale"). It replaces `ix_certificates_subject`
(subject, request_date), whose every candidate row was a table read.

Revision ID: b41c7e9d2a05
Revises: 9e7b3a52c4d1 (ksef tokens)
Create Date: 2026-12-02 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "b41c7e9d2a05"
down_revision: str | None = "9e7b3a52c4d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INCLUDED = ["status", "certificate_type", "valid_to", "name_folded"]


def upgrade() -> None:
    op.drop_index("ix_certificates_subject", table_name="certificates")
    op.create_index(
        "ix_certificates_listing",
        "certificates",
        ["subject_type", "subject_value", "request_date", "serial_number"],
        postgresql_include=_INCLUDED,
    )


def downgrade() -> None:
    op.drop_index("ix_certificates_listing", table_name="certificates")
    op.create_index("ix_certificates_subject", "certificates", ["subject_type", "subject_value", "request_date"])
