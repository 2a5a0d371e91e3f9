"""Policy of the permissions module: who may grant or revoke what, the grant and revocation operations, and the
queries.

Every grant and revocation is an operation with a reference number (`GET /permissions/operations/{ref}`). It is
decided in the same unit of work that records it — the grants are written, or the refusal is recorded with its
status code — so the status is final as soon as the 202 is sent and survives a restart; status 100 never shows.
What the request itself gets wrong (identifiers, check digits, missing subject details) is refused at once with 21405,
like the official API; what depends on the caller's standing or on other grants becomes a failed status (410–450).

The queries filter in SQL by context and kind and page in Python (a context has at most hundreds of grants); an
indirect grant is reported `Inactive` while its intermediary holds no delegable grant it could pass on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.identifiers import (
    FINGERPRINT_PATTERN,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierType,
    internal_id_is_valid,
    nip_is_valid,
    nip_vat_ue_is_valid,
    peppol_id_is_valid,
    pesel_is_valid,
)
from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.errors import GoneError, InputValidationError
from ksef_mcu.server.permissions.consents import AttachmentConsentRepository, AttachmentConsentStatus
from ksef_mcu.server.permissions.model import (
    ALL_PARTNERS,
    EntityRole,
    GrantKind,
    GrantRecord,
    GrantSource,
    Identifier,
    ListedGrant,
    NewGrant,
    OperationKind,
    OperationOutcome,
    OperationRecord,
    OperationStatusCode,
    Page,
    PermissionState,
)
from ksef_mcu.server.permissions.repository import (
    GrantFilter,
    PermissionGrantRepository,
    PermissionOperationRepository,
)
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.storage.database import Database

OPERATION_RETENTION = timedelta(days=30)
"""How long `GET /permissions/operations/{ref}` answers (then 410, and housekeeping deletes the operation)."""


class EntityRegister(Protocol):
    """The register of special entities (bailiffs, enforcement authorities, VAT groups, local government units) and
    their subordinate entities; in the sandbox, test data."""

    def roles(self, connection: Connection, nip: str) -> list[EntityRole]:
        """The roles of the entity with this NIP (`entity_nip` None, `parent_nip` set for a subordinate entity)."""
        ...

    def subordinates(self, connection: Connection, nip: str) -> list[EntityRole]:
        """The roles of the entities subordinate to this NIP (`entity_nip` names each)."""
        ...


class NoEntityRegister:
    """No special entities (a server without test data)."""

    def roles(self, connection: Connection, nip: str) -> list[EntityRole]:
        return []

    def subordinates(self, connection: Connection, nip: str) -> list[EntityRole]:
        return []


@dataclass(frozen=True, slots=True)
class SubjectInput:
    """Who receives a grant, as the request names them (`subjectIdentifier`) with the stored details."""

    type: str
    value: str
    details: dict[str, object]


@dataclass(frozen=True, slots=True)
class TargetInput:
    type: str
    value: str | None


# --- identifier checks (21405) --------------------------------------------------------------------------------------


def checked_subject(type_: str, value: str, *, field: str = "subjectIdentifier") -> Identifier:
    """The identifier, checked: NIP and PESEL with their check digits, a fingerprint as 64 hex digits (upper-cased),
    a Peppol id in its format. Raises 21405."""
    if type_ == SubjectIdentifierType.NIP and not nip_is_valid(value):
        raise InputValidationError(f"{field}: {value!r} nie jest prawidłowym numerem NIP (cyfra kontrolna).")
    if type_ == SubjectIdentifierType.PESEL and not pesel_is_valid(value):
        raise InputValidationError(f"{field}: {value!r} nie jest prawidłowym numerem PESEL (cyfra kontrolna).")
    if type_ == SubjectIdentifierType.FINGERPRINT:
        if not FINGERPRINT_PATTERN.fullmatch(value):
            raise InputValidationError(
                f"{field}: odcisk palca certyfikatu to 64 cyfry szesnastkowe (SHA-256), a podano {value!r}."
            )
        value = value.upper()
    if type_ == ContextIdentifierType.PEPPOL_ID and not peppol_id_is_valid(value):
        raise InputValidationError(f"{field}: {value!r} nie jest prawidłowym identyfikatorem Peppol.")
    return Identifier(type_, value)


def _checked_context(type_: str, value: str, *, field: str) -> Identifier:
    valid = {
        ContextIdentifierType.NIP.value: nip_is_valid,
        ContextIdentifierType.INTERNAL_ID.value: internal_id_is_valid,
        ContextIdentifierType.NIP_VAT_UE.value: nip_vat_ue_is_valid,
    }[type_]
    if not valid(value):
        raise InputValidationError(f"{field}: {value!r} nie jest prawidłowym identyfikatorem typu {type_}.")
    return Identifier(type_, value)


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value in seen:
            raise InputValidationError(f"permissions: uprawnienie {value} podano więcej niż raz.")
        seen.append(value)
    if not seen:
        raise InputValidationError("permissions: podaj co najmniej jedno uprawnienie.")
    return seen


def _outcome(code: OperationStatusCode, *details: str) -> OperationOutcome:
    return OperationOutcome(code, tuple(details))


_SUCCEEDED = OperationOutcome(OperationStatusCode.SUCCEEDED)

Decision = tuple[OperationOutcome, list[NewGrant]]


class PermissionService:
    """Grants, revocations, operations and queries. Stateless; every method is one unit of work."""

    def __init__(self, database: Database, clock: Clock, *, register: EntityRegister | None = None) -> None:
        self._database = database
        self._clock = clock
        self._register: EntityRegister = register or NoEntityRegister()

    # --- operations ---------------------------------------------------------------------------------------------

    def _run(
        self,
        principal: Principal,
        kind: OperationKind,
        grant_kind: GrantKind,
        decide: Callable[[Connection], Decision | tuple[OperationOutcome, list[str]]],
    ) -> str:
        now = self._clock.now()
        reference_number = new_reference_number(ReferenceKind.PERMISSION_OPERATION, now=now)
        with self._database.write() as connection:
            outcome, work = decide(connection)
            permission_ids: list[str] = []
            if outcome.code is OperationStatusCode.SUCCEEDED:
                if kind is OperationKind.GRANT:
                    grants = [item for item in work if isinstance(item, NewGrant)]
                    permission_ids = PermissionGrantRepository(connection).add(grants, source=GrantSource.API, now=now)
                else:
                    permission_ids = [item for item in work if isinstance(item, str)]
            PermissionOperationRepository(connection).add(
                OperationRecord(
                    reference_number=reference_number,
                    context=Identifier.of(principal.context),
                    kind=kind,
                    grant_kind=grant_kind,
                    created_at=now,
                    outcome=outcome,
                    permission_ids=tuple(permission_ids),
                )
            )
        return reference_number

    def operation(self, principal: Principal, reference_number: str) -> OperationRecord:
        """The status of an operation started in the caller's context. Raises 21405 (unknown) or 410 (expired)."""
        with self._database.read() as connection:
            record = PermissionOperationRepository(connection).get(reference_number)
        if record is None or record.context != Identifier.of(principal.context):
            raise InputValidationError(
                f"Operacja o numerze referencyjnym {reference_number} nie istnieje w bieżącym kontekście.",
                reference_number=reference_number,
            )
        if record.created_at + OPERATION_RETENTION < self._clock.now():
            raise GoneError()
        return record

    def purge_expired(self) -> int:
        """Delete operations past their retention; returns how many went."""
        with self._database.write() as connection:
            return PermissionOperationRepository(connection).purge(
                created_before=self._clock.now() - OPERATION_RETENTION
            )

    # --- who may give what -------------------------------------------------------------------------------------

    @staticmethod
    def _missing(principal: Principal, requested: Iterable[str]) -> OperationOutcome | None:
        missing = [permission for permission in requested if permission not in principal.permissions]
        if not missing:
            return None
        return _outcome(
            OperationStatusCode.NOT_PERMITTED,
            f"Nie można nadać uprawnień, których nie posiadasz w bieżącym kontekście: {', '.join(missing)}.",
        )

    @staticmethod
    def _context_must_be(principal: Principal, *types: ContextIdentifierType) -> OperationOutcome | None:
        if principal.context.type in types:
            return None
        allowed = ", ".join(t.value for t in types)
        return _outcome(
            OperationStatusCode.CONTEXT_MISMATCH,
            f"Operacja jest dostępna w kontekście typu {allowed}, "
            f"a bieżący kontekst to {principal.context.type.value}.",
        )

    # --- grants -------------------------------------------------------------------------------------------------

    def grant_to_person(
        self, principal: Principal, subject: SubjectInput, permissions: Sequence[str], description: str
    ) -> str:
        """`POST /permissions/persons/grants`."""
        authorized = checked_subject(subject.type, subject.value)
        requested = _unique(permissions)
        here = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)

        def decide(_connection: Connection) -> Decision:
            refusal = self._context_must_be(
                principal, ContextIdentifierType.NIP, ContextIdentifierType.INTERNAL_ID
            ) or self._missing(principal, requested)
            if refusal is not None:
                return refusal, []
            return _SUCCEEDED, [
                NewGrant(GrantKind.PERSON, here, here, author, authorized, p, description, details=subject.details)
                for p in requested
            ]

        return self._run(principal, OperationKind.GRANT, GrantKind.PERSON, decide)

    def grant_to_entity(
        self,
        principal: Principal,
        subject: SubjectInput,
        permissions: Sequence[tuple[str, bool]],
        description: str,
    ) -> str:
        """`POST /permissions/entities/grants`: invoice permissions for another entity, optionally delegable."""
        authorized = checked_subject(subject.type, subject.value)
        requested = _unique(permission for permission, _ in permissions)
        delegable = dict(permissions)
        here = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)

        def decide(_connection: Connection) -> Decision:
            refusal = self._context_must_be(
                principal, ContextIdentifierType.NIP, ContextIdentifierType.INTERNAL_ID
            ) or self._missing(principal, requested)
            if refusal is not None:
                return refusal, []
            if authorized.value == principal.context.nip:
                return _outcome(
                    OperationStatusCode.IDENTIFIER_NOT_ALLOWED,
                    "Podmiot nie może nadać uprawnień do obsługi faktur samemu sobie.",
                ), []
            return _SUCCEEDED, [
                NewGrant(
                    GrantKind.ENTITY, here, here, author, authorized, p, description, delegable[p], subject.details
                )
                for p in requested
            ]

        return self._run(principal, OperationKind.GRANT, GrantKind.ENTITY, decide)

    def grant_authorization(
        self, principal: Principal, subject: SubjectInput, permission: str, description: str
    ) -> str:
        """`POST /permissions/authorizations/grants`: self-invoicing, RR invoicing, tax representative, PEF."""
        authorized = checked_subject(subject.type, subject.value)
        here = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)

        def decide(_connection: Connection) -> Decision:
            refusal = self._context_must_be(principal, ContextIdentifierType.NIP)
            if refusal is not None:
                return refusal, []
            if authorized.value == principal.context.value:
                return _outcome(
                    OperationStatusCode.IDENTIFIER_NOT_ALLOWED, "Podmiot nie może upoważnić samego siebie."
                ), []
            grant = NewGrant(
                GrantKind.AUTHORIZATION, here, here, author, authorized, permission, description, False, subject.details
            )
            return _SUCCEEDED, [grant]

        return self._run(principal, OperationKind.GRANT, GrantKind.AUTHORIZATION, decide)

    def grant_indirectly(
        self,
        principal: Principal,
        subject: SubjectInput,
        target: TargetInput | None,
        permissions: Sequence[str],
        description: str,
    ) -> str:
        """`POST /permissions/indirect/grants`: the intermediary (the caller's context) passes on invoice
        permissions it received with `canDelegate` — for one client (`targetIdentifier` Nip/InternalId) or for all
        (`AllPartners` or no target)."""
        authorized = checked_subject(subject.type, subject.value)
        requested = _unique(permissions)
        if target is None or target.type == ALL_PARTNERS:
            where = Identifier(ALL_PARTNERS, "")
        else:
            if not target.value:
                raise InputValidationError("targetIdentifier.value: podaj identyfikator podmiotu docelowego.")
            where = _checked_context(target.type, target.value, field="targetIdentifier")
        intermediary = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)

        def decide(connection: Connection) -> Decision:
            refusal = self._context_must_be(principal, ContextIdentifierType.NIP)
            if refusal is not None:
                return refusal, []
            if where.value.split("-", 1)[0] == intermediary.value:
                return _outcome(
                    OperationStatusCode.RELATION_NOT_ALLOWED,
                    "Podmiot docelowy nie może być podmiotem pośredniczącym: nadaj uprawnienie bezpośrednio.",
                ), []
            delegable = PermissionGrantRepository(connection).delegable([intermediary])
            if where.type == ALL_PARTNERS:
                missing = [p for p in requested if not any(entry[3] == p for entry in delegable)]
            else:
                missing = [p for p in requested if (intermediary.value, where.type, where.value, p) not in delegable]
            if missing:
                scope = "od żadnego klienta" if where.type == ALL_PARTNERS else f"od podmiotu {where.value}"
                return _outcome(
                    OperationStatusCode.CONTEXT_MISMATCH,
                    f"Podmiot {intermediary.value} nie otrzymał {scope} uprawnień z prawem do dalszego przekazywania: "
                    f"{', '.join(missing)}.",
                ), []
            return _SUCCEEDED, [
                NewGrant(
                    GrantKind.INDIRECT, where, intermediary, author, authorized, p, description, False, subject.details
                )
                for p in requested
            ]

        return self._run(principal, OperationKind.GRANT, GrantKind.INDIRECT, decide)

    def grant_subunit_administrator(
        self,
        principal: Principal,
        subject: SubjectInput,
        subunit: Identifier,
        subunit_name: str | None,
        description: str,
    ) -> str:
        """`POST /permissions/subunits/grants`: CredentialsManage in a subunit (InternalId of the caller's NIP) or
        in a subordinate entity (Nip, for a VAT group or local government unit)."""
        authorized = checked_subject(subject.type, subject.value)
        target = _checked_context(subunit.type, subunit.value, field="contextIdentifier")
        if target.type == ContextIdentifierType.INTERNAL_ID and not subunit_name:
            raise InputValidationError("subunitName: nazwa jednostki podrzędnej jest wymagana dla InternalId.")
        parent = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)
        details = {**subject.details, **({"subunitName": subunit_name} if subunit_name else {})}

        def decide(connection: Connection) -> Decision:
            refusal = self._context_must_be(principal, ContextIdentifierType.NIP)
            if refusal is not None:
                return refusal, []
            if target.type == ContextIdentifierType.INTERNAL_ID and target.value.split("-")[0] != parent.value:
                return _outcome(
                    OperationStatusCode.INCONSISTENT_IDENTIFIERS,
                    f"Identyfikator wewnętrzny {target.value} nie należy do podmiotu {parent.value}.",
                ), []
            if target.type == ContextIdentifierType.NIP:
                subordinates = {role.entity_nip for role in self._register.subordinates(connection, parent.value)}
                if target.value not in subordinates:
                    return _outcome(
                        OperationStatusCode.RELATION_NOT_ALLOWED,
                        f"Podmiot {target.value} nie jest podmiotem podrzędnym podmiotu {parent.value}.",
                    ), []
            grant = NewGrant(
                GrantKind.SUBUNIT, target, parent, author, authorized, "CredentialsManage", description, False, details
            )
            return _SUCCEEDED, [grant]

        return self._run(principal, OperationKind.GRANT, GrantKind.SUBUNIT, decide)

    def grant_eu_administrator(
        self,
        principal: Principal,
        subject: SubjectInput,
        context: Identifier,
        description: str,
        extra: dict[str, object],
    ) -> str:
        """`POST /permissions/eu-entities/administration/grants`: VatUeManage in the NIP-VAT UE context of the
        caller's NIP and an EU entity."""
        authorized = checked_subject(subject.type, subject.value)
        target = _checked_context(context.type, context.value, field="contextIdentifier")
        here = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)

        def decide(_connection: Connection) -> Decision:
            refusal = self._context_must_be(principal, ContextIdentifierType.NIP)
            if refusal is not None:
                return refusal, []
            if target.value.split("-", 1)[0] != here.value:
                return _outcome(
                    OperationStatusCode.INCONSISTENT_IDENTIFIERS,
                    f"Kontekst {target.value} nie zaczyna się od numeru NIP bieżącego kontekstu ({here.value}).",
                ), []
            details = {**subject.details, **extra}
            grant = NewGrant(
                GrantKind.EU_ADMINISTRATOR, target, here, author, authorized, "VatUeManage", description, False, details
            )
            return _SUCCEEDED, [grant]

        return self._run(principal, OperationKind.GRANT, GrantKind.EU_ADMINISTRATOR, decide)

    def grant_eu_representative(
        self, principal: Principal, subject: SubjectInput, permissions: Sequence[str], description: str
    ) -> str:
        """`POST /permissions/eu-entities/grants`: invoice permissions for an EU entity's representative."""
        authorized = checked_subject(subject.type, subject.value)
        requested = _unique(permissions)
        here = Identifier.of(principal.context)
        author = Identifier.of(principal.subject)

        def decide(_connection: Connection) -> Decision:
            refusal = self._context_must_be(principal, ContextIdentifierType.NIP_VAT_UE)
            if refusal is not None:
                return refusal, []
            return _SUCCEEDED, [
                NewGrant(
                    GrantKind.EU_REPRESENTATIVE, here, here, author, authorized, p, description, False, subject.details
                )
                for p in requested
            ]

        return self._run(principal, OperationKind.GRANT, GrantKind.EU_REPRESENTATIVE, decide)

    # --- revocations --------------------------------------------------------------------------------------------

    def revoke(self, principal: Principal, permission_id: str, *, authorization: bool = False) -> str:
        """`DELETE /permissions/common/grants/{id}` (or `/authorizations/grants/{id}` with `authorization`)."""
        here = Identifier.of(principal.context)
        grant_kind = GrantKind.AUTHORIZATION if authorization else GrantKind.PERSON

        def decide(connection: Connection) -> tuple[OperationOutcome, list[str]]:
            repository = PermissionGrantRepository(connection)
            record = repository.get(permission_id)
            if record is None or not _revocable_in(record, here):
                return _outcome(
                    OperationStatusCode.FAILED,
                    f"Uprawnienie o identyfikatorze {permission_id} nie istnieje w bieżącym kontekście.",
                ), []
            if (record.kind is GrantKind.AUTHORIZATION) != authorization:
                endpoint = "/permissions/authorizations/grants" if not authorization else "/permissions/common/grants"
                return _outcome(
                    OperationStatusCode.IDENTIFIER_NOT_ALLOWED,
                    f"Tego rodzaju uprawnienie odbiera się przez DELETE {endpoint}/{{permissionId}}.",
                ), []
            needed = {
                GrantKind.SUBUNIT: ("SubunitManage", "CredentialsManage"),
                GrantKind.EU_REPRESENTATIVE: ("VatUeManage",),
            }.get(record.kind, ("CredentialsManage",))
            if not any(permission in principal.permissions for permission in needed):
                return _outcome(
                    OperationStatusCode.NOT_PERMITTED,
                    f"Do odebrania tego uprawnienia potrzebne jest jedno z: {', '.join(needed)}.",
                ), []
            if not repository.delete(permission_id):  # another revocation got there first
                return _outcome(
                    OperationStatusCode.FAILED, f"Uprawnienie o identyfikatorze {permission_id} zostało już odebrane."
                ), []
            return _SUCCEEDED, [permission_id]

        return self._run(principal, OperationKind.REVOKE, grant_kind, decide)

    def granted(self, principal: Principal, permission_id: str) -> ListedGrant | None:
        """One grant as revocation sees it — granted in the caller's context (an EU representative's also in its
        NipVatUe context) — or None (unknown, or another context's)."""
        here = Identifier.of(principal.context)
        with self._database.read() as connection:
            record = PermissionGrantRepository(connection).get(permission_id)
            if record is None or not _revocable_in(record, here):
                return None
            return self._listed(connection, [record])[0]

    # --- queries ------------------------------------------------------------------------------------------------

    def _listed(self, connection: Connection, records: Sequence[GrantRecord]) -> list[ListedGrant]:
        intermediaries = {r.grantor for r in records if r.kind is GrantKind.INDIRECT}
        delegable = PermissionGrantRepository(connection).delegable(intermediaries) if intermediaries else set()
        listed = []
        for record in records:
            state = PermissionState.ACTIVE
            if record.kind is GrantKind.INDIRECT:
                if record.context.type == ALL_PARTNERS:
                    active = any(e[0] == record.grantor.value and e[3] == record.permission_type for e in delegable)
                else:
                    key = (record.grantor.value, record.context.type, record.context.value, record.permission_type)
                    active = key in delegable
                state = PermissionState.ACTIVE if active else PermissionState.INACTIVE
            listed.append(ListedGrant(record, state))
        return listed

    @staticmethod
    def _page(items: list[ListedGrant], *, page_offset: int, page_size: int) -> Page:
        start = page_offset * page_size
        return Page(items[start : start + page_size], len(items) > start + page_size)

    def _query(
        self,
        criteria: Sequence[GrantFilter],
        keep: Callable[[ListedGrant], bool],
        *,
        page_offset: int,
        page_size: int,
    ) -> Page:
        with self._database.read() as connection:
            repository = PermissionGrantRepository(connection)
            found: dict[str, GrantRecord] = {}
            for single in criteria:
                for record in repository.find(single):
                    found.setdefault(record.permission_id, record)
            records = sorted(found.values(), key=lambda r: r.permission_id)
            records.sort(key=lambda r: r.granted_at, reverse=True)
            listed = [item for item in self._listed(connection, records) if keep(item)]
        return self._page(listed, page_offset=page_offset, page_size=page_size)

    def query_personal(
        self,
        principal: Principal,
        *,
        context: Identifier | None,
        target: Identifier | None,
        permission_types: Collection[str] | None,
        state: PermissionState | None,
        page_offset: int,
        page_size: int,
    ) -> Page:
        """`POST /permissions/query/personal/grants`: the caller's own permissions — granted to them in the current
        context, by an intermediary whose context or target is the current one, and (for the owner) the invoice
        permissions other entities granted to the current context's NIP."""
        me = Identifier.of(principal.subject)
        here = Identifier.of(principal.context)
        criteria = [
            GrantFilter(authorized=me, context=here, kinds=_PERSONAL_KINDS),
            GrantFilter(authorized=me, grantor=here, kinds=(GrantKind.INDIRECT,)),
            GrantFilter(authorized=me, kinds=(GrantKind.INDIRECT,), context=here),
        ]
        if principal.subject.type is SubjectIdentifierType.NIP and principal.subject.value == principal.context.value:
            criteria.append(GrantFilter(authorized=Identifier("Nip", here.value), kinds=(GrantKind.ENTITY,)))

        def keep(item: ListedGrant) -> bool:
            record = item.record
            shown_context = record.grantor if record.kind is GrantKind.INDIRECT else record.context
            shown_target = record.context if record.kind is GrantKind.INDIRECT else None
            return (
                (context is None or shown_context == context)
                and (target is None or _target_matches(shown_target, target))
                and (permission_types is None or record.permission_type in permission_types)
                and (state is None or item.state is state)
            )

        return self._query(criteria, keep, page_offset=page_offset, page_size=page_size)

    def query_persons(
        self,
        principal: Principal,
        *,
        granted_here: bool,
        author: Identifier | None,
        authorized: Identifier | None,
        context: Identifier | None,
        target: Identifier | None,
        permission_types: Collection[str] | None,
        state: PermissionState | None,
        page_offset: int,
        page_size: int,
    ) -> Page:
        """`POST /permissions/query/persons/grants`: person permissions acting in the current context
        (`PermissionsInCurrentContext`) or granted in it (`PermissionsGrantedInCurrentContext`, with indirect ones)."""
        here = Identifier.of(principal.context)
        if granted_here:
            criteria = [GrantFilter(grantor=here, kinds=(GrantKind.PERSON, GrantKind.INDIRECT))]
        else:
            criteria = [
                GrantFilter(context=here, kinds=(GrantKind.PERSON, GrantKind.INDIRECT)),
            ]

        def keep(item: ListedGrant) -> bool:
            record = item.record
            shown_context = record.grantor if record.kind is GrantKind.INDIRECT else record.context
            shown_target = record.context if record.kind is GrantKind.INDIRECT else None
            return (
                (author is None or _author_matches(record.author, author))
                and (authorized is None or record.authorized == authorized)
                and (context is None or shown_context == context)
                and (target is None or _target_matches(shown_target, target))
                and (permission_types is None or record.permission_type in permission_types)
                and (state is None or item.state is state)
            )

        return self._query(criteria, keep, page_offset=page_offset, page_size=page_size)

    def query_subunits(
        self, principal: Principal, *, subunit: Identifier | None, page_offset: int, page_size: int
    ) -> Page:
        """`POST /permissions/query/subunits/grants`: administrators of the caller's subunits."""
        here = Identifier.of(principal.context)
        criteria = [GrantFilter(grantor=here, kinds=(GrantKind.SUBUNIT,))]
        return self._query(
            criteria,
            lambda item: subunit is None or item.record.context == subunit,
            page_offset=page_offset,
            page_size=page_size,
        )

    def query_entities(
        self, principal: Principal, *, context: Identifier | None, page_offset: int, page_size: int
    ) -> Page:
        """`POST /permissions/query/entities/grants`: invoice permissions other entities gave the current one."""
        me = Identifier("Nip", principal.context.nip or principal.context.value)
        criteria = [GrantFilter(authorized=me, kinds=(GrantKind.ENTITY,))]
        return self._query(
            criteria,
            lambda item: context is None or item.record.context == context,
            page_offset=page_offset,
            page_size=page_size,
        )

    def query_granted_entities(
        self,
        principal: Principal,
        *,
        authorized: Identifier | None,
        permission_types: Collection[str] | None,
        page_offset: int,
        page_size: int,
    ) -> Page:
        """The invoice permissions the current context gave other entities (`/permissions/entities/grants`), for the
        MCU's "Uprawnienia nadane" (the API has no query of its own for them)."""
        here = Identifier.of(principal.context)
        criteria = [GrantFilter(grantor=here, kinds=(GrantKind.ENTITY,))]
        return self._query(
            criteria,
            lambda item: (
                (authorized is None or item.record.authorized == authorized)
                and (permission_types is None or item.record.permission_type in permission_types)
            ),
            page_offset=page_offset,
            page_size=page_size,
        )

    def query_authorizations(
        self,
        principal: Principal,
        *,
        received: bool,
        authorizing: Identifier | None,
        authorized: Identifier | None,
        permission_types: Collection[str] | None,
        page_offset: int,
        page_size: int,
    ) -> Page:
        """`POST /permissions/query/authorizations/grants` (`Granted` by the current context, or `Received`)."""
        here = Identifier.of(principal.context)
        if received:
            criteria = [GrantFilter(authorized=Identifier("Nip", here.value), kinds=(GrantKind.AUTHORIZATION,))]
        else:
            criteria = [GrantFilter(grantor=here, kinds=(GrantKind.AUTHORIZATION,))]
        return self._query(
            criteria,
            lambda item: (
                (authorizing is None or item.record.context == authorizing)
                and (authorized is None or item.record.authorized == authorized)
                and (permission_types is None or item.record.permission_type in permission_types)
            ),
            page_offset=page_offset,
            page_size=page_size,
        )

    def query_eu_entities(
        self,
        principal: Principal,
        *,
        vat_ue: str | None,
        fingerprint: str | None,
        permission_types: Collection[str] | None,
        page_offset: int,
        page_size: int,
    ) -> Page:
        """`POST /permissions/query/eu-entities/grants`: EU administrators the current NIP appointed, and the
        administrators and representatives of the current NIP-VAT UE context."""
        here = Identifier.of(principal.context)
        criteria = [
            GrantFilter(grantor=here, kinds=(GrantKind.EU_ADMINISTRATOR,)),
            GrantFilter(context=here, kinds=(GrantKind.EU_ADMINISTRATOR, GrantKind.EU_REPRESENTATIVE)),
        ]
        wanted_fingerprint = fingerprint.upper() if fingerprint else None
        return self._query(
            criteria,
            lambda item: (
                (vat_ue is None or item.record.context.value.split("-", 1)[-1] == vat_ue)
                and (wanted_fingerprint is None or item.record.authorized.value == wanted_fingerprint)
                and (permission_types is None or item.record.permission_type in permission_types)
            ),
            page_offset=page_offset,
            page_size=page_size,
        )

    def entity_roles(self, principal: Principal, *, page_offset: int, page_size: int) -> tuple[list[EntityRole], bool]:
        """`GET /permissions/query/entities/roles`: the roles of the current context's entity."""
        nip = principal.context.nip
        with self._database.read() as connection:
            roles = self._register.roles(connection, nip) if nip else []
        start = page_offset * page_size
        return roles[start : start + page_size], len(roles) > start + page_size

    def subordinate_roles(
        self, principal: Principal, *, subordinate: str | None, page_offset: int, page_size: int
    ) -> tuple[list[EntityRole], bool]:
        """`POST /permissions/query/subordinate-entities/roles`: the entities subordinate to the current one."""
        nip = principal.context.nip
        with self._database.read() as connection:
            roles = self._register.subordinates(connection, nip) if nip else []
        roles = [role for role in roles if subordinate is None or role.entity_nip == subordinate]
        start = page_offset * page_size
        return roles[start : start + page_size], len(roles) > start + page_size

    # --- invoices with attachments ----------------------------------------------------------------------------------

    def attachment_status(self, principal: Principal) -> AttachmentConsentStatus:
        """`GET /permissions/attachments/status`: the current context's consent to issue invoices with attachments."""
        with self._database.read() as connection:
            consent = AttachmentConsentRepository(connection).get(principal.context)
        return AttachmentConsentStatus.of(consent, self._clock.now())

    def attachments_allowed(self, connection: Connection, context: ContextIdentifier) -> bool:
        """Whether invoices with attachments may be issued in `context` now (read in the caller's unit of work)."""
        consent = AttachmentConsentRepository(connection).get(context)
        return AttachmentConsentStatus.of(consent, self._clock.now()).allowed

    # --- who may invoice for whom (the public KOD II check) --------------------------------------------------------

    def seller_relation(self, connection: Connection, context: ContextIdentifier, seller_nip: str) -> str | None:
        """Why invoices issued in `context` may name `seller_nip` as the seller (`Podmiot1`), in Polish; None when
        nothing lets them. Read in the caller's unit of work (`kody-qr.md`, KOD II step 4):

        - the context is the seller's own: its NIP, one of its internal identifiers (`NIP-xxxxx`), or its NIP-VAT UE
          pair;
        - the seller authorized the context's entity (`/permissions/authorizations/grants`: SelfInvoicing,
          RRInvoicing, TaxRepresentative, PefInvoicing for a Peppol provider);
        - one is the other's subordinate entity in the register (VAT group, local government unit).
        """
        if context.nip == seller_nip:
            return {
                ContextIdentifierType.NIP: "Kontekst jest kontekstem sprzedawcy (ten sam NIP).",
                ContextIdentifierType.INTERNAL_ID: "Kontekst jest identyfikatorem wewnętrznym jednostki sprzedawcy.",
                ContextIdentifierType.NIP_VAT_UE: "Kontekst jest kontekstem NIP-VAT UE sprzedawcy.",
            }.get(context.type, "Kontekst jest kontekstem sprzedawcy.")
        if context.type in (ContextIdentifierType.NIP, ContextIdentifierType.PEPPOL_ID):
            authorizations = PermissionGrantRepository(connection).find(
                GrantFilter(
                    kinds=(GrantKind.AUTHORIZATION,),
                    context=Identifier(ContextIdentifierType.NIP.value, seller_nip),
                    authorized=Identifier(context.type.value, context.value),
                )
            )
            if authorizations:
                kinds = ", ".join(sorted({record.permission_type for record in authorizations}))
                return f"Sprzedawca upoważnił podmiot kontekstu do wystawiania faktur w swoim imieniu ({kinds})."
        if context.type is ContextIdentifierType.NIP:
            related = any(role.parent_nip == context.value for role in self._register.roles(connection, seller_nip))
            related = related or any(
                role.parent_nip == seller_nip for role in self._register.roles(connection, context.value)
            )
            if related:
                return "Sprzedawca i podmiot kontekstu należą do jednej grupy (jednostka nadrzędna i podrzędna)."
        return None


_PERSONAL_KINDS = (
    GrantKind.PERSON,
    GrantKind.SUBUNIT,
    GrantKind.EU_ADMINISTRATOR,
    GrantKind.EU_REPRESENTATIVE,
)


def _revocable_in(record: GrantRecord, here: Identifier) -> bool:
    """Whether a grant can be seen for revocation from the context `here`: the one it was granted in, and for an EU
    representative also its NipVatUe context."""
    return record.grantor == here or (record.kind is GrantKind.EU_REPRESENTATIVE and record.context == here)


def _target_matches(shown: Identifier | None, wanted: Identifier) -> bool:
    if shown is None:
        return False
    if wanted.type == ALL_PARTNERS:
        return shown.type == ALL_PARTNERS
    return shown == wanted


def _author_matches(author: Identifier, wanted: Identifier) -> bool:
    if wanted.type == "System":
        return author.type == "System"
    return author == wanted
