"""Consents to issue invoices with attachments, per context (`GET /v2/permissions/attachments/status`,
`/v2/testdata/attachment`, `/v2/testdata/attachment/revoke`).

Revision ID: d7a3b9e1f2c4
Revises: c6e2f0a4d8b1 (certificate listing by status and name)
Create Date: 2026-12-03 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ksef_mcu.storage.types import UtcDateTime

revision: str = "d7a3b9e1f2c4"
down_revision: str | None = "c6e2f0a4d8b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachment_consents",
        sa.Column("context_type", sa.String(16), primary_key=True),
        sa.Column("context_value", sa.String(32), primary_key=True),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("attachment_consents")
