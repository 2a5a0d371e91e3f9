"""Typed models of the KSeF API v2 requests and responses used by the client: auth, certificates, security keys.

Responses are pydantic models: unknown JSON fields are ignored (KSeF adds fields without a version bump), while the
fields the client relies on are checked — reference numbers are 36 characters, serials 16 upper-case hex digits,
certificate types and statuses come from the official enums, dates carry a time zone (a date without one is taken as
UTC, as KSeF's own timestamps are). Python names are snake_case; the JSON names (aliases) are KSeF's camelCase.

Requests the caller builds (`EnrollCertificateRequest`, `CertificateQuery`) are frozen dataclasses checked on
construction, so a bad value fails with a Polish `KsefInvalidInputError` before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Any, Self, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PrivateAttr
from pydantic.alias_generators import to_camel

from ksef_mcu.client.errors import KsefInvalidInputError, SystemWarning
from ksef_mcu.client.validation import (
    normalize_serial_number,
    require_aware,
    validate_certificate_name,
)
from ksef_mcu.crypto.certificates import KsefCertificateType, SubjectIdentifierType, load_der_certificate
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.crypto.errors import KsefCryptoError

__all__ = [
    "AuthenticationChallenge",
    "AuthenticationInit",
    "AuthenticationMethod",
    "AuthenticationMethodCategory",
    "AuthenticationMethodInfo",
    "AuthenticationOperationStatus",
    "AuthenticationSession",
    "AuthenticationSessionPage",
    "AuthenticationTokenRefresh",
    "AuthenticationTokens",
    "CertificateEnrollmentData",
    "CertificateEnrollmentStatus",
    "CertificateLimit",
    "CertificateLimits",
    "CertificateListItem",
    "CertificatePage",
    "CertificateQuery",
    "CertificateStatus",
    "CertificateSubjectIdentifier",
    "CertificateType",
    "EnrollCertificateRequest",
    "EnrollmentSubmission",
    "KsefModel",
    "PublicKeyCertificate",
    "PublicKeyCertificateUsage",
    "RetrievedCertificate",
    "RevocationReason",
    "StatusInfo",
    "SubjectIdentifierType",
    "TokenInfo",
    "parse_certificate_type",
    "select_public_key_certificate",
]

_E = TypeVar("_E", bound=enum.StrEnum)


def _parse_enum(cls: type[_E], value: _E | str, *, field: str, label: str) -> _E:
    """The member of `cls` named by `value`, matched case-insensitively (`offline` → `Offline`)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        wanted = value.strip().replace("-", "").replace("_", "").lower()
        for member in cls:
            if member.value.lower() == wanted:
                return member
    allowed = ", ".join(member.value for member in cls)
    raise KsefInvalidInputError(f"Nieprawidłowa wartość {label}: {value!r}. Dozwolone: {allowed}.", field=field)


CertificateType = KsefCertificateType
"""`KsefCertificateType`: Authentication (Type 1, logs in to KSeF) or Offline (Type 2, signs KOD II only)."""


def parse_certificate_type(value: CertificateType | str) -> CertificateType:
    """The certificate type named by `value`, case-insensitive (`offline` → Offline). Raises `KsefInvalidInputError`."""
    return _parse_enum(CertificateType, value, field="certificate_type", label="typu certyfikatu")


class CertificateStatus(enum.StrEnum):
    """`CertificateListItemStatus`: Blocked is the transitional state until a revocation completes."""

    ACTIVE = "Active"
    BLOCKED = "Blocked"
    REVOKED = "Revoked"
    EXPIRED = "Expired"

    @classmethod
    def parse(cls, value: CertificateStatus | str) -> CertificateStatus:
        """The status named by `value`, case-insensitive. Raises `KsefInvalidInputError`."""
        return _parse_enum(cls, value, field="status", label="statusu certyfikatu")


class RevocationReason(enum.StrEnum):
    """`CertificateRevocationReason`."""

    UNSPECIFIED = "Unspecified"
    SUPERSEDED = "Superseded"
    KEY_COMPROMISE = "KeyCompromise"

    @classmethod
    def parse(cls, value: RevocationReason | str) -> RevocationReason:
        """The reason named by `value`, case-insensitive (`key-compromise` → `KeyCompromise`)."""
        return _parse_enum(cls, value, field="revocation_reason", label="powodu unieważnienia")


class AuthenticationMethod(enum.StrEnum):
    """`AuthenticationMethod` (deprecated by KSeF in favour of `AuthenticationMethodInfo`)."""

    TOKEN = "Token"  # noqa: S105 - an enum value, not a secret
    TRUSTED_PROFILE = "TrustedProfile"
    INTERNAL_CERTIFICATE = "InternalCertificate"
    QUALIFIED_SIGNATURE = "QualifiedSignature"
    QUALIFIED_SEAL = "QualifiedSeal"
    PERSONAL_SIGNATURE = "PersonalSignature"
    PEPPOL_SIGNATURE = "PeppolSignature"


class AuthenticationMethodCategory(enum.StrEnum):
    """`AuthenticationMethodCategory`."""

    XADES_SIGNATURE = "XadesSignature"
    NATIONAL_NODE = "NationalNode"
    TOKEN = "Token"  # noqa: S105 - an enum value, not a secret
    OTHER = "Other"


class PublicKeyCertificateUsage(enum.StrEnum):
    """`PublicKeyCertificateUsage`: what an MF public key may encrypt."""

    KSEF_TOKEN_ENCRYPTION = "KsefTokenEncryption"  # noqa: S105 - an enum value, not a secret
    SYMMETRIC_KEY_ENCRYPTION = "SymmetricKeyEncryption"


# --- field types --------------------------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    # KSeF writes offsets on API dates; its legacy timestamps have none and are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _decode_base64(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not valid Base64") from exc
    return value


def _null_to_empty(value: object) -> object:
    return () if value is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
ReferenceNumber = Annotated[str, Field(min_length=36, max_length=36)]
SerialNumber = Annotated[str, Field(pattern=r"^[0-9A-F]{16}$")]
Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_decode_base64),
    PlainSerializer(lambda data: base64.b64encode(data).decode("ascii"), return_type=str, when_used="json"),
]
TextList = Annotated[tuple[str, ...], BeforeValidator(_null_to_empty)]


class KsefModel(BaseModel):
    """Base of the response models: camelCase aliases, unknown fields ignored, immutable.

    `system_warnings` holds the `X-System-Warning`s that came with the response the model was read from.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
    )

    _system_warnings: tuple[SystemWarning, ...] = PrivateAttr(default=())

    @property
    def system_warnings(self) -> tuple[SystemWarning, ...]:
        """Warnings KSeF attached to the response (`X-System-Warning`), in order; usually empty."""
        return self._system_warnings

    def with_system_warnings(self, warnings: Sequence[SystemWarning]) -> Self:
        """This model, carrying `warnings` (set once by the client when it reads a response)."""
        self._system_warnings = tuple(warnings)
        return self


class _CertificateDer(KsefModel):
    """A model carrying a DER certificate in `der`, with PEM and `cryptography` views of it."""

    der: Base64Bytes

    @property
    def pem(self) -> str:
        """The certificate as PEM text (`-----BEGIN CERTIFICATE-----`, 64-column Base64, final newline)."""
        return self.certificate.public_bytes(Encoding.PEM).decode("ascii")

    @cached_property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate. Raises `CertificateError` (a `ValueError`) if the DER is not a certificate."""
        return load_der_certificate(self.der)


# --- common -------------------------------------------------------------------------------------------------------


class StatusInfo(KsefModel):
    """`StatusInfo` of an asynchronous operation: 100 in progress, 200 done, 4xx/5xx failed (not HTTP statuses)."""

    code: int
    description: str
    details: TextList = ()

    @property
    def in_progress(self) -> bool:
        """True while the operation is still being processed (codes 100–199)."""
        return 100 <= self.code < 200

    @property
    def succeeded(self) -> bool:
        """True when the operation finished successfully (code 200)."""
        return self.code == 200

    @property
    def failed(self) -> bool:
        """True when the operation ended without success (any other code)."""
        return not self.in_progress and not self.succeeded


class TokenInfo(KsefModel):
    """`TokenInfo`: a JWT and the moment it stops being valid (UTC)."""

    token: Annotated[str, Field(min_length=1)]
    valid_until: UtcDatetime

    def __repr__(self) -> str:
        return f"TokenInfo(token='…', valid_until={self.valid_until.isoformat()!r})"

    __str__ = __repr__


# --- auth ---------------------------------------------------------------------------------------------------------


class AuthenticationChallenge(KsefModel):
    """`AuthenticationChallengeResponse` of `POST /auth/challenge` (the challenge is valid for 10 minutes)."""

    challenge: ReferenceNumber
    timestamp: UtcDatetime
    timestamp_ms: int
    client_ip: str | None = None


class AuthenticationInit(KsefModel):
    """`AuthenticationInitResponse` of `POST /auth/xades-signature` and `POST /auth/ksef-token` (HTTP 202)."""

    reference_number: ReferenceNumber
    authentication_token: TokenInfo


class AuthenticationMethodInfo(KsefModel):
    """`AuthenticationMethodInfo`, e.g. category XadesSignature, code `xades.ksef-certificate`."""

    category: AuthenticationMethodCategory | str
    code: str
    display_name: str = ""


class AuthenticationOperationStatus(KsefModel):
    """`AuthenticationOperationStatusResponse` of `GET /auth/{referenceNumber}`."""

    start_date: UtcDatetime
    status: StatusInfo
    authentication_method: AuthenticationMethod | str | None = None
    authentication_method_info: AuthenticationMethodInfo | None = None
    is_token_redeemed: bool | None = None
    last_token_refresh_date: UtcDatetime | None = None
    refresh_token_valid_until: UtcDatetime | None = None


class AuthenticationTokens(KsefModel):
    """`AuthenticationTokensResponse` of `POST /auth/token/redeem` (can be redeemed once)."""

    access_token: TokenInfo
    refresh_token: TokenInfo


class AuthenticationTokenRefresh(KsefModel):
    """`AuthenticationTokenRefreshResponse` of `POST /auth/token/refresh`."""

    access_token: TokenInfo


class AuthenticationSession(KsefModel):
    """`AuthenticationListItem`: one authentication session of `GET /auth/sessions`."""

    reference_number: ReferenceNumber
    start_date: UtcDatetime
    status: StatusInfo
    authentication_method: AuthenticationMethod | str | None = None
    authentication_method_info: AuthenticationMethodInfo | None = None
    is_token_redeemed: bool | None = None
    last_token_refresh_date: UtcDatetime | None = None
    refresh_token_valid_until: UtcDatetime | None = None
    is_current: bool = False


class AuthenticationSessionPage(KsefModel):
    """`AuthenticationListResponse`: one page of sessions; no `continuation_token` means the last page."""

    items: tuple[AuthenticationSession, ...]
    continuation_token: str | None = None


# --- certificates -------------------------------------------------------------------------------------------------


class CertificateLimit(KsefModel):
    """`CertificateLimit`: how many of something are left out of the limit."""

    remaining: int
    limit: int


class CertificateLimits(KsefModel):
    """`CertificateLimitsResponse`: whether a new enrollment may be submitted, and both limits."""

    can_request: bool
    enrollment: CertificateLimit
    certificate: CertificateLimit


class CertificateEnrollmentData(KsefModel):
    """`CertificateEnrollmentDataResponse`: the subject DN the CSR must carry, read from the login certificate.

    Person certificates carry given name, surname and `serial_number` (e.g. `TINPL-…`, `PNOPL-…`); seals carry
    organisation name and identifier. `serial_number` is the DN attribute 2.5.4.5, not a certificate serial.
    """

    common_name: str
    country_name: str
    given_name: str | None = None
    surname: str | None = None
    serial_number: str | None = None
    unique_identifier: str | None = None
    organization_name: str | None = None
    organization_identifier: str | None = None

    def to_enrollment_data(self) -> EnrollmentData:
        """The same data as `ksef_mcu.crypto.csr.EnrollmentData`, ready for `create_csr` (empty values dropped)."""
        try:
            return EnrollmentData.from_api(self.model_dump(mode="json", by_alias=True))
        except KsefCryptoError as error:
            raise KsefInvalidInputError(error.message, field="enrollment_data") from error


class EnrollmentSubmission(KsefModel):
    """`EnrollCertificateResponse` of `POST /certificates/enrollments` (HTTP 202)."""

    reference_number: ReferenceNumber
    timestamp: UtcDatetime


class CertificateEnrollmentStatus(KsefModel):
    """`CertificateEnrollmentStatusResponse`: status 100 accepted, 200 issued (`serial_number` set), 400 rejected,
    500 unknown error, 550 cancelled by the system."""

    request_date: UtcDatetime
    status: StatusInfo
    serial_number: SerialNumber | None = Field(default=None, alias="certificateSerialNumber")


class RetrievedCertificate(_CertificateDer):
    """`RetrieveCertificatesListItem`: an issued certificate as DER, PEM and a `cryptography` object."""

    der: Base64Bytes = Field(alias="certificate")
    name: str = Field(alias="certificateName")
    serial_number: SerialNumber = Field(alias="certificateSerialNumber")
    type: CertificateType = Field(alias="certificateType")


class CertificateSubjectIdentifier(KsefModel):
    """`CertificateSubjectIdentifier`: the subject a certificate was issued for (NIP, PESEL or fingerprint)."""

    type: SubjectIdentifierType
    value: str


class CertificateListItem(KsefModel):
    """`CertificateListItem` of `POST /certificates/query`."""

    serial_number: SerialNumber = Field(alias="certificateSerialNumber")
    name: str
    type: CertificateType
    common_name: str
    status: CertificateStatus
    subject_identifier: CertificateSubjectIdentifier
    valid_from: UtcDatetime
    valid_to: UtcDatetime
    request_date: UtcDatetime
    last_use_date: UtcDatetime | None = None


class CertificatePage(KsefModel):
    """`QueryCertificatesResponse`: one page of certificates; `has_more` says whether another page follows."""

    certificates: tuple[CertificateListItem, ...]
    has_more: bool


# --- security -----------------------------------------------------------------------------------------------------


class PublicKeyCertificate(_CertificateDer):
    """`PublicKeyCertificate`: an MF public-key certificate (DER) and what it may encrypt."""

    der: Base64Bytes = Field(alias="certificate")
    certificate_id: str
    public_key_id: str
    valid_from: UtcDatetime
    valid_to: UtcDatetime
    usage: tuple[PublicKeyCertificateUsage | str, ...]

    def is_valid_at(self, now: datetime) -> bool:
        """True when `now` (timezone-aware) lies within the certificate's validity."""
        return self.valid_from <= now <= self.valid_to


def select_public_key_certificate(
    certificates: Sequence[PublicKeyCertificate], usage: PublicKeyCertificateUsage, *, now: datetime
) -> PublicKeyCertificate | None:
    """KSeF's selection rule: of the certificates with `usage` valid at `now`, the one with the latest `valid_from`."""
    candidates = [item for item in certificates if usage in item.usage and item.is_valid_at(now)]
    return max(candidates, key=lambda item: item.valid_from, default=None)


# --- requests -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnrollCertificateRequest:
    """`EnrollCertificateRequest`: the certificate's own name, its type, the CSR (DER) and an optional start date."""

    name: str
    type: CertificateType
    csr_der: bytes
    valid_from: datetime | None = None

    def __post_init__(self) -> None:
        validate_certificate_name(self.name)
        object.__setattr__(self, "type", parse_certificate_type(self.type))
        if not isinstance(self.csr_der, bytes) or not self.csr_der:
            raise KsefInvalidInputError("Wniosek CSR jest pusty.", field="csr")
        if self.valid_from is not None:
            object.__setattr__(self, "valid_from", require_aware(self.valid_from, field="valid_from"))

    def to_json(self) -> dict[str, Any]:
        """The JSON body; `validFrom` is left out when not given (the certificate is valid from issuance)."""
        body: dict[str, Any] = {
            "certificateName": self.name,
            "certificateType": self.type.value,
            "csr": base64.b64encode(self.csr_der).decode("ascii"),
        }
        if self.valid_from is not None:
            body["validFrom"] = self.valid_from.isoformat()
        return body


@dataclass(frozen=True, slots=True)
class CertificateQuery:
    """`QueryCertificatesRequest` filters; every one is optional and `CertificateQuery()` lists everything.

    `serial_number` is an exact match, `name` a substring match, `expires_after` keeps certificates that expire
    after the given moment.
    """

    serial_number: str | None = None
    name: str | None = None
    type: CertificateType | None = None
    status: CertificateStatus | None = None
    expires_after: datetime | None = None

    def __post_init__(self) -> None:
        if self.serial_number is not None:
            object.__setattr__(self, "serial_number", normalize_serial_number(self.serial_number))
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise KsefInvalidInputError("Filtr nazwy certyfikatu nie może być pusty.", field="name")
        if self.type is not None:
            object.__setattr__(self, "type", parse_certificate_type(self.type))
        if self.status is not None:
            object.__setattr__(self, "status", CertificateStatus.parse(self.status))
        if self.expires_after is not None:
            object.__setattr__(self, "expires_after", require_aware(self.expires_after, field="expires_after"))

    def to_json(self) -> dict[str, Any]:
        """The JSON body with only the filters that are set (`{}` for no filter)."""
        body: dict[str, Any] = {}
        if self.serial_number is not None:
            body["certificateSerialNumber"] = self.serial_number
        if self.name is not None:
            body["name"] = self.name
        if self.type is not None:
            body["type"] = self.type.value
        if self.status is not None:
            body["status"] = self.status.value
        if self.expires_after is not None:
            body["expiresAfter"] = self.expires_after.isoformat()
        return body
