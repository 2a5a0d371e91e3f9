"""invoicing send jobs: "Wyślij faktury do KSeF" in the background, with per-file progress

Revision ID: e7a41c2b9f60
Revises: bdce5e0a9122
Create Date: 2026-12-02 18:35:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ksef_mcu.storage.types

revision: str = "e7a41c2b9f60"
down_revision: str | None = "bdce5e0a9122"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inv_send_jobs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("session_reference", sa.String(length=64), nullable=True),
        sa.Column("session_closed", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", ksef_mcu.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", ksef_mcu.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["inv_companies.id"],
            name=op.f("fk_inv_send_jobs_company_id_inv_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inv_send_jobs")),
    )
    op.create_table(
        "inv_send_job_files",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("job_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=256), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("invoice_reference", sa.String(length=64), nullable=True),
        sa.Column("ksef_number", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("sent_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["inv_send_jobs.id"],
            name=op.f("fk_inv_send_job_files_job_id_inv_send_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_id"],
            ["inv_sent_invoices.id"],
            name=op.f("fk_inv_send_job_files_sent_id_inv_sent_invoices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inv_send_job_files")),
        sa.UniqueConstraint("job_id", "position", name=op.f("uq_inv_send_job_files_job_id")),
    )


def downgrade() -> None:
    op.drop_table("inv_send_job_files")
    op.drop_table("inv_send_jobs")
