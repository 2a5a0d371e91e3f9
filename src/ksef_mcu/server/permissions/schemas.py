"""JSON bodies of `/v2/permissions/*`, field for field as `open-api.json` names them, and the conversions between them
and the service's records (subject details are stored in their response form)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from ksef_mcu.server.errors import InputValidationError
from ksef_mcu.server.http.schemas import RequestModel, ResponseModel, case_insensitive
from ksef_mcu.server.permissions.model import ALL_PARTNERS, GrantKind, Identifier, ListedGrant
from ksef_mcu.server.permissions.service import SubjectInput, TargetInput

Description = Annotated[str, Field(min_length=5, max_length=256)]


class _Request(RequestModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


class _Response(ResponseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, alias_generator=to_camel)


# --- enums ----------------------------------------------------------------------------------------------------------


class PersonPermissionType(enum.StrEnum):
    CREDENTIALS_MANAGE = "CredentialsManage"
    CREDENTIALS_READ = "CredentialsRead"
    INVOICE_WRITE = "InvoiceWrite"
    INVOICE_READ = "InvoiceRead"
    INTROSPECTION = "Introspection"
    SUBUNIT_MANAGE = "SubunitManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"


class PersonalPermissionType(enum.StrEnum):
    CREDENTIALS_MANAGE = "CredentialsManage"
    CREDENTIALS_READ = "CredentialsRead"
    INVOICE_WRITE = "InvoiceWrite"
    INVOICE_READ = "InvoiceRead"
    INTROSPECTION = "Introspection"
    SUBUNIT_MANAGE = "SubunitManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    VAT_UE_MANAGE = "VatUeManage"


class InvoicePermissionType(enum.StrEnum):
    INVOICE_WRITE = "InvoiceWrite"
    INVOICE_READ = "InvoiceRead"


class AuthorizationPermissionType(enum.StrEnum):
    SELF_INVOICING = "SelfInvoicing"
    RR_INVOICING = "RRInvoicing"
    TAX_REPRESENTATIVE = "TaxRepresentative"
    PEF_INVOICING = "PefInvoicing"


class SubjectType(enum.StrEnum):
    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"


class NipOnly(enum.StrEnum):
    NIP = "Nip"


class FingerprintOnly(enum.StrEnum):
    FINGERPRINT = "Fingerprint"


class AuthorizedEntityType(enum.StrEnum):
    NIP = "Nip"
    PEPPOL_ID = "PeppolId"


class TargetType(enum.StrEnum):
    NIP = "Nip"
    ALL_PARTNERS = "AllPartners"
    INTERNAL_ID = "InternalId"


class UnitType(enum.StrEnum):
    INTERNAL_ID = "InternalId"
    NIP = "Nip"


class NipVatUeOnly(enum.StrEnum):
    NIP_VAT_UE = "NipVatUe"


class AuthorType(enum.StrEnum):
    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"
    SYSTEM = "System"


class PermissionStateModel(enum.StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class PersonQueryType(enum.StrEnum):
    IN_CURRENT_CONTEXT = "PermissionsInCurrentContext"
    GRANTED_IN_CURRENT_CONTEXT = "PermissionsGrantedInCurrentContext"


class AuthorizationQueryType(enum.StrEnum):
    GRANTED = "Granted"
    RECEIVED = "Received"


class EuQueryPermissionType(enum.StrEnum):
    VAT_UE_MANAGE = "VatUeManage"
    INVOICE_WRITE = "InvoiceWrite"
    INVOICE_READ = "InvoiceRead"
    INTROSPECTION = "Introspection"


def _ci(enum_type: type[enum.Enum]) -> Any:
    return case_insensitive(enum_type)


# --- request parts --------------------------------------------------------------------------------------------------


class Typed(_Request):
    type: str
    value: str


class PersonSubjectIdentifier(_Request):
    type: Annotated[SubjectType, _ci(SubjectType)]
    value: Annotated[str, Field(min_length=10, max_length=64)]


class PersonDetails(_Request):
    first_name: Annotated[str, Field(min_length=2, max_length=30)]
    last_name: Annotated[str, Field(min_length=2, max_length=81)]


class PersonIdentifierModel(_Request):
    type: Annotated[SubjectType, _ci(SubjectType)]
    value: Annotated[str, Field(min_length=10, max_length=11)]


class PersonByFingerprintWithIdentifier(PersonDetails):
    identifier: PersonIdentifierModel


class IdDocument(_Request):
    type: Annotated[str, Field(max_length=20)]
    number: Annotated[str, Field(max_length=20)]
    country: Annotated[str, Field(min_length=2, max_length=2)]


class PersonByFingerprintWithoutIdentifier(PersonDetails):
    birth_date: date
    id_document: IdDocument


class EntityByFingerprint(_Request):
    full_name: Annotated[str, Field(max_length=100)]
    address: Annotated[str, Field(max_length=512)]


class PersonSubjectDetails(_Request):
    subject_details_type: str
    person_by_id: PersonDetails | None = None
    person_by_fp_with_id: PersonByFingerprintWithIdentifier | None = None
    person_by_fp_no_id: PersonByFingerprintWithoutIdentifier | None = None
    entity_by_fp: EntityByFingerprint | None = None


class EntityDetails(_Request):
    full_name: Annotated[str, Field(min_length=5, max_length=90)]


def person_details(details: PersonSubjectDetails, subject_type: str, *, eu: bool = False) -> dict[str, Any]:
    """The stored (response) form of a person's subject details, checked against the subject identifier type.
    Raises 21405 when the details do not fit the identifier or the chosen variant is missing."""
    kind = details.subject_details_type
    fingerprint = subject_type == SubjectType.FINGERPRINT
    allowed = {"PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier"}
    allowed |= {"EntityByFingerprint"} if eu else {"PersonByIdentifier"}
    if kind not in allowed:
        raise InputValidationError(f"subjectDetails.subjectDetailsType: nieobsługiwana wartość {kind!r}.")
    if (kind == "PersonByIdentifier") == fingerprint:
        raise InputValidationError(
            f"subjectDetails.subjectDetailsType: {kind} nie pasuje do identyfikatora typu {subject_type}."
        )
    if kind == "PersonByIdentifier" and details.person_by_id is not None:
        return {"person": {"subjectDetailsType": kind, **details.person_by_id.model_dump(by_alias=True)}}
    if kind == "PersonByFingerprintWithIdentifier" and details.person_by_fp_with_id is not None:
        with_id = details.person_by_fp_with_id
        return {
            "person": {
                "subjectDetailsType": kind,
                "firstName": with_id.first_name,
                "lastName": with_id.last_name,
                "personIdentifier": {"type": with_id.identifier.type.value, "value": with_id.identifier.value},
            }
        }
    if kind == "PersonByFingerprintWithoutIdentifier" and details.person_by_fp_no_id is not None:
        no_id = details.person_by_fp_no_id
        return {
            "person": {
                "subjectDetailsType": kind,
                "firstName": no_id.first_name,
                "lastName": no_id.last_name,
                "birthDate": no_id.birth_date.isoformat(),
                "idDocument": no_id.id_document.model_dump(by_alias=True),
            }
        }
    if kind == "EntityByFingerprint" and details.entity_by_fp is not None:
        return {"entity": {"subjectDetailsType": kind, **details.entity_by_fp.model_dump(by_alias=True)}}
    field = {
        "PersonByIdentifier": "personById",
        "PersonByFingerprintWithIdentifier": "personByFpWithId",
        "PersonByFingerprintWithoutIdentifier": "personByFpNoId",
        "EntityByFingerprint": "entityByFp",
    }[kind]
    raise InputValidationError(f"subjectDetails.{field}: wymagane dla subjectDetailsType {kind}.")


def entity_details(details: EntityDetails) -> dict[str, Any]:
    return {"entity": {"subjectDetailsType": "EntityByIdentifier", "fullName": details.full_name}}


# --- grant requests -------------------------------------------------------------------------------------------------


class PersonPermissionsGrantRequest(_Request):
    subject_identifier: PersonSubjectIdentifier
    permissions: list[Annotated[PersonPermissionType, _ci(PersonPermissionType)]]
    description: Description
    subject_details: PersonSubjectDetails

    def subject(self) -> SubjectInput:
        identifier = self.subject_identifier
        details = person_details(self.subject_details, identifier.type.value)
        return SubjectInput(identifier.type.value, identifier.value, details)


class EntitySubjectIdentifier(_Request):
    type: Annotated[NipOnly, _ci(NipOnly)]
    value: Annotated[str, Field(min_length=10, max_length=10)]


class EntityPermission(_Request):
    type: Annotated[InvoicePermissionType, _ci(InvoicePermissionType)]
    can_delegate: bool | None = None


class EntityPermissionsGrantRequest(_Request):
    subject_identifier: EntitySubjectIdentifier
    permissions: list[EntityPermission]
    description: Description
    subject_details: EntityDetails

    def subject(self) -> SubjectInput:
        return SubjectInput("Nip", self.subject_identifier.value, entity_details(self.subject_details))


class AuthorizationSubjectIdentifier(_Request):
    type: Annotated[AuthorizedEntityType, _ci(AuthorizedEntityType)]
    value: Annotated[str, Field(min_length=9, max_length=10)]


class EntityAuthorizationPermissionsGrantRequest(_Request):
    subject_identifier: AuthorizationSubjectIdentifier
    permission: Annotated[AuthorizationPermissionType, _ci(AuthorizationPermissionType)]
    description: Description
    subject_details: EntityDetails

    def subject(self) -> SubjectInput:
        identifier = self.subject_identifier
        return SubjectInput(identifier.type.value, identifier.value, entity_details(self.subject_details))


class IndirectTargetIdentifier(_Request):
    type: Annotated[TargetType, _ci(TargetType)]
    value: Annotated[str | None, Field(min_length=10, max_length=16)] = None


class IndirectPermissionsGrantRequest(_Request):
    subject_identifier: PersonSubjectIdentifier
    target_identifier: IndirectTargetIdentifier | None = None
    permissions: list[Annotated[InvoicePermissionType, _ci(InvoicePermissionType)]]
    description: Description
    subject_details: PersonSubjectDetails

    def subject(self) -> SubjectInput:
        identifier = self.subject_identifier
        return SubjectInput(
            identifier.type.value, identifier.value, person_details(self.subject_details, identifier.type.value)
        )

    def target(self) -> TargetInput | None:
        if self.target_identifier is None:
            return None
        return TargetInput(self.target_identifier.type.value, self.target_identifier.value)


class SubunitContextIdentifier(_Request):
    type: Annotated[UnitType, _ci(UnitType)]
    value: Annotated[str, Field(min_length=10, max_length=16)]


class SubunitPermissionsGrantRequest(_Request):
    subject_identifier: PersonSubjectIdentifier
    context_identifier: SubunitContextIdentifier
    description: Description
    subunit_name: Annotated[str | None, Field(min_length=5, max_length=256)] = None
    subject_details: PersonSubjectDetails

    def subject(self) -> SubjectInput:
        identifier = self.subject_identifier
        return SubjectInput(
            identifier.type.value, identifier.value, person_details(self.subject_details, identifier.type.value)
        )


class FingerprintSubjectIdentifier(_Request):
    type: Annotated[FingerprintOnly, _ci(FingerprintOnly)]
    value: Annotated[str, Field(min_length=64, max_length=64)]


class EuContextIdentifier(_Request):
    type: Annotated[NipVatUeOnly, _ci(NipVatUeOnly)]
    value: Annotated[str, Field(min_length=15, max_length=25)]


class EuEntityDetails(_Request):
    full_name: Annotated[str, Field(max_length=100)]
    address: Annotated[str, Field(max_length=512)]


class EuEntityAdministrationPermissionsGrantRequest(_Request):
    subject_identifier: FingerprintSubjectIdentifier
    context_identifier: EuContextIdentifier
    description: Description
    eu_entity_name: Annotated[str, Field(min_length=5, max_length=256)]
    subject_details: PersonSubjectDetails
    eu_entity_details: EuEntityDetails

    def subject(self) -> SubjectInput:
        identifier = self.subject_identifier
        details = person_details(self.subject_details, identifier.type.value, eu=True)
        return SubjectInput(identifier.type.value, identifier.value, details)

    def extra(self) -> dict[str, object]:
        return {
            "euEntityName": self.eu_entity_name,
            "euEntityDetails": self.eu_entity_details.model_dump(by_alias=True),
        }


class EuEntityPermissionsGrantRequest(_Request):
    subject_identifier: FingerprintSubjectIdentifier
    permissions: list[Annotated[InvoicePermissionType, _ci(InvoicePermissionType)]]
    description: Description
    subject_details: PersonSubjectDetails

    def subject(self) -> SubjectInput:
        identifier = self.subject_identifier
        details = person_details(self.subject_details, identifier.type.value, eu=True)
        return SubjectInput(identifier.type.value, identifier.value, details)


class PermissionsOperationResponse(_Response):
    reference_number: str


class StatusModel(_Response):
    code: int
    description: str
    details: list[str] | None = None


class PermissionsOperationStatusResponse(_Response):
    status: StatusModel


class CheckAttachmentPermissionStatusResponse(_Response):
    is_attachment_allowed: bool
    revoked_date: datetime | None = None
    """When the consent ends or ended (absent: it has no end, or was never given)."""


# --- query requests -------------------------------------------------------------------------------------------------


class ContextFilter(_Request):
    type: str
    value: Annotated[str, Field(min_length=10, max_length=16)]

    def identifier(self) -> Identifier:
        return Identifier(_canonical(self.type, ("Nip", "InternalId")), self.value)


class TargetFilter(_Request):
    type: str
    value: Annotated[str | None, Field(min_length=10, max_length=16)] = None

    def identifier(self) -> Identifier:
        type_ = _canonical(self.type, ("Nip", "AllPartners", "InternalId"))
        return Identifier(type_, "" if type_ == ALL_PARTNERS else (self.value or ""))


class SubjectFilter(_Request):
    type: str
    value: Annotated[str, Field(min_length=10, max_length=64)]

    def identifier(self) -> Identifier:
        type_ = _canonical(self.type, ("Nip", "Pesel", "Fingerprint"))
        return Identifier(type_, self.value.upper() if type_ == "Fingerprint" else self.value)


class AuthorFilter(_Request):
    type: str
    value: Annotated[str | None, Field(min_length=10, max_length=64)] = None

    def identifier(self) -> Identifier:
        type_ = _canonical(self.type, ("Nip", "Pesel", "Fingerprint", "System"))
        value = "" if type_ == "System" else (self.value or "")
        return Identifier(type_, value.upper() if type_ == "Fingerprint" else value)


def _canonical(value: str, allowed: tuple[str, ...]) -> str:
    for candidate in allowed:
        if candidate.lower() == value.lower():
            return candidate
    raise InputValidationError(f"type: {value!r} nie jest jedną z wartości {', '.join(allowed)}.")


class PersonalPermissionsQueryRequest(_Request):
    context_identifier: ContextFilter | None = None
    target_identifier: TargetFilter | None = None
    permission_types: list[Annotated[PersonalPermissionType, _ci(PersonalPermissionType)]] | None = None
    permission_state: Annotated[PermissionStateModel | None, _ci(PermissionStateModel)] = None


class PersonPermissionsQueryRequest(_Request):
    author_identifier: AuthorFilter | None = None
    authorized_identifier: SubjectFilter | None = None
    context_identifier: ContextFilter | None = None
    target_identifier: TargetFilter | None = None
    permission_types: list[Annotated[PersonPermissionType, _ci(PersonPermissionType)]] | None = None
    permission_state: Annotated[PermissionStateModel | None, _ci(PermissionStateModel)] = None
    query_type: Annotated[PersonQueryType, _ci(PersonQueryType)]


class SubunitPermissionsQueryRequest(_Request):
    subunit_identifier: ContextFilter | None = None


class EntityPermissionsQueryRequest(_Request):
    context_identifier: ContextFilter | None = None


class SubordinateFilter(_Request):
    type: Annotated[NipOnly, _ci(NipOnly)]
    value: Annotated[str, Field(min_length=10, max_length=10)]


class SubordinateEntityRolesQueryRequest(_Request):
    subordinate_entity_identifier: SubordinateFilter | None = None


class AuthorizingFilter(_Request):
    type: Annotated[NipOnly, _ci(NipOnly)]
    value: Annotated[str, Field(min_length=10, max_length=10)]


class AuthorizedEntityFilter(_Request):
    type: Annotated[AuthorizedEntityType, _ci(AuthorizedEntityType)]
    value: Annotated[str, Field(min_length=9, max_length=10)]


class EntityAuthorizationPermissionsQueryRequest(_Request):
    authorizing_identifier: AuthorizingFilter | None = None
    authorized_identifier: AuthorizedEntityFilter | None = None
    query_type: Annotated[AuthorizationQueryType, _ci(AuthorizationQueryType)]
    permission_types: list[Annotated[AuthorizationPermissionType, _ci(AuthorizationPermissionType)]] | None = None


class EuEntityPermissionsQueryRequest(_Request):
    vat_ue_identifier: str | None = None
    authorized_fingerprint_identifier: str | None = None
    permission_types: list[Annotated[EuQueryPermissionType, _ci(EuQueryPermissionType)]] | None = None


# --- query responses ------------------------------------------------------------------------------------------------


class IdentifierModel(_Response):
    type: str
    value: str | None = None


def _identifier(identifier: Identifier) -> IdentifierModel:
    return IdentifierModel(type=identifier.type, value=identifier.value or None)


class PersonalPermission(_Response):
    id: str
    context_identifier: IdentifierModel | None = None
    authorized_identifier: IdentifierModel | None = None
    target_identifier: IdentifierModel | None = None
    permission_scope: str
    description: str
    subject_person_details: dict[str, Any] | None = None
    subject_entity_details: dict[str, Any] | None = None
    permission_state: str
    start_date: datetime
    can_delegate: bool


class QueryPersonalPermissionsResponse(_Response):
    permissions: list[PersonalPermission]
    has_more: bool


class PersonPermission(_Response):
    id: str
    authorized_identifier: IdentifierModel
    context_identifier: IdentifierModel | None = None
    target_identifier: IdentifierModel | None = None
    author_identifier: IdentifierModel
    permission_scope: str
    description: str
    subject_person_details: dict[str, Any] | None = None
    subject_entity_details: dict[str, Any] | None = None
    permission_state: str
    start_date: datetime
    can_delegate: bool


class QueryPersonPermissionsResponse(_Response):
    permissions: list[PersonPermission]
    has_more: bool


class SubunitPermission(_Response):
    id: str
    authorized_identifier: IdentifierModel
    subunit_identifier: IdentifierModel
    author_identifier: IdentifierModel
    permission_scope: str
    description: str
    subject_person_details: dict[str, Any] | None = None
    subunit_name: str | None = None
    start_date: datetime


class QuerySubunitPermissionsResponse(_Response):
    permissions: list[SubunitPermission]
    has_more: bool


class EntityPermissionItem(_Response):
    id: str
    context_identifier: IdentifierModel
    permission_scope: str
    description: str
    start_date: datetime
    can_delegate: bool


class QueryEntityPermissionsResponse(_Response):
    permissions: list[EntityPermissionItem]
    has_more: bool


class EntityRoleModel(_Response):
    parent_entity_identifier: IdentifierModel | None = None
    role: str
    description: str
    start_date: datetime


class QueryEntityRolesResponse(_Response):
    roles: list[EntityRoleModel]
    has_more: bool


class SubordinateEntityRoleModel(_Response):
    subordinate_entity_identifier: IdentifierModel
    role: str
    description: str
    start_date: datetime


class QuerySubordinateEntityRolesResponse(_Response):
    roles: list[SubordinateEntityRoleModel]
    has_more: bool


class EntityAuthorizationGrant(_Response):
    id: str
    author_identifier: IdentifierModel | None = None
    authorized_entity_identifier: IdentifierModel
    authorizing_entity_identifier: IdentifierModel
    authorization_scope: str
    description: str
    subject_entity_details: dict[str, Any] | None = None
    start_date: datetime


class QueryEntityAuthorizationPermissionsResponse(_Response):
    authorization_grants: list[EntityAuthorizationGrant]
    has_more: bool


class EuEntityPermission(_Response):
    id: str
    author_identifier: IdentifierModel
    vat_ue_identifier: str
    eu_entity_name: str
    authorized_fingerprint_identifier: str
    permission_scope: str
    description: str
    subject_person_details: dict[str, Any] | None = None
    subject_entity_details: dict[str, Any] | None = None
    eu_entity_details: dict[str, Any] | None = None
    start_date: datetime


class QueryEuEntityPermissionsResponse(_Response):
    permissions: list[EuEntityPermission]
    has_more: bool


def _author(identifier: Identifier) -> IdentifierModel:
    return IdentifierModel(type=identifier.type, value=identifier.value or None)


def personal_item(item: ListedGrant, caller: Identifier) -> PersonalPermission:
    record = item.record
    indirect = record.kind is GrantKind.INDIRECT
    shown_context = record.grantor if indirect else record.context
    return PersonalPermission(
        id=record.permission_id,
        context_identifier=_identifier(shown_context) if shown_context.type in ("Nip", "InternalId") else None,
        authorized_identifier=_identifier(record.authorized) if record.authorized != caller else None,
        target_identifier=_identifier(record.context) if indirect else None,
        permission_scope=record.permission_type,
        description=record.description,
        subject_person_details=record.details.get("person"),
        subject_entity_details=record.details.get("entity"),
        permission_state=item.state.value,
        start_date=record.granted_at,
        can_delegate=record.can_delegate,
    )


def person_item(item: ListedGrant) -> PersonPermission:
    record = item.record
    indirect = record.kind is GrantKind.INDIRECT
    shown_context = record.grantor if indirect else record.context
    return PersonPermission(
        id=record.permission_id,
        authorized_identifier=_identifier(record.authorized),
        context_identifier=_identifier(shown_context) if shown_context.type in ("Nip", "InternalId") else None,
        target_identifier=_identifier(record.context) if indirect else None,
        author_identifier=_author(record.author),
        permission_scope=record.permission_type,
        description=record.description,
        subject_person_details=record.details.get("person"),
        subject_entity_details=record.details.get("entity"),
        permission_state=item.state.value,
        start_date=record.granted_at,
        can_delegate=record.can_delegate,
    )


def subunit_item(item: ListedGrant) -> SubunitPermission:
    record = item.record
    subunit_name = record.details.get("subunitName")
    return SubunitPermission(
        id=record.permission_id,
        authorized_identifier=_identifier(record.authorized),
        subunit_identifier=_identifier(record.context),
        author_identifier=_author(record.author),
        permission_scope=record.permission_type,
        description=record.description,
        subject_person_details=record.details.get("person"),
        subunit_name=subunit_name if isinstance(subunit_name, str) else None,
        start_date=record.granted_at,
    )


def entity_item(item: ListedGrant) -> EntityPermissionItem:
    record = item.record
    return EntityPermissionItem(
        id=record.permission_id,
        context_identifier=_identifier(record.context),
        permission_scope=record.permission_type,
        description=record.description,
        start_date=record.granted_at,
        can_delegate=record.can_delegate,
    )


def authorization_item(item: ListedGrant) -> EntityAuthorizationGrant:
    record = item.record
    return EntityAuthorizationGrant(
        id=record.permission_id,
        author_identifier=_author(record.author) if record.author.value else None,
        authorized_entity_identifier=_identifier(record.authorized),
        authorizing_entity_identifier=_identifier(record.context),
        authorization_scope=record.permission_type,
        description=record.description,
        subject_entity_details=record.details.get("entity"),
        start_date=record.granted_at,
    )


def eu_item(item: ListedGrant) -> EuEntityPermission:
    record = item.record
    name = record.details.get("euEntityName")
    eu_details = record.details.get("euEntityDetails")
    return EuEntityPermission(
        id=record.permission_id,
        author_identifier=_author(record.author),
        vat_ue_identifier=record.context.value.split("-", 1)[-1],
        eu_entity_name=name if isinstance(name, str) else record.context.value,
        authorized_fingerprint_identifier=record.authorized.value,
        permission_scope=record.permission_type,
        description=record.description,
        subject_person_details=record.details.get("person"),
        subject_entity_details=record.details.get("entity"),
        eu_entity_details=eu_details if isinstance(eu_details, dict) else None,
        start_date=record.granted_at,
    )
