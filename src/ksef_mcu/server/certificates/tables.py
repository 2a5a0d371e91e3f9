"""Tables of the certificates domain (on the server's one `metadata`; migration `ef1783adefe9`).

Subjects are stored as (`subject_type`, `subject_value`) = (`Nip`|`Pesel`|`Fingerprint`, identifier), as everywhere
in the server.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, String, Table

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import UtcDateTime, dialect_only

certificate_subjects = Table(
    "certificate_subjects",
    metadata,
    Column("subject_type", String(16), primary_key=True),
    Column("subject_value", String(64), primary_key=True),
    Column("max_enrollments", Integer, nullable=True),
    Column("max_certificates", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)
"""One row per subject that ever enrolled: the row every limit decision locks (`SELECT … FOR UPDATE` on PostgreSQL),
and the subject's own limits set through `/v2/testdata/limits/subject/certificate` (NULL = the default)."""

certificate_enrollments = Table(
    "certificate_enrollments",
    metadata,
    Column("reference_number", String(36), primary_key=True),
    Column("subject_type", String(16), nullable=False),
    Column("subject_value", String(64), nullable=False),
    Column("certificate_name", String(100), nullable=False),
    Column("certificate_type", String(16), nullable=False),
    Column("csr_der", LargeBinary, nullable=False),
    Column("public_key_sha256", String(64), nullable=False),
    Column("enrollment_data", JSON, nullable=False),
    Column("requested_valid_from", UtcDateTime, nullable=True),
    Column("request_date", UtcDateTime, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("status_details", JSON, nullable=True),
    Column("serial_number", String(16), nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("claim_expires_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_certificate_enrollments_queue", "status_code", "request_date"),
    Index("ix_certificate_enrollments_subject", "subject_type", "subject_value", "request_date"),
)
"""Enrollment requests — and the issuance queue: a row at status 100 is work for a worker, who claims it until
`claim_expires_at`, records `serial_number` before signing, and finishes it at 200/400/500."""

certificate_serials = Table(
    "certificate_serials",
    metadata,
    Column("serial_number", String(16), primary_key=True),
    Column("reference_number", String(36), nullable=False),
    Column("reserved_at", UtcDateTime, nullable=False),
)
"""Every serial the CA ever reserved, issued or not: recorded before signing, so no serial is ever used twice."""

certificates = Table(
    "certificates",
    metadata,
    Column("serial_number", String(16), primary_key=True),
    Column("reference_number", String(36), nullable=False, unique=True),
    Column("subject_type", String(16), nullable=False),
    Column("subject_value", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("name_folded", String(300), nullable=False),
    Column("certificate_type", String(16), nullable=False),
    Column("common_name", String(256), nullable=False),
    Column("enrollment_data", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_to", UtcDateTime, nullable=False),
    Column("request_date", UtcDateTime, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("last_use_date", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revocation_reason", String(16), nullable=True),
    Column("public_key_sha256", String(64), nullable=False),
    Column("der", LargeBinary, nullable=False),
    # The listing (POST /certificates/query): one subject, newest first, filters answered from the index on
    # PostgreSQL (migration b41c7e9d2a05).
    Index(
        "ix_certificates_listing",
        "subject_type",
        "subject_value",
        "request_date",
        "serial_number",
        postgresql_include=["status", "certificate_type", "valid_to", "name_folded"],
    ),
    # The same order within one status (migration c6e2f0a4d8b1): a status filter reads only its own entries, so a
    # deep page of the Revoked ones does not step over every Active one first.
    Index(
        "ix_certificates_listing_status",
        "subject_type",
        "subject_value",
        "status",
        "request_date",
        "serial_number",
        postgresql_include=["certificate_type", "valid_to", "name_folded"],
    ),
    # "Name contains" over a subject with tens of thousands of certificates: trigrams find the few candidates instead
    # of testing every entry (PostgreSQL only: pg_trgm and btree_gin).
    dialect_only(
        Index(
            "ix_certificates_name_trigram",
            "subject_type",
            "subject_value",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
        "postgresql",
    ),
    Index("ix_certificates_revoked", "revoked_at"),
)
"""Certificates issued by this server (the registry `/certificates/query` lists). `status` is Active, Blocked or
Revoked; Expired is derived from `valid_to`. `name_folded` is the name case-folded in Python, so that "name contains"
ignores letter case the same way (Polish letters included) on SQLite and PostgreSQL."""

certified_public_keys = Table(
    "certified_public_keys",
    metadata,
    Column("public_key_sha256", String(64), primary_key=True),
    Column("subject_type", String(16), nullable=False),
    Column("subject_value", String(64), nullable=False),
    Column("certified_at", UtcDateTime, nullable=False),
)
"""Which subject a public key was certified for: the first one to get it keeps it (another subject's request for
the same key ends at status 400)."""

certificate_revocation_list = Table(
    "certificate_revocation_list",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("crl_number", Integer, nullable=False),
    Column("this_update", UtcDateTime, nullable=False),
    Column("next_update", UtcDateTime, nullable=False),
    Column("der", LargeBinary, nullable=False),
)
"""The current CRL of the issuing CA (one row, id 1): rebuilt in the transaction of every revocation, so every API
process serves the same list; the row lock orders concurrent rebuilds and their CRL numbers."""
