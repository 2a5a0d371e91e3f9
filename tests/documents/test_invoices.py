"""Reading FA(2)/FA(3) invoices: the fields, the hashes, and the attack corpus — every bad file is refused with its own
reason and KSeF status code, never with another exception."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.qr import InvoiceHash, build_invoice_link
from ksef_mcu.documents.errors import INVOICE_REJECTIONS, InvoiceError, InvoiceRejection, SchemaUnavailableError
from ksef_mcu.documents.forms import FA2, FA3, form_for_code, form_for_namespace
from ksef_mcu.documents.invoices import (
    MAX_INVOICE_BYTES,
    InvoicingMode,
    check_attachment_allowed,
    check_declared_metadata,
    check_issue_date,
    invoicing_mode,
    read_invoice,
)
from ksef_mcu.documents.schemas import FaSchemaValidator

from .samples import FA2_INVOICE, FA3_INVOICE, SELLER_NIP, invoice_xml


def refused(
    data: bytes, reason: InvoiceRejection, schemas: FaSchemaValidator | None = None, **options: object
) -> InvoiceError:
    with pytest.raises(InvoiceError) as caught:
        read_invoice(data, schemas=schemas, **options)  # type: ignore[arg-type]
    error = caught.value
    assert error.reason is reason, error.message
    assert error.code == INVOICE_REJECTIONS[reason].code
    assert error.description == INVOICE_REJECTIONS[reason].description
    assert error.details
    assert all(detail.strip() for detail in error.details)
    return error


# --- what is read -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "form"), [(FA2_INVOICE, FA2), (FA3_INVOICE, FA3)])
def test_reads_the_fields_of_both_forms(data: bytes, form: object, schemas: FaSchemaValidator) -> None:
    invoice = read_invoice(data, schemas=schemas)
    assert invoice.form == form
    assert invoice.seller_nip == SELLER_NIP
    assert invoice.seller_name == "Firma Testowa sp. z o.o."
    assert invoice.issue_date == dt.date(2026, 2, 1)
    assert invoice.invoice_number == "FV/1/02/2026"
    assert invoice.invoice_kind == "VAT"
    assert invoice.currency == "PLN"
    assert invoice.gross_total == Decimal("123.00")
    assert invoice.has_attachment is False
    assert invoice.size == len(data)
    assert invoice.sha256 == hashlib.sha256(data).digest()
    assert invoice.sha256_base64 == base64.b64encode(invoice.sha256).decode()
    assert invoice.sha256_base64url == InvoiceHash(invoice.sha256).base64url


def test_kod_i_link_from_what_was_read() -> None:
    invoice = read_invoice(FA3_INVOICE, schemas=None)
    link = build_invoice_link("https://qr-test.ksef.mf.gov.pl", invoice.seller_nip, invoice.issue_date, FA3_INVOICE)
    assert link == f"https://qr-test.ksef.mf.gov.pl/invoice/{SELLER_NIP}/01-02-2026/{invoice.sha256_base64url}"


def test_hash_is_of_the_bytes_as_given_not_of_a_reserialization() -> None:
    spaced = FA3_INVOICE.replace(b"<Fa>", b"<Fa>\n   ")
    assert read_invoice(spaced, schemas=None).sha256 == hashlib.sha256(spaced).digest()
    assert read_invoice(spaced, schemas=None).sha256 != read_invoice(FA3_INVOICE, schemas=None).sha256


def test_text_is_read_as_schema_processors_read_it() -> None:
    data = invoice_xml(number="FV/7").replace(b"<P_2>FV/7</P_2>", b"<P_2>  FV<!-- komentarz -->/<![CDATA[7]]>\n</P_2>")
    invoice = read_invoice(data, schemas=None)
    assert invoice.invoice_number == "FV/7"


def test_optional_fields_may_be_absent() -> None:
    data = invoice_xml().replace(b"<P_15>123.00</P_15>", b"").replace(b"<RodzajFaktury>VAT</RodzajFaktury>", b"")
    invoice = read_invoice(data, schemas=None)
    assert invoice.gross_total is None
    assert invoice.invoice_kind is None


def test_attachment_is_seen_and_allows_up_to_3_mb(schemas: FaSchemaValidator) -> None:
    invoice = read_invoice(invoice_xml(attachment=True), schemas=schemas)
    assert invoice.has_attachment
    big = invoice_xml(attachment=True, extra_line_items=7000)
    assert MAX_INVOICE_BYTES < len(big) < 3_000_000
    assert read_invoice(big, schemas=schemas).has_attachment
    refused(invoice_xml(extra_line_items=7000), InvoiceRejection.TOO_LARGE)
    for technical_correction, consent, reason in (
        (False, False, InvoiceRejection.ATTACHMENT_NOT_ALLOWED),
        (False, True, InvoiceRejection.ATTACHMENT_NOT_ALLOWED),  # outside a technical correction: batch only
        (True, False, InvoiceRejection.ATTACHMENT_CONSENT_MISSING),
    ):
        with pytest.raises(InvoiceError) as caught:
            check_attachment_allowed(invoice, technical_correction=technical_correction, consent=consent)
        assert caught.value.reason is reason
        assert caught.value.code == 415
        assert caught.value.description == "Brak możliwości wysyłania faktury z załącznikiem"
    check_attachment_allowed(invoice, technical_correction=True, consent=True)
    plain = read_invoice(FA3_INVOICE, schemas=None)
    check_attachment_allowed(plain, technical_correction=False, consent=False)


def test_context_size_limits_are_parameters() -> None:
    refused(FA3_INVOICE, InvoiceRejection.TOO_LARGE, max_size=100, max_size_with_attachment=200)
    assert read_invoice(FA3_INVOICE, schemas=None, max_size=len(FA3_INVOICE)).size == len(FA3_INVOICE)


def test_without_prolog() -> None:
    assert read_invoice(invoice_xml(declaration=False), schemas=None).form == FA3


def test_form_lookups() -> None:
    assert form_for_code("FA (3)", "1-0E", "FA") == FA3
    assert form_for_code("FA (2)", "1-0E", "FA") == FA2
    assert form_for_code("FA(3)", "1-0E", "FA") is None
    assert form_for_code("PEF (3)", "2-1", "PEF") is None
    assert form_for_namespace(FA3.namespace) == FA3
    assert form_for_namespace(None) is None
    assert FA3.logical_structure_name == "Schemat_FA(3)_v1-0E.xsd"


# --- the attack and defect corpus -------------------------------------------------------------------------------------

XXE = b'<?xml version="1.0"?>\n<!DOCTYPE Faktura [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Faktura>&x;</Faktura>'
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 9)
    )
    + b"]><Faktura>&lol8;</Faktura>"
)
DEEP = b"<a>" * 300 + b"</a>" * 300


def _replace(old: bytes, new: bytes) -> bytes:
    assert old in FA3_INVOICE, old
    return FA3_INVOICE.replace(old, new, 1)


CORPUS: list[tuple[str, bytes, InvoiceRejection]] = [
    ("empty", b"", InvoiceRejection.EMPTY),
    ("over 3 MB", b" " * 3_000_001, InvoiceRejection.TOO_LARGE),
    ("byte order mark", b"\xef\xbb\xbf" + FA3_INVOICE, InvoiceRejection.BYTE_ORDER_MARK),
    ("UTF-16", FA3_INVOICE.decode().encode("utf-16"), InvoiceRejection.INVALID_ENCODING),
    (
        "invalid UTF-8 bytes",
        _replace(b"Warszawa</P_1M>", b"Warszawa\x81\x81</P_1M>"),
        InvoiceRejection.INVALID_ENCODING,
    ),
    ("declared ISO-8859-2", _replace(b'encoding="UTF-8"', b'encoding="ISO-8859-2"'), InvoiceRejection.INVALID_ENCODING),
    ("external entity (XXE)", XXE, InvoiceRejection.DTD_FORBIDDEN),
    ("billion laughs", LAUGHS, InvoiceRejection.DTD_FORBIDDEN),
    ("doctype after comment", b"<!-- x --><!DOCTYPE Faktura><Faktura/>", InvoiceRejection.DTD_FORBIDDEN),
    ("not XML", b"%PDF-1.7 faktura", InvoiceRejection.MALFORMED_XML),
    ("unclosed element", FA3_INVOICE[:-12], InvoiceRejection.MALFORMED_XML),
    ("undeclared entity", _replace(b"<P_1M>Warszawa", b"<P_1M>&nbsp;Warszawa"), InvoiceRejection.MALFORMED_XML),
    ("control character", _replace(b"<P_1M>Warszawa", b"<P_1M>\x01Warszawa"), InvoiceRejection.MALFORMED_XML),
    ("nesting deeper than libxml2 allows", DEEP, InvoiceRejection.MALFORMED_XML),
    ("two roots", FA3_INVOICE + b"<Faktura/>", InvoiceRejection.MALFORMED_XML),
    ("XML 1.1", _replace(b'version="1.0"', b'version="1.1"'), InvoiceRejection.XML_VERSION),
    (
        "stylesheet instruction",
        _replace(b"?>\n", b'?>\n<?xml-stylesheet href="x.xsl"?>'),
        InvoiceRejection.PROCESSING_INSTRUCTION,
    ),
    ("instruction inside", _replace(b"<Fa>", b"<Fa><?php echo 1; ?>"), InvoiceRejection.PROCESSING_INSTRUCTION),
    ("instruction after root", FA3_INVOICE + b"<?done?>", InvoiceRejection.PROCESSING_INSTRUCTION),
    ("discouraged U+0080", _replace(b"Warszawa", "Warsz\u0080awa".encode()), InvoiceRejection.DISCOURAGED_CHARACTER),
    ("discouraged U+FDD0", _replace(b"Warszawa", "Warsz\ufdd0awa".encode()), InvoiceRejection.DISCOURAGED_CHARACTER),
    (
        "discouraged U+1FFFE",
        _replace(b"Warszawa", "Warsz\U0001fffeawa".encode()),
        InvoiceRejection.DISCOURAGED_CHARACTER,
    ),
    ("discouraged as reference", _replace(b"Warszawa", b"Warsz&#x9F;awa"), InvoiceRejection.DISCOURAGED_CHARACTER),
    ("discouraged as decimal ref", _replace(b"Warszawa", b"Warsz&#64976;awa"), InvoiceRejection.DISCOURAGED_CHARACTER),
    (
        "unknown namespace",
        _replace(FA3.namespace.encode(), b"http://example.com/faktura"),
        InvoiceRejection.NOT_AN_INVOICE,
    ),
    ("no namespace", b"<Faktura><Fa/></Faktura>", InvoiceRejection.NOT_AN_INVOICE),
    ("other root", f'<Potwierdzenie xmlns="{FA3.namespace}"/>'.encode(), InvoiceRejection.NOT_AN_INVOICE),
    (
        "AuthTokenRequest",
        b'<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0"/>',
        InvoiceRejection.NOT_AN_INVOICE,
    ),
    (
        "FA (2) code in FA (3)",
        _replace(b'kodSystemowy="FA (3)"', b'kodSystemowy="FA (2)"'),
        InvoiceRejection.FORM_CODE_MISMATCH,
    ),
    (
        "FA(3) without space",
        _replace(b'kodSystemowy="FA (3)"', b'kodSystemowy="FA(3)"'),
        InvoiceRejection.FORM_CODE_MISMATCH,
    ),
    ("schema version", _replace(b'wersjaSchemy="1-0E"', b'wersjaSchemy="1-0"'), InvoiceRejection.FORM_CODE_MISMATCH),
    (
        "no KodFormularza",
        _replace(b"<Naglowek>", b"<Naglowek><!-- -->")
        .replace(b"<KodFormularza", b"<Kod")
        .replace(b"</KodFormularza>", b"</Kod>"),
        InvoiceRejection.FIELD_MISSING,
    ),
    ("no seller NIP", _replace(b"<NIP>5265877635</NIP>", b""), InvoiceRejection.FIELD_MISSING),
    ("no P_1", _replace(b"<P_1>2026-02-01</P_1>", b""), InvoiceRejection.FIELD_MISSING),
    ("no P_2", _replace(b"<P_2>FV/1/02/2026</P_2>", b""), InvoiceRejection.FIELD_MISSING),
    ("empty P_2", _replace(b"<P_2>FV/1/02/2026</P_2>", b"<P_2> </P_2>"), InvoiceRejection.FIELD_INVALID),
    ("P_2 with an element", _replace(b"<P_2>FV/1/02/2026</P_2>", b"<P_2>FV<b/></P_2>"), InvoiceRejection.FIELD_INVALID),
    ("NIP with letters", _replace(b"<NIP>5265877635</NIP>", b"<NIP>52658776AB</NIP>"), InvoiceRejection.FIELD_INVALID),
    (
        "NIP in Arabic digits",
        _replace(b"<NIP>5265877635</NIP>", "<NIP>٥٢٦٥٨٧٧٦٣٥</NIP>".encode()),
        InvoiceRejection.FIELD_INVALID,
    ),
    ("impossible date", _replace(b"<P_1>2026-02-01</P_1>", b"<P_1>2026-02-31</P_1>"), InvoiceRejection.FIELD_INVALID),
    (
        "date with time",
        _replace(b"<P_1>2026-02-01</P_1>", b"<P_1>2026-02-01T10:00</P_1>"),
        InvoiceRejection.FIELD_INVALID,
    ),
    ("P_15 not a number", _replace(b"<P_15>123.00</P_15>", b"<P_15>sto</P_15>"), InvoiceRejection.FIELD_INVALID),
    ("P_15 infinite", _replace(b"<P_15>123.00</P_15>", b"<P_15>Infinity</P_15>"), InvoiceRejection.FIELD_INVALID),
]


@pytest.mark.parametrize(("data", "reason"), [pytest.param(data, reason, id=name) for name, data, reason in CORPUS])
def test_corpus_without_xsd(data: bytes, reason: InvoiceRejection) -> None:
    refused(data, reason)


SCHEMA_CAUGHT = {
    InvoiceRejection.FORM_CODE_MISMATCH,
    InvoiceRejection.FIELD_MISSING,
    InvoiceRejection.FIELD_INVALID,
}


@pytest.mark.parametrize(("data", "reason"), [pytest.param(data, reason, id=name) for name, data, reason in CORPUS])
def test_corpus_with_xsd(data: bytes, reason: InvoiceRejection, schemas: FaSchemaValidator) -> None:
    # With full validation the structural defects are caught by the XSD first, as real KSeF reports them.
    error = refused(data, InvoiceRejection.SCHEMA_INVALID if reason in SCHEMA_CAUGHT else reason, schemas)
    if reason in SCHEMA_CAUGHT:
        assert error.code == 450
        assert error.details[0].startswith("Faktura nie jest zgodna ze schematem FA (3)")
        assert error.details[1].startswith("Wiersz ")


def test_no_corpus_entry_is_mislabelled_as_another_error_class() -> None:
    for _name, data, _reason in CORPUS:
        with pytest.raises(InvoiceError):
            read_invoice(data, schemas=None)


def test_parse_errors_name_the_invoice_and_the_position() -> None:
    error = refused(FA3_INVOICE[:-12], InvoiceRejection.MALFORMED_XML)
    assert error.details[0].startswith("Plik faktury nie jest poprawnym dokumentem XML (wiersz")


def test_xxe_never_reads_the_file() -> None:
    error = refused(XXE, InvoiceRejection.DTD_FORBIDDEN)
    assert "root:" not in error.message


def test_discouraged_character_says_which_and_where() -> None:
    error = refused(_replace(b"Warszawa", "Warsz\u0080awa".encode()), InvoiceRejection.DISCOURAGED_CHARACTER)
    assert "U+0080" in error.details[0]
    assert "wiersz 2" in error.details[0]


def test_allowed_unusual_characters_pass(schemas: FaSchemaValidator) -> None:
    # NEL (U+0085) and U+FFFD are allowed; only the listed ranges are discouraged.
    data = _replace(b"Warszawa", "Warsz\u0085a\ufffdwa ąęśżźćńół".encode())
    assert read_invoice(data, schemas=schemas).form == FA3


def test_session_form_mismatch_names_both_forms() -> None:
    error = refused(FA2_INVOICE, InvoiceRejection.FORM_CODE_MISMATCH, expected_form=FA3)
    assert "FA (2)" in error.details[0]
    assert "FA (3)" in error.details[0]
    assert read_invoice(FA3_INVOICE, schemas=None, expected_form=FA3).form == FA3


def test_schema_errors_are_listed_with_lines_and_without_namespaces(schemas: FaSchemaValidator) -> None:
    data = _replace(b"<P_15>", b"<P_15X>1</P_15X><P_15>").replace(b"<P_1>2026-02-01", b"<P_1>2026-13-01")
    error = refused(data, InvoiceRejection.SCHEMA_INVALID, schemas)
    assert error.description == "Błąd weryfikacji semantyki dokumentu faktury"
    assert any("P_1" in detail for detail in error.details[1:])
    assert all("{http" not in detail for detail in error.details)


def test_fixed_form_code_is_reported_like_real_ksef(schemas: FaSchemaValidator) -> None:
    error = refused(
        _replace(b'kodSystemowy="FA (3)"', b'kodSystemowy="FA(3)"'), InvoiceRejection.SCHEMA_INVALID, schemas
    )
    assert any("kodSystemowy" in detail and "fixed value" in detail for detail in error.details)


def test_xsi_schema_location_in_the_invoice_is_ignored(schemas: FaSchemaValidator) -> None:
    data = _replace(
        f'<Faktura xmlns="{FA3.namespace}"'.encode(),
        f'<Faktura xmlns="{FA3.namespace}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{FA3.namespace} http://127.0.0.1:9/evil.xsd"'.encode(),
    )
    assert read_invoice(data, schemas=schemas).form == FA3


def test_unavailable_schema_is_an_error_not_a_pass() -> None:
    with pytest.raises(SchemaUnavailableError) as caught:
        read_invoice(FA3_INVOICE, schemas=FaSchemaValidator({}))
    assert "KSEF_MCU_SCHEMAS_DIR" in caught.value.message
    assert "FA (3)" in caught.value.message


# --- declared metadata, dates, modes ----------------------------------------------------------------------------------


def test_declared_metadata() -> None:
    digest = base64.b64encode(hashlib.sha256(FA3_INVOICE).digest()).decode()
    check_declared_metadata(FA3_INVOICE, size=len(FA3_INVOICE), sha256_base64=digest)
    with pytest.raises(InvoiceError) as size:
        check_declared_metadata(FA3_INVOICE, size=2965, sha256_base64=digest)
    assert size.value.reason is InvoiceRejection.SIZE_MISMATCH
    assert size.value.code == 430
    assert size.value.details == ("Rozmiar przesłanego pliku faktury nie zgadza się z zadeklarowaną wartością: 2965.",)
    for declared in (base64.b64encode(b"\0" * 32).decode(), "!!", ""):
        with pytest.raises(InvoiceError) as digest_error:
            check_declared_metadata(FA3_INVOICE, size=len(FA3_INVOICE), sha256_base64=declared)
        assert digest_error.value.reason is InvoiceRejection.HASH_MISMATCH
        assert digest_error.value.description == "Błąd weryfikacji pliku faktury"


def test_issue_date_rule_and_invoicing_mode() -> None:
    day = dt.date(2026, 2, 1)
    check_issue_date(day, day)
    check_issue_date(day, day + dt.timedelta(days=3))
    with pytest.raises(InvoiceError) as caught:
        check_issue_date(day + dt.timedelta(days=1), day)
    assert caught.value.reason is InvoiceRejection.ISSUE_DATE_IN_FUTURE
    assert caught.value.code == 450
    assert invoicing_mode(day, day, offline_mode=False) is InvoicingMode.ONLINE
    assert invoicing_mode(day, day, offline_mode=True) is InvoicingMode.OFFLINE
    assert invoicing_mode(day - dt.timedelta(days=1), day, offline_mode=False) is InvoicingMode.OFFLINE


# --- properties -------------------------------------------------------------------------------------------------------


def _xml_collapse(text: str) -> str:
    """xsd:token white-space collapsing, written out independently of the reader."""
    return re.sub("[ \t\r\n]+", " ", text).strip(" ")


token_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=60
).filter(lambda text: bool(_xml_collapse(text)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=token_text, name=token_text)
def test_any_number_and_name_round_trip_through_the_xsd(number: str, name: str, schemas: FaSchemaValidator) -> None:
    invoice = read_invoice(invoice_xml(number=number, seller_name=name), schemas=schemas)
    assert invoice.invoice_number == _xml_collapse(number)
    assert invoice.seller_name == _xml_collapse(name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), value=st.integers(0, 255))
def test_any_changed_byte_is_refused_or_changes_the_hash(position: int, value: int, schemas: FaSchemaValidator) -> None:
    index = position % len(FA3_INVOICE)
    if FA3_INVOICE[index] == value:
        return
    mutated = FA3_INVOICE[:index] + bytes([value]) + FA3_INVOICE[index + 1 :]
    try:
        invoice = read_invoice(mutated, schemas=schemas)
    except InvoiceError:
        return
    assert invoice.sha256 != hashlib.sha256(FA3_INVOICE).digest()
