"""The sandbox's answer to "who may act in a context, and with which permissions" (the login flow's
`PermissionResolver`, until the permissions domain brings its own).

The rules (`uwierzytelnianie.md`, `dane-testowe-scenariusze.md`):
- the owner of a NIP (subject NIP = context NIP) holds `Owner` in that NIP's context;
- a PESEL bound to a NIP (a `/testdata/person`, e.g. a sole trader) is an owner of that NIP's context too, and a
  bailiff person additionally holds `EnforcementOperations`;
- anyone else holds what was granted to them in the context (`permission_grants`: test data now, the permissions
  module later) — a NIP, a PESEL or a certificate fingerprint.
A subject with nothing in the context cannot log in there (status 415).

The composition root installs it as `components.permissions`; a permissions domain replaces it there.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.hooks import Standing
from ksef_mcu.server.auth.model import ContextPermissions, Permission
from ksef_mcu.server.permissions.model import EntityRole
from ksef_mcu.server.permissions.repository import PermissionGrantRepository
from ksef_mcu.server.testdata.repository import TestDataRepository, TestPerson

# `/testdata/subject` types → the entity roles real KSeF reports for such contexts (and for their subunits).
_SUBJECT_ROLES = {
    "EnforcementAuthority": ("EnforcementAuthority", "EnforcementAuthority"),
    "VatGroup": ("VatGroupUnit", "VatGroupSubUnit"),
    "JST": ("LocalGovernmentUnit", "LocalGovernmentSubUnit"),
}


class TestDataPermissionResolver:
    """`PermissionResolver`: owner rule + NIP–PESEL bindings from test data + explicit grants."""

    def standing(
        self, connection: Connection, context: ContextIdentifier, subject: SubjectIdentifier, *, complete: bool = True
    ) -> Standing:
        testdata = TestDataRepository(connection)
        persons: dict[str, TestPerson | None] = {}

        def person(nip: str) -> TestPerson | None:
            # An owner's NIP is both the subject and the context: one lookup serves the two questions.
            if nip not in persons:
                persons[nip] = testdata.person(nip)
            return persons[nip]

        if self._is_deceased(testdata, subject, person):
            return Standing(deceased=True, permissions=None)
        return Standing(
            deceased=False,
            permissions=self._resolve(
                connection, testdata, context, subject, complete=complete, person_with_nip=person
            ),
        )

    @staticmethod
    def _is_deceased(
        testdata: TestDataRepository, subject: SubjectIdentifier, person: Callable[[str], TestPerson | None]
    ) -> bool:
        if subject.type is SubjectIdentifierType.PESEL:
            return any(found.is_deceased for found in testdata.persons_with_pesel(subject.value))
        if subject.type is SubjectIdentifierType.NIP:
            found = person(subject.value)
            return found is not None and found.is_deceased
        return False

    def _resolve(
        self,
        connection: Connection,
        testdata: TestDataRepository,
        context: ContextIdentifier,
        subject: SubjectIdentifier,
        *,
        complete: bool,
        person_with_nip: Callable[[str], TestPerson | None],
    ) -> ContextPermissions | None:
        owns_nip = subject.type is SubjectIdentifierType.NIP and subject.value == context.value
        if not complete and owns_nip and context.type is ContextIdentifierType.NIP:
            return ContextPermissions((Permission.OWNER,))
        permissions: list[Permission | str] = []
        roles: list[str] = []
        if context.type is ContextIdentifierType.NIP:
            person = person_with_nip(context.value)
            owner = owns_nip or (
                subject.type is SubjectIdentifierType.PESEL and person is not None and person.pesel == subject.value
            )
            if owner:
                permissions.append(Permission.OWNER)
                if person is not None and person.is_bailiff:
                    permissions.append(Permission.ENFORCEMENT_OPERATIONS)
            if person is not None and person.is_bailiff:
                roles.append("CourtBailiff")
            roles.extend(self._entity_roles(testdata, context.value))
        for granted in PermissionGrantRepository(connection).permissions_held(context, subject):
            if granted not in permissions:
                permissions.append(granted)
        if not permissions:
            return None
        return ContextPermissions(tuple(_permission(p) for p in permissions), tuple(roles))

    @staticmethod
    def _entity_roles(testdata: TestDataRepository, nip: str) -> list[str]:
        subject = testdata.subject(nip)
        if subject is None:
            return []
        if subject.parent_nip is None:
            return [_SUBJECT_ROLES.get(subject.subject_type, (subject.subject_type, ""))[0]]
        parent = testdata.subject(subject.parent_nip)
        parent_type = parent.subject_type if parent is not None else subject.subject_type
        return [_SUBJECT_ROLES.get(parent_type, (parent_type, parent_type))[1]]


def _permission(value: Permission | str) -> Permission:
    return value if isinstance(value, Permission) else Permission(value)


class TestDataEntityRegister:
    """The permissions module's `EntityRegister` from test data: court bailiffs (`/testdata/person` with
    `isBailiff`), enforcement authorities, VAT groups and local government units with their members
    (`/testdata/subject`)."""

    __test__ = False

    def roles(self, connection: Connection, nip: str) -> list[EntityRole]:
        testdata = TestDataRepository(connection)
        roles: list[EntityRole] = []
        person = testdata.person(nip)
        if person is not None and person.is_bailiff:
            roles.append(EntityRole("CourtBailiff", person.description, person.created_date))
        subject = testdata.subject(nip)
        if subject is not None:
            if subject.parent_nip is None:
                role = _SUBJECT_ROLES.get(subject.subject_type, (subject.subject_type, ""))[0]
                roles.append(EntityRole(role, subject.description, subject.created_date))
            else:
                parent = testdata.subject(subject.parent_nip)
                parent_type = parent.subject_type if parent is not None else subject.subject_type
                role = _SUBJECT_ROLES.get(parent_type, (parent_type, parent_type))[1]
                roles.append(EntityRole(role, subject.description, subject.created_date, parent_nip=subject.parent_nip))
        return roles

    def subordinates(self, connection: Connection, nip: str) -> list[EntityRole]:
        testdata = TestDataRepository(connection)
        parent = testdata.subject(nip)
        if parent is None:
            return []
        role = _SUBJECT_ROLES.get(parent.subject_type, (parent.subject_type, parent.subject_type))[1]
        return [
            EntityRole(role, unit.description, unit.created_date, parent_nip=nip, entity_nip=unit.nip)
            for unit in testdata.subunits(nip)
        ]


class TestDataBindings:
    """The tokens module's `SubjectBindings` from test data: a `/testdata/person`'s NIP and PESEL are one person."""

    __test__ = False

    def identities(self, connection: Connection, subject: SubjectIdentifier) -> list[SubjectIdentifier]:
        testdata = TestDataRepository(connection)
        found = [subject]
        if subject.type is SubjectIdentifierType.NIP:
            person = testdata.person(subject.value)
            if person is not None:
                found.append(SubjectIdentifier(SubjectIdentifierType.PESEL, person.pesel))
        elif subject.type is SubjectIdentifierType.PESEL:
            found.extend(
                SubjectIdentifier(SubjectIdentifierType.NIP, person.nip)
                for person in testdata.persons_with_pesel(subject.value)
            )
        return found
