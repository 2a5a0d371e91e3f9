"""`/v2/certificates/*`, `/v2/limits/subject`, `/v2/testdata/limits/subject/certificate`, and the CA's `/ca/*`.

HTTP only: each route reads its input, makes one service call and shapes the answer.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Path, Query, Response

from ksef_mcu.server.auth.deps import AccessPrincipal
from ksef_mcu.server.certificates.ca import CertificateAuthority
from ksef_mcu.server.certificates.model import CertificateFilter, CertificateRecord, SubjectLimits
from ksef_mcu.server.certificates.policy import EnrollmentRequest
from ksef_mcu.server.certificates.registration import EnrollmentService
from ksef_mcu.server.certificates.schemas import (
    CertificateEffectiveSubjectLimits,
    CertificateEnrollmentDataResponse,
    CertificateEnrollmentStatusResponse,
    CertificateLimit,
    CertificateLimitsResponse,
    CertificateListItem,
    CertificateSubjectIdentifier,
    EffectiveSubjectLimits,
    EnrollCertificateRequest,
    EnrollCertificateResponse,
    EnrollmentEffectiveSubjectLimits,
    QueryCertificatesRequest,
    QueryCertificatesResponse,
    RetrieveCertificatesListItem,
    RetrieveCertificatesRequest,
    RetrieveCertificatesResponse,
    RevokeCertificateRequest,
    SetSubjectLimitsRequest,
)
from ksef_mcu.server.certificates.service import CertificateService
from ksef_mcu.server.http.deps import HttpComponents, get_components, json_response, run_service
from ksef_mcu.server.http.schemas import INT32_MAX, StatusInfo

PEM_CONTENT_TYPE = "application/x-pem-file"
CRL_CONTENT_TYPE = "application/pkix-crl"


class CertificateComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def enrollment(self) -> EnrollmentService: ...

    @property
    def certificates(self) -> CertificateService: ...

    @property
    def authority(self) -> CertificateAuthority: ...


Services = Annotated[CertificateComponents, Depends(get_components)]


ReferenceNumberPath = Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)]
SerialNumberPath = Annotated[
    str, Path(alias="certificateSerialNumber", min_length=16, max_length=16, pattern=r"^[0-9A-Fa-f]{16}$")
]

certificates_router = APIRouter(prefix="/v2", tags=["Certyfikaty"])
limits_router = APIRouter(prefix="/v2", tags=["Limity i ograniczenia"])
testdata_limits_router = APIRouter(prefix="/v2", tags=["Limity i ograniczenia"])
ca_router = APIRouter(tags=["Urząd certyfikacji"])


@certificates_router.get("/certificates/limits", summary="Pobranie danych o limitach certyfikatów")
def certificate_limits(services: Services, principal: AccessPrincipal) -> CertificateLimitsResponse:
    report = services.enrollment.limits(principal)
    return CertificateLimitsResponse(
        can_request=report.can_request,
        enrollment=CertificateLimit(remaining=report.enrollments_remaining, limit=report.limits.max_enrollments),
        certificate=CertificateLimit(remaining=report.certificates_remaining, limit=report.limits.max_certificates),
    )


@certificates_router.get(
    "/certificates/enrollments/data",
    summary="Pobranie danych do wniosku certyfikacyjnego",
    response_model_exclude_none=True,
)
def enrollment_data(services: Services, principal: AccessPrincipal) -> CertificateEnrollmentDataResponse:
    data = services.enrollment.enrollment_data(principal)
    return CertificateEnrollmentDataResponse.model_validate(data.to_api())


@certificates_router.post(
    "/certificates/enrollments",
    summary="Wysyłka wniosku certyfikacyjnego",
    status_code=202,
    response_model=EnrollCertificateResponse,
)
async def submit_enrollment(services: Services, principal: AccessPrincipal, body: EnrollCertificateRequest) -> Response:
    request = EnrollmentRequest(
        certificate_name=body.certificate_name,
        certificate_type=body.certificate_type,
        csr=body.csr,
        valid_from=body.valid_from,
    )
    accepted = await run_service(services, services.enrollment.submit, principal, request)
    return json_response(
        EnrollCertificateResponse(reference_number=accepted.reference_number, timestamp=accepted.timestamp),
        status_code=202,
    )


@certificates_router.get(
    "/certificates/enrollments/{referenceNumber}",
    summary="Pobranie statusu przetwarzania wniosku certyfikacyjnego",
    response_model=CertificateEnrollmentStatusResponse,
    response_model_exclude_none=True,
)
async def enrollment_status(
    services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath
) -> Response:
    # The poll clients repeat until the certificate is there: one primary-key read, answered without a second
    # validation pass.
    report = await run_service(services, services.enrollment.status, principal, reference_number)
    return json_response(
        CertificateEnrollmentStatusResponse(
            request_date=report.request_date,
            status=StatusInfo(
                code=int(report.status.code),
                description=report.status.description,
                details=list(report.status.details) or None,
            ),
            certificate_serial_number=report.serial_number,
        )
    )


@certificates_router.post("/certificates/retrieve", summary="Pobranie certyfikatu lub listy certyfikatów")
def retrieve_certificates(
    services: Services, principal: AccessPrincipal, body: RetrieveCertificatesRequest
) -> RetrieveCertificatesResponse:
    records = services.certificates.retrieve(principal, body.certificate_serial_numbers)
    return RetrieveCertificatesResponse(
        certificates=[
            RetrieveCertificatesListItem(
                certificate=base64.b64encode(record.der).decode("ascii"),
                certificate_name=record.name,
                certificate_serial_number=record.serial_number,
                certificate_type=record.certificate_type,
            )
            for record in records
        ]
    )


def _list_item(record: CertificateRecord, as_of: datetime) -> CertificateListItem:
    return CertificateListItem(
        certificate_serial_number=record.serial_number,
        name=record.name,
        type=record.certificate_type,
        common_name=record.common_name,
        status=record.status_at(as_of),
        subject_identifier=CertificateSubjectIdentifier(type=record.subject.type, value=record.subject.value),
        valid_from=record.valid_from,
        valid_to=record.valid_to,
        last_use_date=record.last_use_date,
        request_date=record.request_date,
    )


@certificates_router.post(
    "/certificates/query", summary="Pobranie listy metadanych certyfikatów", response_model_exclude_none=True
)
def query_certificates(
    services: Services,
    principal: AccessPrincipal,
    body: QueryCertificatesRequest | None = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=10, le=50)] = 10,
    page_offset: Annotated[int, Query(alias="pageOffset", ge=0, le=INT32_MAX)] = 0,
) -> QueryCertificatesResponse:
    body = body or QueryCertificatesRequest()
    page = services.certificates.query(
        principal,
        CertificateFilter(
            serial_number=body.certificate_serial_number.upper() if body.certificate_serial_number else None,
            name=body.name,
            certificate_type=body.type,
            status=body.status,
            expires_after=body.expires_after,
        ),
        page_size=page_size,
        page_offset=page_offset,
    )
    return QueryCertificatesResponse(
        certificates=[_list_item(record, page.as_of) for record in page.certificates], has_more=page.has_more
    )


@certificates_router.post(
    "/certificates/{certificateSerialNumber}/revoke",
    summary="Unieważnienie certyfikatu",
    status_code=204,
    response_class=Response,
)
def revoke_certificate(
    services: Services,
    principal: AccessPrincipal,
    serial_number: SerialNumberPath,
    body: RevokeCertificateRequest | None = None,
) -> Response:
    services.certificates.revoke(principal, serial_number, body.revocation_reason if body else None)
    return Response(status_code=204)


# --- limits ---------------------------------------------------------------------------------------------------------


@limits_router.get("/limits/subject", summary="Pobranie limitów dla bieżącego podmiotu")
def subject_limits(services: Services, principal: AccessPrincipal) -> EffectiveSubjectLimits:
    limits = services.enrollment.effective_limits(principal)
    return EffectiveSubjectLimits(
        enrollment=EnrollmentEffectiveSubjectLimits(max_enrollments=limits.max_enrollments),
        certificate=CertificateEffectiveSubjectLimits(max_certificates=limits.max_certificates),
    )


@testdata_limits_router.post(
    "/testdata/limits/subject/certificate", summary="Zmiana limitów certyfikatów dla bieżącego podmiotu"
)
def set_subject_limits(services: Services, principal: AccessPrincipal, body: SetSubjectLimitsRequest) -> Response:
    services.enrollment.set_subject_limits(
        principal,
        SubjectLimits(
            max_enrollments=body.enrollment.max_enrollments if body.enrollment else None,
            max_certificates=body.certificate.max_certificates if body.certificate else None,
        ),
    )
    return Response(status_code=200)


@testdata_limits_router.delete(
    "/testdata/limits/subject/certificate",
    summary="Przywrócenie domyślnych wartości limitów certyfikatów dla bieżącego podmiotu",
)
def restore_subject_limits(services: Services, principal: AccessPrincipal) -> Response:
    services.enrollment.restore_subject_limits(principal)
    return Response(status_code=200)


# --- the CA ---------------------------------------------------------------------------------------------------------


@ca_router.get(
    "/ca/certificate",
    summary="Certyfikaty urzędu certyfikacji (PEM: wystawca certyfikatów, potem główny)",
    response_class=Response,
    responses={200: {"content": {PEM_CONTENT_TYPE: {}}}},
)
def ca_certificate(services: Services) -> Response:
    return Response(
        services.authority.chain_pem(),
        media_type=PEM_CONTENT_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ksef-mcu-ca.pem"'},
    )


@ca_router.get(
    "/ca/crl",
    summary="Lista unieważnionych certyfikatów (CRL, DER)",
    response_class=Response,
    responses={200: {"content": {CRL_CONTENT_TYPE: {}}}},
)
def ca_crl(services: Services) -> Response:
    crl = services.certificates.crl()
    return Response(
        crl.der,
        media_type=CRL_CONTENT_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ksef-mcu-ca.crl"'},
    )
