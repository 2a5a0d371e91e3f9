"""JSON bodies of `/v2/testdata/*` (the sandbox's test data), field for field as `open-api.json` names them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from ksef_mcu.identifiers import FINGERPRINT_PATTERN, NIP_PATTERN, PESEL_PATTERN
from ksef_mcu.server.http.schemas import RequestModel, case_insensitive

Nip = Annotated[str, StringConstraints(min_length=10, max_length=10, pattern=NIP_PATTERN.pattern)]
Pesel = Annotated[str, StringConstraints(min_length=11, max_length=11, pattern=PESEL_PATTERN.pattern)]
Description = Annotated[str, StringConstraints(min_length=5, max_length=256)]


class SubjectType(enum.StrEnum):
    ENFORCEMENT_AUTHORITY = "EnforcementAuthority"
    VAT_GROUP = "VatGroup"
    JST = "JST"


class Subunit(RequestModel):
    subject_nip: Nip = Field(alias="subjectNip")
    description: Description


class SubjectCreateRequest(RequestModel):
    subject_nip: Nip = Field(alias="subjectNip")
    subject_type: Annotated[SubjectType, case_insensitive(SubjectType)] = Field(alias="subjectType")
    subunits: list[Subunit] | None = None
    description: Description
    created_date: datetime | None = Field(default=None, alias="createdDate")


class SubjectRemoveRequest(RequestModel):
    subject_nip: Nip = Field(alias="subjectNip")


class PersonCreateRequest(RequestModel):
    nip: Nip
    pesel: Pesel
    is_bailiff: bool = Field(alias="isBailiff")
    description: Description
    is_deceased: bool | None = Field(default=None, alias="isDeceased")
    created_date: datetime | None = Field(default=None, alias="createdDate")


class PersonRemoveRequest(RequestModel):
    nip: Nip


class TestDataContextIdentifierType(enum.StrEnum):
    NIP = "Nip"


class TestDataAuthorizedIdentifierType(enum.StrEnum):
    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"


class TestDataPermissionType(enum.StrEnum):
    INVOICE_READ = "InvoiceRead"
    INVOICE_WRITE = "InvoiceWrite"
    INTROSPECTION = "Introspection"
    CREDENTIALS_READ = "CredentialsRead"
    CREDENTIALS_MANAGE = "CredentialsManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    SUBUNIT_MANAGE = "SubunitManage"


class TestDataContextIdentifier(RequestModel):
    type: Annotated[TestDataContextIdentifierType, case_insensitive(TestDataContextIdentifierType)]
    value: Nip


def _check_authorized_identifier(model: TestDataAuthorizedIdentifier) -> TestDataAuthorizedIdentifier:
    patterns = {
        TestDataAuthorizedIdentifierType.NIP: (NIP_PATTERN, "10-cyfrowy numer NIP"),
        TestDataAuthorizedIdentifierType.PESEL: (PESEL_PATTERN, "11-cyfrowy numer PESEL"),
        TestDataAuthorizedIdentifierType.FINGERPRINT: (FINGERPRINT_PATTERN, "64 cyfry szesnastkowe (SHA-256)"),
    }
    pattern, expected = patterns[model.type]
    if not pattern.fullmatch(model.value):
        raise ValueError(f"wartość nie pasuje do typu {model.type.value} (oczekiwano: {expected})")
    if model.type is TestDataAuthorizedIdentifierType.FINGERPRINT:
        return model.model_copy(update={"value": model.value.upper()})
    return model


class TestDataAuthorizedIdentifier(RequestModel):
    type: Annotated[TestDataAuthorizedIdentifierType, case_insensitive(TestDataAuthorizedIdentifierType)]
    value: Annotated[str, StringConstraints(min_length=10, max_length=64)]


CheckedAuthorizedIdentifier = Annotated[TestDataAuthorizedIdentifier, AfterValidator(_check_authorized_identifier)]


class TestDataPermission(RequestModel):
    description: Description
    permission_type: Annotated[TestDataPermissionType, case_insensitive(TestDataPermissionType)] = Field(
        alias="permissionType"
    )


class TestDataPermissionsGrantRequest(RequestModel):
    context_identifier: TestDataContextIdentifier = Field(alias="contextIdentifier")
    authorized_identifier: CheckedAuthorizedIdentifier = Field(alias="authorizedIdentifier")
    permissions: list[TestDataPermission]


class TestDataPermissionsRevokeRequest(RequestModel):
    context_identifier: TestDataContextIdentifier = Field(alias="contextIdentifier")
    authorized_identifier: CheckedAuthorizedIdentifier = Field(alias="authorizedIdentifier")


class TestDataAuthenticationContextIdentifierType(enum.StrEnum):
    NIP = "Nip"
    INTERNAL_ID = "InternalId"
    NIP_VAT_UE = "NipVatUe"
    PEPPOL_ID = "PeppolId"


class TestDataAuthenticationContextIdentifier(RequestModel):
    type: Annotated[
        TestDataAuthenticationContextIdentifierType, case_insensitive(TestDataAuthenticationContextIdentifierType)
    ]
    value: str


class ContextAuthenticationBlockRequest(RequestModel):
    """`BlockContextAuthenticationRequest` / `UnblockContextAuthenticationRequest`."""

    context_identifier: TestDataAuthenticationContextIdentifier | None = Field(default=None, alias="contextIdentifier")


class AttachmentPermissionGrantRequest(RequestModel):
    nip: Nip


class AttachmentPermissionRevokeRequest(RequestModel):
    nip: Nip
    expected_end_date: date | None = Field(default=None, alias="expectedEndDate")
