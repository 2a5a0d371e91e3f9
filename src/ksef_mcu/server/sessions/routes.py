"""`/v2/sessions/*` (online sessions, their invoices and UPOs), `/v2/invoices/ksef/{ksefNumber}`, and the UPO
download links (`/storage/upo/…`, usable without a bearer token until they expire, like KSeF's pre-signed URLs).

HTTP only: each route reads its input, makes one service call and shapes the answer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from ksef_mcu.documents.upo import upo_hash
from ksef_mcu.server.auth.deps import AccessPrincipal
from ksef_mcu.server.errors import NotFoundError
from ksef_mcu.server.http.deps import HttpComponents, get_components, json_response, run_service
from ksef_mcu.server.http.schemas import EARLIEST, StatusInfo
from ksef_mcu.server.sessions.model import SessionFilter, SessionInvoiceRecord, SessionRecord
from ksef_mcu.server.sessions.schemas import (
    InvoiceStatusInfo,
    OpenOnlineSessionRequest,
    OpenOnlineSessionResponse,
    SendInvoiceRequest,
    SendInvoiceResponse,
    SessionInvoicesResponse,
    SessionInvoiceStatusResponse,
    SessionsQueryResponse,
    SessionsQueryResponseItem,
    SessionStatusResponse,
    UpoPageResponse,
    UpoResponse,
)
from ksef_mcu.server.sessions.service import Document, InvoiceToSend, SessionService
from ksef_mcu.server.settings import ServerSettings

XML = "application/xml"
UPLOAD_BODY_LIMIT = 6 * 1024 * 1024
"""`POST /v2/sessions/online/{ref}/invoices` carries up to 3 MB of invoice, encrypted and in Base64 (~4 MB)."""
UPLOAD_PATH = "/v2/sessions/online/{referenceNumber}/invoices"


class SessionComponents(HttpComponents, Protocol):
    @property
    def sessions(self) -> SessionService: ...

    @property
    def settings(self) -> ServerSettings: ...


Services = Annotated[SessionComponents, Depends(get_components)]
ReferenceNumberPath = Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)]
InvoiceReferencePath = Annotated[str, Path(alias="invoiceReferenceNumber", min_length=36, max_length=36)]
UpoReferencePath = Annotated[str, Path(alias="upoReferenceNumber", min_length=36, max_length=36)]
KsefNumberPath = Annotated[str, Path(alias="ksefNumber", min_length=35, max_length=36)]
ContinuationToken = Annotated[str | None, Header(alias="x-continuation-token", max_length=1024)]
PageSize = Annotated[int, Query(alias="pageSize", ge=10, le=1000)]

sessions_router = APIRouter(prefix="/v2", tags=["Wysyłka interaktywna", "Status wysyłki i UPO"])
invoices_router = APIRouter(prefix="/v2", tags=["Pobieranie faktur"])
upo_download_router = APIRouter(tags=["Status wysyłki i UPO"])


class SessionType(StrEnum):
    ONLINE = "Online"
    BATCH = "Batch"


class CommonSessionStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


def _xml(document: Document) -> Response:
    return Response(document.content, media_type=XML, headers={"x-ms-meta-hash": upo_hash(document.content)})


def _status(record: SessionRecord) -> StatusInfo:
    return StatusInfo(
        code=record.status.code, description=record.status.description, details=list(record.status.details) or None
    )


def _download(request: Request, services: SessionComponents, path: str) -> tuple[str, dt.datetime]:
    signed, expires = services.sessions.links.sign(path, now=services.clock.now())
    return f"{services.settings.resolved_public_url}{signed}", expires


def _invoice(
    request: Request, services: SessionComponents, record: SessionInvoiceRecord
) -> SessionInvoiceStatusResponse:
    url = expires = None
    if record.ksef_number is not None:
        url, expires = _download(
            request, services, f"/storage/upo/{record.session_reference}/invoices/{record.reference_number}"
        )
    status = record.status
    return SessionInvoiceStatusResponse(
        ordinal_number=record.ordinal_number,
        invoice_number=record.invoice_number,
        ksef_number=record.ksef_number,
        reference_number=record.reference_number,
        invoice_hash=record.invoice_hash,
        acquisition_date=record.acquisition_date,
        invoicing_date=record.invoicing_date,
        permanent_storage_date=record.acquisition_date,
        upo_download_url=url,
        upo_download_url_expiration_date=expires,
        invoicing_mode=record.invoicing_mode,
        status=InvoiceStatusInfo(
            code=status.code,
            description=status.description,
            details=list(status.details) or None,
            extensions=status.extensions,
        ),
    )


# --- sending -------------------------------------------------------------------------------------------------------


@sessions_router.post(
    "/sessions/online",
    summary="Otwarcie sesji interaktywnej",
    status_code=201,
    response_model=OpenOnlineSessionResponse,
)
async def open_online_session(
    services: Services, principal: AccessPrincipal, body: OpenOnlineSessionRequest
) -> Response:
    opened = await run_service(
        services,
        services.sessions.open_online,
        principal,
        form_code=(body.form_code.system_code, body.form_code.schema_version, body.form_code.value),
        encrypted_symmetric_key=body.encryption.encrypted_symmetric_key,
        initialization_vector=body.encryption.initialization_vector,
        public_key_id=body.encryption.public_key_id,
    )
    return json_response(
        OpenOnlineSessionResponse(reference_number=opened.reference_number, valid_until=opened.valid_until),
        status_code=201,
    )


@sessions_router.post(
    UPLOAD_PATH.removeprefix("/v2"), summary="Wysłanie faktury", status_code=202, response_model=SendInvoiceResponse
)
async def send_invoice(
    services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath, body: SendInvoiceRequest
) -> Response:
    invoice = InvoiceToSend(
        invoice_hash=body.invoice_hash,
        invoice_size=body.invoice_size,
        encrypted_invoice_hash=body.encrypted_invoice_hash,
        encrypted_invoice_size=body.encrypted_invoice_size,
        encrypted_invoice_content=body.encrypted_invoice_content,
        offline_mode=body.offline_mode,
        hash_of_corrected_invoice=body.hash_of_corrected_invoice,
    )
    reference = await run_service(services, services.sessions.send_invoice, principal, reference_number, invoice)
    return json_response(SendInvoiceResponse(reference_number=reference), status_code=202)


@sessions_router.post(
    "/sessions/online/{referenceNumber}/close", summary="Zamknięcie sesji interaktywnej", status_code=204
)
async def close_online_session(
    services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath
) -> Response:
    await run_service(services, services.sessions.close, principal, reference_number)
    return Response(status_code=204)


# --- status ----------------------------------------------------------------------------------------------------------


@sessions_router.get("/sessions", summary="Pobranie listy sesji", response_model=SessionsQueryResponse)
async def list_sessions(
    *,
    services: Services,
    principal: AccessPrincipal,
    session_type: Annotated[SessionType, Query(alias="sessionType")],
    continuation_token: ContinuationToken = None,
    page_size: PageSize = 10,
    reference_number: Annotated[str | None, Query(alias="referenceNumber", max_length=36)] = None,
    date_created_from: Annotated[dt.datetime | None, Query(alias="dateCreatedFrom")] = None,
    date_created_to: Annotated[dt.datetime | None, Query(alias="dateCreatedTo")] = None,
    date_closed_from: Annotated[dt.datetime | None, Query(alias="dateClosedFrom")] = None,
    date_closed_to: Annotated[dt.datetime | None, Query(alias="dateClosedTo")] = None,
    date_modified_from: Annotated[dt.datetime | None, Query(alias="dateModifiedFrom")] = None,
    date_modified_to: Annotated[dt.datetime | None, Query(alias="dateModifiedTo")] = None,
    statuses: Annotated[list[CommonSessionStatus] | None, Query(alias="statuses")] = None,
) -> Response:
    def aware(value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return max(value, EARLIEST)

    where = SessionFilter(
        session_type=session_type.value,
        reference_number=reference_number,
        date_created_from=aware(date_created_from),
        date_created_to=aware(date_created_to),
        date_closed_from=aware(date_closed_from),
        date_closed_to=aware(date_closed_to),
        date_modified_from=aware(date_modified_from),
        date_modified_to=aware(date_modified_to),
        statuses=tuple(status.value for status in statuses or ()),
    )
    page = await run_service(
        services,
        services.sessions.list_sessions,
        principal,
        where,
        page_size=page_size,
        continuation_token=continuation_token or None,
    )
    return json_response(
        SessionsQueryResponse(
            continuation_token=page.continuation_token,
            sessions=[
                SessionsQueryResponseItem(
                    reference_number=record.reference_number,
                    status=_status(record),
                    date_created=record.date_created,
                    date_updated=record.date_updated,
                    valid_until=record.valid_until,
                    total_invoice_count=record.invoice_count,
                    successful_invoice_count=record.successful_count,
                    failed_invoice_count=record.failed_count,
                )
                for record in page.sessions
            ],
        )
    )


@sessions_router.get(
    "/sessions/{referenceNumber}", summary="Pobranie statusu sesji", response_model=SessionStatusResponse
)
async def session_status(
    request: Request, services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath
) -> Response:
    view = await run_service(services, services.sessions.session, principal, reference_number)
    record = view.session
    upo = None
    if view.upo_pages:
        pages = []
        for page in view.upo_pages:
            url, expires = _download(request, services, f"/storage/upo/{reference_number}/{page}")
            pages.append(UpoPageResponse(reference_number=page, download_url=url, download_url_expiration_date=expires))
        upo = UpoResponse(pages=pages)
    return json_response(
        SessionStatusResponse(
            status=_status(record),
            date_created=record.date_created,
            date_updated=record.date_updated,
            valid_until=record.valid_until,
            upo=upo,
            invoice_count=record.invoice_count,
            successful_invoice_count=record.successful_count,
            failed_invoice_count=record.failed_count,
        )
    )


async def _invoices(
    request: Request,
    services: SessionComponents,
    principal: AccessPrincipal,
    reference_number: str,
    *,
    page_size: int,
    continuation_token: str | None,
    failed_only: bool,
) -> Response:
    page = await run_service(
        services,
        services.sessions.invoices,
        principal,
        reference_number,
        page_size=page_size,
        continuation_token=continuation_token or None,
        failed_only=failed_only,
    )
    return json_response(
        SessionInvoicesResponse(
            continuation_token=page.continuation_token,
            invoices=[_invoice(request, services, record) for record in page.invoices],
        )
    )


@sessions_router.get(
    "/sessions/{referenceNumber}/invoices",
    summary="Pobranie faktur sesji",
    response_model=SessionInvoicesResponse,
)
async def session_invoices(
    *,
    request: Request,
    services: Services,
    principal: AccessPrincipal,
    reference_number: ReferenceNumberPath,
    continuation_token: ContinuationToken = None,
    page_size: PageSize = 10,
) -> Response:
    return await _invoices(
        request,
        services,
        principal,
        reference_number,
        page_size=page_size,
        continuation_token=continuation_token,
        failed_only=False,
    )


@sessions_router.get(
    "/sessions/{referenceNumber}/invoices/failed",
    summary="Pobranie niepoprawnie przetworzonych faktur sesji",
    response_model=SessionInvoicesResponse,
)
async def failed_session_invoices(
    *,
    request: Request,
    services: Services,
    principal: AccessPrincipal,
    reference_number: ReferenceNumberPath,
    continuation_token: ContinuationToken = None,
    page_size: PageSize = 10,
) -> Response:
    return await _invoices(
        request,
        services,
        principal,
        reference_number,
        page_size=page_size,
        continuation_token=continuation_token,
        failed_only=True,
    )


@sessions_router.get(
    "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
    summary="Pobranie statusu faktury z sesji",
    response_model=SessionInvoiceStatusResponse,
)
async def session_invoice(
    *,
    request: Request,
    services: Services,
    principal: AccessPrincipal,
    reference_number: ReferenceNumberPath,
    invoice_reference: InvoiceReferencePath,
) -> Response:
    record = await run_service(services, services.sessions.invoice, principal, reference_number, invoice_reference)
    return json_response(_invoice(request, services, record))


# --- UPO and invoices -----------------------------------------------------------------------------------------------


@sessions_router.get(
    "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
    summary="Pobranie UPO faktury z sesji na podstawie numeru KSeF",
    response_class=Response,
)
async def invoice_upo_by_ksef_number(
    services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath, ksef_number: KsefNumberPath
) -> Response:
    return _xml(
        await run_service(services, services.sessions.invoice_upo, principal, reference_number, ksef_number=ksef_number)
    )


@sessions_router.get(
    "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
    summary="Pobranie UPO faktury z sesji na podstawie numeru referencyjnego faktury",
    response_class=Response,
)
async def invoice_upo(
    services: Services,
    principal: AccessPrincipal,
    reference_number: ReferenceNumberPath,
    invoice_reference: InvoiceReferencePath,
) -> Response:
    return _xml(
        await run_service(
            services, services.sessions.invoice_upo, principal, reference_number, invoice_reference=invoice_reference
        )
    )


@sessions_router.get(
    "/sessions/{referenceNumber}/upo/{upoReferenceNumber}", summary="Pobranie UPO dla sesji", response_class=Response
)
async def session_upo(
    services: Services,
    principal: AccessPrincipal,
    reference_number: ReferenceNumberPath,
    upo_reference: UpoReferencePath,
) -> Response:
    return _xml(await run_service(services, services.sessions.session_upo, principal, reference_number, upo_reference))


@invoices_router.get("/invoices/ksef/{ksefNumber}", summary="Pobranie faktury po numerze KSeF", response_class=Response)
async def invoice_by_ksef_number(
    services: Services, principal: AccessPrincipal, ksef_number: KsefNumberPath
) -> Response:
    return _xml(await run_service(services, services.sessions.invoice_file, principal, ksef_number))


# --- pre-signed downloads ---------------------------------------------------------------------------------------


def _check_link(services: SessionComponents, path: str, expires: int, signature: str) -> None:
    if not services.sessions.links.valid(path, expires, signature, now=services.clock.now()):
        raise NotFoundError("Link do pobrania UPO jest nieprawidłowy lub wygasł.")


@upo_download_router.get("/storage/upo/{referenceNumber}/invoices/{invoiceReferenceNumber}", include_in_schema=False)
async def download_invoice_upo(
    services: Services,
    reference_number: ReferenceNumberPath,
    invoice_reference: InvoiceReferencePath,
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Annotated[str, Query(max_length=64)],
) -> Response:
    _check_link(services, f"/storage/upo/{reference_number}/invoices/{invoice_reference}", expires, signature)
    return _xml(
        await run_service(
            services, services.sessions.invoice_upo, None, reference_number, invoice_reference=invoice_reference
        )
    )


@upo_download_router.get("/storage/upo/{referenceNumber}/{upoReferenceNumber}", include_in_schema=False)
async def download_session_upo(
    services: Services,
    reference_number: ReferenceNumberPath,
    upo_reference: UpoReferencePath,
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Annotated[str, Query(max_length=64)],
) -> Response:
    _check_link(services, f"/storage/upo/{reference_number}/{upo_reference}", expires, signature)
    return _xml(await run_service(services, services.sessions.session_upo, None, reference_number, upo_reference))
