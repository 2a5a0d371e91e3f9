"""Authentication operations and the sessions they open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, insert, or_, select, update

from ksef_mcu.crypto.certificates import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import (
    METHOD_INFO,
    AllowedIps,
    AuthenticationMethod,
    AuthStatus,
    AuthStatusCode,
    SubjectDetails,
)
from ksef_mcu.server.db.tables import authentications
from ksef_mcu.server.identifiers import ContextIdentifier, ContextIdentifierType


@dataclass(frozen=True, slots=True)
class AuthenticationRecord:
    """One row of `authentications`."""

    reference_number: str
    started_at: datetime
    client_ip: str
    context: ContextIdentifier
    subject: SubjectIdentifier
    authentication_method: AuthenticationMethod
    certificate_fingerprint: str | None
    certificate_der: bytes | None
    subject_details: SubjectDetails
    allowed_ips: AllowedIps | None
    status: AuthStatus
    authentication_token_valid_until: datetime
    is_token_redeemed: bool = False
    redeemed_at: datetime | None = None
    refresh_token_id: str | None = None
    refresh_token_valid_until: datetime | None = None
    last_token_refresh_at: datetime | None = None
    revoked_at: datetime | None = None


_SUMMARY_COLUMNS = [column for column in authentications.c if column.name != "certificate_der"]


def _record(row: Row[Any], *, with_certificate: bool) -> AuthenticationRecord:
    details = row.status_details
    return AuthenticationRecord(
        reference_number=row.reference_number,
        started_at=row.started_at,
        client_ip=row.client_ip,
        context=ContextIdentifier(ContextIdentifierType(row.context_type), row.context_value),
        subject=SubjectIdentifier(SubjectIdentifierType(row.subject_type), row.subject_value),
        authentication_method=AuthenticationMethod(row.authentication_method),
        certificate_fingerprint=row.certificate_fingerprint,
        certificate_der=row.certificate_der if with_certificate else None,
        subject_details=SubjectDetails.from_json(row.subject_details),
        allowed_ips=AllowedIps.from_json(row.authorization_policy) if row.authorization_policy else None,
        status=AuthStatus(AuthStatusCode(row.status_code), tuple(details or ())),
        authentication_token_valid_until=row.authentication_token_valid_until,
        is_token_redeemed=row.is_token_redeemed,
        redeemed_at=row.redeemed_at,
        refresh_token_id=row.refresh_token_id,
        refresh_token_valid_until=row.refresh_token_valid_until,
        last_token_refresh_at=row.last_token_refresh_at,
        revoked_at=row.revoked_at,
    )


class AuthenticationRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: AuthenticationRecord) -> None:
        self._connection.execute(
            insert(authentications).values(
                reference_number=record.reference_number,
                started_at=record.started_at,
                client_ip=record.client_ip,
                context_type=record.context.type.value,
                context_value=record.context.value,
                subject_type=record.subject.type.value,
                subject_value=record.subject.value,
                authentication_method=record.authentication_method.value,
                authentication_method_code=METHOD_INFO[record.authentication_method].code,
                certificate_fingerprint=record.certificate_fingerprint,
                certificate_der=record.certificate_der,
                subject_details=record.subject_details.to_json(),
                authorization_policy=record.allowed_ips.to_json() if record.allowed_ips else None,
                status_code=int(record.status.code),
                status_description=record.status.description,
                status_details=list(record.status.details) or None,
                authentication_token_valid_until=record.authentication_token_valid_until,
                is_token_redeemed=record.is_token_redeemed,
            )
        )

    def get(self, reference_number: str, *, with_certificate: bool = False) -> AuthenticationRecord | None:
        """The operation, without the certificate DER unless asked for."""
        columns = list(authentications.c) if with_certificate else _SUMMARY_COLUMNS
        row = self._connection.execute(
            select(*columns).where(authentications.c.reference_number == reference_number)
        ).first()
        return _record(row, with_certificate=with_certificate) if row is not None else None

    def mark_redeemed(
        self, reference_number: str, *, now: datetime, refresh_token_id: str, refresh_token_valid_until: datetime
    ) -> bool:
        """Record the one-time redemption; False if it was already redeemed or the status is not 200."""
        result = self._connection.execute(
            update(authentications)
            .where(
                authentications.c.reference_number == reference_number,
                authentications.c.is_token_redeemed.is_(False),
                authentications.c.status_code == int(AuthStatusCode.SUCCEEDED),
            )
            .values(
                is_token_redeemed=True,
                redeemed_at=now,
                refresh_token_id=refresh_token_id,
                refresh_token_valid_until=refresh_token_valid_until,
            )
        )
        return result.rowcount == 1

    def record_refresh(self, reference_number: str, *, refresh_token_id: str, now: datetime) -> bool:
        """Note a refresh with this refresh token; False if the session was revoked meanwhile."""
        result = self._connection.execute(
            update(authentications)
            .where(
                authentications.c.reference_number == reference_number,
                authentications.c.refresh_token_id == refresh_token_id,
                authentications.c.status_code == int(AuthStatusCode.SUCCEEDED),
            )
            .values(last_token_refresh_at=now)
        )
        return result.rowcount == 1

    def revoke(self, reference_number: str, *, now: datetime, status: AuthStatus) -> bool:
        """Move a successful authentication to the revoked status; False if it was not active."""
        result = self._connection.execute(
            update(authentications)
            .where(
                authentications.c.reference_number == reference_number,
                authentications.c.status_code == int(AuthStatusCode.SUCCEEDED),
            )
            .values(
                status_code=int(status.code),
                status_description=status.description,
                status_details=list(status.details) or None,
                revoked_at=now,
            )
        )
        return result.rowcount == 1

    def list_active(
        self,
        *,
        context: ContextIdentifier,
        subject: SubjectIdentifier,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> list[AuthenticationRecord]:
        """Active sessions of `subject` in `context`, newest first; `after` is the (startDate, reference) keyset
        cursor of the previous page's last item."""
        table = authentications.c
        still_valid = or_(
            and_(table.is_token_redeemed.is_(True), table.refresh_token_valid_until > now),
            and_(table.is_token_redeemed.is_(False), table.authentication_token_valid_until > now),
        )
        query = (
            select(*_SUMMARY_COLUMNS)
            .where(
                table.context_type == context.type.value,
                table.context_value == context.value,
                table.subject_type == subject.type.value,
                table.subject_value == subject.value,
                table.status_code == int(AuthStatusCode.SUCCEEDED),
                still_valid,
            )
            .order_by(table.started_at.desc(), table.reference_number.desc())
            .limit(limit)
        )
        if after is not None:
            started_at, reference_number = after
            query = query.where(
                or_(
                    table.started_at < started_at,
                    and_(table.started_at == started_at, table.reference_number < reference_number),
                )
            )
        return [_record(row, with_certificate=False) for row in self._connection.execute(query)]

    def purge(self, *, started_before: datetime) -> int:
        """Delete operations started before `started_before`; returns how many."""
        return self._connection.execute(
            delete(authentications).where(authentications.c.started_at < started_before)
        ).rowcount
