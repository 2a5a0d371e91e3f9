"""JSON bodies of `/v2/sessions/*`, field for field as `open-api.json` names them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ksef_mcu.server.http.schemas import INT64_MAX, RequestModel, ResponseModel, StatusInfo


class FormCode(RequestModel):
    system_code: str = Field(alias="systemCode", max_length=64)
    schema_version: str = Field(alias="schemaVersion", max_length=64)
    value: str = Field(alias="value", max_length=64)


class EncryptionInfo(RequestModel):
    encrypted_symmetric_key: str = Field(alias="encryptedSymmetricKey", max_length=4096)
    initialization_vector: str = Field(alias="initializationVector", max_length=64)
    public_key_id: str | None = Field(default=None, alias="publicKeyId", min_length=44, max_length=44)


class OpenOnlineSessionRequest(RequestModel):
    form_code: FormCode = Field(alias="formCode")
    encryption: EncryptionInfo


class OpenOnlineSessionResponse(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")
    valid_until: datetime = Field(alias="validUntil")


class SendInvoiceRequest(RequestModel):
    invoice_hash: str = Field(alias="invoiceHash", min_length=44, max_length=44)
    invoice_size: int = Field(alias="invoiceSize", ge=1, le=INT64_MAX)
    encrypted_invoice_hash: str = Field(alias="encryptedInvoiceHash", min_length=44, max_length=44)
    encrypted_invoice_size: int = Field(alias="encryptedInvoiceSize", ge=1, le=INT64_MAX)
    encrypted_invoice_content: str = Field(alias="encryptedInvoiceContent", min_length=1)
    offline_mode: bool = Field(default=False, alias="offlineMode")
    hash_of_corrected_invoice: str | None = Field(
        default=None, alias="hashOfCorrectedInvoice", min_length=44, max_length=44
    )


class SendInvoiceResponse(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")


class InvoiceStatusInfo(StatusInfo):
    extensions: dict[str, str | None] | None = None


class UpoPageResponse(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")
    download_url: str = Field(alias="downloadUrl")
    download_url_expiration_date: datetime = Field(alias="downloadUrlExpirationDate")


class UpoResponse(ResponseModel):
    pages: list[UpoPageResponse]


class SessionStatusResponse(ResponseModel):
    status: StatusInfo
    date_created: datetime = Field(alias="dateCreated")
    date_updated: datetime = Field(alias="dateUpdated")
    valid_until: datetime | None = Field(default=None, alias="validUntil")
    upo: UpoResponse | None = None
    invoice_count: int | None = Field(default=None, alias="invoiceCount")
    successful_invoice_count: int | None = Field(default=None, alias="successfulInvoiceCount")
    failed_invoice_count: int | None = Field(default=None, alias="failedInvoiceCount")


class SessionsQueryResponseItem(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")
    status: StatusInfo
    date_created: datetime = Field(alias="dateCreated")
    date_updated: datetime = Field(alias="dateUpdated")
    valid_until: datetime | None = Field(default=None, alias="validUntil")
    total_invoice_count: int = Field(alias="totalInvoiceCount")
    successful_invoice_count: int = Field(alias="successfulInvoiceCount")
    failed_invoice_count: int = Field(alias="failedInvoiceCount")


class SessionsQueryResponse(ResponseModel):
    continuation_token: str | None = Field(default=None, alias="continuationToken")
    sessions: list[SessionsQueryResponseItem]


class SessionInvoiceStatusResponse(ResponseModel):
    ordinal_number: int = Field(alias="ordinalNumber")
    invoice_number: str | None = Field(default=None, alias="invoiceNumber")
    ksef_number: str | None = Field(default=None, alias="ksefNumber")
    reference_number: str = Field(alias="referenceNumber")
    invoice_hash: str = Field(alias="invoiceHash")
    invoice_file_name: str | None = Field(default=None, alias="invoiceFileName")
    acquisition_date: datetime | None = Field(default=None, alias="acquisitionDate")
    invoicing_date: datetime = Field(alias="invoicingDate")
    permanent_storage_date: datetime | None = Field(default=None, alias="permanentStorageDate")
    upo_download_url: str | None = Field(default=None, alias="upoDownloadUrl")
    upo_download_url_expiration_date: datetime | None = Field(default=None, alias="upoDownloadUrlExpirationDate")
    invoicing_mode: str | None = Field(default=None, alias="invoicingMode")
    status: InvoiceStatusInfo


class SessionInvoicesResponse(ResponseModel):
    continuation_token: str | None = Field(default=None, alias="continuationToken")
    invoices: list[SessionInvoiceStatusResponse]
