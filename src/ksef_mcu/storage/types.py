"""Column types that behave the same on SQLite and PostgreSQL, and the constraint naming convention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Index, Integer, MetaData
from sqlalchemy.types import TypeDecorator

__all__ = ["NAMING_CONVENTION", "Identity64", "UtcDateTime", "dialect_only", "new_metadata", "only_on_dialect"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names, fixed so they stay the same on SQLite and PostgreSQL and across autogenerate runs."""


def dialect_only(index: Index, dialect: str) -> Index:
    """Mark `index` as existing on `dialect` only (e.g. a PostgreSQL GIN index): `create_all` skips it elsewhere, and
    the schema comparison (`storage.migrations`) does not expect it there. Returns the index."""
    index.info["only_on_dialect"] = dialect
    index.ddl_if(dialect=dialect)
    return index


def only_on_dialect(index: Index) -> str | None:
    """The dialect `dialect_only` restricted `index` to, or None."""
    dialect = index.info.get("only_on_dialect")
    return dialect if isinstance(dialect, str) else None


def new_metadata() -> MetaData:
    """A `MetaData` with the project's naming convention (one per application schema)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are normalised to UTC on the way in and
    marked UTC on the way out. Naive datetimes are refused: they are always a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime passed to a UtcDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"unexpected value in a UtcDateTime column: {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Identity64 = BigInteger().with_variant(Integer(), "sqlite")
