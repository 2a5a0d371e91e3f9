"""The per-subject side of the certificate limits: each subject's row (the lock every limit decision takes, and
its own limits) and the counts the limits are checked against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select, tuple_, union_all

from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.certificates.model import CertificateStatus, EnrollmentStatusCode, SubjectLimits
from ksef_mcu.server.certificates.tables import certificate_enrollments, certificate_subjects, certificates
from ksef_mcu.storage.statements import FastStatement, upsert

_PENDING = int(EnrollmentStatusCode.ACCEPTED)
_enrollment = certificate_enrollments.c
_certificate = certificates.c


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


# On the request path: built once, skips `Connection.execute` (see `ksef_mcu.storage.statements`).
_USAGE = FastStatement(_usage_statement())
_LOCK_SUBJECT: dict[str, FastStatement] = {}


def _lock_subject_statement(dialect: str) -> FastStatement:
    statement = _LOCK_SUBJECT.get(dialect)
    if statement is None:
        table = certificate_subjects
        insert_statement = upsert(dialect, table)
        locking = insert_statement.on_conflict_do_update(
            index_elements=["subject_type", "subject_value"],
            set_={"updated_at": insert_statement.excluded.updated_at},
        ).returning(table.c.max_enrollments, table.c.max_certificates)
        statement = _LOCK_SUBJECT[dialect] = FastStatement(
            locking, column_keys=["subject_type", "subject_value", "updated_at"]
        )
    return statement


class SubjectLimitRepository:
    """SQL for subjects' limit rows and usage counts. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

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
        insert_statement = upsert(self._connection, table)
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
