"""Tables of the permissions domain: the grants (from the API and from test data) and the grant and revocation
operations.

Registered on the server's one `metadata`; created by migration `8d2f4c61a9b3` (which replaced the first migration's
`permission_grants`).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, UniqueConstraint

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import UtcDateTime

permission_records = Table(
    "permission_records",
    metadata,
    Column("permission_id", String(36), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(32), nullable=False),
    Column("grantor_type", String(16), nullable=False),
    Column("grantor_value", String(32), nullable=False),
    Column("author_type", String(16), nullable=False),
    Column("author_value", String(64), nullable=False),
    Column("authorized_type", String(16), nullable=False),
    Column("authorized_value", String(64), nullable=False),
    Column("permission_type", String(32), nullable=False),
    Column("description", String(256), nullable=False),
    Column("can_delegate", Boolean, nullable=False),
    Column("details", JSON, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    UniqueConstraint(
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
    Index("ix_permission_records_authorized", "authorized_type", "authorized_value"),
    Index("ix_permission_records_context", "context_type", "context_value"),
    Index("ix_permission_records_grantor", "grantor_type", "grantor_value"),
)
"""One row per permission granted. `context` is where it acts (an indirect grant's target, `AllPartners` with an
empty value for a general one); `grantor` the context it was granted in; `author` who granted it (`System` for test
data); `details` the subject details and, by kind, the subunit or EU entity names. `source` is `api` or `testdata`:
`/testdata/permissions/revoke` removes only its own."""


permission_operations = Table(
    "permission_operations",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("grant_kind", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("status_code", Integer, nullable=False),
    Column("status_details", JSON, nullable=True),
    Column("permission_ids", JSON, nullable=False),
)
"""Grant and revocation operations (`GET /permissions/operations/{referenceNumber}`), kept 30 days. Each is decided
in the unit of work that records it, so its status is final when the 202 is sent."""


attachment_consents = Table(
    "attachment_consents",
    metadata,
    Column("context_type", String(16), primary_key=True),
    Column("context_value", String(32), primary_key=True),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)
"""A context's consent to issue invoices with attachments (`GET /permissions/attachments/status`; in production given
in e-Urząd Skarbowy, in the sandbox by `/testdata/attachment`). `revoked_at` is when it ends (NULL: no end); it may
lie in the future (`expectedEndDate`). Created by migration `d7a3b9e1f2c4`."""
