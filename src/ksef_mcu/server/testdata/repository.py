"""Sandbox test data: special subjects and persons (NIP–PESEL bindings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from ksef_mcu.server.testdata.tables import testdata_persons, testdata_subjects
from ksef_mcu.storage.statements import FastStatement, upsert


@dataclass(frozen=True, slots=True)
class TestSubject:
    __test__ = False  # not a pytest test class

    nip: str
    subject_type: str
    description: str
    parent_nip: str | None
    created_date: datetime


@dataclass(frozen=True, slots=True)
class TestPerson:
    __test__ = False

    nip: str
    pesel: str
    is_bailiff: bool
    is_deceased: bool
    description: str
    created_date: datetime


_persons, _subjects = testdata_persons.c, testdata_subjects.c

# Statements on the login path are built once and skip `Connection.execute` (see `ksef_mcu.storage.statements`).
_PERSON = FastStatement(select(testdata_persons).where(_persons.nip == bindparam("nip")))
_PERSONS_WITH_PESEL = FastStatement(select(testdata_persons).where(_persons.pesel == bindparam("pesel")))
_SUBJECT = FastStatement(select(testdata_subjects).where(_subjects.nip == bindparam("nip")))
_SUBJECTS = select(testdata_subjects).where(_subjects.nip.in_(bindparam("nips", expanding=True)))


class TestDataRepository:
    __test__ = False

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- subjects ---------------------------------------------------------------------------------------------------

    def subject(self, nip: str) -> TestSubject | None:
        row = _SUBJECT.execute(self._connection, {"nip": nip}).first()
        return TestSubject(**row._asdict()) if row is not None else None

    def subjects(self, nips: Iterable[str]) -> list[TestSubject]:
        rows = self._connection.execute(_SUBJECTS, {"nips": list(nips)})
        return [TestSubject(**row._mapping) for row in rows]

    def subunits(self, parent_nip: str) -> list[TestSubject]:
        """The subunits of a subject (VAT group members, subordinate local government units), by NIP."""
        rows = self._connection.execute(
            select(testdata_subjects).where(_subjects.parent_nip == parent_nip).order_by(_subjects.nip)
        )
        return [TestSubject(**row._mapping) for row in rows]

    def add_subjects(self, subjects: Sequence[TestSubject]) -> None:
        self._connection.execute(
            testdata_subjects.insert(),
            [
                {
                    "nip": s.nip,
                    "subject_type": s.subject_type,
                    "description": s.description,
                    "parent_nip": s.parent_nip,
                    "created_date": s.created_date,
                }
                for s in subjects
            ],
        )

    def remove_subject(self, nip: str) -> int:
        """Remove a subject and its subunits; returns how many rows went."""
        subunits = self._connection.execute(delete(testdata_subjects).where(testdata_subjects.c.parent_nip == nip))
        subject = self._connection.execute(delete(testdata_subjects).where(testdata_subjects.c.nip == nip))
        return subunits.rowcount + subject.rowcount

    # --- persons ----------------------------------------------------------------------------------------------------

    def person(self, nip: str) -> TestPerson | None:
        row = _PERSON.execute(self._connection, {"nip": nip}).first()
        return TestPerson(**row._asdict()) if row is not None else None

    def persons_with_pesel(self, pesel: str) -> list[TestPerson]:
        rows = _PERSONS_WITH_PESEL.execute(self._connection, {"pesel": pesel}).rows
        return [TestPerson(**row._asdict()) for row in rows]

    def put_person(self, person: TestPerson) -> None:
        """Insert or replace the person with this NIP."""
        values = {
            "nip": person.nip,
            "pesel": person.pesel,
            "is_bailiff": person.is_bailiff,
            "is_deceased": person.is_deceased,
            "description": person.description,
            "created_date": person.created_date,
        }
        statement = upsert(self._connection, testdata_persons).values(**values)
        self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[testdata_persons.c.nip], set_={k: v for k, v in values.items() if k != "nip"}
            )
        )

    def remove_person(self, nip: str) -> TestPerson | None:
        person = self.person(nip)
        if person is not None:
            self._connection.execute(delete(testdata_persons).where(testdata_persons.c.nip == nip))
        return person
