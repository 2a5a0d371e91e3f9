"""A database: the engine and units of work, on SQLite or PostgreSQL.

A unit of work is one short transaction opened by a service (`database.write()` / `database.read()`); repositories run
their SQL on the connection they are given and never commit.

SQLite runs in WAL mode with `synchronous=NORMAL`, foreign keys on and a busy timeout. Write transactions start with
`BEGIN IMMEDIATE` (a writer never has to upgrade a read lock, which could fail), and are queued before that on a lock
file next to the database (`<database>-writer.lock`, held with `flock`, plus a thread lock): SQLite admits one writer
at a time anyway, and its own busy handler waits by sleeping and polling, which collapses throughput as soon as a few
threads or processes contend. The busy timeout remains for writers that do not take the lock (other tools). Read
transactions start with a plain (deferred) `BEGIN` and never wait for writers.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

_WRITE_OPTION = "ksef_mcu_write"


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a file-based SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def create_database_engine(url: str, *, busy_timeout: timedelta, pool_size: int = 10) -> Engine:
    """An engine for `url` with the project's connection settings (see the module docstring)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": busy_timeout.total_seconds()},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _configure_sqlite(engine, busy_timeout)
        return engine
    return create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)


def _configure_sqlite(engine: Engine, busy_timeout: timedelta) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module; the "begin" hook below issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout.total_seconds() * 1000)}")
            cursor.execute("PRAGMA temp_store=MEMORY")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        # Straight to the driver: a Core execution here would cost more than the BEGIN itself.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]


class _WriterLock:
    """One SQLite writer at a time across this process's threads and every process using the same database file."""

    def __init__(self, path: Path) -> None:
        self._path = path.with_name(path.name + "-writer.lock")
        self._thread_lock = threading.Lock()
        self._descriptor: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._thread_lock:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None


class Database:
    """A database (the server's, or another application's): an engine plus the unit-of-work helpers."""

    def __init__(self, engine: Engine, *, in_threads: bool = False) -> None:
        self.engine = engine
        self._in_threads = in_threads and engine.dialect.name != "sqlite"
        path = sqlite_path(engine.url)
        self._writer_lock = _WriterLock(path) if path is not None else None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        busy_timeout: timedelta = timedelta(seconds=10),
        pool_size: int = 10,
        in_threads: bool = False,
    ) -> Database:
        return cls(create_database_engine(url, busy_timeout=busy_timeout, pool_size=pool_size), in_threads=in_threads)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction: committed when the block ends, rolled back if it raises."""
        queue = self._writer_lock.held() if self._writer_lock is not None else nullcontext()
        with queue, self.engine.connect() as connection:
            connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    @contextmanager
    def write_one(self) -> Iterator[Connection]:
        """A unit of work of ONE statement. A statement is atomic by itself, so on PostgreSQL it runs in autocommit
        mode (no BEGIN and COMMIT round trips); on SQLite this is `write()`."""
        if self.dialect != "postgresql":
            with self.write() as connection:
                yield connection
            return
        with self._autocommit() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work. Each statement sees committed data; on PostgreSQL the statements run outside an
        explicit transaction (no BEGIN/COMMIT round trips), so a unit that needs one snapshot across several
        statements uses `write()`. SQLite reads never block writers."""
        if self.dialect == "postgresql":
            with self._autocommit() as connection:
                yield connection
            return
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _autocommit(self) -> Iterator[Connection]:
        """A PostgreSQL connection in autocommit mode: every statement is its own transaction."""
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @property
    def blocks_briefly(self) -> bool:
        """Whether a unit of work is short enough to run on the event loop: SQLite works in-process, in
        microseconds, and a PostgreSQL on the same host answers in a fraction of a millisecond. Only a database
        configured `in_threads` (one behind a slow link) sends its callers to a worker thread."""
        return not self._in_threads

    def ping(self) -> None:
        """Run a trivial query; raises if the database is unreachable."""
        with self.read() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer_lock is not None:
            self._writer_lock.close()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"
