"""End-to-end tests run real processes (`ksef-mcu serve`, `ksef-mcu worker`, Obsługa Faktur) on a database of their
own: a fresh SQLite file, and a fresh PostgreSQL database when KSEF_MCU_TEST_POSTGRES_URL names a server (the
PostgreSQL runs are marked `db`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.db)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for this test's processes (overrides the session's shared one)."""
    if request.param == "postgresql" and not os.environ.get("KSEF_MCU_TEST_POSTGRES_URL"):
        pytest.skip("KSEF_MCU_TEST_POSTGRES_URL is not set: the PostgreSQL run of this end-to-end test is skipped")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'ksef-mcu.sqlite3'}"
        return
    with temporary_database(request.param, tmp_path) as url:
        yield url
