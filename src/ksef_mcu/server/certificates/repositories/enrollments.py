"""Enrollment requests: the issuance queue (accepted at status 100, claimed by workers, finished at 200/400/500/550)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.certificates.model import EnrollmentRecord, EnrollmentStatus, EnrollmentStatusCode
from ksef_mcu.server.certificates.tables import certificate_enrollments
from ksef_mcu.storage.statements import FastStatement

_PENDING = int(EnrollmentStatusCode.ACCEPTED)


def _record(row: Row[Any]) -> EnrollmentRecord:
    return EnrollmentRecord(
        reference_number=row.reference_number,
        subject=SubjectIdentifier(SubjectIdentifierType(row.subject_type), row.subject_value),
        certificate_name=row.certificate_name,
        certificate_type=KsefCertificateType(row.certificate_type),
        csr_der=row.csr_der,
        public_key_sha256=row.public_key_sha256,
        enrollment_data=EnrollmentData.from_api(row.enrollment_data),
        requested_valid_from=row.requested_valid_from,
        request_date=row.request_date,
        status=EnrollmentStatus(EnrollmentStatusCode(row.status_code), tuple(row.status_details or ())),
        serial_number=row.serial_number,
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
        attempts=row.attempts,
        finished_at=row.finished_at,
    )


# --- statements on the hot paths, built once (building SQLAlchemy expressions costs more than running them) -------

_enrollment = certificate_enrollments.c

# The request and polling path skips `Connection.execute` (see `ksef_mcu.storage.statements`).
_INSERT_ENROLLMENT = FastStatement(
    insert(certificate_enrollments), column_keys=[column.key for column in certificate_enrollments.c]
)

_GET_STATUS = FastStatement(
    select(
        _enrollment.subject_type,
        _enrollment.subject_value,
        _enrollment.request_date,
        _enrollment.status_code,
        _enrollment.status_details,
        _enrollment.serial_number,
    ).where(_enrollment.reference_number == bindparam("reference_number"))
)


_CLAIMABLE = (
    select(certificate_enrollments)
    .where(
        _enrollment.status_code == _PENDING,
        (_enrollment.claim_expires_at.is_(None)) | (_enrollment.claim_expires_at < bindparam("now")),
    )
    .order_by(_enrollment.request_date, _enrollment.reference_number)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_HAS_CLAIMABLE = FastStatement(
    select(_enrollment.reference_number)
    .where(
        _enrollment.status_code == _PENDING,
        (_enrollment.claim_expires_at.is_(None)) | (_enrollment.claim_expires_at < bindparam("now")),
    )
    .limit(1)
)
_CLAIM = (
    update(certificate_enrollments)
    .where(_enrollment.reference_number.in_(bindparam("references", expanding=True)))
    .values(
        claimed_by=bindparam("worker_id"),
        claim_expires_at=bindparam("lease_until"),
        attempts=_enrollment.attempts + 1,
    )
)
_FINISH_ISSUED = (
    update(certificate_enrollments)
    .where(
        _enrollment.reference_number == bindparam("ref"),
        _enrollment.serial_number == bindparam("expected_serial_number"),
        _enrollment.status_code == _PENDING,
    )
    .values(
        status_code=int(EnrollmentStatusCode.ISSUED),
        status_details=None,
        finished_at=bindparam("finished"),
        claimed_by=None,
        claim_expires_at=None,
    )
)
_FINISH = (
    update(certificate_enrollments)
    .where(_enrollment.reference_number == bindparam("ref"), _enrollment.status_code == _PENDING)
    .values(
        status_code=bindparam("new_status_code"),
        status_details=bindparam("new_status_details"),
        finished_at=bindparam("finished"),
        claimed_by=None,
        claim_expires_at=None,
    )
)
_LOCK_PENDING = (
    select(_enrollment.reference_number, _enrollment.serial_number)
    .where(
        _enrollment.reference_number.in_(bindparam("references", expanding=True)),
        _enrollment.status_code == _PENDING,
    )
    .with_for_update()
)


class EnrollmentRepository:
    """SQL for the enrollment queue. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- requests -------------------------------------------------------------------------------------------------

    def add(self, record: EnrollmentRecord) -> None:
        _INSERT_ENROLLMENT.execute(
            self._connection,
            {
                "reference_number": record.reference_number,
                "subject_type": record.subject.type.value,
                "subject_value": record.subject.value,
                "certificate_name": record.certificate_name,
                "certificate_type": record.certificate_type.value,
                "csr_der": record.csr_der,
                "public_key_sha256": record.public_key_sha256,
                "enrollment_data": record.enrollment_data.to_api(),
                "requested_valid_from": record.requested_valid_from,
                "request_date": record.request_date,
                "status_code": int(record.status.code),
                "status_details": list(record.status.details) or None,
                "attempts": 0,
                "serial_number": None,
                "claimed_by": None,
                "claim_expires_at": None,
                "finished_at": None,
            },
        )

    def get(self, reference_number: str) -> EnrollmentRecord | None:
        row = self._connection.execute(
            select(certificate_enrollments).where(certificate_enrollments.c.reference_number == reference_number)
        ).first()
        return _record(row) if row is not None else None

    def get_status(
        self, reference_number: str
    ) -> tuple[SubjectIdentifier, datetime, EnrollmentStatus, str | None] | None:
        """(subject, request date, status, serial) of one request: the cheap read behind status polling."""
        row = _GET_STATUS.execute(self._connection, {"reference_number": reference_number}).first()
        if row is None:
            return None
        status = EnrollmentStatus(EnrollmentStatusCode(row.status_code), tuple(row.status_details or ()))
        subject = SubjectIdentifier(SubjectIdentifierType(row.subject_type), row.subject_value)
        return (
            subject,
            row.request_date,
            status,
            row.serial_number if status.code is EnrollmentStatusCode.ISSUED else None,
        )

    def has_claimable(self, *, now: datetime) -> bool:
        """Whether any request waits at status 100 with no live claim on it."""
        return _HAS_CLAIMABLE.execute(self._connection, {"now": now}).first() is not None

    # --- the queue ------------------------------------------------------------------------------------------------

    def claim(self, *, worker_id: str, now: datetime, lease: timedelta, limit: int) -> list[EnrollmentRecord]:
        """Take up to `limit` pending requests, oldest first, that nobody holds (or whose claim ran out), until
        `now + lease`. On PostgreSQL rows locked by another worker's claim are skipped (`FOR UPDATE SKIP LOCKED`)."""
        rows = self._connection.execute(_CLAIMABLE, {"now": now, "limit": limit}).all()
        if not rows:
            return []
        self._connection.execute(
            _CLAIM,
            {
                "references": [row.reference_number for row in rows],
                "worker_id": worker_id,
                "lease_until": now + lease,
            },
        )
        return [_record(row) for row in rows]

    def lock_pending(self, reference_numbers: Sequence[str]) -> dict[str, str | None]:
        """The serials of those of `reference_numbers` still at status 100, locked until the transaction ends (so a
        worker taking over an expired claim waits, or skips them)."""
        rows = self._connection.execute(_LOCK_PENDING, {"references": list(reference_numbers)})
        return {row.reference_number: row.serial_number for row in rows}

    def finish_issued(self, issued: dict[str, str], *, now: datetime) -> None:
        """Set status 200 on pending requests (reference number → the serial they must still hold)."""
        if issued:
            self._connection.execute(
                _FINISH_ISSUED,
                [
                    {"ref": reference, "expected_serial_number": serial, "finished": now}
                    for reference, serial in issued.items()
                ],
            )

    def finish(self, reference_number: str, status: EnrollmentStatus, *, now: datetime) -> bool:
        """End a pending request with a final non-200 status; False if it was no longer pending."""
        result = self._connection.execute(
            _FINISH,
            {
                "ref": reference_number,
                "new_status_code": int(status.code),
                "new_status_details": list(status.details) or None,
                "finished": now,
            },
        )
        return result.rowcount == 1

    def statuses(self, reference_numbers: Sequence[str]) -> dict[str, EnrollmentStatusCode]:
        """Status codes of the given requests (tests and tools)."""
        table = certificate_enrollments.c
        rows = self._connection.execute(
            select(table.reference_number, table.status_code).where(table.reference_number.in_(reference_numbers))
        )
        return {row.reference_number: EnrollmentStatusCode(row.status_code) for row in rows}

    def purge(self, *, requested_before: datetime) -> int:
        """Delete finished requests made before `requested_before`; returns how many."""
        table = certificate_enrollments.c
        return self._connection.execute(
            delete(certificate_enrollments).where(table.request_date < requested_before, table.status_code != _PENDING)
        ).rowcount
