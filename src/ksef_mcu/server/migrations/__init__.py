"""The server's schema migrations: Alembic revisions in `versions/` (file names start with the date), the schema
they create (every domain's tables, registered on one `metadata`), and the runner configured for them.

`ksef-mcu serve` and `ksef-mcu db upgrade` apply them; `ksef-mcu db revision -m "…"` writes a new one compared
against the tables. A package, so wheels include the scripts.
"""

from __future__ import annotations

from pathlib import Path

from ksef_mcu.server.db.tables import metadata
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
