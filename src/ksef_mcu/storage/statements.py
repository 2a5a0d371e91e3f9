"""Statements: SQLAlchemy Core statements compiled once per dialect and run on the DBAPI cursor, and the one
INSERT … ON CONFLICT both supported databases share.

`Connection.execute` spends several times longer in SQLAlchemy (cache key, execution context, result wrapping) than
the database spends on a primary-key lookup (figures: docs/server.md, "Storage"), so statements on hot paths are
`FastStatement`s. The SQL is still SQLAlchemy's (rendered once for the dialect, with its bind casts), and values pass
through the same type processors `Connection.execute` would apply (`UtcDateTime`, JSON, Boolean), so rows written
here and rows read through Core agree byte for byte. Statements run on the connection's own DBAPI connection, inside
the caller's unit of work, and raise the driver's own exceptions (not SQLAlchemy's wrappers).
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable

__all__ = ["FastResult", "FastStatement", "upsert"]

_Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]
    """Bind names in the order the SQL expects them (positional styles) or the parameter keys (named styles)."""
    keys: tuple[str, ...]
    """The caller's parameter name of each bind (`None` entries are literal values in `defaults`)."""
    defaults: Mapping[str, Any]
    bind_processors: tuple[_Processor | None, ...]
    row_type: type[Any] | None
    result_processors: tuple[_Processor | None, ...]


@dataclass(frozen=True, slots=True)
class FastResult:
    rows: list[Any]
    """Named tuples with the selected columns' names (empty for statements that return nothing)."""
    rowcount: int

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None


def _row_type(names: list[str]) -> type[Any]:
    """A named tuple class for one statement's columns (attribute access and `_asdict()`, like Core rows)."""
    return namedtuple("Row", names, rename=True)  # the names are known only at run time


class FastStatement:
    """A Core statement executed without the per-call overhead of `Connection.execute`.

    `column_keys` names the columns an INSERT or UPDATE receives (Core renders only those). Parameters are passed
    by bind name; binds with a value fixed in the statement (`column == 200`) need none.
    """

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None) -> None:
        self._statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect, column_keys=self._column_keys)  # type: ignore[attr-defined]
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
        escaped = getattr(compiled, "escaped_bind_names", {}) or {}
        keys: list[str] = []
        defaults: dict[str, Any] = {}
        processors: list[_Processor | None] = []
        for name in names:
            bind = compiled.binds[name]
            keys.append(bind.key)
            if bind.value is not None or bind.callable is not None:
                defaults[bind.key] = bind.effective_value
            processors.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
        if not positional:
            names = tuple(escaped.get(name, name) for name in names)
        row_type: type[Any] | None = None
        result_processors: tuple[_Processor | None, ...] = ()
        # SELECT: its columns; INSERT/UPDATE: the RETURNING columns (none without RETURNING).
        selected = list(getattr(self._statement, "selected_columns", None) or self._statement.exported_columns)  # type: ignore[attr-defined]
        if selected:
            row_type = _row_type([column.key or f"_{index}" for index, column in enumerate(selected)])
            result_processors = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
            )
        return _Compiled(
            sql=compiled.string,
            positional=positional,
            names=names,
            keys=tuple(keys),
            defaults=defaults,
            bind_processors=tuple(processors),
            row_type=row_type,
            result_processors=result_processors,
        )

    def execute(self, connection: Connection, parameters: Mapping[str, Any] | None = None) -> FastResult:
        """Run the statement in `connection`'s transaction. Raises the DBAPI's own errors (not SQLAlchemy's)."""
        dialect = connection.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(dialect)
        given = parameters or {}
        values = []
        for key, processor in zip(compiled.keys, compiled.bind_processors, strict=True):
            value = given[key] if key in given else compiled.defaults[key]
            values.append(processor(value) if processor is not None else value)
        bound: Sequence[Any] | dict[str, Any] = (
            values if compiled.positional else dict(zip(compiled.names, values, strict=True))
        )
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, bound)
            rows: list[Any] = []
            if compiled.row_type is not None:
                make = compiled.row_type._make
                processors = compiled.result_processors
                for raw in cursor.fetchall():
                    rows.append(
                        make(
                            processor(value) if processor is not None else value
                            for processor, value in zip(processors, raw, strict=True)
                        )
                    )
            return FastResult(rows, cursor.rowcount)
        finally:
            cursor.close()


def upsert(target: Connection | str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports `on_conflict_do_update` / `on_conflict_do_nothing` on the database of `target` (a
    connection, or a dialect name such as `"sqlite"`)."""
    dialect = target if isinstance(target, str) else target.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database: {dialect}")
