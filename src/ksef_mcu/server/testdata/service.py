"""Sandbox test data (`/v2/testdata/*`): the official TEST environment's way to set up subjects and permissions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ksef_mcu.clock import Clock
from ksef_mcu.formatting import polish_date, start_of_day
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.repositories.blocked_contexts import BlockedContextRepository
from ksef_mcu.server.errors import AlreadyExistsError, InputValidationError
from ksef_mcu.server.permissions.consents import AttachmentConsentRepository
from ksef_mcu.server.permissions.model import Grant
from ksef_mcu.server.permissions.repository import PermissionGrantRepository
from ksef_mcu.server.testdata.repository import TestDataRepository, TestPerson, TestSubject
from ksef_mcu.storage.database import Database

GRANT_SOURCE = "testdata"


@dataclass(frozen=True, slots=True)
class SubunitSpec:
    nip: str
    description: str


@dataclass(frozen=True, slots=True)
class SubjectSpec:
    nip: str
    subject_type: str
    description: str
    subunits: tuple[SubunitSpec, ...] = ()
    created_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonSpec:
    nip: str
    pesel: str
    is_bailiff: bool
    description: str
    is_deceased: bool = False
    created_date: datetime | None = None


def _may_replace(existing_created: datetime, requested: datetime | None) -> bool:
    """Re-creating test data needs a `createdDate` later than the previous one (the official rule)."""
    return requested is not None and requested > existing_created


class TestDataService:
    __test__ = False  # not a pytest test class

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    def create_subject(self, spec: SubjectSpec) -> None:
        """Create a special subject (and its subunits). Raises `AlreadyExistsError` (30001) for known NIPs unless
        the request re-creates the same subject with a later `createdDate`."""
        nips = [spec.nip, *(subunit.nip for subunit in spec.subunits)]
        if len(set(nips)) != len(nips):
            raise InputValidationError("Numery NIP podmiotu i jednostek podrzędnych muszą być różne.")
        created = spec.created_date or self._clock.now()
        with self._database.write() as connection:
            repository = TestDataRepository(connection)
            existing = repository.subjects(nips)
            if existing:
                root = next((subject for subject in existing if subject.nip == spec.nip), None)
                ours = root is not None and all(spec.nip in (s.nip, s.parent_nip) for s in existing)
                if not (ours and root is not None and _may_replace(root.created_date, spec.created_date)):
                    taken = ", ".join(sorted(subject.nip for subject in existing))
                    raise AlreadyExistsError(f"Podmiot o numerze NIP {taken} już istnieje.")
                repository.remove_subject(spec.nip)
            repository.add_subjects(
                [
                    TestSubject(spec.nip, spec.subject_type, spec.description, None, created),
                    *(
                        TestSubject(subunit.nip, spec.subject_type, subunit.description, spec.nip, created)
                        for subunit in spec.subunits
                    ),
                ]
            )

    def remove_subject(self, nip: str) -> None:
        """Remove a special subject with its subunits (nothing happens if there is none)."""
        with self._database.write() as connection:
            TestDataRepository(connection).remove_subject(nip)

    def create_person(self, spec: PersonSpec) -> None:
        """Create a person: NIP–PESEL binding with owner rights in the NIP context (+ bailiff, deceased flags)."""
        created = spec.created_date or self._clock.now()
        with self._database.write() as connection:
            repository = TestDataRepository(connection)
            existing = repository.person(spec.nip)
            if existing is not None and not _may_replace(existing.created_date, spec.created_date):
                raise AlreadyExistsError(f"Osoba o numerze NIP {spec.nip} już istnieje.")
            repository.put_person(
                TestPerson(spec.nip, spec.pesel, spec.is_bailiff, spec.is_deceased, spec.description, created)
            )

    def remove_person(self, nip: str) -> None:
        """Remove a person and every test permission they hold (as NIP or PESEL)."""
        with self._database.write() as connection:
            person = TestDataRepository(connection).remove_person(nip)
            holders = [SubjectIdentifier(SubjectIdentifierType.NIP, nip)]
            if person is not None:
                holders.append(SubjectIdentifier(SubjectIdentifierType.PESEL, person.pesel))
            PermissionGrantRepository(connection).revoke_all_held_by(holders, source=GRANT_SOURCE)

    def grant_permissions(
        self, context: ContextIdentifier, authorized: SubjectIdentifier, grants: Sequence[Grant]
    ) -> None:
        """Grant permissions in a context (what ZAW-FA does in production)."""
        with self._database.write() as connection:
            PermissionGrantRepository(connection).grant(
                context, authorized, grants, source=GRANT_SOURCE, now=self._clock.now()
            )

    def revoke_permissions(self, context: ContextIdentifier, authorized: SubjectIdentifier) -> None:
        """Remove every test permission `authorized` holds in `context`."""
        with self._database.write() as connection:
            PermissionGrantRepository(connection).revoke(context, authorized, source=GRANT_SOURCE)

    def block_context(self, context: ContextIdentifier) -> None:
        """Make authentication in `context` end with status 480."""
        with self._database.write() as connection:
            BlockedContextRepository(connection).block(context, now=self._clock.now())

    def unblock_context(self, context: ContextIdentifier) -> None:
        with self._database.write() as connection:
            BlockedContextRepository(connection).unblock(context)

    def allow_attachments(self, nip: str) -> None:
        """Give the NIP context the consent to issue invoices with attachments (what e-Urząd Skarbowy records in
        production), without an end; given again, it starts anew."""
        with self._database.write() as connection:
            AttachmentConsentRepository(connection).grant(
                ContextIdentifier(ContextIdentifierType.NIP, nip), now=self._clock.now()
            )

    def end_attachments(self, nip: str, expected_end_date: date | None = None) -> None:
        """End the NIP context's consent now, or at the start (Polish time) of `expected_end_date`. Nothing happens
        for a context without one. Raises `InputValidationError` (21405) for a day already past."""
        now = self._clock.now()
        ends_at = now
        if expected_end_date is not None:
            if expected_end_date < polish_date(now):
                raise InputValidationError(
                    f"expectedEndDate: data wycofania zgody ({expected_end_date.isoformat()}) nie może być "
                    "wcześniejsza niż dzisiejsza."
                )
            ends_at = max(start_of_day(expected_end_date), now)
        with self._database.write() as connection:
            AttachmentConsentRepository(connection).end(ContextIdentifier(ContextIdentifierType.NIP, nip), at=ends_at)
