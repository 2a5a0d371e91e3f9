"""What went wrong in the database, in three kinds every caller can act on — whatever the driver or SQLAlchemy raised.

- `DatabaseBusyError`: a bounded wait ran out (a lock held by someone else, SQLite's writer lock, no free pooled
  connection). Nothing was written; the same request may succeed a moment later.
- `UNAVAILABLE`: the database cannot be reached or cannot write (connection refused or lost, server restarting,
  disk full, read-only file). Nothing of the failed unit of work was written.
- `INVALID_VALUE`: the database refused a value (a NUL character for PostgreSQL, a number out of its range). The
  input validation should have caught it first; this is the safety net.

`classify_database_error` recognises all three in SQLAlchemy's wrappers, psycopg's and sqlite3's own exceptions
(`FastStatement` raises the driver's). Messages of driver errors can carry the statement's values: callers log the
class, never `str(error)`.
"""

from __future__ import annotations

import enum
import sqlite3

__all__ = ["DatabaseBusyError", "DatabaseFailure", "classify_database_error"]


class DatabaseFailure(enum.Enum):
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    INVALID_VALUE = "invalid-value"


class DatabaseBusyError(Exception):
    """A bounded wait for a lock or a connection ran out; nothing was written."""


# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, serialization_failure, query_canceled (statement or
# lock timeout), idle_in_transaction_session_timeout, admin/crash shutdown, cannot_connect_now, too_many_connections.
_BUSY_STATES = {"55P03", "40P01", "40001", "57014", "53300"}
_UNAVAILABLE_STATES = {"25P03", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004", "53100"}
_INVALID_STATES_PREFIXES = ("22",)  # data exceptions: out of range, invalid text representation, NUL, …


def _driver_error(error: BaseException) -> BaseException:
    """The driver's exception under SQLAlchemy's wrapper (`DBAPIError.orig`), or `error` itself."""
    original = getattr(error, "orig", None)
    return original if isinstance(original, BaseException) else error


def _is_driver_error(error: BaseException) -> bool:
    module = type(error).__module__
    return module.startswith(("psycopg", "sqlite3", "sqlalchemy")) or isinstance(error, sqlite3.Error)


def classify_database_error(error: BaseException) -> DatabaseFailure | None:
    """The kind of database failure `error` is, or None when it is not a database error at all."""
    if isinstance(error, DatabaseBusyError):
        return DatabaseFailure.BUSY
    if type(error).__name__ == "TimeoutError" and type(error).__module__.startswith("sqlalchemy"):
        return DatabaseFailure.BUSY  # QueuePool: no connection became free in time
    driver = _driver_error(error)
    if not _is_driver_error(driver) and not _is_driver_error(error):
        return None
    state = getattr(driver, "sqlstate", None)
    if isinstance(state, str):
        if state in _BUSY_STATES:
            return DatabaseFailure.BUSY
        if state.startswith(_INVALID_STATES_PREFIXES):
            return DatabaseFailure.INVALID_VALUE
        return DatabaseFailure.UNAVAILABLE
    if isinstance(driver, sqlite3.OperationalError):
        message = str(driver).lower()
        if "locked" in message or "busy" in message:
            return DatabaseFailure.BUSY
        return DatabaseFailure.UNAVAILABLE
    name = type(driver).__name__
    if name in {"DataError", "NumericValueOutOfRange", "StringDataRightTruncation"} or (
        isinstance(driver, (OverflowError, ValueError, UnicodeError)) and _is_driver_error(error)
    ):
        return DatabaseFailure.INVALID_VALUE
    return DatabaseFailure.UNAVAILABLE
