"""The sessions domain's vocabulary: status codes and descriptions, and the records services and repositories
exchange."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

POLISH_TIME: Final = ZoneInfo("Europe/Warsaw")
"""KSeF's calendar: issue dates and the date in a KSeF number are days in Polish time."""


class SessionStatusCode(enum.IntEnum):
    """Online session statuses (`SessionStatusResponse.status`)."""

    OPEN = 100
    CLOSED = 170
    PROCESSED = 200
    KEY_DECRYPTION_FAILED = 415
    CANCELLED = 440
    NO_VALID_INVOICES = 445


SESSION_STATUS_DESCRIPTIONS: Final[dict[int, str]] = {
    100: "Sesja interaktywna otwarta",
    170: "Sesja interaktywna zamknięta",
    200: "Sesja interaktywna przetworzona pomyślnie",
    415: "Błąd odszyfrowania dostarczonego klucza",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
}
NO_INVOICES_DETAIL: Final = "Nie przesłano faktur"

#: `CommonSessionStatus` (the `statuses` filter of GET /sessions) → session status codes.
COMMON_STATUSES: Final[dict[str, tuple[int, ...]]] = {
    "InProgress": (100, 170),
    "Succeeded": (200,),
    "Failed": (415, 445),
    "Cancelled": (440,),
}


class InvoiceStatusCode(enum.IntEnum):
    """Invoice statuses (`SessionInvoiceStatusResponse.status`)."""

    ACCEPTED = 100
    PROCESSING = 150
    SUCCESS = 200
    CANCELLED_SESSION_ERROR = 405
    INVALID_PERMISSION_SCOPE = 410
    ATTACHMENT_NOT_ALLOWED = 415
    FILE_VERIFICATION_ERROR = 430
    DECRYPTION_ERROR = 435
    DUPLICATE = 440
    SEMANTIC_ERROR = 450
    UNKNOWN_ERROR = 500
    CANCELLED_BY_SYSTEM = 550


INVOICE_STATUS_DESCRIPTIONS: Final[dict[int, str]] = {
    100: "Faktura przyjęta do dalszego przetwarzania",
    150: "Trwa przetwarzanie",
    200: "Sukces",
    405: "Przetwarzanie anulowane z powodu błędu sesji",
    410: "Nieprawidłowy zakres uprawnień",
    415: "Brak możliwości wysyłania faktury z załącznikiem",
    430: "Błąd weryfikacji pliku faktury",
    435: "Błąd odszyfrowania pliku",
    440: "Duplikat faktury",
    450: "Błąd weryfikacji semantyki dokumentu faktury",
    500: "Nieznany błąd (500)",
    550: "Operacja została anulowana przez system",
}
CANCELLED_BY_SYSTEM_DETAIL: Final = "Przetwarzanie zostało przerwane z przyczyn wewnętrznych systemu. Spróbuj ponownie"


@dataclass(frozen=True, slots=True)
class Status:
    code: int
    description: str
    details: tuple[str, ...] = ()
    extensions: dict[str, str | None] | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One online session."""

    reference_number: str
    session_type: str
    context_type: str
    context_value: str
    opened_by_type: str
    opened_by_value: str
    authentication_reference: str
    upo_authentication: dict[str, Any]
    form_system_code: str
    encrypted_key: bytes
    public_key_id: str
    initialization_vector: bytes
    status: Status
    invoice_count: int
    successful_count: int
    failed_count: int
    invoice_limit: int
    date_created: dt.datetime
    date_updated: dt.datetime
    date_closed: dt.datetime | None
    valid_until: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionInvoiceRecord:
    """One invoice sent in a session (its status; `encrypted_content` only while it waits to be processed)."""

    reference_number: str
    session_reference: str
    ordinal_number: int
    status: Status
    invoice_hash: str
    invoice_size: int
    offline_mode: bool
    hash_of_corrected_invoice: str | None
    invoicing_date: dt.datetime
    invoice_number: str | None
    ksef_number: str | None
    acquisition_date: dt.datetime | None
    invoicing_mode: str | None
    attempts: int = 0
    encrypted_content: bytes | None = None


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """The filters of `GET /sessions`."""

    session_type: str
    reference_number: str | None = None
    date_created_from: dt.datetime | None = None
    date_created_to: dt.datetime | None = None
    date_closed_from: dt.datetime | None = None
    date_closed_to: dt.datetime | None = None
    date_modified_from: dt.datetime | None = None
    date_modified_to: dt.datetime | None = None
    statuses: tuple[str, ...] = ()
    opened_by: tuple[str, str] | None = None
    """Only sessions this subject opened (a caller with InvoiceWrite but not Introspection)."""
