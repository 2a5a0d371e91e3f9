"""Migrations: they create exactly the tables in code, go down and up again, and survive concurrent upgraders."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from ksef_mcu.cli import app as cli
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.server.migrations import current_revision, downgrade_database, head_revision, metadata, upgrade_database
from ksef_mcu.storage.database import Database
from ksef_mcu.storage.migrations import schema_differences
from support.server import temporary_database

pytestmark = pytest.mark.db


def test_schema_matches_the_tables_in_code(database: Database) -> None:
    with database.read() as connection:
        differences = schema_differences(connection, metadata)
    assert differences == []
    assert current_revision(database) == head_revision()


def test_down_to_empty_and_up_again(db_backend: str, tmp_path: Path) -> None:
    with temporary_database(db_backend, tmp_path) as url:
        database = Database.from_url(url)
        try:
            upgrade_database(database)
            downgrade_database(database, "base")
            assert current_revision(database) is None
            with database.read() as connection:
                assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
            upgrade_database(database)
            assert current_revision(database) == head_revision()
        finally:
            database.dispose()


def test_concurrent_upgrades_are_serialised(db_backend: str, tmp_path: Path) -> None:
    with temporary_database(db_backend, tmp_path) as url:
        databases = [Database.from_url(url) for _ in range(4)]
        errors: list[BaseException] = []
        start = threading.Barrier(len(databases))

        def upgrade(database: Database) -> None:
            start.wait()
            try:
                upgrade_database(database)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=upgrade, args=(database,)) for database in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        try:
            assert errors == []
            assert current_revision(databases[0]) == head_revision()
        finally:
            for database in databases:
                database.dispose()


def test_cli_upgrade_and_current(db_backend: str, tmp_path: Path) -> None:
    with temporary_database(db_backend, tmp_path) as url:
        runner = CliRunner()
        before = runner.invoke(cli, ["db", "current", "--database-url", url, "--data-dir", str(tmp_path)])
        assert before.exit_code == 0, before.output
        assert "Baza: pusta" in before.output
        upgraded = runner.invoke(cli, ["db", "upgrade", "--database-url", url, "--data-dir", str(tmp_path)])
        assert upgraded.exit_code == 0, upgraded.output
        assert head_revision() in upgraded.output
        after = runner.invoke(cli, ["db", "current", "--database-url", url])
        assert f"Baza: {head_revision()}" in after.output


def test_cli_reports_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", url, "--data-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "Błąd: migracja nie powiodła się (OperationalError)" in result.output
