"""KSeF tokens: the only SQL of the token domain."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, or_, select, update

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.tokens.model import TokenRecord, TokenStatus
from ksef_mcu.server.tokens.tables import ksef_tokens
from ksef_mcu.storage.statements import FastStatement

_tokens = ksef_tokens.c
_PUBLIC_COLUMNS = [column for column in ksef_tokens.c if column.name != "token_sha256"]
# The login path: built once (see `ksef_mcu.storage.statements`).
_FOR_LOGIN = FastStatement(select(ksef_tokens).where(_tokens.reference_number == bindparam("reference")))
_USED = FastStatement(
    update(ksef_tokens).where(_tokens.reference_number == bindparam("reference")).values(last_use_at=bindparam("now"))
)


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        reference_number=row.reference_number,
        context=ContextIdentifier(ContextIdentifierType(row.context_type), row.context_value),
        author=SubjectIdentifier(SubjectIdentifierType(row.author_type), row.author_value),
        description=row.description,
        permissions=tuple(row.permissions),
        status=TokenStatus(row.status),
        created_at=row.created_at,
        last_use_at=row.last_use_at,
        status_changed_at=row.status_changed_at,
    )


class KsefTokenRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: TokenRecord, *, token_sha256: str) -> None:
        self._connection.execute(
            ksef_tokens.insert().values(
                reference_number=record.reference_number,
                token_sha256=token_sha256,
                context_type=record.context.type.value,
                context_value=record.context.value,
                author_type=record.author.type.value,
                author_value=record.author.value,
                description=record.description,
                permissions=list(record.permissions),
                status=record.status.value,
                created_at=record.created_at,
            )
        )

    def get(self, reference_number: str) -> TokenRecord | None:
        row = self._connection.execute(
            select(*_PUBLIC_COLUMNS).where(_tokens.reference_number == reference_number)
        ).first()
        return _record(row) if row is not None else None

    def for_login(self, reference_number: str) -> tuple[TokenRecord, str] | None:
        """The token and its stored SHA-256, for the login check."""
        row = _FOR_LOGIN.execute(self._connection, {"reference": reference_number}).first()
        return (_record(row), row.token_sha256) if row is not None else None

    def record_use(self, reference_number: str, *, now: datetime) -> None:
        _USED.execute(self._connection, {"reference": reference_number, "now": now})

    def set_status(self, reference_number: str, status: TokenStatus, *, now: datetime) -> bool:
        """Move an active token to `status`; False if it was not active."""
        result = self._connection.execute(
            update(ksef_tokens)
            .where(_tokens.reference_number == reference_number, _tokens.status == TokenStatus.ACTIVE.value)
            .values(status=status.value, status_changed_at=now)
        )
        return bool(result.rowcount)

    def search(
        self,
        context: ContextIdentifier,
        *,
        authors: Collection[SubjectIdentifier] | None,
        only: str | None,
        statuses: Collection[TokenStatus] | None,
        description: str | None,
        author_value: str | None,
        author_type: SubjectIdentifierType | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[TokenRecord]:
        """Tokens of `context` (authored by one of `authors`, or just the one named `only`, when given), newest
        first; `after` is the keyset cursor (created_at, reference) of the previous page's last item."""
        conditions: list[ColumnElement[bool]] = [
            _tokens.context_type == context.type.value,
            _tokens.context_value == context.value,
        ]
        if authors is not None:
            conditions.append(
                or_(*(and_(_tokens.author_type == a.type.value, _tokens.author_value == a.value) for a in authors))
            )
        if only is not None:
            conditions.append(_tokens.reference_number == only)
        if statuses:
            conditions.append(_tokens.status.in_([s.value for s in statuses]))
        if description:
            conditions.append(_tokens.description.ilike(f"%{_escape(description)}%", escape="\\"))
        if author_value:
            conditions.append(_tokens.author_value.like(f"%{_escape(author_value)}%", escape="\\"))
        if author_type is not None:
            conditions.append(_tokens.author_type == author_type.value)
        if after is not None:
            created, reference = after
            conditions.append(
                or_(
                    _tokens.created_at < created,
                    and_(_tokens.created_at == created, _tokens.reference_number < reference),
                )
            )
        rows = self._connection.execute(
            select(*_PUBLIC_COLUMNS)
            .where(*conditions)
            .order_by(_tokens.created_at.desc(), _tokens.reference_number.desc())
            .limit(limit)
        )
        return [_record(row) for row in rows]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
