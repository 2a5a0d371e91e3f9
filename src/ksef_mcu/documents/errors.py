"""The documents error tree: what is wrong with a KSeF number, an invoice file or a UPO, in Polish.

Every error carries a Polish `message` that is safe to show to a person. Errors that KSeF reports for an invoice also
carry the invoice status `code` and its official `description` (open-api.json, `SessionInvoiceStatusResponse.status`)
and the `details` KSeF puts under it, so the server can store them as the invoice's status as they are.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


class DocumentError(ValueError):
    """Root of every error raised by `ksef_mcu.documents`; `message` is Polish."""

    code: int | None = None

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class KsefNumberError(DocumentError):
    """A KSeF invoice number is malformed or its CRC-8 checksum does not match."""


class SchemaUnavailableError(DocumentError):
    """The FA XSD files needed to validate an invoice cannot be found or compiled (a setup problem, not bad input)."""


class UpoError(DocumentError):
    """A UPO cannot be built, read or verified (malformed, wrong shape, bad signature, hash mismatch)."""


#: KSeF invoice status descriptions (open-api.json, `SessionInvoiceStatusResponse.status`) for the failures below.
INVOICE_STATUS_DESCRIPTIONS: Final[Mapping[int, str]] = MappingProxyType(
    {
        415: "Brak możliwości wysyłania faktury z załącznikiem",
        430: "Błąd weryfikacji pliku faktury",
        450: "Błąd weryfikacji semantyki dokumentu faktury",
    }
)


class InvoiceRejection(enum.StrEnum):
    """Why an invoice file was refused: one member per cause (values are stable identifiers)."""

    EMPTY = "empty"
    TOO_LARGE = "too-large"
    SIZE_MISMATCH = "size-mismatch"
    HASH_MISMATCH = "hash-mismatch"
    BYTE_ORDER_MARK = "byte-order-mark"
    INVALID_ENCODING = "invalid-encoding"
    DTD_FORBIDDEN = "dtd-forbidden"
    MALFORMED_XML = "malformed-xml"
    XML_VERSION = "xml-version"
    PROCESSING_INSTRUCTION = "processing-instruction"
    DISCOURAGED_CHARACTER = "discouraged-character"
    NOT_AN_INVOICE = "not-an-invoice"
    FORM_CODE_MISMATCH = "form-code-mismatch"
    SCHEMA_INVALID = "schema-invalid"
    FIELD_MISSING = "field-missing"
    FIELD_INVALID = "field-invalid"
    ISSUE_DATE_IN_FUTURE = "issue-date-in-future"
    ATTACHMENT_NOT_ALLOWED = "attachment-not-allowed"
    ATTACHMENT_CONSENT_MISSING = "attachment-consent-missing"


@dataclass(frozen=True, slots=True)
class InvoiceRejectionInfo:
    """How one `InvoiceRejection` is reported: the KSeF invoice status `code` and a default Polish `detail`."""

    code: int
    detail: str

    @property
    def description(self) -> str:
        """The official KSeF description of `code`."""
        return INVOICE_STATUS_DESCRIPTIONS[self.code]


# File-level problems (size, declared metadata) are 430, as real KSeF reports them ("Rozmiar przesłanego pliku faktury
# nie zgadza się z zadeklarowaną wartością"); everything about the XML content, its schema and its meaning is 450, as
# real KSeF reports XSD failures and malformed or wrongly encoded XML (CIRFMF/ksef-api issues #141, #495, #759).
INVOICE_REJECTIONS: Final[Mapping[InvoiceRejection, InvoiceRejectionInfo]] = MappingProxyType(
    {
        InvoiceRejection.EMPTY: InvoiceRejectionInfo(430, "Plik faktury jest pusty."),
        InvoiceRejection.TOO_LARGE: InvoiceRejectionInfo(430, "Plik faktury przekracza dopuszczalny rozmiar."),
        InvoiceRejection.SIZE_MISMATCH: InvoiceRejectionInfo(
            430, "Rozmiar przesłanego pliku faktury nie zgadza się z zadeklarowaną wartością."
        ),
        InvoiceRejection.HASH_MISMATCH: InvoiceRejectionInfo(
            430, "Skrót przesłanego pliku faktury nie zgadza się z zadeklarowaną wartością."
        ),
        InvoiceRejection.BYTE_ORDER_MARK: InvoiceRejectionInfo(
            450, "Faktura musi być zapisana w UTF-8 bez znacznika BOM (bajty EF BB BF na początku pliku)."
        ),
        InvoiceRejection.INVALID_ENCODING: InvoiceRejectionInfo(450, "Faktura musi być zapisana w kodowaniu UTF-8."),
        InvoiceRejection.DTD_FORBIDDEN: InvoiceRejectionInfo(
            450, "Faktura zawiera deklarację DOCTYPE lub encje; są one niedozwolone."
        ),
        InvoiceRejection.MALFORMED_XML: InvoiceRejectionInfo(450, "Nieprawidłowy XML."),
        InvoiceRejection.XML_VERSION: InvoiceRejectionInfo(450, "Faktura musi być dokumentem XML w wersji 1.0."),
        InvoiceRejection.PROCESSING_INSTRUCTION: InvoiceRejectionInfo(
            450, "Faktura nie może zawierać instrukcji przetwarzania XML (processing instructions)."
        ),
        InvoiceRejection.DISCOURAGED_CHARACTER: InvoiceRejectionInfo(
            450,
            "Faktura zawiera niezalecany znak Unicode (zakresy #x7F–#x84, #x86–#x9F, #xFDD0–#xFDEF, #xnFFFE–#xnFFFF).",
        ),
        InvoiceRejection.NOT_AN_INVOICE: InvoiceRejectionInfo(
            450, "Dokument nie jest fakturą w strukturze FA(2) ani FA(3)."
        ),
        InvoiceRejection.FORM_CODE_MISMATCH: InvoiceRejectionInfo(
            450, "Faktura nie jest zgodna ze schematem zadeklarowanym przy otwarciu sesji."
        ),
        InvoiceRejection.SCHEMA_INVALID: InvoiceRejectionInfo(450, "Faktura nie jest zgodna ze schematem (xsd)."),
        InvoiceRejection.FIELD_MISSING: InvoiceRejectionInfo(450, "Brak wymaganego elementu faktury."),
        InvoiceRejection.FIELD_INVALID: InvoiceRejectionInfo(450, "Nieprawidłowa wartość elementu faktury."),
        InvoiceRejection.ISSUE_DATE_IN_FUTURE: InvoiceRejectionInfo(
            450, "Data wystawienia faktury (P_1) nie może być późniejsza niż data przyjęcia dokumentu do KSeF."
        ),
        InvoiceRejection.ATTACHMENT_NOT_ALLOWED: InvoiceRejectionInfo(
            415, "Faktury z załącznikiem można wysyłać tylko w sesji wsadowej."
        ),
        InvoiceRejection.ATTACHMENT_CONSENT_MISSING: InvoiceRejectionInfo(
            415,
            "Kontekst nie ma zgody na wystawianie faktur z załącznikiem (zgłasza się ją w e-Urzędzie Skarbowym).",
        ),
    }
)


class InvoiceError(DocumentError):
    """An invoice file was refused; `reason` says why.

    `code`, `description` and `details` are the KSeF invoice status (`status.code`, `status.description`,
    `status.details`) the server reports for it.
    """

    def __init__(self, reason: InvoiceRejection, detail: str | Sequence[str] | None = None) -> None:
        info = INVOICE_REJECTIONS[reason]
        self.reason = reason
        self.description = info.description
        details = (detail,) if isinstance(detail, str) else tuple(detail or ())
        self.details: tuple[str, ...] = details or (info.detail,)
        super().__init__(f"{info.description}: {' '.join(self.details)}", code=info.code)
