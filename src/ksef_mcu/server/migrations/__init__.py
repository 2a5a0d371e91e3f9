"""The server's schema migrations: Alembic revisions in `versions/` (file names start with the date), the schema
they create (every domain's tables, registered on one `metadata`), and the runner configured for them.

`ksef-mcu serve` and `ksef-mcu db upgrade` apply them; `ksef-mcu db revision -m "…"` writes a new one compared
against the tables. A package, so wheels include the scripts.
"""

from __future__ import annotations

from pathlib import Path

# Every domain's tables, registered on `metadata` by importing them: what the migrations create, exactly.
from ksef_mcu.server.auth import tables as _auth_tables  # noqa: F401
from ksef_mcu.server.certificates import tables as _certificates_tables  # noqa: F401
from ksef_mcu.server.metadata import metadata
from ksef_mcu.server.permissions import tables as _permissions_tables  # noqa: F401
from ksef_mcu.server.sessions import tables as _sessions_tables  # noqa: F401
from ksef_mcu.server.testdata import tables as _testdata_tables  # noqa: F401
from ksef_mcu.server.tokens import tables as _tokens_tables  # noqa: F401
from ksef_mcu.storage.migrations import MigrationScripts

__all__ = [
    "MIGRATIONS",
    "create_revision",
    "current_revision",
    "downgrade_database",
    "head_revision",
    "metadata",
    "upgrade_database",
]

MIGRATIONS = MigrationScripts(
    Path(__file__).parent,
    version_table="alembic_version",
    lock_key=0x6B7365666D6375,  # "ksefmcu": the key every server version since the first takes
)

upgrade_database = MIGRATIONS.upgrade
downgrade_database = MIGRATIONS.downgrade
current_revision = MIGRATIONS.current
head_revision = MIGRATIONS.head
create_revision = MIGRATIONS.create_revision
