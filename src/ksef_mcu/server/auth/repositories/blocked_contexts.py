"""Contexts in which authentication ends with status 480 (set through `/testdata/context/block` in the sandbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from ksef_mcu.identifiers import ContextIdentifier
from ksef_mcu.server.auth.tables import blocked_contexts
from ksef_mcu.storage.statements import FastStatement, upsert

_blocked = blocked_contexts.c

# On the login path: built once, skips `Connection.execute` (see `ksef_mcu.storage.statements`).
_IS_BLOCKED = FastStatement(
    select(_blocked.blocked_at).where(
        _blocked.context_type == bindparam("context_type"), _blocked.context_value == bindparam("context_value")
    )
)


class BlockedContextRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def block(self, context: ContextIdentifier, *, now: datetime) -> None:
        statement = upsert(self._connection, blocked_contexts).values(
            context_type=context.type.value, context_value=context.value, blocked_at=now
        )
        self._connection.execute(statement.on_conflict_do_nothing())

    def unblock(self, context: ContextIdentifier) -> int:
        return self._connection.execute(
            delete(blocked_contexts).where(
                blocked_contexts.c.context_type == context.type.value,
                blocked_contexts.c.context_value == context.value,
            )
        ).rowcount

    def is_blocked(self, context: ContextIdentifier) -> bool:
        parameters = {"context_type": context.type.value, "context_value": context.value}
        return _IS_BLOCKED.execute(self._connection, parameters).first() is not None
