"""Tables of the permissions domain: the permission grants a subject holds in a context.

Registered on the server's one `metadata`; created by the first migration (`5fd26bbb4fba`).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, UniqueConstraint

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import Identity64, UtcDateTime

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
