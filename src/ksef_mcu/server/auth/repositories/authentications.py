"""Authentication operations and the sessions they open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Integer, and_, bindparam, delete, insert, or_, select, update

from ksef_mcu.identifiers import (
    AllowedIps,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifier,
    SubjectIdentifierType,
)
from ksef_mcu.server.auth.model import (
    METHOD_INFO,
    AuthenticationMethod,
    AuthenticationRecord,
    AuthStatus,
    AuthStatusCode,
    SubjectDetails,
)
from ksef_mcu.server.auth.tables import authentications
from ksef_mcu.storage.statements import FastStatement

_SUMMARY_COLUMNS = [column for column in authentications.c if column.name != "certificate_der"]
_table = authentications.c

# Statements are built once: constructing a Core statement costs several times more than executing a cached one.
# Those on the login path skip `Connection.execute` as well (see `ksef_mcu.storage.statements`).
_ADD = FastStatement(insert(authentications), column_keys=[column.key for column in authentications.c])
_GET = FastStatement(select(*_SUMMARY_COLUMNS).where(_table.reference_number == bindparam("reference")))
_GET_WITH_CERTIFICATE = FastStatement(select(authentications).where(_table.reference_number == bindparam("reference")))
_REDEEM = FastStatement(
    update(authentications)
    .where(
        _table.reference_number == bindparam("reference"),
        _table.is_token_redeemed.is_(False),
        _table.status_code == int(AuthStatusCode.SUCCEEDED),
    )
    .values(
        is_token_redeemed=True,
        redeemed_at=bindparam("now"),
        refresh_token_id=bindparam("new_refresh_token_id"),
        refresh_token_valid_until=bindparam("new_refresh_token_valid_until"),
    )
)
_REFRESH = FastStatement(
    update(authentications)
    .where(
        _table.reference_number == bindparam("reference"),
        _table.refresh_token_id == bindparam("presented_refresh_token_id"),
        _table.status_code == int(AuthStatusCode.SUCCEEDED),
    )
    .values(last_token_refresh_at=bindparam("now"))
)
_REVOKE = (
    update(authentications)
    .where(
        _table.reference_number == bindparam("reference"),
        _table.status_code == int(AuthStatusCode.SUCCEEDED),
    )
    .values(
        status_code=bindparam("new_status_code"),
        status_description=bindparam("new_status_description"),
        status_details=bindparam("new_status_details", type_=JSON),
        revoked_at=bindparam("now"),
    )
)
_ACTIVE = (
    select(*_SUMMARY_COLUMNS)
    .where(
        _table.context_type == bindparam("context_type"),
        _table.context_value == bindparam("context_value"),
        _table.subject_type == bindparam("subject_type"),
        _table.subject_value == bindparam("subject_value"),
        _table.status_code == int(AuthStatusCode.SUCCEEDED),
        or_(
            and_(_table.is_token_redeemed.is_(True), _table.refresh_token_valid_until > bindparam("now")),
            and_(_table.is_token_redeemed.is_(False), _table.authentication_token_valid_until > bindparam("now")),
        ),
    )
    .order_by(_table.started_at.desc(), _table.reference_number.desc())
    .limit(bindparam("limit", type_=Integer))
)
_ACTIVE_AFTER = _ACTIVE.where(
    or_(
        _table.started_at < bindparam("after_started_at"),
        and_(
            _table.started_at == bindparam("after_started_at"),
            _table.reference_number < bindparam("after_reference_number"),
        ),
    )
)
_PURGE = delete(authentications).where(_table.started_at < bindparam("before"))


def _record(row: Any, *, with_certificate: bool) -> AuthenticationRecord:
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
        ksef_token_reference=row.ksef_token_reference,
    )


class AuthenticationRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: AuthenticationRecord) -> None:
        _ADD.execute(
            self._connection,
            {
                "reference_number": record.reference_number,
                "started_at": record.started_at,
                "client_ip": record.client_ip,
                "context_type": record.context.type.value,
                "context_value": record.context.value,
                "subject_type": record.subject.type.value,
                "subject_value": record.subject.value,
                "authentication_method": record.authentication_method.value,
                "authentication_method_code": METHOD_INFO[record.authentication_method].code,
                "certificate_fingerprint": record.certificate_fingerprint,
                "certificate_der": record.certificate_der,
                "subject_details": record.subject_details.to_json(),
                "authorization_policy": record.allowed_ips.to_json() if record.allowed_ips else None,
                "status_code": int(record.status.code),
                "status_description": record.status.description,
                "status_details": list(record.status.details) or None,
                "authentication_token_valid_until": record.authentication_token_valid_until,
                "is_token_redeemed": record.is_token_redeemed,
                "redeemed_at": record.redeemed_at,
                "refresh_token_id": record.refresh_token_id,
                "refresh_token_valid_until": record.refresh_token_valid_until,
                "last_token_refresh_at": record.last_token_refresh_at,
                "revoked_at": record.revoked_at,
                "ksef_token_reference": record.ksef_token_reference,
            },
        )

    def get(self, reference_number: str, *, with_certificate: bool = False) -> AuthenticationRecord | None:
        """The operation, without the certificate DER unless asked for."""
        statement = _GET_WITH_CERTIFICATE if with_certificate else _GET
        row = statement.execute(self._connection, {"reference": reference_number}).first()
        return _record(row, with_certificate=with_certificate) if row is not None else None

    def mark_redeemed(
        self, reference_number: str, *, now: datetime, refresh_token_id: str, refresh_token_valid_until: datetime
    ) -> bool:
        """Record the one-time redemption; False if it was already redeemed or the status is not 200."""
        parameters = {
            "reference": reference_number,
            "now": now,
            "new_refresh_token_id": refresh_token_id,
            "new_refresh_token_valid_until": refresh_token_valid_until,
        }
        return _REDEEM.execute(self._connection, parameters).rowcount == 1

    def record_refresh(self, reference_number: str, *, refresh_token_id: str, now: datetime) -> bool:
        """Note a refresh with this refresh token; False if the session was revoked meanwhile."""
        parameters = {"reference": reference_number, "presented_refresh_token_id": refresh_token_id, "now": now}
        return _REFRESH.execute(self._connection, parameters).rowcount == 1

    def revoke(self, reference_number: str, *, now: datetime, status: AuthStatus) -> bool:
        """Move a successful authentication to the revoked status; False if it was not active."""
        parameters = {
            "reference": reference_number,
            "now": now,
            "new_status_code": int(status.code),
            "new_status_description": status.description,
            "new_status_details": list(status.details) or None,
        }
        return self._connection.execute(_REVOKE, parameters).rowcount == 1

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
        parameters: dict[str, object] = {
            "context_type": context.type.value,
            "context_value": context.value,
            "subject_type": subject.type.value,
            "subject_value": subject.value,
            "now": now,
            "limit": limit,
        }
        statement = _ACTIVE
        if after is not None:
            statement = _ACTIVE_AFTER
            parameters["after_started_at"], parameters["after_reference_number"] = after
        return [_record(row, with_certificate=False) for row in self._connection.execute(statement, parameters)]

    def purge(self, *, started_before: datetime) -> int:
        """Delete operations started before `started_before`; returns how many."""
        return self._connection.execute(_PURGE, {"before": started_before}).rowcount
