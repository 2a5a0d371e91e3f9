"""The server's one SQLAlchemy `MetaData`: every domain's `tables.py` registers its tables on it.

`ksef_mcu.server.migrations` imports every domain's tables, so Alembic (and the tests' table cleanup) see them all;
a new table goes into its domain's `tables.py` with a migration that revises the latest one.
"""

from __future__ import annotations

from ksef_mcu.storage.types import new_metadata

__all__ = ["metadata"]

metadata = new_metadata()
"""The server's schema, with the project's constraint naming convention."""
