"""The certificates module: subjects (limit locks and overrides), enrollments (the issuance queue), reserved serials,
issued certificates, certified public keys, and the current CRL.

Revision ID: ef1783adefe9
Revises: 5fd26bbb4fba (authentication and test data)
Create Date: 2026-11-25 13:06:27.348304
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ksef_mcu.storage.types

revision: str = "ef1783adefe9"
down_revision: str | None = "5fd26bbb4fba"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_enrollments",
        sa.Column("reference_number", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_value", sa.String(length=64), nullable=False),
        sa.Column("certificate_name", sa.String(length=100), nullable=False),
        sa.Column("certificate_type", sa.String(length=16), nullable=False),
        sa.Column("csr_der", sa.LargeBinary(), nullable=False),
        sa.Column("public_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("enrollment_data", sa.JSON(), nullable=False),
        sa.Column("requested_valid_from", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("request_date", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("status_details", sa.JSON(), nullable=True),
        sa.Column("serial_number", sa.String(length=16), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claim_expires_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_certificate_enrollments")),
    )
    op.create_index(
        "ix_certificate_enrollments_queue", "certificate_enrollments", ["status_code", "request_date"], unique=False
    )
    op.create_index(
        "ix_certificate_enrollments_subject",
        "certificate_enrollments",
        ["subject_type", "subject_value", "request_date"],
        unique=False,
    )
    op.create_table(
        "certificate_revocation_list",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("crl_number", sa.Integer(), nullable=False),
        sa.Column("this_update", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("next_update", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_revocation_list")),
    )
    op.create_table(
        "certificate_serials",
        sa.Column("serial_number", sa.String(length=16), nullable=False),
        sa.Column("reference_number", sa.String(length=36), nullable=False),
        sa.Column("reserved_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("serial_number", name=op.f("pk_certificate_serials")),
    )
    op.create_table(
        "certificate_subjects",
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_value", sa.String(length=64), nullable=False),
        sa.Column("max_enrollments", sa.Integer(), nullable=True),
        sa.Column("max_certificates", sa.Integer(), nullable=True),
        sa.Column("updated_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject_type", "subject_value", name=op.f("pk_certificate_subjects")),
    )
    op.create_table(
        "certificates",
        sa.Column("serial_number", sa.String(length=16), nullable=False),
        sa.Column("reference_number", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_value", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_folded", sa.String(length=300), nullable=False),
        sa.Column("certificate_type", sa.String(length=16), nullable=False),
        sa.Column("common_name", sa.String(length=256), nullable=False),
        sa.Column("enrollment_data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_from", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("valid_to", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("request_date", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("issued_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.Column("last_use_date", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", ksef_mcu.storage.types.UtcDateTime(), nullable=True),
        sa.Column("revocation_reason", sa.String(length=16), nullable=True),
        sa.Column("public_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("serial_number", name=op.f("pk_certificates")),
        sa.UniqueConstraint("reference_number", name=op.f("uq_certificates_reference_number")),
    )
    op.create_index("ix_certificates_revoked", "certificates", ["revoked_at"], unique=False)
    op.create_index(
        "ix_certificates_subject", "certificates", ["subject_type", "subject_value", "request_date"], unique=False
    )
    op.create_table(
        "certified_public_keys",
        sa.Column("public_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_value", sa.String(length=64), nullable=False),
        sa.Column("certified_at", ksef_mcu.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("public_key_sha256", name=op.f("pk_certified_public_keys")),
    )


def downgrade() -> None:
    op.drop_table("certified_public_keys")
    op.drop_index("ix_certificates_subject", table_name="certificates")
    op.drop_index("ix_certificates_revoked", table_name="certificates")
    op.drop_table("certificates")
    op.drop_table("certificate_subjects")
    op.drop_table("certificate_serials")
    op.drop_table("certificate_revocation_list")
    op.drop_index("ix_certificate_enrollments_subject", table_name="certificate_enrollments")
    op.drop_index("ix_certificate_enrollments_queue", table_name="certificate_enrollments")
    op.drop_table("certificate_enrollments")
