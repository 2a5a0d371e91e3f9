"""Models of the API tags "Dane testowe" and the test part of "Limity i ograniczenia" (TEST and our server only).

Every request is a frozen dataclass checked on construction against the contract's rules (NIP and PESEL patterns,
descriptions of 5–256 characters, the official enums), so a mistake fails with a Polish `KsefInvalidInputError`
before anything is sent. Check digits are left to the server, which answers with its own error.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models.common import parse_enum
from ksef_mcu.client.validation import require_aware
from ksef_mcu.identifiers import NIP_PATTERN, PESEL_PATTERN, SubjectIdentifier, SubjectIdentifierType

__all__ = [
    "CertificateLimitsOverride",
    "PermissionsGrantRequest",
    "PersonCreateRequest",
    "SubjectCreateRequest",
    "SubjectType",
    "Subunit",
    "TestDataPermission",
    "TestDataPermissionType",
]

# The contract's `Nip` and `Pesel` patterns (open-api.json `components.schemas`).
_FINGERPRINT = re.compile(r"^[0-9A-F]{64}$")  # the upper-case hex the API returns; identifiers accept either case
DESCRIPTION_MIN_LENGTH = 5
DESCRIPTION_MAX_LENGTH = 256


class SubjectType(enum.StrEnum):
    """`SubjectType` of a test subject."""

    ENFORCEMENT_AUTHORITY = "EnforcementAuthority"
    VAT_GROUP = "VatGroup"
    JST = "JST"


class TestDataPermissionType(enum.StrEnum):
    """`TestDataPermissionType`: what a test grant allows in a NIP context."""

    __test__ = False  # not a pytest test class, despite its official name

    INVOICE_READ = "InvoiceRead"
    INVOICE_WRITE = "InvoiceWrite"
    INTROSPECTION = "Introspection"
    CREDENTIALS_READ = "CredentialsRead"
    CREDENTIALS_MANAGE = "CredentialsManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    SUBUNIT_MANAGE = "SubunitManage"


def check_nip(nip: str, *, field: str = "nip") -> str:
    """`nip` if it has the contract's NIP form (10 digits, no dashes). Raises `KsefInvalidInputError`."""
    if not isinstance(nip, str) or not (nip.isascii() and NIP_PATTERN.fullmatch(nip)):
        raise KsefInvalidInputError(f"Nieprawidłowy NIP: {nip!r} (oczekiwano 10 cyfr bez kresek).", field=field)
    return nip


def check_pesel(pesel: str, *, field: str = "pesel") -> str:
    """`pesel` if it has the contract's PESEL form (11 digits, a valid month code). Raises `KsefInvalidInputError`."""
    if not isinstance(pesel, str) or not (pesel.isascii() and PESEL_PATTERN.fullmatch(pesel)):
        raise KsefInvalidInputError(f"Nieprawidłowy PESEL: {pesel!r} (oczekiwano 11 cyfr).", field=field)
    return pesel


def check_description(description: str, *, field: str = "description") -> str:
    """`description` if it has 5–256 characters. Raises `KsefInvalidInputError`."""
    if not isinstance(description, str) or not (DESCRIPTION_MIN_LENGTH <= len(description) <= DESCRIPTION_MAX_LENGTH):
        length = len(description) if isinstance(description, str) else 0
        raise KsefInvalidInputError(
            f"Opis musi mieć od {DESCRIPTION_MIN_LENGTH} do {DESCRIPTION_MAX_LENGTH} znaków (ma {length}).",
            field=field,
        )
    return description


def _created_date(body: dict[str, Any], created_date: datetime | None) -> dict[str, Any]:
    if created_date is not None:
        body["createdDate"] = require_aware(created_date, field="created_date").isoformat()
    return body


@dataclass(frozen=True, slots=True)
class Subunit:
    """`Subunit` of a test subject: its NIP and description."""

    nip: str
    description: str

    def __post_init__(self) -> None:
        check_nip(self.nip, field="subunits.nip")
        check_description(self.description, field="subunits.description")

    def to_json(self) -> dict[str, Any]:
        """The JSON object."""
        return {"subjectNip": self.nip, "description": self.description}


@dataclass(frozen=True, slots=True)
class SubjectCreateRequest:
    """`SubjectCreateRequest`: a VAT group, a JST or an enforcement authority, with optional subunits."""

    nip: str
    type: SubjectType
    description: str
    subunits: Sequence[Subunit] = ()
    created_date: datetime | None = None

    def __post_init__(self) -> None:
        check_nip(self.nip)
        object.__setattr__(
            self, "type", parse_enum(SubjectType, self.type, field="subject_type", label="typu podmiotu")
        )
        check_description(self.description)
        object.__setattr__(self, "subunits", tuple(self.subunits))

    def to_json(self) -> dict[str, Any]:
        """The JSON body (`subunits` and `createdDate` only when given)."""
        body: dict[str, Any] = {"subjectNip": self.nip, "subjectType": self.type.value, "description": self.description}
        if self.subunits:
            body["subunits"] = [subunit.to_json() for subunit in self.subunits]
        return _created_date(body, self.created_date)


@dataclass(frozen=True, slots=True)
class PersonCreateRequest:
    """`PersonCreateRequest`: a natural person with a NIP–PESEL link."""

    nip: str
    pesel: str
    description: str
    is_bailiff: bool = False
    is_deceased: bool = False
    created_date: datetime | None = None

    def __post_init__(self) -> None:
        check_nip(self.nip)
        check_pesel(self.pesel)
        check_description(self.description)

    def to_json(self) -> dict[str, Any]:
        """The JSON body (`isDeceased` only when true, `createdDate` only when given)."""
        body: dict[str, Any] = {
            "nip": self.nip,
            "pesel": self.pesel,
            "isBailiff": bool(self.is_bailiff),
            "description": self.description,
        }
        if self.is_deceased:
            body["isDeceased"] = True
        return _created_date(body, self.created_date)


@dataclass(frozen=True, slots=True)
class TestDataPermission:
    """`TestDataPermission`: one permission type and its description."""

    __test__ = False  # not a pytest test class, despite its official name

    type: TestDataPermissionType
    description: str

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "type", parse_enum(TestDataPermissionType, self.type, field="permissions", label="typu uprawnienia")
        )
        check_description(self.description, field="permissions.description")

    def to_json(self) -> dict[str, Any]:
        """The JSON object."""
        return {"permissionType": self.type.value, "description": self.description}


def check_authorized(authorized: SubjectIdentifier) -> SubjectIdentifier:
    """`authorized` if it is a NIP, a PESEL or a certificate fingerprint in the contract's form."""
    if not isinstance(authorized, SubjectIdentifier):
        raise KsefInvalidInputError(
            "Uprawniony musi być identyfikatorem podmiotu (NIP, PESEL albo odcisk certyfikatu).", field="authorized"
        )
    if authorized.type is SubjectIdentifierType.NIP:
        check_nip(authorized.value, field="authorized")
    elif authorized.type is SubjectIdentifierType.PESEL:
        check_pesel(authorized.value, field="authorized")
    elif not isinstance(authorized.value, str) or not _FINGERPRINT.fullmatch(authorized.value):
        raise KsefInvalidInputError(
            f"Nieprawidłowy odcisk certyfikatu: {authorized.value!r} (oczekiwano 64 cyfr szesnastkowych).",
            field="authorized",
        )
    return authorized


@dataclass(frozen=True, slots=True)
class PermissionsGrantRequest:
    """`TestDataPermissionsGrantRequest` (and, without permissions, the revoke request): who gets what in which
    NIP context."""

    context_nip: str
    authorized: SubjectIdentifier
    permissions: Sequence[TestDataPermission] = field(default=())

    def __post_init__(self) -> None:
        check_nip(self.context_nip, field="context_nip")
        check_authorized(self.authorized)
        object.__setattr__(self, "permissions", tuple(self.permissions))

    def to_json(self, *, with_permissions: bool = True) -> dict[str, Any]:
        """The JSON body; `with_permissions=False` for `POST /testdata/permissions/revoke`."""
        body: dict[str, Any] = {
            "contextIdentifier": {"type": "Nip", "value": self.context_nip},
            "authorizedIdentifier": {"type": self.authorized.type.value, "value": self.authorized.value},
        }
        if with_permissions:
            body["permissions"] = [permission.to_json() for permission in self.permissions]
        return body


@dataclass(frozen=True, slots=True)
class CertificateLimitsOverride:
    """`SetSubjectLimitsRequest`: new limits for the logged-in subject; None keeps a limit as it is."""

    max_enrollments: int | None = None
    max_certificates: int | None = None

    def __post_init__(self) -> None:
        if self.max_enrollments is None and self.max_certificates is None:
            raise KsefInvalidInputError("Podaj co najmniej jeden limit do zmiany.", field="limits")
        for name in ("max_enrollments", "max_certificates"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise KsefInvalidInputError(
                    f"Limit {name} musi być nieujemną liczbą całkowitą (podano {value!r}).", field=name
                )

    def to_json(self) -> dict[str, Any]:
        """The JSON body with only the limits that change."""
        body: dict[str, Any] = {}
        if self.max_enrollments is not None:
            body["enrollment"] = {"maxEnrollments": self.max_enrollments}
        if self.max_certificates is not None:
            body["certificate"] = {"maxCertificates": self.max_certificates}
        return body
