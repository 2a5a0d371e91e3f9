"""Tables of the KSeF-token domain. Registered on the server's one `metadata`; created by migration `9e7b3a52c4d1`."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, String, Table

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import UtcDateTime

ksef_tokens = Table(
    "ksef_tokens",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("token_sha256", String(64), nullable=False),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(32), nullable=False),
    Column("author_type", String(16), nullable=False),
    Column("author_value", String(64), nullable=False),
    Column("description", String(256), nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_use_at", UtcDateTime, nullable=True),
    Column("status_changed_at", UtcDateTime, nullable=True),
    Index("ix_ksef_tokens_context", "context_type", "context_value", "created_at"),
)
"""KSeF tokens. The token's text is never stored: `token_sha256` is the hex SHA-256 of the whole token, compared in
constant time at login."""
