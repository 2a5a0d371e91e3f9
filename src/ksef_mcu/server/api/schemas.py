"""JSON bodies of the `/v2` API, field for field as `open-api.json` names them.

Requests ignore unknown fields and accept explicit `null` for optional ones (what real clients send); enum values are
matched case-insensitively because the official test-data scenarios write `"nip"`/`"pesel"`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ksef_mcu.identifiers import FINGERPRINT_PATTERN, NIP_PATTERN, PESEL_PATTERN
from ksef_mcu.server.auth.model import AuthenticationMethod, AuthenticationMethodCategory

E = TypeVar("E", bound=enum.Enum)


def case_insensitive(enum_type: type[E]) -> BeforeValidator:
    """Accept an enum value in any letter case (`nip`, `NIP`, `Nip`)."""
    by_lower = {str(member.value).lower(): member.value for member in enum_type}

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            return by_lower.get(value.lower(), value)
        return value

    return BeforeValidator(normalise)


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


Nip = Annotated[str, StringConstraints(min_length=10, max_length=10, pattern=NIP_PATTERN.pattern)]
Pesel = Annotated[str, StringConstraints(min_length=11, max_length=11, pattern=PESEL_PATTERN.pattern)]
Description = Annotated[str, StringConstraints(min_length=5, max_length=256)]


# --- shared -------------------------------------------------------------------------------------------------------


class TokenInfo(ResponseModel):
    token: str
    valid_until: datetime = Field(alias="validUntil")


class StatusInfo(ResponseModel):
    code: int
    description: str
    details: list[str] | None = None


class AuthenticationMethodInfoModel(ResponseModel):
    category: AuthenticationMethodCategory
    code: str
    display_name: str = Field(alias="displayName")


# --- auth ---------------------------------------------------------------------------------------------------------


class AuthenticationChallengeResponse(ResponseModel):
    challenge: str
    timestamp: datetime
    timestamp_ms: int = Field(alias="timestampMs")
    client_ip: str = Field(alias="clientIp")


class AuthenticationInitResponse(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")
    authentication_token: TokenInfo = Field(alias="authenticationToken")


class AuthenticationOperationStatusResponse(ResponseModel):
    start_date: datetime = Field(alias="startDate")
    authentication_method: AuthenticationMethod = Field(alias="authenticationMethod")
    authentication_method_info: AuthenticationMethodInfoModel = Field(alias="authenticationMethodInfo")
    status: StatusInfo
    is_token_redeemed: bool | None = Field(default=None, alias="isTokenRedeemed")
    last_token_refresh_date: datetime | None = Field(default=None, alias="lastTokenRefreshDate")
    refresh_token_valid_until: datetime | None = Field(default=None, alias="refreshTokenValidUntil")


class AuthenticationTokensResponse(ResponseModel):
    access_token: TokenInfo = Field(alias="accessToken")
    refresh_token: TokenInfo = Field(alias="refreshToken")


class AuthenticationTokenRefreshResponse(ResponseModel):
    access_token: TokenInfo = Field(alias="accessToken")


class AuthenticationListItem(AuthenticationOperationStatusResponse):
    reference_number: str = Field(alias="referenceNumber")
    is_current: bool = Field(alias="isCurrent")


class AuthenticationListResponse(ResponseModel):
    continuation_token: str | None = Field(default=None, alias="continuationToken")
    items: list[AuthenticationListItem]


# --- security -----------------------------------------------------------------------------------------------------


class PublicKeyCertificateUsage(enum.StrEnum):
    KSEF_TOKEN_ENCRYPTION = "KsefTokenEncryption"  # noqa: S105 - an enum value
    SYMMETRIC_KEY_ENCRYPTION = "SymmetricKeyEncryption"


class PublicKeyCertificate(ResponseModel):
    certificate: str
    certificate_id: str = Field(alias="certificateId")
    public_key_id: str = Field(alias="publicKeyId")
    valid_from: datetime = Field(alias="validFrom")
    valid_to: datetime = Field(alias="validTo")
    usage: list[PublicKeyCertificateUsage]


# --- testdata -----------------------------------------------------------------------------------------------------


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


# --- health -------------------------------------------------------------------------------------------------------


class HealthResponse(ResponseModel):
    status: str
    database: str
    mode: str
    version: str
