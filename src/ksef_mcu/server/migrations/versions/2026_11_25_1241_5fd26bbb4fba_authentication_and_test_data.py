"""Authentication (challenges, operations/sessions) and sandbox test data (subjects, persons, grants, blocks).

Revision ID: 5fd26bbb4fba
Revises: (none: the first revision)
Create Date: 2026-11-25 12:41:36.027690
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ksef_mcu.storage.types

revision: str = "5fd26bbb4fba"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authentications",
        sa.Column("reference_number", sa.String(length=36), nullable=False),
        sa.Column("started_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_value", sa.String(length=64), nullable=False),
        sa.Column("authentication_method", sa.String(length=32), nullable=False),
        sa.Column("authentication_method_code", sa.String(length=64), nullable=False),
        sa.Column("certificate_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=True),
        sa.Column("subject_details", sa.JSON(), nullable=False),
        sa.Column("authorization_policy", sa.JSON(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("status_description", sa.String(length=200), nullable=False),
        sa.Column("status_details", sa.JSON(), nullable=True),
        sa.Column("authentication_token_valid_until", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("is_token_redeemed", sa.Boolean(), nullable=False),
        sa.Column("redeemed_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("refresh_token_id", sa.String(length=32), nullable=True),
        sa.Column("refresh_token_valid_until", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("last_token_refresh_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_authentications")),
    )
    op.create_index(op.f("ix_authentications_started_at"), "authentications", ["started_at"], unique=False)
    op.create_index(
        "ix_authentications_subject_in_context",
        "authentications",
        ["context_type", "context_value", "subject_type", "subject_value", "started_at"],
        unique=False,
    )
    op.create_table(
        "blocked_contexts",
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("blocked_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("context_type", "context_value", name=op.f("pk_blocked_contexts")),
    )
    op.create_table(
        "challenges",
        sa.Column("challenge", sa.String(length=36), nullable=False),
        sa.Column("issued_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("used_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("challenge", name=op.f("pk_challenges")),
    )
    op.create_index(op.f("ix_challenges_expires_at"), "challenges", ["expires_at"], unique=False)
    op.create_table(
        "permission_grants",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=32), nullable=False),
        sa.Column("authorized_type", sa.String(length=16), nullable=False),
        sa.Column("authorized_value", sa.String(length=64), nullable=False),
        sa.Column("permission_type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("granted_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permission_grants")),
        sa.UniqueConstraint(
            "context_type",
            "context_value",
            "authorized_type",
            "authorized_value",
            "permission_type",
            name="uq_permission_grants_grant",
        ),
    )
    op.create_index(
        "ix_permission_grants_authorized", "permission_grants", ["authorized_type", "authorized_value"], unique=False
    )
    op.create_table(
        "testdata_persons",
        sa.Column("nip", sa.String(length=10), nullable=False),
        sa.Column("pesel", sa.String(length=11), nullable=False),
        sa.Column("is_bailiff", sa.Boolean(), nullable=False),
        sa.Column("is_deceased", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("created_date", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_testdata_persons")),
    )
    op.create_index(op.f("ix_testdata_persons_pesel"), "testdata_persons", ["pesel"], unique=False)
    op.create_table(
        "testdata_subjects",
        sa.Column("nip", sa.String(length=10), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("parent_nip", sa.String(length=10), nullable=True),
        sa.Column("created_date", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_nip"],
            ["testdata_subjects.nip"],
            name=op.f("fk_testdata_subjects_parent_nip_testdata_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_testdata_subjects")),
    )


def downgrade() -> None:
    op.drop_table("testdata_subjects")
    op.drop_index(op.f("ix_testdata_persons_pesel"), table_name="testdata_persons")
    op.drop_table("testdata_persons")
    op.drop_index("ix_permission_grants_authorized", table_name="permission_grants")
    op.drop_table("permission_grants")
    op.drop_index(op.f("ix_challenges_expires_at"), table_name="challenges")
    op.drop_table("challenges")
    op.drop_table("blocked_contexts")
    op.drop_index("ix_authentications_subject_in_context", table_name="authentications")
    op.drop_index(op.f("ix_authentications_started_at"), table_name="authentications")
    op.drop_table("authentications")
