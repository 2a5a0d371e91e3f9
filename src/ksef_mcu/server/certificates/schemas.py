"""JSON bodies of `/v2/certificates/*`, `/v2/limits/subject` and `/v2/testdata/limits/subject/certificate`, field for
field as `open-api.json` names them.

Requests ignore unknown fields, accept explicit nulls for optional ones, and read enum values in any letter case.
Rules that the official API reports with their own codes (certificate name, CSR, serial numbers) are checked by the
services, so the details say exactly what is wrong.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import Field

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.identifiers import SubjectIdentifierType
from ksef_mcu.server.certificates.model import CertificateStatus, RevocationReason
from ksef_mcu.server.http.schemas import Int32, RequestModel, ResponseModel, StatusInfo, case_insensitive

CertificateType = Annotated[KsefCertificateType, case_insensitive(KsefCertificateType)]


class CertificateLimit(ResponseModel):
    remaining: int
    limit: int


class CertificateLimitsResponse(ResponseModel):
    can_request: bool = Field(alias="canRequest")
    enrollment: CertificateLimit
    certificate: CertificateLimit


class CertificateEnrollmentDataResponse(ResponseModel):
    common_name: str = Field(alias="commonName")
    country_name: str = Field(alias="countryName")
    given_name: str | None = Field(default=None, alias="givenName")
    surname: str | None = None
    serial_number: str | None = Field(default=None, alias="serialNumber")
    unique_identifier: str | None = Field(default=None, alias="uniqueIdentifier")
    organization_name: str | None = Field(default=None, alias="organizationName")
    organization_identifier: str | None = Field(default=None, alias="organizationIdentifier")


class EnrollCertificateRequest(RequestModel):
    # The contract's bound; the 5…100 rule itself (with its own message) is `policy.py`'s.
    certificate_name: str = Field(alias="certificateName", max_length=100)
    certificate_type: CertificateType = Field(alias="certificateType")
    csr: str
    valid_from: datetime | None = Field(default=None, alias="validFrom")


class EnrollCertificateResponse(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")
    timestamp: datetime


class CertificateEnrollmentStatusResponse(ResponseModel):
    request_date: datetime = Field(alias="requestDate")
    status: StatusInfo
    certificate_serial_number: str | None = Field(default=None, alias="certificateSerialNumber")


class RetrieveCertificatesRequest(RequestModel):
    certificate_serial_numbers: list[Annotated[str, Field(max_length=16)]] = Field(
        alias="certificateSerialNumbers", min_length=1, max_length=10
    )


class RetrieveCertificatesListItem(ResponseModel):
    certificate: str
    certificate_name: str = Field(alias="certificateName")
    certificate_serial_number: str = Field(alias="certificateSerialNumber")
    certificate_type: KsefCertificateType = Field(alias="certificateType")


class RetrieveCertificatesResponse(ResponseModel):
    certificates: list[RetrieveCertificatesListItem]


class QueryCertificatesRequest(RequestModel):
    certificate_serial_number: str | None = Field(
        default=None, alias="certificateSerialNumber", max_length=16, pattern=r"^[0-9A-Fa-f]{16}$"
    )
    name: str | None = None
    type: Annotated[KsefCertificateType | None, case_insensitive(KsefCertificateType)] = None
    status: Annotated[CertificateStatus | None, case_insensitive(CertificateStatus)] = None
    expires_after: datetime | None = Field(default=None, alias="expiresAfter")


class CertificateSubjectIdentifier(ResponseModel):
    type: SubjectIdentifierType
    value: str


class CertificateListItem(ResponseModel):
    certificate_serial_number: str = Field(alias="certificateSerialNumber")
    name: str
    type: KsefCertificateType
    common_name: str = Field(alias="commonName")
    status: CertificateStatus
    subject_identifier: CertificateSubjectIdentifier = Field(alias="subjectIdentifier")
    valid_from: datetime = Field(alias="validFrom")
    valid_to: datetime = Field(alias="validTo")
    last_use_date: datetime | None = Field(default=None, alias="lastUseDate")
    request_date: datetime = Field(alias="requestDate")


class QueryCertificatesResponse(ResponseModel):
    certificates: list[CertificateListItem]
    has_more: bool = Field(alias="hasMore")


class RevokeCertificateRequest(RequestModel):
    revocation_reason: Annotated[RevocationReason | None, case_insensitive(RevocationReason)] = Field(
        default=None, alias="revocationReason"
    )


class TestDataSubjectIdentifierType(enum.StrEnum):
    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"


class EnrollmentSubjectLimitsOverride(RequestModel):
    max_enrollments: Int32 | None = Field(default=None, alias="maxEnrollments", ge=0)


class CertificateSubjectLimitsOverride(RequestModel):
    max_certificates: Int32 | None = Field(default=None, alias="maxCertificates", ge=0)


class SetSubjectLimitsRequest(RequestModel):
    subject_identifier_type: Annotated[
        TestDataSubjectIdentifierType | None, case_insensitive(TestDataSubjectIdentifierType)
    ] = Field(default=None, alias="subjectIdentifierType")
    enrollment: EnrollmentSubjectLimitsOverride | None = None
    certificate: CertificateSubjectLimitsOverride | None = None


class EnrollmentEffectiveSubjectLimits(ResponseModel):
    max_enrollments: int = Field(alias="maxEnrollments")


class CertificateEffectiveSubjectLimits(ResponseModel):
    max_certificates: int = Field(alias="maxCertificates")


class EffectiveSubjectLimits(ResponseModel):
    enrollment: EnrollmentEffectiveSubjectLimits
    certificate: CertificateEffectiveSubjectLimits
