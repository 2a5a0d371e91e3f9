"""Permission grants: what a subject (NIP, PESEL or certificate fingerprint) holds in a context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, or_, select

from ksef_mcu.identifiers import ContextIdentifier, SubjectIdentifier
from ksef_mcu.server.permissions.model import Grant
from ksef_mcu.server.permissions.tables import permission_grants
from ksef_mcu.storage.statements import FastStatement, upsert

_grants = permission_grants.c
_HELD = FastStatement(
    select(_grants.permission_type)
    .where(
        _grants.context_type == bindparam("context_type"),
        _grants.context_value == bindparam("context_value"),
        _grants.authorized_type == bindparam("authorized_type"),
        _grants.authorized_value == bindparam("authorized_value"),
    )
    .distinct()
)


class PermissionGrantRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def grant(
        self,
        context: ContextIdentifier,
        authorized: SubjectIdentifier,
        grants: Sequence[Grant],
        *,
        source: str,
        now: datetime,
    ) -> None:
        """Add the grants; an existing identical grant keeps its date and takes the new description."""
        if not grants:
            return
        rows = [
            {
                "context_type": context.type.value,
                "context_value": context.value,
                "authorized_type": authorized.type.value,
                "authorized_value": authorized.value,
                "permission_type": grant.permission_type,
                "description": grant.description,
                "source": source,
                "granted_at": now,
            }
            for grant in grants
        ]
        statement = upsert(self._connection, permission_grants)
        self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    permission_grants.c.context_type,
                    permission_grants.c.context_value,
                    permission_grants.c.authorized_type,
                    permission_grants.c.authorized_value,
                    permission_grants.c.permission_type,
                ],
                set_={"description": statement.excluded.description},
            ),
            rows,
        )

    def revoke(self, context: ContextIdentifier, authorized: SubjectIdentifier, *, source: str) -> int:
        return self._connection.execute(
            delete(permission_grants).where(
                permission_grants.c.context_type == context.type.value,
                permission_grants.c.context_value == context.value,
                permission_grants.c.authorized_type == authorized.type.value,
                permission_grants.c.authorized_value == authorized.value,
                permission_grants.c.source == source,
            )
        ).rowcount

    def revoke_all_held_by(self, holders: Sequence[SubjectIdentifier], *, source: str) -> int:
        """Remove every grant (from `source`) held by any of `holders`."""
        if not holders:
            return 0
        return self._connection.execute(
            delete(permission_grants).where(
                permission_grants.c.source == source,
                or_(
                    *(
                        (permission_grants.c.authorized_type == holder.type.value)
                        & (permission_grants.c.authorized_value == holder.value)
                        for holder in holders
                    )
                ),
            )
        ).rowcount

    def permissions_held(self, context: ContextIdentifier, holder: SubjectIdentifier) -> list[str]:
        """Permission types `holder` holds in `context` (any source), sorted."""
        parameters = {
            "context_type": context.type.value,
            "context_value": context.value,
            "authorized_type": holder.type.value,
            "authorized_value": holder.value,
        }
        rows = _HELD.execute(self._connection, parameters).rows
        return sorted(row.permission_type for row in rows)
