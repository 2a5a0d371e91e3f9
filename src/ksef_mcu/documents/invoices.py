"""Read an FA(2)/FA(3) invoice file safely and check it as KSeF does (`faktury/weryfikacja-faktury.md`).

`read_invoice` parses with the project's hardened parser (no DTD, no entities, no network; `crypto/xades/_xml.py`),
applies the documented file rules (UTF-8 without BOM, XML 1.0, no processing instructions, no discouraged Unicode
characters, size), recognises the form from the root namespace, optionally validates against the official XSD
(`schemas.FaSchemaValidator`), and returns what the server, the UPO, KOD I and the invoicing screens need: form, seller
NIP (Podmiot1), issue date (P_1), invoice number (P_2), kind, currency, gross total (P_15), whether it carries an
attachment, and the SHA-256 and size of the bytes exactly as given.

Every refusal is an `InvoiceError` whose `reason` names the cause and whose `code`/`description`/`details` are the
KSeF invoice status reported for it (430 for the file, 450 for its content, 415 for an attachment in an online
session). Pure functions: bytes and dates in, values out.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from lxml import etree

from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades._xml import collapse, parse_document, shown, simple_text
from ksef_mcu.documents.errors import InvoiceError, InvoiceRejection
from ksef_mcu.documents.forms import INVOICE_FORMS, InvoiceForm, form_for_namespace
from ksef_mcu.documents.schemas import FaSchemaValidator

#: Largest invoice without attachments (1 MB = 1 000 000 bytes, `limity/limity.md`; a context may have more).
MAX_INVOICE_BYTES: Final = 1_000_000
#: Largest invoice with attachments (3 MB).
MAX_INVOICE_WITH_ATTACHMENT_BYTES: Final = 3_000_000

_BOM = b"\xef\xbb\xbf"
# Discouraged code points (XML 1.0 §2.2): #x7F-#x84, #x86-#x9F, #xFDD0-#xFDEF and the last two of every plane 1-16.
_DISCOURAGED = re.compile(
    "[\x7f-\x84\x86-\x9f\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
_CHARACTER_REFERENCE = re.compile(r"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_PARSE_REASONS: Final = {
    XadesRejection.DOCUMENT_TOO_LARGE: InvoiceRejection.TOO_LARGE,
    XadesRejection.INVALID_ENCODING: InvoiceRejection.INVALID_ENCODING,
    XadesRejection.DTD_FORBIDDEN: InvoiceRejection.DTD_FORBIDDEN,
    XadesRejection.MALFORMED_XML: InvoiceRejection.MALFORMED_XML,
}


class InvoicingMode(enum.StrEnum):
    """How an invoice was issued (`invoicingMode`, the UPO's `TrybWysylki`)."""

    ONLINE = "Online"
    OFFLINE = "Offline"


@dataclass(frozen=True, slots=True)
class Invoice:
    """What was read from an invoice file. `sha256`/`size` are of the bytes exactly as given (what KSeF hashes)."""

    form: InvoiceForm
    seller_nip: str
    seller_name: str | None
    issue_date: dt.date
    invoice_number: str
    invoice_kind: str | None
    currency: str | None
    gross_total: Decimal | None
    has_attachment: bool
    size: int
    sha256: bytes

    @property
    def sha256_base64(self) -> str:
        """SHA-256 as standard Base64 (the API's `invoiceHash`, the UPO's `SkrotDokumentu`)."""
        return base64.b64encode(self.sha256).decode("ascii")

    @property
    def sha256_base64url(self) -> str:
        """SHA-256 as Base64URL without padding (the last segment of KOD I)."""
        return base64.urlsafe_b64encode(self.sha256).rstrip(b"=").decode("ascii")


def _refuse(reason: InvoiceRejection, detail: str | None = None) -> InvoiceError:
    return InvoiceError(reason, detail)


def _check_text(data: bytes) -> None:
    """Discouraged characters, whether written literally or as character references (the parser expands those)."""
    text = data.decode("utf-8")
    if match := _DISCOURAGED.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise _refuse(
            InvoiceRejection.DISCOURAGED_CHARACTER,
            f"Faktura zawiera niezalecany znak U+{ord(match.group()):04X} (wiersz {line}).",
        )
    for reference in _CHARACTER_REFERENCE.finditer(text):
        hexadecimal, decimal = reference.groups()
        code_point = int(hexadecimal, 16) if hexadecimal else int(decimal)
        if code_point <= 0x10FFFF and _DISCOURAGED.fullmatch(chr(code_point)):
            line = text.count("\n", 0, reference.start()) + 1
            raise _refuse(
                InvoiceRejection.DISCOURAGED_CHARACTER,
                f"Faktura zawiera niezalecany znak U+{code_point:04X} zapisany jako {reference.group()} "
                f"(wiersz {line}).",
            )


def _parse(data: bytes, max_bytes: int) -> etree._ElementTree:
    try:
        tree = parse_document(data, max_bytes=max_bytes)
    except XadesError as error:
        reason = _PARSE_REASONS.get(error.reason, InvoiceRejection.MALFORMED_XML)
        detail = error.details[0]
        raise _refuse(reason, detail.replace("Dokument", "Plik faktury", 1)) from None
    version = tree.docinfo.xml_version
    if version not in (None, "", "1.0"):
        raise _refuse(
            InvoiceRejection.XML_VERSION, f"Faktura deklaruje wersję XML {shown(version)}; wymagana jest 1.0."
        )
    root = tree.getroot()
    instructions = [
        *root.itersiblings(etree.ProcessingInstruction, preceding=True),
        *root.iter(etree.ProcessingInstruction),
        *root.itersiblings(etree.ProcessingInstruction),
    ]
    if instructions:
        first = instructions[0]
        raise _refuse(
            InvoiceRejection.PROCESSING_INSTRUCTION,
            f"Faktura zawiera instrukcję przetwarzania <?{shown(getattr(first, 'target', ''), 40)} …?> "
            f"(wiersz {first.sourceline}).",
        )
    return tree


def _detect_form(root: etree._Element) -> InvoiceForm:
    qualified = etree.QName(root)
    form = form_for_namespace(qualified.namespace)
    if form is None or qualified.localname != "Faktura":
        known = ", ".join(f"{item.label}: {item.namespace}" for item in INVOICE_FORMS)
        raise _refuse(
            InvoiceRejection.NOT_AN_INVOICE,
            f"Element główny to '{shown(qualified.localname, 40)}' w przestrzeni nazw "
            f"'{shown(qualified.namespace or '', 80)}'; oczekiwano Faktura w przestrzeni nazw {known}.",
        )
    return form


class _Reader:
    def __init__(self, root: etree._Element, form: InvoiceForm) -> None:
        self.root = root
        self.form = form
        self.namespace = form.namespace

    def element(self, path: str) -> etree._Element | None:
        ns = self.namespace
        return self.root.find("/".join(f"{{{ns}}}{part}" for part in path.split("/")))

    def text(self, path: str, *, required: bool) -> str | None:
        element = self.element(path)
        if element is None:
            if required:
                raise _refuse(InvoiceRejection.FIELD_MISSING, f"Brak elementu {path} (wymaganego w {self.form.label}).")
            return None
        value = simple_text(element)
        if value is None or not collapse(value):
            raise _refuse(
                InvoiceRejection.FIELD_INVALID,
                f"Element {path} (wiersz {element.sourceline}) musi zawierać niepustą wartość tekstową.",
            )
        return value

    def required(self, path: str) -> str:
        value = self.text(path, required=True)
        assert value is not None  # noqa: S101 - required=True raises instead of returning None
        return value

    def check_header(self) -> None:
        code = self.element("Naglowek/KodFormularza")
        if code is None:
            raise _refuse(InvoiceRejection.FIELD_MISSING, "Brak elementu Naglowek/KodFormularza.")
        found = (code.get("kodSystemowy"), code.get("wersjaSchemy"), collapse(simple_text(code) or ""))
        expected = (self.form.system_code, self.form.schema_version, self.form.value)
        if found != expected:
            raise _refuse(
                InvoiceRejection.FORM_CODE_MISMATCH,
                f"KodFormularza ma kodSystemowy={shown(found[0], 20)!r}, wersjaSchemy={shown(found[1], 20)!r} i "
                f"wartość {shown(found[2], 20)!r}; w przestrzeni nazw {self.form.label} wymagane są "
                f"{expected[0]!r}, {expected[1]!r} i {expected[2]!r}.",
            )

    def date(self, path: str) -> dt.date:
        text = self.required(path)
        match = _DATE.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise _refuse(
                InvoiceRejection.FIELD_INVALID, f"{path} = {shown(text, 40)!r} nie jest datą RRRR-MM-DD."
            ) from None

    def amount(self, path: str) -> Decimal | None:
        text = self.text(path, required=False)
        if text is None:
            return None
        try:
            value = Decimal(collapse(text))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            raise _refuse(InvoiceRejection.FIELD_INVALID, f"{path} = {shown(text, 40)!r} nie jest kwotą.")
        return value


def read_invoice(
    data: bytes,
    *,
    schemas: FaSchemaValidator | None,
    expected_form: InvoiceForm | None = None,
    max_size: int = MAX_INVOICE_BYTES,
    max_size_with_attachment: int = MAX_INVOICE_WITH_ATTACHMENT_BYTES,
) -> Invoice:
    """Read and check an invoice file.

    `schemas` validates against the official XSD; pass None only where full validation is deliberately skipped (the
    structural reading below still runs). `expected_form` is the session's form: an invoice of another form is
    refused. Raises `InvoiceError` (and `SchemaUnavailableError` when `schemas` lacks the invoice's form).
    """
    if not isinstance(data, bytes):
        raise TypeError("the invoice must be bytes")
    if not data:
        raise _refuse(InvoiceRejection.EMPTY)
    limit = max(max_size, max_size_with_attachment)
    if len(data) > limit:
        raise _refuse(
            InvoiceRejection.TOO_LARGE,
            f"Plik faktury ma {len(data)} bajtów; dopuszczalne jest co najwyżej {limit} bajtów.",
        )
    if data.startswith(_BOM):
        raise _refuse(InvoiceRejection.BYTE_ORDER_MARK)
    tree = _parse(data, limit)
    _check_text(data)
    root = tree.getroot()
    form = _detect_form(root)
    if expected_form is not None and form != expected_form:
        raise _refuse(
            InvoiceRejection.FORM_CODE_MISMATCH,
            f"Faktura ma strukturę {form.label}, a sesję otwarto dla {expected_form.label}.",
        )
    if schemas is not None:
        schemas.validate(tree, form)
    reader = _Reader(root, form)
    reader.check_header()
    seller_nip = reader.required("Podmiot1/DaneIdentyfikacyjne/NIP")
    if not re.fullmatch(r"[0-9]{10}", seller_nip):
        raise _refuse(
            InvoiceRejection.FIELD_INVALID,
            f"Podmiot1/DaneIdentyfikacyjne/NIP = {shown(seller_nip, 20)!r} nie jest numerem NIP (10 cyfr).",
        )
    seller_name = reader.text("Podmiot1/DaneIdentyfikacyjne/Nazwa", required=False)
    issue_date = reader.date("Fa/P_1")
    invoice_number = collapse(reader.required("Fa/P_2"))
    kind = reader.text("Fa/RodzajFaktury", required=False)
    currency = reader.text("Fa/KodWaluty", required=False)
    has_attachment = reader.element("Zalacznik") is not None
    if not has_attachment and len(data) > max_size:
        raise _refuse(
            InvoiceRejection.TOO_LARGE,
            f"Plik faktury bez załącznika ma {len(data)} bajtów; dopuszczalne jest co najwyżej {max_size} bajtów.",
        )
    return Invoice(
        form=form,
        seller_nip=seller_nip,
        seller_name=collapse(seller_name) if seller_name else None,
        issue_date=issue_date,
        invoice_number=invoice_number,
        invoice_kind=collapse(kind) if kind else None,
        currency=collapse(currency) if currency else None,
        gross_total=reader.amount("Fa/P_15"),
        has_attachment=has_attachment,
        size=len(data),
        sha256=hashlib.sha256(data).digest(),
    )


def check_declared_metadata(data: bytes, *, size: int, sha256_base64: str) -> None:
    """Check a decrypted invoice against the `invoiceSize` and `invoiceHash` its sender declared.

    Raises `InvoiceError` (status 430) with SIZE_MISMATCH or HASH_MISMATCH, worded as KSeF words them.
    """
    if len(data) != size:
        raise _refuse(
            InvoiceRejection.SIZE_MISMATCH,
            f"Rozmiar przesłanego pliku faktury nie zgadza się z zadeklarowaną wartością: {size}.",
        )
    try:
        declared = base64.b64decode(sha256_base64, validate=True)
    except ValueError:
        declared = b""
    if not hmac.compare_digest(declared, hashlib.sha256(data).digest()):
        raise _refuse(
            InvoiceRejection.HASH_MISMATCH,
            f"Skrót przesłanego pliku faktury nie zgadza się z zadeklarowaną wartością: {shown(sha256_base64, 60)}.",
        )


def check_issue_date(issue_date: dt.date, accepted_on: dt.date) -> None:
    """P_1 may not be later than the day the invoice is accepted (both in Polish time). Raises `InvoiceError` (450)."""
    if issue_date > accepted_on:
        raise _refuse(
            InvoiceRejection.ISSUE_DATE_IN_FUTURE,
            f"Data wystawienia faktury (P_1) {issue_date:%Y-%m-%d} jest późniejsza niż data przyjęcia dokumentu do "
            f"KSeF {accepted_on:%Y-%m-%d}.",
        )


def check_attachment_allowed(invoice: Invoice, *, technical_correction: bool, consent: bool) -> None:
    """Online sessions take an invoice with attachments only as a technical correction of an offline invoice, and only
    in a context with the consent to issue such invoices (`weryfikacja-faktury.md`, `uprawnienia.md`). Raises
    `InvoiceError` (415): `ATTACHMENT_NOT_ALLOWED` for any other invoice with attachments, `ATTACHMENT_CONSENT_MISSING`
    for a correction without the consent."""
    if not invoice.has_attachment:
        return
    if not technical_correction:
        raise _refuse(InvoiceRejection.ATTACHMENT_NOT_ALLOWED)
    if not consent:
        raise _refuse(InvoiceRejection.ATTACHMENT_CONSENT_MISSING)


def invoicing_mode(issue_date: dt.date, accepted_on: dt.date, *, offline_mode: bool) -> InvoicingMode:
    """Offline when the sender declares it, and also when P_1 is an earlier day than the day of acceptance
    (`offlineMode=false` with an older issue date is marked Offline automatically, ksef-api-digest §5.4)."""
    return InvoicingMode.OFFLINE if offline_mode or issue_date < accepted_on else InvoicingMode.ONLINE
