"""Schema migrations (Alembic, shipped inside the package) and the safe way to apply them.

The whole upgrade runs in one transaction. Concurrent upgraders (two `ksef-mcu serve` starting at once) are serialised:
on SQLite by `BEGIN IMMEDIATE`, on PostgreSQL by a transaction-scoped advisory lock; the second one then finds the
schema current and does nothing.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from ksef_mcu.server.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# pg_advisory_xact_lock key: "ksefmcu" as a 64-bit number; any constant works as long as every process uses it.
_ADVISORY_LOCK_KEY = 0x6B7365666D6375


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
    )
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of the code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the packaged migrations have no head revision")
    return head


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with database.read() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(database: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`, atomically and safely against concurrent upgraders."""
    with database.write() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        command.upgrade(alembic_config(connection), revision)


def downgrade_database(database: Database, revision: str) -> None:
    """Take the schema back to `revision` (development and tests)."""
    with database.write() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        command.downgrade(alembic_config(connection), revision)


def create_revision(message: str, *, autogenerate: bool = True) -> Path:
    """Write a new migration file (for developers): compared against a scratch SQLite database at head.

    Returns the path of the new file; review it before committing (SQLite-specific batch operations are not used).
    """
    with tempfile.TemporaryDirectory() as scratch:
        scratch_url = f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}"
        database = Database.from_url(scratch_url, busy_timeout=timedelta(seconds=5))
        try:
            upgrade_database(database)
            with database.write() as connection:
                script = command.revision(alembic_config(connection), message=message, autogenerate=autogenerate)
        finally:
            database.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError("Alembic did not create exactly one revision")
    return Path(script.path)
