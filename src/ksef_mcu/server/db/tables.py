"""The database schema as SQLAlchemy Core tables. Migrations (`db/migrations`) create exactly this.

Modules add their tables to the same `metadata` (import their table module here so Alembic and the test fixtures
see every table) and ship a migration that revises the latest one.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from ksef_mcu.storage.types import Identity64, UtcDateTime, new_metadata

metadata = new_metadata()
"""The server's schema: every table of every domain, with the project's constraint naming convention."""

challenges = Table(
    "challenges",
    metadata,
    Column("challenge", String(36), primary_key=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("client_ip", String(64), nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)
"""Authentication challenges: valid for a limited time and usable once (`used_at` is set by the first use)."""

authentications = Table(
    "authentications",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("started_at", UtcDateTime, nullable=False, index=True),
    Column("client_ip", String(64), nullable=False),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(32), nullable=False),
    Column("subject_type", String(16), nullable=False),
    Column("subject_value", String(64), nullable=False),
    Column("authentication_method", String(32), nullable=False),
    Column("authentication_method_code", String(64), nullable=False),
    Column("certificate_fingerprint", String(64), nullable=True),
    Column("certificate_der", LargeBinary, nullable=True),
    Column("subject_details", JSON, nullable=False),
    Column("authorization_policy", JSON, nullable=True),
    Column("status_code", Integer, nullable=False),
    Column("status_description", String(200), nullable=False),
    Column("status_details", JSON, nullable=True),
    Column("authentication_token_valid_until", UtcDateTime, nullable=False),
    Column("is_token_redeemed", Boolean, nullable=False, default=False),
    Column("redeemed_at", UtcDateTime, nullable=True),
    Column("refresh_token_id", String(32), nullable=True),
    Column("refresh_token_valid_until", UtcDateTime, nullable=True),
    Column("last_token_refresh_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index(
        "ix_authentications_subject_in_context",
        "context_type",
        "context_value",
        "subject_type",
        "subject_value",
        "started_at",
    ),
)
"""Authentication operations (`/auth/{referenceNumber}`) and, once redeemed, the authentication sessions they open
(`/auth/sessions`). The login certificate is kept so other modules can read who logged in (e.g. CSR data)."""

testdata_subjects = Table(
    "testdata_subjects",
    metadata,
    Column("nip", String(10), primary_key=True),
    Column("subject_type", String(32), nullable=False),
    Column("description", String(256), nullable=False),
    Column("parent_nip", String(10), ForeignKey("testdata_subjects.nip", ondelete="CASCADE"), nullable=True),
    Column("created_date", UtcDateTime, nullable=False),
)
"""Special entities created by `/testdata/subject` (enforcement authorities, VAT groups, JST) and their subunits."""

testdata_persons = Table(
    "testdata_persons",
    metadata,
    Column("nip", String(10), primary_key=True),
    Column("pesel", String(11), nullable=False, index=True),
    Column("is_bailiff", Boolean, nullable=False),
    Column("is_deceased", Boolean, nullable=False),
    Column("description", String(256), nullable=False),
    Column("created_date", UtcDateTime, nullable=False),
)
"""Natural persons from `/testdata/person`: a NIP–PESEL binding that makes the PESEL an owner of the NIP context."""

permission_grants = Table(
    "permission_grants",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(32), nullable=False),
    Column("authorized_type", String(16), nullable=False),
    Column("authorized_value", String(64), nullable=False),
    Column("permission_type", String(32), nullable=False),
    Column("description", String(256), nullable=False),
    Column("source", String(16), nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    UniqueConstraint(
        "context_type",
        "context_value",
        "authorized_type",
        "authorized_value",
        "permission_type",
        name="uq_permission_grants_grant",
    ),
    Index("ix_permission_grants_authorized", "authorized_type", "authorized_value"),
)
"""Permissions held by a subject (NIP, PESEL or certificate fingerprint) in a context. `source` says who granted
them: `testdata` for `/testdata/permissions`; the permissions module will add its own."""

blocked_contexts = Table(
    "blocked_contexts",
    metadata,
    Column("context_type", String(16), primary_key=True),
    Column("context_value", String(32), primary_key=True),
    Column("blocked_at", UtcDateTime, nullable=False),
)
"""Contexts in which authentication ends with status 480 (`/testdata/context/block`)."""


# Modules' tables, registered on `metadata` by importing them (keep at the end: they import `metadata` from here).
from ksef_mcu.server.db import certificate_tables as _certificate_tables  # noqa: E402, F401
