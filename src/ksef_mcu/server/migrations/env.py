"""Alembic environment of the server: runs on the connection handed over by `ksef_mcu.server.migrations`."""

from __future__ import annotations

from ksef_mcu.server.migrations import metadata
from ksef_mcu.storage.migrations import run_migrations

run_migrations(metadata)
