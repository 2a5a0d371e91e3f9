"""Schema migrations with Alembic, for any application: its scripts, its version table, applied safely.

Each application keeps its own Alembic script directory (`env.py`, `script.py.mako`, `versions/`) inside its
package and describes it with a `MigrationScripts`: where the scripts are and which table records the revision, so
two applications may share one database without touching each other's history. Its `env.py` is two lines:

    from ksef_mcu.storage.migrations import run_migrations
    run_migrations(metadata)   # the application's tables

The whole upgrade runs in one transaction. Concurrent upgraders (two processes starting at once) are serialised:
on SQLite by `BEGIN IMMEDIATE`, on PostgreSQL by a transaction-scoped advisory lock (one key per history); the
second one then finds the schema current and does nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Index, MetaData, text

from ksef_mcu.storage.database import Database
from ksef_mcu.storage.types import only_on_dialect

__all__ = ["MigrationScripts", "run_migrations", "schema_differences"]

FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
"""New revision files start with their date, so `versions/` lists them in order."""

_CONNECTION = "connection"
_VERSION_TABLE = "version_table"


@dataclass(frozen=True)
class MigrationScripts:
    """One application's migrations: the Alembic script directory and the table that records the revision."""

    location: Path
    version_table: str = "alembic_version"
    lock_key: int | None = None
    """The PostgreSQL advisory-lock key upgraders of this history take; by default derived from `version_table`."""

    @property
    def advisory_lock_key(self) -> int:
        if self.lock_key is not None:
            return self.lock_key
        return int.from_bytes(hashlib.sha256(self.version_table.encode()).digest()[:8], "big") >> 1

    def config(self, connection: Connection | None = None) -> Config:
        """An Alembic configuration for these scripts (no alembic.ini needed); `connection` is handed to env.py."""
        config = Config()
        config.set_main_option("script_location", str(self.location))
        config.set_main_option("file_template", FILE_TEMPLATE)
        config.attributes[_VERSION_TABLE] = self.version_table
        if connection is not None:
            config.attributes[_CONNECTION] = connection
        return config

    def head(self) -> str:
        """The newest revision shipped with this version of the code."""
        head = ScriptDirectory.from_config(self.config()).get_current_head()
        if head is None:
            raise RuntimeError(f"the migrations in {self.location} have no head revision")
        return head

    def current(self, database: Database) -> str | None:
        """The revision the database is at (None for a database this history never touched)."""
        with database.read() as connection:
            return MigrationContext.configure(
                connection, opts={"version_table": self.version_table}
            ).get_current_revision()

    def _locked(self, connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.advisory_lock_key})

    def upgrade(self, database: Database, revision: str = "head") -> None:
        """Bring the schema up to `revision`, atomically and safely against concurrent upgraders."""
        with database.write() as connection:
            self._locked(connection)
            command.upgrade(self.config(connection), revision)

    def downgrade(self, database: Database, revision: str) -> None:
        """Take the schema back to `revision` (development and tests)."""
        with database.write() as connection:
            self._locked(connection)
            command.downgrade(self.config(connection), revision)

    def create_revision(self, message: str, *, autogenerate: bool = True) -> Path:
        """Write a new migration file (for developers): compared against a scratch SQLite database at head.

        Returns the path of the new file; review it before committing (SQLite-specific batch operations are not
        used).
        """
        with tempfile.TemporaryDirectory() as scratch:
            scratch_url = f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}"
            database = Database.from_url(scratch_url, busy_timeout=timedelta(seconds=5))
            try:
                self.upgrade(database)
                with database.write() as connection:
                    script = command.revision(self.config(connection), message=message, autogenerate=autogenerate)
            finally:
                database.dispose()
        if script is None or isinstance(script, list):
            raise RuntimeError("Alembic did not create exactly one revision")
        return Path(script.path)


def _include_for(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's `include_object`: an index marked `dialect_only` for another dialect is not compared."""

    def include(item: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ == "index" and isinstance(item, Index):
            restricted = only_on_dialect(item)
            return restricted is None or restricted == dialect
        return True

    return include


def schema_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate finds between the database and `metadata` (empty when they agree), ignoring
    indexes that exist on another dialect only."""
    migration_context = MigrationContext.configure(
        connection, opts={"include_object": _include_for(connection.dialect.name), "compare_type": True}
    )
    return list(compare_metadata(migration_context, metadata))


def run_migrations(metadata: MetaData) -> None:
    """The body of an application's `env.py`: run on the connection (and inside the transaction) that
    `MigrationScripts` handed over, recording the revision in its version table."""
    connection = context.config.attributes.get(_CONNECTION)
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through MigrationScripts (e.g. `ksef-mcu db upgrade`), not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=context.config.attributes.get(_VERSION_TABLE, "alembic_version"),
        compare_type=True,
        include_object=_include_for(connection.dialect.name),
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
