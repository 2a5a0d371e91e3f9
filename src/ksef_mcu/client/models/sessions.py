"""Models of the API tags "Wysyłka interaktywna", "Status wysyłki i UPO" and "Pobieranie faktur"."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from ksef_mcu.client.models.common import KsefModel, ReferenceNumber, StatusInfo, UtcDatetime
from ksef_mcu.crypto.encryption import SessionKey

__all__ = [
    "FA2_FORM_CODE",
    "FA3_FORM_CODE",
    "InvoiceStatusInfo",
    "OnlineSession",
    "OpenedSession",
    "SentInvoice",
    "SessionInvoicePage",
    "SessionInvoiceStatus",
    "SessionListItem",
    "SessionPage",
    "SessionStatus",
    "UpoPage",
    "UpoPages",
    "XmlDocument",
]

FA3_FORM_CODE = ("FA (3)", "1-0E", "FA")
FA2_FORM_CODE = ("FA (2)", "1-0E", "FA")


class OpenedSession(KsefModel):
    """`OpenOnlineSessionResponse`."""

    reference_number: ReferenceNumber
    valid_until: UtcDatetime


@dataclass(frozen=True, slots=True)
class OnlineSession:
    """An open online session and the AES key its invoices are encrypted with (kept by the caller only)."""

    reference_number: str
    valid_until: dt.datetime
    key: SessionKey = field(repr=False)
    form_code: tuple[str, str, str] = FA3_FORM_CODE


class SentInvoice(KsefModel):
    """`SendInvoiceResponse`: the invoice's reference number in the session."""

    reference_number: ReferenceNumber


class InvoiceStatusInfo(StatusInfo):
    """An invoice's status: 100/150 in progress, 200 numbered, 4xx/5xx refused; `extensions` for duplicates."""

    extensions: dict[str, str | None] | None = None


class SessionInvoiceStatus(KsefModel):
    """`SessionInvoiceStatusResponse`."""

    ordinal_number: int
    invoice_number: str | None = None
    ksef_number: str | None = None
    reference_number: ReferenceNumber
    invoice_hash: str
    invoice_file_name: str | None = None
    acquisition_date: UtcDatetime | None = None
    invoicing_date: UtcDatetime
    permanent_storage_date: UtcDatetime | None = None
    upo_download_url: str | None = None
    upo_download_url_expiration_date: UtcDatetime | None = None
    invoicing_mode: str | None = None
    status: InvoiceStatusInfo


class SessionInvoicePage(KsefModel):
    continuation_token: str | None = None
    invoices: tuple[SessionInvoiceStatus, ...]


class UpoPage(KsefModel):
    reference_number: ReferenceNumber
    download_url: str
    download_url_expiration_date: UtcDatetime


class UpoPages(KsefModel):
    pages: tuple[UpoPage, ...]


class SessionStatus(KsefModel):
    """`SessionStatusResponse`: 100 open, 170 closed (UPO being made), 200 done, 415/440/445 failed."""

    status: StatusInfo
    date_created: UtcDatetime
    date_updated: UtcDatetime
    valid_until: UtcDatetime | None = None
    upo: UpoPages | None = None
    invoice_count: int | None = None
    successful_invoice_count: int | None = None
    failed_invoice_count: int | None = None

    @property
    def finished(self) -> bool:
        """True when the session is neither open nor closing (its UPO, if any, is ready)."""
        return self.status.code not in (100, 170)


class SessionListItem(KsefModel):
    reference_number: ReferenceNumber
    status: StatusInfo
    date_created: UtcDatetime
    date_updated: UtcDatetime
    valid_until: UtcDatetime | None = None
    total_invoice_count: int
    successful_invoice_count: int
    failed_invoice_count: int


class SessionPage(KsefModel):
    continuation_token: str | None = None
    sessions: tuple[SessionListItem, ...]


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """An XML document KSeF serves (a UPO, an invoice) with its `x-ms-meta-hash` (Base64 SHA-256)."""

    content: bytes = field(repr=False)
    meta_hash: str | None

    @property
    def hash_matches(self) -> bool:
        """Whether the bytes received are the ones the server hashed (False when no hash came)."""
        if self.meta_hash is None:
            return False
        actual = base64.b64encode(hashlib.sha256(self.content).digest()).decode("ascii")
        return hmac.compare_digest(actual, self.meta_hash)
