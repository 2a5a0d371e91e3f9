"""Alembic env for Obsługa Faktur: run through `MigrationScripts` (see storage.migrations)."""

from ksef_mcu.invoicing.tables import metadata
from ksef_mcu.storage.migrations import run_migrations

run_migrations(metadata)
