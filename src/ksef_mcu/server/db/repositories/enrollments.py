"""Enrollment requests (the issuance queue), reserved serials, and the per-subject rows that limits lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from ksef_mcu.crypto.certificates import KsefCertificateType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.server.certificates.model import CertificateStatus, EnrollmentStatus, EnrollmentStatusCode
from ksef_mcu.server.db.certificate_tables import (
    certificate_enrollments,
    certificate_serials,
    certificate_subjects,
    certificates,
)
from ksef_mcu.server.db.repositories.upsert import upsert

_PENDING = int(EnrollmentStatusCode.ACCEPTED)


@dataclass(frozen=True, slots=True)
class EnrollmentRecord:
    """One row of `certificate_enrollments`."""

    reference_number: str
    subject: SubjectIdentifier
    certificate_name: str
    certificate_type: KsefCertificateType
    csr_der: bytes
    public_key_sha256: str
    enrollment_data: EnrollmentData
    requested_valid_from: datetime | None
    request_date: datetime
    status: EnrollmentStatus
    serial_number: str | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    attempts: int = 0
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SubjectLimits:
    """A subject's own limits (None where the default applies)."""

    max_enrollments: int | None = None
    max_certificates: int | None = None


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


def _of(subject: SubjectIdentifier) -> tuple[Any, ...]:
    table = certificate_enrollments.c
    return (table.subject_type == subject.type.value, table.subject_value == subject.value)


class EnrollmentRepository:
    """SQL for enrollments and subjects. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- subjects: the lock row and the subject's own limits -----------------------------------------------------

    def lock_subject(self, subject: SubjectIdentifier, *, now: datetime) -> SubjectLimits:
        """Create the subject's row if needed and lock it until the transaction ends; return its own limits.

        Every decision that counts a subject's requests or certificates runs under this lock, so concurrent requests
        of one subject are decided one after another (PostgreSQL: row lock; SQLite: write transactions are
        serialised anyway).
        """
        table = certificate_subjects
        self._connection.execute(
            upsert(self._connection, table)
            .values(subject_type=subject.type.value, subject_value=subject.value, updated_at=now)
            .on_conflict_do_nothing(index_elements=["subject_type", "subject_value"])
        )
        row = self._connection.execute(
            select(table.c.max_enrollments, table.c.max_certificates)
            .where(table.c.subject_type == subject.type.value, table.c.subject_value == subject.value)
            .with_for_update()
        ).one()
        return SubjectLimits(row.max_enrollments, row.max_certificates)

    def subject_limits(self, subject: SubjectIdentifier) -> SubjectLimits:
        """The subject's own limits, without locking (for reporting)."""
        table = certificate_subjects
        row = self._connection.execute(
            select(table.c.max_enrollments, table.c.max_certificates).where(
                table.c.subject_type == subject.type.value, table.c.subject_value == subject.value
            )
        ).first()
        return SubjectLimits(row.max_enrollments, row.max_certificates) if row is not None else SubjectLimits()

    def set_subject_limits(self, subject: SubjectIdentifier, limits: SubjectLimits, *, now: datetime) -> None:
        """Set (or, with both None, clear) the subject's own limits."""
        table = certificate_subjects
        self._connection.execute(
            upsert(self._connection, table)
            .values(
                subject_type=subject.type.value,
                subject_value=subject.value,
                max_enrollments=limits.max_enrollments,
                max_certificates=limits.max_certificates,
                updated_at=now,
            )
            .on_conflict_do_update(
                index_elements=["subject_type", "subject_value"],
                set_={
                    "max_enrollments": limits.max_enrollments,
                    "max_certificates": limits.max_certificates,
                    "updated_at": now,
                },
            )
        )

    # --- requests -------------------------------------------------------------------------------------------------

    def add(self, record: EnrollmentRecord) -> None:
        self._connection.execute(
            insert(certificate_enrollments).values(
                reference_number=record.reference_number,
                subject_type=record.subject.type.value,
                subject_value=record.subject.value,
                certificate_name=record.certificate_name,
                certificate_type=record.certificate_type.value,
                csr_der=record.csr_der,
                public_key_sha256=record.public_key_sha256,
                enrollment_data=record.enrollment_data.to_api(),
                requested_valid_from=record.requested_valid_from,
                request_date=record.request_date,
                status_code=int(record.status.code),
                status_details=list(record.status.details) or None,
                attempts=0,
            )
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
        table = certificate_enrollments.c
        row = self._connection.execute(
            select(
                table.subject_type,
                table.subject_value,
                table.request_date,
                table.status_code,
                table.status_details,
                table.serial_number,
            ).where(table.reference_number == reference_number)
        ).first()
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

    def count_usage(
        self,
        subject: SubjectIdentifier,
        *,
        now: datetime,
        since: datetime,
        reserved_only: bool = False,
        exclude: str | None = None,
    ) -> tuple[int, int]:
        """(requests made after `since`, certificates held) for the subject, read in ONE statement.

        Held = active certificates that have not expired (future-dated ones included) + requests still at status 100
        (only those that already hold a serial, with `reserved_only`; `exclude` leaves one request out). One
        statement means one snapshot: a worker that moves a request from "pending" to "issued" in between two reads
        would otherwise make it vanish from both counts (PostgreSQL runs each statement on a fresh snapshot).
        """
        table = certificate_enrollments.c
        made = select(func.count()).where(*_of(subject), table.request_date > since).scalar_subquery()
        pending_query = select(func.count()).where(*_of(subject), table.status_code == _PENDING)
        if reserved_only:
            pending_query = pending_query.where(table.serial_number.is_not(None))
        if exclude is not None:
            pending_query = pending_query.where(table.reference_number != exclude)
        issued = certificates.c
        active = (
            select(func.count())
            .select_from(certificates)
            .where(
                issued.subject_type == subject.type.value,
                issued.subject_value == subject.value,
                issued.status == CertificateStatus.ACTIVE.value,
                issued.valid_to >= now,
            )
            .scalar_subquery()
        )
        row = self._connection.execute(select(made, pending_query.scalar_subquery() + active)).one()
        return int(row[0]), int(row[1])

    def has_pending(self) -> bool:
        """Whether any request waits at status 100."""
        table = certificate_enrollments.c
        row = self._connection.execute(select(table.reference_number).where(table.status_code == _PENDING).limit(1))
        return row.first() is not None

    # --- the queue ------------------------------------------------------------------------------------------------

    def claim(self, *, worker_id: str, now: datetime, lease: timedelta, limit: int) -> list[EnrollmentRecord]:
        """Take up to `limit` pending requests, oldest first, that nobody holds (or whose claim ran out), until
        `now + lease`. On PostgreSQL rows locked by another worker's claim are skipped (`FOR UPDATE SKIP LOCKED`)."""
        table = certificate_enrollments.c
        rows = self._connection.execute(
            select(certificate_enrollments)
            .where(
                table.status_code == _PENDING,
                (table.claim_expires_at.is_(None)) | (table.claim_expires_at < now),
            )
            .order_by(table.request_date, table.reference_number)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        references = [row.reference_number for row in rows]
        self._connection.execute(
            update(certificate_enrollments)
            .where(table.reference_number.in_(references))
            .values(claimed_by=worker_id, claim_expires_at=now + lease, attempts=table.attempts + 1)
        )
        return [_record(row) for row in rows]

    def reserve_serial(self, reference_number: str, serial_number: str, *, now: datetime) -> bool:
        """Record `serial_number` for the request before anything is signed with it.

        False if the serial was ever reserved before (the caller draws another one).
        """
        # RETURNING tells whether the row went in (rowcount of INSERT … ON CONFLICT is not reliable on psycopg).
        inserted = self._connection.execute(
            upsert(self._connection, certificate_serials)
            .values(serial_number=serial_number, reference_number=reference_number, reserved_at=now)
            .on_conflict_do_nothing(index_elements=["serial_number"])
            .returning(certificate_serials.c.serial_number)
        ).first()
        if inserted is None:
            return False
        self._connection.execute(
            update(certificate_enrollments)
            .where(certificate_enrollments.c.reference_number == reference_number)
            .values(serial_number=serial_number)
        )
        return True

    def finish_issued(self, reference_number: str, serial_number: str, *, now: datetime) -> bool:
        """Set status 200 — only if the request is still pending with this serial (a worker whose claim was taken
        over after its lease ran out finds a different serial and must throw its certificate away)."""
        table = certificate_enrollments.c
        result = self._connection.execute(
            update(certificate_enrollments)
            .where(
                table.reference_number == reference_number,
                table.serial_number == serial_number,
                table.status_code == _PENDING,
            )
            .values(
                status_code=int(EnrollmentStatusCode.ISSUED),
                status_details=None,
                finished_at=now,
                claimed_by=None,
                claim_expires_at=None,
            )
        )
        return result.rowcount == 1

    def finish(self, reference_number: str, status: EnrollmentStatus, *, now: datetime) -> bool:
        """End a pending request with a final non-200 status; False if it was no longer pending."""
        table = certificate_enrollments.c
        result = self._connection.execute(
            update(certificate_enrollments)
            .where(table.reference_number == reference_number, table.status_code == _PENDING)
            .values(
                status_code=int(status.code),
                status_details=list(status.details) or None,
                finished_at=now,
                claimed_by=None,
                claim_expires_at=None,
            )
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
