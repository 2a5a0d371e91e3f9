"""The permissions module: grants of every kind (`permission_records`, replacing the test-data-only
`permission_grants`, whose rows move over as `System`-authored person grants) and the grant and revocation operations.

Revision ID: 8d2f4c61a9b3
Revises: 3c9a51d2e7f0 (notify new enrollments)
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ksef_mcu.storage.types

revision: str = "8d2f4c61a9b3"
down_revision: str | None = "3c9a51d2e7f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _old_grants_table() -> sa.Table:
    return sa.Table(
        "permission_grants",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("authorized_type", sa.String(length=16), nullable=False),
        sa.Column("authorized_value", sa.String(length=64), nullable=False),
        sa.Column("permission_type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("granted_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_permission_grants"),
        sa.UniqueConstraint(
            "context_type",
            "context_value",
            "authorized_type",
            "authorized_value",
            "permission_type",
            name="uq_permission_grants_grant",
        ),
    )


def upgrade() -> None:
    records = op.create_table(
        "permission_records",
        sa.Column("permission_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("grantor_type", sa.String(length=16), nullable=False),
        sa.Column("grantor_value", sa.String(length=32), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_value", sa.String(length=64), nullable=False),
        sa.Column("authorized_type", sa.String(length=16), nullable=False),
        sa.Column("authorized_value", sa.String(length=64), nullable=False),
        sa.Column("permission_type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("can_delegate", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("granted_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("permission_id", name=op.f("pk_permission_records")),
        sa.UniqueConstraint(
            "source",
            "kind",
            "context_type",
            "context_value",
            "grantor_type",
            "grantor_value",
            "authorized_type",
            "authorized_value",
            "permission_type",
            name="uq_permission_records_grant",
        ),
    )
    op.create_index(
        "ix_permission_records_authorized", "permission_records", ["authorized_type", "authorized_value"], unique=False
    )
    op.create_index(
        "ix_permission_records_context", "permission_records", ["context_type", "context_value"], unique=False
    )
    op.create_index(
        "ix_permission_records_grantor", "permission_records", ["grantor_type", "grantor_value"], unique=False
    )
    op.create_table(
        "permission_operations",
        sa.Column("reference_number", sa.String(length=36), nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("grant_kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("status_details", sa.JSON(), nullable=True),
        sa.Column("permission_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_permission_operations")),
    )
    op.create_index(op.f("ix_permission_operations_created_at"), "permission_operations", ["created_at"], unique=False)

    # Test data's grants move over: person grants in their context, authored by `System`.
    old = _old_grants_table()
    connection = op.get_bind()
    rows = connection.execute(sa.select(old)).fetchall()
    if rows:
        connection.execute(
            records.insert(),
            [
                {
                    "permission_id": str(uuid.uuid4()),
                    "source": row.source,
                    "kind": "person",
                    "context_type": row.context_type,
                    "context_value": row.context_value,
                    "grantor_type": row.context_type,
                    "grantor_value": row.context_value,
                    "author_type": "System",
                    "author_value": "",
                    "authorized_type": row.authorized_type,
                    "authorized_value": row.authorized_value,
                    "permission_type": row.permission_type,
                    "description": row.description,
                    "can_delegate": False,
                    "details": {},
                    "granted_at": row.granted_at,
                }
                for row in rows
            ],
        )
    op.drop_index("ix_permission_grants_authorized", table_name="permission_grants")
    op.drop_table("permission_grants")


def downgrade() -> None:
    old = _old_grants_table()
    old.create(op.get_bind())
    op.create_index(
        "ix_permission_grants_authorized", "permission_grants", ["authorized_type", "authorized_value"], unique=False
    )
    # Only what the old table could hold goes back: test data's person grants.
    records = sa.table(
        "permission_records",
        *(
            sa.column(name)
            for name in (
                "source",
                "kind",
                "context_type",
                "context_value",
                "authorized_type",
                "authorized_value",
                "permission_type",
                "description",
            )
        ),
        sa.column("granted_at", ksef_mcu.storage.types.UtcDateTime()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(records).where(records.c.source == "testdata", records.c.kind == "person")
    ).fetchall()
    if rows:
        connection.execute(
            old.insert(),
            [
                {
                    "context_type": row.context_type,
                    "context_value": row.context_value,
                    "authorized_type": row.authorized_type,
                    "authorized_value": row.authorized_value,
                    "permission_type": row.permission_type,
                    "description": row.description,
                    "source": row.source,
                    "granted_at": row.granted_at,
                }
                for row in rows
            ],
        )
    op.drop_index(op.f("ix_permission_operations_created_at"), table_name="permission_operations")
    op.drop_table("permission_operations")
    op.drop_index("ix_permission_records_grantor", table_name="permission_records")
    op.drop_index("ix_permission_records_context", table_name="permission_records")
    op.drop_index("ix_permission_records_authorized", table_name="permission_records")
    op.drop_table("permission_records")
