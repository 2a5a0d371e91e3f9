"""Alembic environment: runs on the connection (and inside the transaction) handed over by `db/migrate.py`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ksef_mcu.server.db.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through `ksef-mcu db upgrade` (ksef_mcu.server.db.migrate)")
    _run(connection)


_main()
