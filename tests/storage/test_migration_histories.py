"""`MigrationScripts` serves any application: its own script directory and version table, beside the server's."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import inspect

from ksef_mcu.server.migrations import MIGRATIONS as SERVER_MIGRATIONS
from ksef_mcu.storage.database import Database
from ksef_mcu.storage.migrations import MigrationScripts
from support.server import temporary_database

pytestmark = pytest.mark.db

ENV = """
from sqlalchemy import Column, Integer, String, Table

from ksef_mcu.storage.migrations import run_migrations
from ksef_mcu.storage.types import new_metadata

metadata = new_metadata()
Table("other_notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(50), nullable=False))
run_migrations(metadata)
"""

REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "other_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_other_notes")),
    )


def downgrade() -> None:
    op.drop_table("other_notes")
"""


@pytest.fixture
def other_application(tmp_path: Path) -> MigrationScripts:
    location = tmp_path / "other_migrations"
    (location / "versions").mkdir(parents=True)
    (location / "env.py").write_text(textwrap.dedent(ENV), encoding="utf-8")
    (location / "versions" / "2026_01_01_0000_a1b2c3d4e5f6_notes.py").write_text(
        textwrap.dedent(REVISION), encoding="utf-8"
    )
    return MigrationScripts(location, version_table="other_alembic_version")


def test_two_histories_share_one_database(db_backend: str, tmp_path: Path, other_application: MigrationScripts) -> None:
    with temporary_database(db_backend, tmp_path) as url:
        database = Database.from_url(url)
        try:
            SERVER_MIGRATIONS.upgrade(database)
            assert other_application.current(database) is None
            other_application.upgrade(database)
            assert other_application.current(database) == other_application.head() == "a1b2c3d4e5f6"
            assert SERVER_MIGRATIONS.current(database) == SERVER_MIGRATIONS.head()
            with database.read() as connection:
                tables = set(inspect(connection).get_table_names())
            assert {"other_notes", "other_alembic_version", "alembic_version", "challenges"} <= tables
            other_application.downgrade(database, "base")
            assert other_application.current(database) is None
            assert SERVER_MIGRATIONS.current(database) == SERVER_MIGRATIONS.head()  # untouched
            with database.read() as connection:
                assert "other_notes" not in inspect(connection).get_table_names()
        finally:
            database.dispose()


def test_each_history_locks_on_its_own_key(other_application: MigrationScripts) -> None:
    assert SERVER_MIGRATIONS.advisory_lock_key == 0x6B7365666D6375  # what every server version takes
    assert other_application.advisory_lock_key != SERVER_MIGRATIONS.advisory_lock_key
    assert 0 < other_application.advisory_lock_key < 2**63
