"""KSeF tokens (`ksef_tokens`, only a SHA-256 of each token) and the token a `Token` login used
(`authentications.ksef_token_reference`).

Revision ID: 9e7b3a52c4d1
Revises: 8d2f4c61a9b3 (permission records and operations)
Create Date: 2026-11-27 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ksef_mcu.storage.types

revision: str = "9e7b3a52c4d1"
down_revision: str | None = "8d2f4c61a9b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ksef_tokens",
        sa.Column("reference_number", sa.String(length=36), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_value", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("last_use_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("status_changed_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_ksef_tokens")),
    )
    op.create_index(
        "ix_ksef_tokens_context", "ksef_tokens", ["context_type", "context_value", "created_at"], unique=False
    )
    op.add_column("authentications", sa.Column("ksef_token_reference", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authentications") as batch:
        batch.drop_column("ksef_token_reference")
    op.drop_index("ix_ksef_tokens_context", table_name="ksef_tokens")
    op.drop_table("ksef_tokens")
