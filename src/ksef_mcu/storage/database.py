"""A database: the engine and units of work, on SQLite or PostgreSQL.

A unit of work is one short transaction opened by a service (`database.write()` / `database.read()`); repositories run
their SQL on the connection they are given and never commit.

SQLite runs in WAL mode with `synchronous=NORMAL`, foreign keys on and a busy timeout. Write transactions start with
`BEGIN IMMEDIATE` (a writer never has to upgrade a read lock, which could fail), and are queued before that on a lock
file next to the database (`<database>-writer.lock`, held with `flock`, plus a thread lock): SQLite admits one writer
at a time anyway, and its own busy handler waits by sleeping and polling, which collapses throughput as soon as a few
threads or processes contend. The busy timeout remains for writers that do not take the lock (other tools). Read
transactions start with a plain (deferred) `BEGIN` and never wait for writers.

Every wait is bounded, so nothing stuck elsewhere (a worker stopped inside its transaction, a debugger, a VM pause,
a network cut) holds a caller for longer than `lock_timeout`: the SQLite writer queue and busy handler, PostgreSQL's
`lock_timeout`, and the wait for a pooled connection end in `DatabaseBusyError` (or the driver's lock-timeout error),
which `storage.errors.classify_database_error` calls BUSY. PostgreSQL sessions also end transactions left idle for
`idle_transaction_timeout` (their locks go with them) and use TCP keepalives, so a peer that vanished is noticed.
Errors never carry the statement's values (`hide_parameters`).
"""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

from ksef_mcu.storage.errors import DatabaseBusyError

_WRITE_OPTION = "ksef_mcu_write"
_NO_WAIT_OPTION = "ksef_mcu_no_wait"
DEFAULT_THREADS = 8

P = ParamSpec("P")
R = TypeVar("R")


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a file-based SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


DEFAULT_LOCK_TIMEOUT = timedelta(seconds=10)
DEFAULT_IDLE_TRANSACTION_TIMEOUT = timedelta(seconds=60)


def _milliseconds(duration: timedelta) -> int:
    return max(1, int(duration.total_seconds() * 1000))


def create_database_engine(
    url: str,
    *,
    busy_timeout: timedelta,
    pool_size: int = 10,
    lock_timeout: timedelta | None = None,
    idle_transaction_timeout: timedelta = DEFAULT_IDLE_TRANSACTION_TIMEOUT,
) -> Engine:
    """An engine for `url` with the project's connection settings (see the module docstring). `lock_timeout`
    (default: `busy_timeout`) bounds every wait for a lock or a pooled connection."""
    lock_timeout = lock_timeout if lock_timeout is not None else busy_timeout
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
            pool_timeout=lock_timeout.total_seconds(),
            hide_parameters=True,
        )
        _configure_sqlite(engine, busy_timeout)
        return engine
    options = (
        f"-c lock_timeout={_milliseconds(lock_timeout)} "
        f"-c idle_in_transaction_session_timeout={_milliseconds(idle_transaction_timeout)}"
    )
    connect_args: dict[str, object] = {
        "options": options,
        "connect_timeout": max(1, round(lock_timeout.total_seconds())),
        # A peer that vanished (network cut, host gone) is noticed within ~20 s instead of the kernel's two hours.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 2,
    }
    return create_engine(
        parsed,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=lock_timeout.total_seconds(),
        # A connection the server closed (restart, idle timeout) is found before it is used, not by the request.
        pool_pre_ping=True,
        hide_parameters=True,
    )


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

    busy_ms = int(busy_timeout.total_seconds() * 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        write = options.get(_WRITE_OPTION, False)
        # Straight to the driver: a Core execution here would cost more than the BEGIN itself.
        driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
        if not (write and options.get(_NO_WAIT_OPTION, False)):
            driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            return
        # On the event loop: a writer that bypasses our queue (another tool) must not make the loop wait.
        driver.execute("PRAGMA busy_timeout=0")
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            raise _WouldBlock from None
        finally:
            driver.execute(f"PRAGMA busy_timeout={busy_ms}")


class _WouldBlock(BaseException):
    """A unit of work on the event loop would have to wait: `Database.call` runs the call again in a thread. A
    signal, not an error: a `BaseException`, so no `except Exception` on the way swallows it."""


@dataclass
class _OnLoop:
    """Marks a call `Database.call` runs on the event loop, optimistically (see there)."""

    wrote: bool = False
    """A write unit of this call has committed: re-running the call elsewhere would repeat it, so a later unit that
    would wait waits (bounded) instead of asking for a re-run."""


_ON_LOOP: contextvars.ContextVar[_OnLoop | None] = contextvars.ContextVar("ksef_mcu_on_loop", default=None)


class _WriterLock:
    """One SQLite writer at a time across this process's threads and every process using the same database file."""

    def __init__(self, path: Path, *, timeout: timedelta) -> None:
        self._path = path.with_name(path.name + "-writer.lock")
        self._thread_lock = threading.Lock()
        self._descriptor: int | None = None
        self._timeout = timeout.total_seconds()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block; raises `DatabaseBusyError` when it is not free within the timeout."""
        deadline = time.monotonic() + self._timeout
        if not self._thread_lock.acquire(timeout=self._timeout):
            raise DatabaseBusyError("the SQLite writer lock is held by another thread")
        try:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_file(self._descriptor, deadline)
            try:
                yield
            finally:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    @contextmanager
    def held_now(self) -> Iterator[bool]:
        """Hold the lock for the block if it is free right now; yields whether it was (then the block runs)."""
        if not self._thread_lock.acquire(blocking=False):
            yield False
            return
        try:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    @staticmethod
    def _lock_file(descriptor: int, deadline: float) -> None:
        # flock has no timeout: try without blocking, then poll with a growing pause (at most 20 ms, so a lock freed
        # by another process is taken over quickly).
        pause = 0.0005
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusyError("the SQLite writer lock is held by another process") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.02)

    def close(self) -> None:
        with self._thread_lock:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None


class Database:
    """A database (the server's, or another application's): an engine plus the unit-of-work helpers."""

    def __init__(
        self,
        engine: Engine,
        *,
        in_threads: bool = False,
        lock_timeout: timedelta | None = None,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self.engine = engine
        self._in_threads = in_threads
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        path = sqlite_path(engine.url)
        timeout = lock_timeout if lock_timeout is not None else DEFAULT_LOCK_TIMEOUT
        self._writer_lock = _WriterLock(path, timeout=timeout) if path is not None else None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        busy_timeout: timedelta = timedelta(seconds=10),
        pool_size: int = 10,
        in_threads: bool = False,
        lock_timeout: timedelta | None = None,
        idle_transaction_timeout: timedelta = DEFAULT_IDLE_TRANSACTION_TIMEOUT,
        threads: int = DEFAULT_THREADS,
    ) -> Database:
        """`lock_timeout` (default: `busy_timeout`) bounds every wait for a lock or a pooled connection."""
        engine = create_database_engine(
            url,
            busy_timeout=busy_timeout,
            pool_size=pool_size,
            lock_timeout=lock_timeout,
            idle_transaction_timeout=idle_transaction_timeout,
        )
        return cls(engine, in_threads=in_threads, lock_timeout=lock_timeout or busy_timeout, threads=threads)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction: committed when the block ends, rolled back if it raises."""
        on_loop = _ON_LOOP.get()
        if on_loop is not None and self._writer_lock is not None and not on_loop.wrote:
            with self._writer_lock.held_now() as free:
                if not free:
                    raise _WouldBlock
                with self.engine.connect() as connection:
                    connection.execution_options(**{_WRITE_OPTION: True, _NO_WAIT_OPTION: True})
                    with connection.begin():
                        yield connection
                on_loop.wrote = True
            return
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
        """Whether units of work may run on an event loop. Never: a unit can wait for a lock another process holds
        (bounded by `lock_timeout`, but seconds long), and a loop that waits answers nobody meanwhile. Async callers
        run units of work in a thread (`ksef_mcu.server.http.deps.run_service`). Kept for callers written when this
        depended on `in_threads`."""
        return False

    async def call(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `function` (units of work, and whatever else it does) from async code without ever making the event
        loop wait for the database.

        PostgreSQL: in this database's threads (a statement can wait for a row lock or the network). They are the
        database's own, few (`threads`): a wait parks one of them, and a small pool keeps the GIL hand-offs between
        the loop and the threads cheap.

        SQLite: first right on the loop, optimistically — its reads never wait (WAL) and a write unit only waits for
        the writer lock, which is taken without waiting there. If it is held (by another process, or a thread of
        this one), the unit raises before running a statement and the whole call is run again in a thread, where it
        waits (bounded). Units of work are microseconds, and a thread hop per request cost about twice the CPU of
        the request itself (docs/performance.md). Only the first write unit of a call can ask for the re-run
        (nothing is repeated); a later one that finds the lock held waits, bounded, where it is.
        """
        if self._writer_lock is not None and _ON_LOOP.get() is None:
            marker = _ON_LOOP.set(_OnLoop())
            try:
                return function(*args, **kwargs)
            except _WouldBlock:
                pass
            finally:
                _ON_LOOP.reset(marker)
        executor = self._executor
        if executor is None:
            with self._executor_lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="database")
                executor = self._executor
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    def ping(self) -> None:
        """Run a trivial query; raises if the database is unreachable."""
        with self.read() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        self.engine.dispose()
        if self._writer_lock is not None:
            self._writer_lock.close()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"
