"""Enrollment requests (the issuance queue), reserved serials, and the per-subject rows that limits lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, func, insert, select, tuple_, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.certificates.model import CertificateStatus, EnrollmentStatus, EnrollmentStatusCode
from ksef_mcu.server.db.certificate_tables import (
    certificate_enrollments,
    certificate_serials,
    certificate_subjects,
    certificates,
)
from ksef_mcu.storage.statements import FastStatement, upsert

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


# --- statements on the hot paths, built once (building SQLAlchemy expressions costs more than running them) -------

_enrollment = certificate_enrollments.c
_certificate = certificates.c

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


def _usage_statement() -> Select[Any]:
    of_subject = (
        _enrollment.subject_type == bindparam("subject_type"),
        _enrollment.subject_value == bindparam("subject_value"),
    )
    made = select(func.count()).where(*of_subject, _enrollment.request_date > bindparam("since")).scalar_subquery()
    pending = select(func.count()).where(*of_subject, _enrollment.status_code == _PENDING)
    active = (
        select(func.count())
        .select_from(certificates)
        .where(
            _certificate.subject_type == bindparam("subject_type"),
            _certificate.subject_value == bindparam("subject_value"),
            _certificate.status == CertificateStatus.ACTIVE.value,
            _certificate.valid_to >= bindparam("now"),
        )
        .scalar_subquery()
    )
    return select(made, pending.scalar_subquery() + active)


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
_SET_SERIAL = (
    update(certificate_enrollments)
    .where(_enrollment.reference_number == bindparam("ref"))
    .values(serial_number=bindparam("new_serial_number"))
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


_USAGE = FastStatement(_usage_statement())
_LOCK_SUBJECT: dict[str, FastStatement] = {}


def _lock_subject_statement(dialect: str) -> FastStatement:
    statement = _LOCK_SUBJECT.get(dialect)
    if statement is None:
        table = certificate_subjects
        insert_statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        upsert = insert_statement.on_conflict_do_update(
            index_elements=["subject_type", "subject_value"],
            set_={"updated_at": insert_statement.excluded.updated_at},
        ).returning(table.c.max_enrollments, table.c.max_certificates)
        statement = _LOCK_SUBJECT[dialect] = FastStatement(
            upsert, column_keys=["subject_type", "subject_value", "updated_at"]
        )
    return statement


class EnrollmentRepository:
    """SQL for enrollments and subjects. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- subjects: the lock row and the subject's own limits -----------------------------------------------------

    def lock_subject(self, subject: SubjectIdentifier, *, now: datetime) -> SubjectLimits:
        """Create the subject's row if needed and lock it until the transaction ends; return its own limits.

        Every decision that counts a subject's requests or certificates runs under this lock, so concurrent requests
        of one subject are decided one after another. One statement: an upsert that always updates the row (which
        takes its row lock on PostgreSQL; SQLite serialises write transactions anyway) and returns the limits.
        """
        row = (
            _lock_subject_statement(self._connection.dialect.name)
            .execute(
                self._connection,
                {"subject_type": subject.type.value, "subject_value": subject.value, "updated_at": now},
            )
            .rows[0]
        )
        return SubjectLimits(row.max_enrollments, row.max_certificates)

    def lock_subjects(
        self, subjects: Sequence[SubjectIdentifier], *, now: datetime
    ) -> dict[SubjectIdentifier, SubjectLimits]:
        """`lock_subject` for several subjects in one statement, always in the same order (so two workers locking
        overlapping sets never wait for each other crosswise)."""
        ordered = sorted(set(subjects), key=lambda subject: (subject.type.value, subject.value))
        if not ordered:
            return {}
        table = certificate_subjects
        insert_statement = (postgresql.insert if self._connection.dialect.name == "postgresql" else sqlite.insert)(
            table
        )
        rows = self._connection.execute(
            insert_statement.values(
                [{"subject_type": s.type.value, "subject_value": s.value, "updated_at": now} for s in ordered]
            )
            .on_conflict_do_update(
                index_elements=["subject_type", "subject_value"],
                set_={"updated_at": insert_statement.excluded.updated_at},
            )
            .returning(table.c.subject_type, table.c.subject_value, table.c.max_enrollments, table.c.max_certificates)
        )
        return {
            SubjectIdentifier(SubjectIdentifierType(row.subject_type), row.subject_value): SubjectLimits(
                row.max_enrollments, row.max_certificates
            )
            for row in rows
        }

    def held_by(
        self, subjects: Sequence[SubjectIdentifier], *, now: datetime, reserved_by_others_than: str
    ) -> dict[SubjectIdentifier, int]:
        """Per subject: active, unexpired certificates + requests another worker holds a serial for — in ONE
        statement (one snapshot, see `count_usage`)."""
        keys = [(subject.type.value, subject.value) for subject in set(subjects)]
        if not keys:
            return {}
        issued = certificates.c
        active = (
            select(issued.subject_type, issued.subject_value, func.count().label("held"))
            .where(
                tuple_(issued.subject_type, issued.subject_value).in_(keys),
                issued.status == CertificateStatus.ACTIVE.value,
                issued.valid_to >= now,
            )
            .group_by(issued.subject_type, issued.subject_value)
        )
        reserved = (
            select(_enrollment.subject_type, _enrollment.subject_value, func.count().label("held"))
            .where(
                tuple_(_enrollment.subject_type, _enrollment.subject_value).in_(keys),
                _enrollment.status_code == _PENDING,
                _enrollment.serial_number.is_not(None),
                _enrollment.claimed_by != reserved_by_others_than,
            )
            .group_by(_enrollment.subject_type, _enrollment.subject_value)
        )
        held: dict[SubjectIdentifier, int] = dict.fromkeys(
            (SubjectIdentifier(SubjectIdentifierType(kind), value) for kind, value in keys), 0
        )
        for row in self._connection.execute(union_all(active, reserved)):
            held[SubjectIdentifier(SubjectIdentifierType(row.subject_type), row.subject_value)] += int(row.held)
        return held

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

    def count_usage(self, subject: SubjectIdentifier, *, now: datetime, since: datetime) -> tuple[int, int]:
        """(requests made after `since`, certificates held) for the subject, read in ONE statement.

        Held = active certificates that have not expired (future-dated ones included) + requests still at status 100.
        One statement means one snapshot: a worker that moves a request from "pending" to "issued" in between two
        reads would otherwise make it vanish from both counts (PostgreSQL runs each statement on a fresh snapshot).
        """
        row = _USAGE.execute(
            self._connection,
            {"subject_type": subject.type.value, "subject_value": subject.value, "since": since, "now": now},
        ).rows[0]
        return int(row[0]), int(row[1])

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

    def reserve_serials(self, serials: dict[str, str], *, now: datetime) -> set[str]:
        """Record serials (reference number → serial) as reserved, before anything is signed with them; set each on
        its request. Returns the references whose serial was taken already (ever reserved before): draw again."""
        if not serials:
            return set()
        table = certificate_serials
        insert_statement = (postgresql.insert if self._connection.dialect.name == "postgresql" else sqlite.insert)(
            table
        )
        inserted = set(
            self._connection.execute(
                insert_statement.values(
                    [
                        {"serial_number": serial, "reference_number": reference, "reserved_at": now}
                        for reference, serial in serials.items()
                    ]
                )
                .on_conflict_do_nothing(index_elements=["serial_number"])
                .returning(table.c.serial_number)
            ).scalars()
        )
        # RETURNING tells what went in (rowcount of INSERT … ON CONFLICT is not reliable on psycopg).
        taken = {reference for reference, serial in serials.items() if serial not in inserted}
        recorded = [
            {"ref": reference, "new_serial_number": serial}
            for reference, serial in serials.items()
            if reference not in taken
        ]
        if recorded:
            self._connection.execute(_SET_SERIAL, recorded)
        return taken

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
