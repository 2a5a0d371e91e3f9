"""Vocabulary of the permissions domain: the kinds of grants, the records services and repositories exchange, and the
statuses of grant and revocation operations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_mcu.identifiers import ContextIdentifier, SubjectIdentifier


@dataclass(frozen=True, slots=True)
class Grant:
    """One permission granted in a context, with the grantor's description (what `/testdata/permissions` sends)."""

    permission_type: str
    description: str


class GrantKind(enum.StrEnum):
    """Which API family a grant belongs to (it decides where the grant acts and who may see or revoke it)."""

    PERSON = "person"
    """`/permissions/persons/grants` (and `/testdata/permissions`): a person's permissions in the grantor's context."""
    ENTITY = "entity"
    """`/permissions/entities/grants`: invoice permissions of another entity (NIP) in the grantor's context."""
    AUTHORIZATION = "authorization"
    """`/permissions/authorizations/grants`: self-invoicing, RR invoicing, tax representative, PEF invoicing."""
    INDIRECT = "indirect"
    """`/permissions/indirect/grants`: an intermediary passes a delegable entity grant on to a person."""
    SUBUNIT = "subunit"
    """`/permissions/subunits/grants`: the administrator (CredentialsManage) of a subunit or subordinate entity."""
    EU_ADMINISTRATOR = "eu-admin"
    """`/permissions/eu-entities/administration/grants`: the administrator of an EU entity's NIP-VAT UE context."""
    EU_REPRESENTATIVE = "eu-rep"
    """`/permissions/eu-entities/grants`: a representative of an EU entity (by fingerprint)."""


class GrantSource(enum.StrEnum):
    API = "api"
    TESTDATA = "testdata"


class AuthorIdentifierType(enum.StrEnum):
    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"
    SYSTEM = "System"


ALL_PARTNERS = "AllPartners"
"""The target type of a general indirect grant (every client of the intermediary)."""

DELEGABLE = ("InvoiceWrite", "InvoiceRead")
"""The only permissions an entity grant may let its holder pass on."""


@dataclass(frozen=True, slots=True)
class Identifier:
    """A typed identifier as stored (context, grantor, target, author, authorized): `type` and `value`."""

    type: str
    value: str

    @classmethod
    def of(cls, identifier: ContextIdentifier | SubjectIdentifier) -> Identifier:
        return cls(identifier.type.value, identifier.value)


SYSTEM_AUTHOR = Identifier(AuthorIdentifierType.SYSTEM.value, "")


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """One stored grant of one permission.

    `context` is where the permission acts (for an indirect grant: its target, or `AllPartners`); `grantor` is the
    context it was granted in (the caller's context); `author` is who granted it (`System` for test data).
    """

    permission_id: str
    source: GrantSource
    kind: GrantKind
    context: Identifier
    grantor: Identifier
    author: Identifier
    authorized: Identifier
    permission_type: str
    description: str
    can_delegate: bool
    details: dict[str, Any]
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class NewGrant:
    """What a grant operation stores (the repository adds the id and the date)."""

    kind: GrantKind
    context: Identifier
    grantor: Identifier
    author: Identifier
    authorized: Identifier
    permission_type: str
    description: str
    can_delegate: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class OperationStatusCode(enum.IntEnum):
    """`status.code` of `GET /permissions/operations/{referenceNumber}` (not HTTP statuses)."""

    ACCEPTED = 100
    SUCCEEDED = 200
    FAILED = 400
    INCONSISTENT_IDENTIFIERS = 410
    NOT_PERMITTED = 420
    CONTEXT_MISMATCH = 430
    RELATION_NOT_ALLOWED = 440
    IDENTIFIER_NOT_ALLOWED = 450
    UNKNOWN_ERROR = 500
    CANCELLED = 550


OPERATION_DESCRIPTIONS: dict[OperationStatusCode, str] = {
    OperationStatusCode.ACCEPTED: "Operacja przyjęta do realizacji",
    OperationStatusCode.SUCCEEDED: "Operacja zakończona sukcesem",
    OperationStatusCode.FAILED: "Operacja zakończona niepowodzeniem",
    OperationStatusCode.INCONSISTENT_IDENTIFIERS: (
        "Podane identyfikatory są niezgodne lub pozostają w niewłaściwej relacji"
    ),
    OperationStatusCode.NOT_PERMITTED: "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji",
    OperationStatusCode.CONTEXT_MISMATCH: "Kontekst identyfikatora nie odpowiada wymaganej roli lub uprawnieniom",
    OperationStatusCode.RELATION_NOT_ALLOWED: "Operacja niedozwolona dla wskazanych powiązań identyfikatorów",
    OperationStatusCode.IDENTIFIER_NOT_ALLOWED: "Operacja niedozwolona dla wskazanego identyfikatora lub jego typu",
    OperationStatusCode.UNKNOWN_ERROR: "Nieznany błąd",
    OperationStatusCode.CANCELLED: "Operacja została anulowana przez system",
}


class OperationKind(enum.StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"


@dataclass(frozen=True, slots=True)
class OperationOutcome:
    """How a grant or revocation ended: the status code and its details (Polish)."""

    code: OperationStatusCode
    details: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return OPERATION_DESCRIPTIONS[self.code]


@dataclass(frozen=True, slots=True)
class OperationRecord:
    """One grant or revocation operation (`GET /permissions/operations/{referenceNumber}`)."""

    reference_number: str
    context: Identifier
    kind: OperationKind
    grant_kind: GrantKind
    created_at: datetime
    outcome: OperationOutcome
    permission_ids: tuple[str, ...] = ()


class PermissionState(enum.StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@dataclass(frozen=True, slots=True)
class ListedGrant:
    """A grant as the queries report it: the record and whether it currently acts (indirect grants lose their
    force when the intermediary loses its delegable grant)."""

    record: GrantRecord
    state: PermissionState


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a query (`pageOffset` is a page index)."""

    items: list[ListedGrant]
    has_more: bool


@dataclass(frozen=True, slots=True)
class EntityRole:
    """A role of an entity (from the register; test data in the sandbox)."""

    role: str
    description: str
    start_date: datetime
    parent_nip: str | None = None
    entity_nip: str | None = None
