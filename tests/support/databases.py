"""Scratch PostgreSQL databases for tests and benchmarks: uniquely named, so parallel runs never collide."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch_postgres_database(admin_url: str, *, prefix: str) -> Iterator[str]:
    """Create an empty database beside the one `admin_url` names, yield its URL, drop it afterwards (even while
    connections to it remain)."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(admin_url)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
