"""Tables of the auth domain: challenges, authentication operations (and the sessions they open), blocked contexts.

Registered on the server's one `metadata`; created by the first migration (`5fd26bbb4fba`).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, LargeBinary, String, Table

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import UtcDateTime

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
    Column("ksef_token_reference", String(36), nullable=True),
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
(`/auth/sessions`). The login certificate is kept so other modules can read who logged in (e.g. CSR data); a KSeF-token
login keeps the token's reference number instead, so redemption and refresh see the token revoked."""


blocked_contexts = Table(
    "blocked_contexts",
    metadata,
    Column("context_type", String(16), primary_key=True),
    Column("context_value", String(32), primary_key=True),
    Column("blocked_at", UtcDateTime, nullable=False),
)
"""Contexts in which authentication ends with status 480 (`/testdata/context/block`)."""
