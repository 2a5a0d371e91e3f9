"""Tables of the test data (sandbox) domain: special subjects and NIP–PESEL persons.

Registered on the server's one `metadata`; created by the first migration (`5fd26bbb4fba`).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table

from ksef_mcu.server.metadata import metadata
from ksef_mcu.storage.types import UtcDateTime

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
