"""Models of the API tag "Certyfikaty": limits, enrollment data, enrollments, retrieval, queries, revocation."""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field

from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models.common import (
    Base64Bytes,
    CertificateDer,
    KsefModel,
    ReferenceNumber,
    SerialNumber,
    StatusInfo,
    UtcDatetime,
    parse_enum,
)
from ksef_mcu.client.validation import normalize_serial_number, require_aware, validate_certificate_name
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.crypto.errors import KsefCryptoError
from ksef_mcu.identifiers import SubjectIdentifierType

__all__ = [
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
    "RetrievedCertificate",
    "RevocationReason",
    "SubjectIdentifierType",
    "parse_certificate_type",
]

CertificateType = KsefCertificateType
"""`KsefCertificateType`: Authentication (Type 1, logs in to KSeF) or Offline (Type 2, signs KOD II only)."""


def parse_certificate_type(value: CertificateType | str) -> CertificateType:
    """The certificate type named by `value`, case-insensitive (`offline` → Offline). Raises `KsefInvalidInputError`."""
    return parse_enum(CertificateType, value, field="certificate_type", label="typu certyfikatu")


class CertificateStatus(enum.StrEnum):
    """`CertificateListItemStatus`: Blocked is the transitional state until a revocation completes."""

    ACTIVE = "Active"
    BLOCKED = "Blocked"
    REVOKED = "Revoked"
    EXPIRED = "Expired"

    @classmethod
    def parse(cls, value: CertificateStatus | str) -> CertificateStatus:
        """The status named by `value`, case-insensitive. Raises `KsefInvalidInputError`."""
        return parse_enum(cls, value, field="status", label="statusu certyfikatu")


class RevocationReason(enum.StrEnum):
    """`CertificateRevocationReason`."""

    UNSPECIFIED = "Unspecified"
    SUPERSEDED = "Superseded"
    KEY_COMPROMISE = "KeyCompromise"

    @classmethod
    def parse(cls, value: RevocationReason | str) -> RevocationReason:
        """The reason named by `value`, case-insensitive (`key-compromise` → `KeyCompromise`)."""
        return parse_enum(cls, value, field="revocation_reason", label="powodu unieważnienia")


# --- responses ----------------------------------------------------------------------------------------------------


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


class RetrievedCertificate(CertificateDer):
    """`RetrieveCertificatesListItem`: an issued certificate as DER, PEM and a `cryptography` object."""

    der: Base64Bytes = Field(alias="certificate")
    name: str = Field(alias="certificateName")
    serial_number: SerialNumber = Field(alias="certificateSerialNumber")
    type: CertificateType = Field(alias="certificateType")


class RetrievedCertificates(KsefModel):
    """`RetrieveCertificatesResponse` of `POST /certificates/retrieve`."""

    certificates: tuple[RetrievedCertificate, ...]


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


# --- requests -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnrollCertificateRequest:
    """`EnrollCertificateRequest`: the certificate's own name, its type, the CSR (DER) and an optional start date.

    The name is checked against the API's rule (5–100 characters, Polish letters allowed); `CertificatesApi.enroll`
    applies the user guide's stricter rule first unless told otherwise.
    """

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
