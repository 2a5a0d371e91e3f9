"""Obsługa Faktur's Alembic history: its own script directory and version table (`invoicing_alembic_version`)."""

from __future__ import annotations

from pathlib import Path

from ksef_mcu.storage.database import Database
from ksef_mcu.storage.migrations import MigrationScripts

__all__ = ["SCRIPTS", "upgrade_database"]

SCRIPTS = MigrationScripts(Path(__file__).resolve().parent, version_table="invoicing_alembic_version")


def upgrade_database(database: Database) -> None:
    """Bring Obsługa Faktur's schema up to the head shipped with this code."""
    SCRIPTS.upgrade(database)
