"""Permission grants and the operations that change them: the only SQL of the permissions domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, delete, or_, select

from ksef_mcu.identifiers import ContextIdentifier, SubjectIdentifier
from ksef_mcu.server.permissions.model import (
    ALL_PARTNERS,
    SYSTEM_AUTHOR,
    Grant,
    GrantKind,
    GrantRecord,
    GrantSource,
    Identifier,
    NewGrant,
    OperationKind,
    OperationOutcome,
    OperationRecord,
    OperationStatusCode,
)
from ksef_mcu.server.permissions.tables import permission_operations, permission_records
from ksef_mcu.storage.statements import FastStatement, upsert

_grants = permission_records.c
_operations = permission_operations.c

_KEY_COLUMNS = [
    _grants.source,
    _grants.kind,
    _grants.context_type,
    _grants.context_value,
    _grants.grantor_type,
    _grants.grantor_value,
    _grants.authorized_type,
    _grants.authorized_value,
    _grants.permission_type,
]

# The login path asks these on every login, redemption and refresh: built once (see `ksef_mcu.storage.statements`).
_DIRECT_KINDS = (
    GrantKind.PERSON,
    GrantKind.ENTITY,
    GrantKind.SUBUNIT,
    GrantKind.EU_ADMINISTRATOR,
    GrantKind.EU_REPRESENTATIVE,
)
_HELD_DIRECTLY = FastStatement(
    select(_grants.permission_type)
    .where(
        _grants.context_type == bindparam("context_type"),
        _grants.context_value == bindparam("context_value"),
        _grants.authorized_type == bindparam("authorized_type"),
        _grants.authorized_value == bindparam("authorized_value"),
        or_(*(_grants.kind == kind.value for kind in _DIRECT_KINDS)),  # FastStatement: no expanding IN
    )
    .distinct()
)
_delegated = permission_records.alias("delegated")
_HELD_INDIRECTLY = FastStatement(
    select(_grants.permission_type)
    .select_from(
        permission_records.join(
            _delegated,
            and_(
                _delegated.c.kind == GrantKind.ENTITY.value,
                _delegated.c.can_delegate.is_(True),
                _delegated.c.context_type == bindparam("context_type"),
                _delegated.c.context_value == bindparam("context_value"),
                _delegated.c.authorized_type == _grants.grantor_type,
                _delegated.c.authorized_value == _grants.grantor_value,
                _delegated.c.permission_type == _grants.permission_type,
            ),
        )
    )
    .where(
        _grants.kind == GrantKind.INDIRECT.value,
        _grants.authorized_type == bindparam("authorized_type"),
        _grants.authorized_value == bindparam("authorized_value"),
        or_(
            and_(
                _grants.context_type == bindparam("context_type"),
                _grants.context_value == bindparam("context_value"),
            ),
            _grants.context_type == ALL_PARTNERS,
        ),
    )
    .distinct()
)


def _record(row: Any) -> GrantRecord:
    return GrantRecord(
        permission_id=row.permission_id,
        source=GrantSource(row.source),
        kind=GrantKind(row.kind),
        context=Identifier(row.context_type, row.context_value),
        grantor=Identifier(row.grantor_type, row.grantor_value),
        author=Identifier(row.author_type, row.author_value),
        authorized=Identifier(row.authorized_type, row.authorized_value),
        permission_type=row.permission_type,
        description=row.description,
        can_delegate=bool(row.can_delegate),
        details=dict(row.details or {}),
        granted_at=row.granted_at,
    )


def new_permission_id() -> str:
    """A fresh 36-character permission id."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class GrantFilter:
    """What `PermissionGrantRepository.find` selects; every field left None does not restrict."""

    kinds: Collection[GrantKind] | None = None
    context: Identifier | None = None
    context_types: Collection[str] | None = None
    grantor: Identifier | None = None
    authorized: Identifier | None = None
    authorized_any: Collection[Identifier] | None = None
    author: Identifier | None = None
    author_type: str | None = None
    permission_types: Collection[str] | None = None


def _same(type_column: Any, value_column: Any, identifier: Identifier) -> ColumnElement[bool]:
    return and_(type_column == identifier.type, value_column == identifier.value)


class PermissionGrantRepository:
    """Grants of every kind and source."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- writing ----------------------------------------------------------------------------------------------------

    def add(self, grants: Sequence[NewGrant], *, source: GrantSource, now: datetime) -> list[str]:
        """Store the grants; a grant that exists already keeps its id and date and takes the new description,
        delegation flag and details. Returns the ids, in order."""
        ids: list[str] = []
        for grant in grants:
            values = {
                "permission_id": new_permission_id(),
                "source": source.value,
                "kind": grant.kind.value,
                "context_type": grant.context.type,
                "context_value": grant.context.value,
                "grantor_type": grant.grantor.type,
                "grantor_value": grant.grantor.value,
                "author_type": grant.author.type,
                "author_value": grant.author.value,
                "authorized_type": grant.authorized.type,
                "authorized_value": grant.authorized.value,
                "permission_type": grant.permission_type,
                "description": grant.description,
                "can_delegate": grant.can_delegate,
                "details": grant.details,
                "granted_at": now,
            }
            statement = upsert(self._connection, permission_records).values(**values)
            self._connection.execute(
                statement.on_conflict_do_update(
                    index_elements=_KEY_COLUMNS,
                    set_={
                        "description": statement.excluded.description,
                        "can_delegate": statement.excluded.can_delegate,
                        "details": statement.excluded.details,
                    },
                )
            )
            key = [column == values[column.key] for column in _KEY_COLUMNS]
            ids.append(self._connection.execute(select(_grants.permission_id).where(*key)).scalar_one())
        return ids

    def grant(
        self,
        context: ContextIdentifier,
        authorized: SubjectIdentifier,
        grants: Sequence[Grant],
        *,
        source: str,
        now: datetime,
    ) -> None:
        """Test data's grants (ZAW-FA in production): person permissions in `context`, authored by `System`."""
        where = Identifier.of(context)
        self.add(
            [
                NewGrant(
                    kind=GrantKind.PERSON,
                    context=where,
                    grantor=where,
                    author=SYSTEM_AUTHOR,
                    authorized=Identifier.of(authorized),
                    permission_type=grant.permission_type,
                    description=grant.description,
                )
                for grant in grants
            ],
            source=GrantSource(source),
            now=now,
        )

    def revoke(self, context: ContextIdentifier, authorized: SubjectIdentifier, *, source: str) -> int:
        """Remove every grant from `source` that `authorized` holds in `context`; returns how many went."""
        return self._connection.execute(
            delete(permission_records).where(
                _grants.context_type == context.type.value,
                _grants.context_value == context.value,
                _grants.authorized_type == authorized.type.value,
                _grants.authorized_value == authorized.value,
                _grants.source == source,
            )
        ).rowcount

    def revoke_all_held_by(self, holders: Sequence[SubjectIdentifier], *, source: str) -> int:
        """Remove every grant (from `source`) held by any of `holders`."""
        if not holders:
            return 0
        return self._connection.execute(
            delete(permission_records).where(
                _grants.source == source,
                or_(*(_same(_grants.authorized_type, _grants.authorized_value, Identifier.of(h)) for h in holders)),
            )
        ).rowcount

    def delete(self, permission_id: str) -> bool:
        """Remove one grant; False if it was not there (any more)."""
        result = self._connection.execute(delete(permission_records).where(_grants.permission_id == permission_id))
        return bool(result.rowcount)

    # --- reading ----------------------------------------------------------------------------------------------------

    def get(self, permission_id: str) -> GrantRecord | None:
        row = self._connection.execute(select(permission_records).where(_grants.permission_id == permission_id)).first()
        return _record(row) if row is not None else None

    def permissions_held(self, context: ContextIdentifier, holder: SubjectIdentifier) -> list[str]:
        """Permission types `holder` holds in `context` from grants of any source and kind: direct grants (to the
        person, to the entity, subunit and EU grants acting there) and indirect ones whose intermediary still holds a
        delegable entity grant in `context`. Sorted, without duplicates."""
        parameters = {
            "context_type": context.type.value,
            "context_value": context.value,
            "authorized_type": holder.type.value,
            "authorized_value": holder.value,
        }
        held = {row.permission_type for row in _HELD_DIRECTLY.execute(self._connection, parameters).rows}
        held.update(row.permission_type for row in _HELD_INDIRECTLY.execute(self._connection, parameters).rows)
        return sorted(held)

    def find(self, criteria: GrantFilter) -> list[GrantRecord]:
        """Grants matching `criteria`, newest first (ties by id)."""
        conditions: list[ColumnElement[bool]] = []
        if criteria.kinds is not None:
            conditions.append(_grants.kind.in_([kind.value for kind in criteria.kinds]))
        if criteria.context is not None:
            conditions.append(_same(_grants.context_type, _grants.context_value, criteria.context))
        if criteria.context_types is not None:
            conditions.append(_grants.context_type.in_(list(criteria.context_types)))
        if criteria.grantor is not None:
            conditions.append(_same(_grants.grantor_type, _grants.grantor_value, criteria.grantor))
        if criteria.authorized is not None:
            conditions.append(_same(_grants.authorized_type, _grants.authorized_value, criteria.authorized))
        if criteria.authorized_any is not None:
            conditions.append(
                or_(*(_same(_grants.authorized_type, _grants.authorized_value, i) for i in criteria.authorized_any))
            )
        if criteria.author is not None:
            conditions.append(_same(_grants.author_type, _grants.author_value, criteria.author))
        if criteria.author_type is not None:
            conditions.append(_grants.author_type == criteria.author_type)
        if criteria.permission_types is not None:
            conditions.append(_grants.permission_type.in_(list(criteria.permission_types)))
        rows = self._connection.execute(
            select(permission_records).where(*conditions).order_by(_grants.granted_at.desc(), _grants.permission_id)
        )
        return [_record(row) for row in rows]

    def find_for_subject(self, context: Identifier, authorized: Identifier) -> list[GrantRecord]:
        """Every grant `authorized` holds in `context` (any source and kind)."""
        return self.find(GrantFilter(context=context, authorized=authorized))

    def delegable(self, intermediaries: Iterable[Identifier]) -> set[tuple[str, str, str, str]]:
        """(intermediary value, context type, context value, permission) of every delegable entity grant the
        `intermediaries` (NIPs) hold."""
        holders = list(intermediaries)
        if not holders:
            return set()
        rows = self._connection.execute(
            select(
                _grants.authorized_value, _grants.context_type, _grants.context_value, _grants.permission_type
            ).where(
                _grants.kind == GrantKind.ENTITY.value,
                _grants.can_delegate.is_(True),
                or_(*(_same(_grants.authorized_type, _grants.authorized_value, h) for h in holders)),
            )
        )
        return {(row[0], row[1], row[2], row[3]) for row in rows}


class PermissionOperationRepository:
    """Grant and revocation operations."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: OperationRecord) -> None:
        self._connection.execute(
            permission_operations.insert().values(
                reference_number=record.reference_number,
                context_type=record.context.type,
                context_value=record.context.value,
                kind=record.kind.value,
                grant_kind=record.grant_kind.value,
                created_at=record.created_at,
                status_code=int(record.outcome.code),
                status_details=list(record.outcome.details) or None,
                permission_ids=list(record.permission_ids),
            )
        )

    def get(self, reference_number: str) -> OperationRecord | None:
        row = self._connection.execute(
            select(permission_operations).where(_operations.reference_number == reference_number)
        ).first()
        if row is None:
            return None
        return OperationRecord(
            reference_number=row.reference_number,
            context=Identifier(row.context_type, row.context_value),
            kind=OperationKind(row.kind),
            grant_kind=GrantKind(row.grant_kind),
            created_at=row.created_at,
            outcome=OperationOutcome(OperationStatusCode(row.status_code), tuple(row.status_details or ())),
            permission_ids=tuple(row.permission_ids or ()),
        )

    def purge(self, *, created_before: datetime) -> int:
        """Delete operations older than `created_before`; returns how many went."""
        return self._connection.execute(
            delete(permission_operations).where(_operations.created_at < created_before)
        ).rowcount
