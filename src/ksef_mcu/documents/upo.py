"""UPO (Urzędowe Poświadczenie Odbioru) in the official v4-3 shape: build, sign, hash, read and verify.

The shape is `faktury/upo/schemy/upo-v4-3.xsd` (namespace `http://upo.schematy.mf.gov.pl/KSeF/v4-3`, root
`Potwierdzenie`) as the official examples fill it: the receiving body, the session reference, the authentication
(context `Nip` | `IdWewnetrzny` | `IdZlozonyVatUE` | `IdDostawcyUslugPeppol`, and either the KSeF token's reference
number or the Base64 SHA-256 of the signed AuthTokenRequest as received), for a session UPO the page description, the
logical structure and form code, and one `Dokument` per invoice (at most 10 000 per page).

The server signs a UPO with an enveloped XAdES signature (`XadesSigner.sign_enveloped`, the same signer as logins) and
serves it with `x-ms-meta-hash` = Base64 SHA-256 of the served bytes (`upo_hash`). The XSD has no slot for the
signature (as with AuthTokenRequest), so schema validation applies to the UPO without it; `read_upo` skips a trailing
`ds:Signature`. `verify_upo` checks the signature, optionally the signer's certificate and the declared hash, and
returns the content exactly as signed.

Two documentation quirks are kept deliberately: `NazwaPodmiotuPrzyjmujacego` is fixed to "Ministerstwo Finansów" by
the XSD while the official test environment writes "Ministerstwo Finansów - środowisko testowe (TE)" (the builder
takes the name; the default is the XSD's); and `ZakresDokumentowDo` is documented as exclusive but the official
examples write the number of the last document on the page (1 and 2 for two documents), which is what is written here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from ksef_mcu.crypto.errors import XadesError
from ksef_mcu.crypto.xades._xml import collapse, element_children, parse_document, shown, simple_text
from ksef_mcu.crypto.xades.algorithms import DSIG_NS
from ksef_mcu.crypto.xades.signer import XadesSigner
from ksef_mcu.crypto.xades.verifier import verify_enveloped_document
from ksef_mcu.documents.errors import KsefNumberError, UpoError
from ksef_mcu.documents.forms import InvoiceForm
from ksef_mcu.documents.invoices import InvoicingMode
from ksef_mcu.documents.ksef_numbers import parse_ksef_number
from ksef_mcu.identifiers import CONTEXT_VALUE_PATTERNS, NIP_PATTERN, ContextIdentifierType

UPO_NAMESPACE: Final = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
UPO_ROOT: Final = f"{{{UPO_NAMESPACE}}}Potwierdzenie"
RECEIVER_NAME: Final = "Ministerstwo Finansów"
MAX_DOCUMENTS_PER_PAGE: Final = 10_000
#: Largest UPO read or signed: a full page of 10 000 entries is about 7 MB.
MAX_UPO_BYTES: Final = 16 * 1024 * 1024

# The identifier formats are the official ones of `ksef_mcu.identifiers`, read here with ASCII digits only.
_NIP = re.compile(NIP_PATTERN.pattern, re.ASCII)
_CONTEXT_ELEMENT_NAMES = {
    ContextIdentifierType.NIP: "Nip",
    ContextIdentifierType.INTERNAL_ID: "IdWewnetrzny",
    ContextIdentifierType.NIP_VAT_UE: "IdZlozonyVatUE",
    ContextIdentifierType.PEPPOL_ID: "IdDostawcyUslugPeppol",
}
#: Context identifier type (as `ContextIdentifierType` values are written in the API) → UPO element and value rule.
CONTEXT_ELEMENTS: Final = {
    kind.value: (name, re.compile(CONTEXT_VALUE_PATTERNS[kind].pattern, re.ASCII))
    for kind, name in _CONTEXT_ELEMENT_NAMES.items()
}
_REFERENCE_NUMBER = re.compile(
    r"(?:20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"-[0-9A-Z]{2}-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}"
)
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_EARLIEST_SENT = dt.datetime(2021, 10, 1, tzinfo=dt.UTC)
_EARLIEST_ISSUE = dt.date(2006, 1, 1)
_SIGNATURE = f"{{{DSIG_NS}}}Signature"


def _u(name: str) -> str:
    return f"{{{UPO_NAMESPACE}}}{name}"


# --- content ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpoAuthentication:
    """How the session was authenticated: the context, and either the KSeF token's reference number or the SHA-256
    (32 bytes) of the signed AuthTokenRequest exactly as received."""

    context_type: str
    context_value: str
    ksef_token_reference: str | None = None
    auth_document_hash: bytes | None = None

    def __post_init__(self) -> None:
        entry = CONTEXT_ELEMENTS.get(str(self.context_type))
        if entry is None:
            raise UpoError(f"Nieznany typ kontekstu {self.context_type!r}; dozwolone: {', '.join(CONTEXT_ELEMENTS)}.")
        if not isinstance(self.context_value, str) or not entry[1].fullmatch(self.context_value):
            raise UpoError(f"Nieprawidłowy identyfikator kontekstu {self.context_type}: {shown(self.context_value)!r}.")
        if (self.ksef_token_reference is None) == (self.auth_document_hash is None):
            raise UpoError(
                "Uwierzytelnienie w UPO wymaga dokładnie jednego z: numeru referencyjnego tokena KSeF albo skrótu "
                "dokumentu uwierzytelniającego."
            )
        if self.ksef_token_reference is not None and not _REFERENCE_NUMBER.fullmatch(self.ksef_token_reference):
            raise UpoError(f"Nieprawidłowy numer referencyjny tokena KSeF: {shown(self.ksef_token_reference)!r}.")
        if self.auth_document_hash is not None and len(self.auth_document_hash) != 32:
            raise UpoError("Skrót dokumentu uwierzytelniającego musi mieć 32 bajty (SHA-256).")

    @classmethod
    def for_signed_request(cls, context_type: str, context_value: str, signed_request: bytes) -> UpoAuthentication:
        """The authentication of a XAdES login: the hash of the signed AuthTokenRequest bytes as received."""
        return cls(str(context_type), context_value, auth_document_hash=hashlib.sha256(signed_request).digest())


@dataclass(frozen=True, slots=True)
class UpoEntry:
    """One `Dokument`: an invoice that received a KSeF number."""

    seller_nip: str
    ksef_number: str
    invoice_number: str
    issue_date: dt.date
    sent_at: dt.datetime
    numbered_at: dt.datetime
    invoice_hash: bytes
    mode: InvoicingMode

    def __post_init__(self) -> None:
        if not isinstance(self.seller_nip, str) or not _NIP.fullmatch(self.seller_nip):
            raise UpoError(f"Nieprawidłowy NIP sprzedawcy: {shown(self.seller_nip)!r}.")
        try:
            number = parse_ksef_number(self.ksef_number)
        except KsefNumberError as error:
            raise UpoError(error.message) from None
        if number.seller_nip != self.seller_nip:
            raise UpoError(f"Numer KSeF {self.ksef_number} nie należy do sprzedawcy {self.seller_nip}.")
        if not isinstance(self.invoice_number, str) or not 1 <= len(collapse(self.invoice_number)) <= 256:
            raise UpoError("Numer faktury musi mieć od 1 do 256 znaków.")
        if isinstance(self.issue_date, dt.datetime) or not isinstance(self.issue_date, dt.date):
            raise UpoError("Data wystawienia faktury musi być datą.")
        if self.issue_date < _EARLIEST_ISSUE:
            raise UpoError("Data wystawienia faktury nie może być wcześniejsza niż 2006-01-01.")
        for moment, what in ((self.sent_at, "przesłania"), (self.numbered_at, "nadania numeru KSeF")):
            if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
                raise UpoError(f"Data {what} musi być datą i godziną ze strefą czasową.")
            if moment < _EARLIEST_SENT:
                raise UpoError(f"Data {what} nie może być wcześniejsza niż 2021-10-01.")
        if not isinstance(self.invoice_hash, bytes) or len(self.invoice_hash) != 32:
            raise UpoError("Skrót faktury musi mieć 32 bajty (SHA-256).")
        InvoicingMode(self.mode)


@dataclass(frozen=True, slots=True)
class UpoPage:
    """`OpisPotwierdzenia` of a session UPO page: page number, page count, first and last entry, total entries."""

    page: int
    pages: int
    first: int
    last: int
    total: int


@dataclass(frozen=True, slots=True)
class Upo:
    """A UPO's content."""

    receiver_name: str
    session_reference: str
    authentication: UpoAuthentication
    page: UpoPage | None
    logical_structure_name: str
    form_code: str
    entries: tuple[UpoEntry, ...]


@dataclass(frozen=True, slots=True)
class VerifiedUpo:
    """A UPO whose signature verified: its content as signed, the signer's certificate and SigningTime (UTC)."""

    upo: Upo
    certificate: x509.Certificate
    signing_time: dt.datetime


# --- building -------------------------------------------------------------------------------------------------------


def _moment(value: dt.datetime) -> str:
    """`2025-09-16T11:05:40.841+02:00`: milliseconds and the offset the moment carries (as the examples write it)."""
    return value.isoformat(timespec="milliseconds")


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _u(name))
    if text is not None:
        element.text = text
    return element


def _build(
    *,
    session_reference: str,
    authentication: UpoAuthentication,
    form: InvoiceForm,
    entries: Sequence[UpoEntry],
    page: UpoPage | None,
    receiver_name: str,
) -> bytes:
    if not _REFERENCE_NUMBER.fullmatch(session_reference):
        raise UpoError(f"Nieprawidłowy numer referencyjny sesji: {shown(session_reference)!r}.")
    if not 1 <= len(collapse(receiver_name)) <= 240:
        raise UpoError("Nazwa podmiotu przyjmującego musi mieć od 1 do 240 znaków.")
    if not entries:
        raise UpoError("UPO musi obejmować co najmniej jedną fakturę.")
    if len(entries) > MAX_DOCUMENTS_PER_PAGE:
        raise UpoError(f"Jedna strona UPO obejmuje co najwyżej {MAX_DOCUMENTS_PER_PAGE} faktur.")
    numbers = [entry.ksef_number for entry in entries]
    if len(set(numbers)) != len(numbers):
        raise UpoError("Numer KSeF może wystąpić na stronie UPO tylko raz.")
    root = etree.Element(_u("Potwierdzenie"), nsmap={None: UPO_NAMESPACE})  # type: ignore[dict-item]
    _add(root, "NazwaPodmiotuPrzyjmujacego", receiver_name)
    _add(root, "NumerReferencyjnySesji", session_reference)
    authenticated = _add(root, "Uwierzytelnienie")
    context = _add(authenticated, "IdKontekstu")
    _add(context, CONTEXT_ELEMENTS[authentication.context_type][0], authentication.context_value)
    if authentication.ksef_token_reference is not None:
        _add(authenticated, "NumerReferencyjnyTokenaKSeF", authentication.ksef_token_reference)
    else:
        assert authentication.auth_document_hash is not None  # noqa: S101 - exactly one is set (__post_init__)
        digest = base64.b64encode(authentication.auth_document_hash).decode("ascii")
        _add(authenticated, "SkrotDokumentuUwierzytelniajacego", digest)
    if page is not None:
        description = _add(root, "OpisPotwierdzenia")
        for name, value in (
            ("Strona", page.page),
            ("LiczbaStron", page.pages),
            ("ZakresDokumentowOd", page.first),
            ("ZakresDokumentowDo", page.last),
            ("CalkowitaLiczbaDokumentow", page.total),
        ):
            _add(description, name, str(value))
    _add(root, "NazwaStrukturyLogicznej", form.logical_structure_name)
    _add(root, "KodFormularza", form.system_code)
    for entry in entries:
        document = _add(root, "Dokument")
        _add(document, "NipSprzedawcy", entry.seller_nip)
        _add(document, "NumerKSeFDokumentu", entry.ksef_number)
        _add(document, "NumerFaktury", entry.invoice_number)
        _add(document, "DataWystawieniaFaktury", entry.issue_date.isoformat())
        _add(document, "DataPrzeslaniaDokumentu", _moment(entry.sent_at))
        _add(document, "DataNadaniaNumeruKSeF", _moment(entry.numbered_at))
        _add(document, "SkrotDokumentu", base64.b64encode(entry.invoice_hash).decode("ascii"))
        _add(document, "TrybWysylki", InvoicingMode(entry.mode).value)
    etree.indent(root, space="\t")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(root, encoding="utf-8")


def build_invoice_upo(
    *,
    session_reference: str,
    authentication: UpoAuthentication,
    form: InvoiceForm,
    entry: UpoEntry,
    receiver_name: str = RECEIVER_NAME,
) -> bytes:
    """The (unsigned) UPO of one invoice. Raises `UpoError` for bad input."""
    return _build(
        session_reference=session_reference,
        authentication=authentication,
        form=form,
        entries=[entry],
        page=None,
        receiver_name=receiver_name,
    )


def build_session_upo_pages(
    *,
    session_reference: str,
    authentication: UpoAuthentication,
    form: InvoiceForm,
    entries: Sequence[UpoEntry],
    page_size: int = MAX_DOCUMENTS_PER_PAGE,
    receiver_name: str = RECEIVER_NAME,
) -> list[bytes]:
    """The (unsigned) pages of a session's collective UPO, `page_size` entries each, in the order given.

    Each page carries `OpisPotwierdzenia` (page n of m, its first and last entry numbers, the total). Raises
    `UpoError` for bad input (no entries, a page size outside 1…10 000).
    """
    if not 1 <= page_size <= MAX_DOCUMENTS_PER_PAGE:
        raise UpoError(f"Strona UPO może obejmować od 1 do {MAX_DOCUMENTS_PER_PAGE} faktur.")
    if not entries:
        raise UpoError("UPO sesji musi obejmować co najmniej jedną fakturę.")
    total = len(entries)
    pages = -(-total // page_size)
    return [
        _build(
            session_reference=session_reference,
            authentication=authentication,
            form=form,
            entries=entries[start : start + page_size],
            page=UpoPage(index + 1, pages, start + 1, min(start + page_size, total), total),
            receiver_name=receiver_name,
        )
        for index, start in enumerate(range(0, total, page_size))
    ]


def sign_upo(upo: bytes, signer: XadesSigner, *, now: dt.datetime) -> bytes:
    """The UPO with the server's enveloped XAdES signature appended to `Potwierdzenie`. Raises `UpoError`."""
    try:
        return signer.sign_enveloped(upo, now=now, max_bytes=MAX_UPO_BYTES)
    except XadesError as error:
        raise UpoError(f"Nie można podpisać UPO: {error.details[0]}") from None


def upo_hash(upo: bytes) -> str:
    """`x-ms-meta-hash`: Base64 SHA-256 of the UPO bytes exactly as served."""
    return base64.b64encode(hashlib.sha256(upo).digest()).decode("ascii")


# --- reading ----------------------------------------------------------------------------------------------------------


class _Reader:
    """Reads the UPO element by element, in the XSD's order, refusing anything else."""

    def __init__(self, element: etree._Element, where: str) -> None:
        children = element_children(element)
        if children is None:
            raise UpoError(f"Nieprawidłowa struktura UPO: {where} nie może zawierać tekstu poza elementami.")
        self.children = children
        self.position = 0
        self.where = where

    def _peek(self) -> etree._Element | None:
        return self.children[self.position] if self.position < len(self.children) else None

    def has(self, name: str) -> bool:
        element = self._peek()
        return element is not None and element.tag == _u(name)

    def element(self, name: str) -> etree._Element:
        element = self._peek()
        if element is None or element.tag != _u(name):
            found = "koniec elementu" if element is None else f"'{shown(etree.QName(element).localname, 40)}'"
            raise UpoError(f"Nieprawidłowa struktura UPO: w {self.where} oczekiwano {name}, a jest {found}.")
        self.position += 1
        return element

    def text(self, name: str) -> str:
        element = self.element(name)
        value = simple_text(element)
        if value is None or not collapse(value):
            raise UpoError(f"Nieprawidłowa wartość UPO: {name} musi zawierać niepusty tekst.")
        return collapse(value)

    def integer(self, name: str) -> int:
        text = self.text(name)
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise UpoError(f"Nieprawidłowa wartość UPO: {name} = {shown(text, 20)!r} nie jest liczbą dodatnią.")
        return int(text)

    def digest(self, name: str) -> bytes:
        text = self.text(name)
        try:
            value = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            value = b""
        if len(value) != 32:
            raise UpoError(f"Nieprawidłowa wartość UPO: {name} nie jest skrótem SHA-256 w Base64.")
        return value

    def moment(self, name: str) -> dt.datetime:
        text = self.text(name)
        match = _DATE_TIME.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            base, fraction, zone = match.groups()
            moment = dt.datetime.fromisoformat(
                base + (f".{(fraction or '')[:6].ljust(6, '0')}") + ("+00:00" if zone == "Z" else zone)
            )
        except ValueError:
            raise UpoError(
                f"Nieprawidłowa wartość UPO: {name} = {shown(text, 40)!r} nie jest datą i godziną."
            ) from None
        return moment

    def date(self, name: str) -> dt.date:
        text = self.text(name)
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            return dt.date.fromisoformat(text)
        except ValueError:
            raise UpoError(f"Nieprawidłowa wartość UPO: {name} = {shown(text, 40)!r} nie jest datą.") from None

    def end(self) -> None:
        element = self._peek()
        if element is not None:
            raise UpoError(
                f"Nieprawidłowa struktura UPO: nieoczekiwany element '{shown(etree.QName(element).localname, 40)}' "
                f"w {self.where}."
            )


def _read_authentication(element: etree._Element) -> UpoAuthentication:
    reader = _Reader(element, "Uwierzytelnienie")
    context = _Reader(reader.element("IdKontekstu"), "IdKontekstu")
    present = [(kind, name) for kind, (name, _pattern) in CONTEXT_ELEMENTS.items() if context.has(name)]
    if not present:
        raise UpoError(
            "Nieprawidłowa struktura UPO: IdKontekstu musi zawierać Nip, IdWewnetrzny, IdZlozonyVatUE albo "
            "IdDostawcyUslugPeppol."
        )
    context_type, name = present[0]
    value = context.text(name)
    context.end()
    if reader.has("NumerReferencyjnyTokenaKSeF"):
        authentication = UpoAuthentication(
            context_type, value, ksef_token_reference=reader.text("NumerReferencyjnyTokenaKSeF")
        )
    else:
        authentication = UpoAuthentication(
            context_type, value, auth_document_hash=reader.digest("SkrotDokumentuUwierzytelniajacego")
        )
    reader.end()
    return authentication


def _read_entry(element: etree._Element, index: int) -> UpoEntry:
    reader = _Reader(element, f"Dokument nr {index}")
    seller_nip = reader.text("NipSprzedawcy")
    ksef_number = reader.text("NumerKSeFDokumentu")
    invoice_number = reader.text("NumerFaktury")
    issue_date = reader.date("DataWystawieniaFaktury")
    sent_at = reader.moment("DataPrzeslaniaDokumentu")
    numbered_at = reader.moment("DataNadaniaNumeruKSeF")
    invoice_hash = reader.digest("SkrotDokumentu")
    mode = reader.text("TrybWysylki")
    reader.end()
    try:
        invoicing = InvoicingMode(mode)
    except ValueError:
        raise UpoError(
            f"Nieprawidłowa wartość UPO: TrybWysylki = {shown(mode, 20)!r} (dozwolone Online, Offline)."
        ) from None
    return UpoEntry(seller_nip, ksef_number, invoice_number, issue_date, sent_at, numbered_at, invoice_hash, invoicing)


def _read_root(root: etree._Element) -> Upo:
    if root.tag != UPO_ROOT:
        raise UpoError(
            f"To nie jest UPO KSeF v4-3: element główny to '{shown(etree.QName(root).localname, 40)}' w przestrzeni "
            f"nazw '{shown(etree.QName(root).namespace or '', 80)}'."
        )
    reader = _Reader(root, "Potwierdzenie")
    if reader.children and reader.children[-1].tag == _SIGNATURE:
        # The enveloped signature: the XSD has no slot for it; it is verified by verify_upo, not read here.
        reader.children.pop()
    receiver = reader.text("NazwaPodmiotuPrzyjmujacego")
    session_reference = reader.text("NumerReferencyjnySesji")
    if not _REFERENCE_NUMBER.fullmatch(session_reference):
        raise UpoError(f"Nieprawidłowy numer referencyjny sesji w UPO: {shown(session_reference)!r}.")
    authentication = _read_authentication(reader.element("Uwierzytelnienie"))
    page = None
    if reader.has("OpisPotwierdzenia"):
        description = _Reader(reader.element("OpisPotwierdzenia"), "OpisPotwierdzenia")
        page = UpoPage(*(description.integer(name) for name in (
            "Strona", "LiczbaStron", "ZakresDokumentowOd", "ZakresDokumentowDo", "CalkowitaLiczbaDokumentow",
        )))  # fmt: skip
        description.end()
    structure = reader.text("NazwaStrukturyLogicznej")
    form_code = reader.text("KodFormularza")
    entries: list[UpoEntry] = []
    while reader.has("Dokument"):
        entries.append(_read_entry(reader.element("Dokument"), len(entries) + 1))
    if not entries:
        reader.element("Dokument")  # raises: at least one is required
    if len(entries) > MAX_DOCUMENTS_PER_PAGE:
        raise UpoError(f"UPO zawiera {len(entries)} dokumentów; dopuszczalne jest {MAX_DOCUMENTS_PER_PAGE}.")
    reader.end()
    if len({entry.ksef_number for entry in entries}) != len(entries):
        raise UpoError("Nieprawidłowe UPO: ten sam numer KSeF występuje więcej niż raz.")
    return Upo(receiver, session_reference, authentication, page, structure, form_code, tuple(entries))


def read_upo(data: bytes) -> Upo:
    """Read a UPO (signed or not) with the hardened parser, strictly in the v4-3 shape. The signature is NOT checked
    here (use `verify_upo`). Raises `UpoError`."""
    try:
        tree = parse_document(data, max_bytes=MAX_UPO_BYTES)
    except XadesError as error:
        raise UpoError(f"Nie można odczytać UPO: {error.details[0]}") from None
    return _read_root(tree.getroot())


def verify_upo(
    data: bytes,
    *,
    now: dt.datetime,
    signer_certificate: x509.Certificate | None = None,
    expected_hash: str | None = None,
) -> VerifiedUpo:
    """Verify a signed UPO and return its content exactly as signed.

    `expected_hash` is the `x-ms-meta-hash` the UPO came with (checked first, over the bytes as received);
    `signer_certificate` is the certificate the UPO must be signed with (the server's UPO certificate). Raises
    `UpoError` saying what failed: hash, signature (with the XAdES reason), signer, or content.
    """
    if expected_hash is not None and not hmac.compare_digest(upo_hash(data).encode(), expected_hash.encode()):
        raise UpoError("Skrót UPO (x-ms-meta-hash) nie zgadza się z treścią dokumentu: UPO zostało zmienione.")
    try:
        verified = verify_enveloped_document(data, root_tag=UPO_ROOT, now=now, max_bytes=MAX_UPO_BYTES)
    except XadesError as error:
        raise UpoError(f"Podpis UPO jest nieprawidłowy: {error.details[0]}") from None
    if signer_certificate is not None and verified.certificate.public_bytes(Encoding.DER) != (
        signer_certificate.public_bytes(Encoding.DER)
    ):
        raise UpoError("UPO podpisano innym certyfikatem niż certyfikat UPO serwera KSeF.")
    return VerifiedUpo(_read_root(verified.root), verified.certificate, verified.signing_time)
