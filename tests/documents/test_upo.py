"""UPO v4-3: the official examples are rebuilt byte for byte from their content, what we build is valid against the
official XSD, signatures verify, and every alteration or malformed UPO is refused with a clear error."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ksef_mcu.crypto.xades import XadesSigner
from ksef_mcu.crypto.xades.algorithms import DSIG_NS
from ksef_mcu.documents.errors import UpoError
from ksef_mcu.documents.forms import FA2, FA3
from ksef_mcu.documents.invoices import InvoicingMode
from ksef_mcu.documents.ksef_numbers import build_ksef_number
from ksef_mcu.documents.upo import (
    MAX_UPO_BYTES,
    RECEIVER_NAME,
    UPO_NAMESPACE,
    Upo,
    UpoAuthentication,
    UpoEntry,
    UpoPage,
    build_invoice_upo,
    build_session_upo_pages,
    read_upo,
    sign_upo,
    upo_hash,
    verify_upo,
)

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
WARSAW = dt.timezone(dt.timedelta(hours=2))
SESSION = "20260501-SO-2C3E6C8000-B675CF5D68-07"
TOKEN_REFERENCE = "20250819-EC-1ECDD12000-5EE71AE5E3-B7"
U = f"{{{UPO_NAMESPACE}}}"
DS = f"{{{DSIG_NS}}}"


def _server_certificate(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *, days: int = 365) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KSeF MCU (UPO)")])
    start = NOW - dt.timedelta(days=30)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x5E)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


SERVER_KEY = ec.generate_private_key(ec.SECP256R1())
SERVER_CERTIFICATE = _server_certificate(SERVER_KEY)
SIGNER = XadesSigner(SERVER_KEY, SERVER_CERTIFICATE)
AUTH_BY_HASH = UpoAuthentication.for_signed_request("Nip", "5265877635", b"<AuthTokenRequest>...</AuthTokenRequest>")
AUTH_BY_TOKEN = UpoAuthentication("InternalId", "5265877635-12345", ksef_token_reference=TOKEN_REFERENCE)


def entry(index: int = 1, *, nip: str = "5265877635", mode: InvoicingMode = InvoicingMode.ONLINE) -> UpoEntry:
    sent = dt.datetime(2026, 5, 1, 11, 5, 40, 841000, tzinfo=WARSAW) + dt.timedelta(seconds=index)
    return UpoEntry(
        seller_nip=nip,
        ksef_number=str(build_ksef_number(nip, dt.date(2026, 5, 1), 0x0200A0D6723E + index)),
        invoice_number=f"FV/{index}/05/2026 & <spółka>",
        issue_date=dt.date(2026, 5, 1),
        sent_at=sent,
        numbered_at=sent + dt.timedelta(milliseconds=204),
        invoice_hash=hashlib.sha256(f"faktura {index}".encode()).digest(),
        mode=mode,
    )


def invoice_upo(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "session_reference": SESSION,
        "authentication": AUTH_BY_HASH,
        "form": FA3,
        "entry": entry(),
    }
    arguments.update(overrides)
    return build_invoice_upo(**arguments)  # type: ignore[arg-type]


def signed_upo(data: bytes | None = None) -> bytes:
    return sign_upo(data if data is not None else invoice_upo(), SIGNER, now=NOW)


@pytest.fixture(scope="module")
def upo_schema(ksef_docs: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ksef_docs / "faktury" / "upo" / "schemy" / "upo-v4-3.xsd")))


def without_signature(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for signature in root.findall(DS + "Signature"):
        root.remove(signature)
    return etree.tostring(root)


def assert_schema_valid(schema: etree.XMLSchema, data: bytes) -> None:
    assert schema.validate(etree.fromstring(data)), schema.error_log


# --- the official examples --------------------------------------------------------------------------------------------


def _examples(ksef_docs: Path) -> list[Path]:
    paths = sorted((ksef_docs / "faktury" / "upo" / "przyklady" / "v4-3").rglob("*.xml"))
    assert len(paths) == 6
    return paths


def test_official_examples_are_read_and_rebuilt_byte_for_byte(ksef_docs: Path) -> None:
    contexts = set()
    for path in _examples(ksef_docs):
        data = path.read_bytes()
        upo = read_upo(data)
        contexts.add(upo.authentication.context_type)
        assert upo.form_code == "FA (3)"
        if upo.page is None:
            rebuilt = build_invoice_upo(
                session_reference=upo.session_reference,
                authentication=upo.authentication,
                form=FA3,
                entry=upo.entries[0],
                receiver_name=upo.receiver_name,
            )
        else:
            (rebuilt,) = build_session_upo_pages(
                session_reference=upo.session_reference,
                authentication=upo.authentication,
                form=FA3,
                entries=upo.entries,
                receiver_name=upo.receiver_name,
            )
            assert upo.page == UpoPage(1, 1, 1, len(upo.entries), len(upo.entries))
        # One example has a stray tab after an end tag; otherwise the bytes are the same.
        assert rebuilt == re.sub(rb"[ \t]+(\r?\n)", rb"\1", data), path.name
        assert read_upo(rebuilt) == upo
    assert contexts == {"Nip", "InternalId", "NipVatUe"}


def test_official_examples_are_schema_valid_except_for_the_te_receiver_name(
    ksef_docs: Path, upo_schema: etree.XMLSchema
) -> None:
    for path in _examples(ksef_docs):
        data = path.read_bytes()
        assert b"Ministerstwo Finans\xc3\xb3w - \xc5\x9brodowisko testowe (TE)" in data
        assert not upo_schema.validate(etree.fromstring(data))  # the XSD fixes the name to "Ministerstwo Finansów"
        fixed = data.replace(" - środowisko testowe (TE)".encode(), b"")
        assert_schema_valid(upo_schema, fixed)


# --- what we build ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authentication",
    [
        AUTH_BY_HASH,
        AUTH_BY_TOKEN,
        UpoAuthentication("NipVatUe", "5265877635-ATU12345678", ksef_token_reference=TOKEN_REFERENCE),
        UpoAuthentication("PeppolId", "PPL123456", auth_document_hash=b"\1" * 32),
    ],
    ids=["nip-xades", "internal-id-token", "vat-ue", "peppol"],
)
@pytest.mark.parametrize("form", [FA2, FA3], ids=["FA2", "FA3"])
def test_invoice_upo_is_schema_valid_signed_or_not(
    authentication: UpoAuthentication, form: object, upo_schema: etree.XMLSchema
) -> None:
    data = invoice_upo(authentication=authentication, form=form, entry=entry(mode=InvoicingMode.OFFLINE))
    assert_schema_valid(upo_schema, data)
    signed = signed_upo(data)
    assert_schema_valid(upo_schema, without_signature(signed))
    upo = read_upo(signed)
    assert upo.authentication == authentication
    assert upo.receiver_name == RECEIVER_NAME
    assert upo.form_code == form.system_code  # type: ignore[attr-defined]
    assert upo.logical_structure_name == form.logical_structure_name  # type: ignore[attr-defined]
    assert upo.entries == (entry(mode=InvoicingMode.OFFLINE),)


def test_the_entry_is_written_as_the_examples_write_it() -> None:
    root = etree.fromstring(invoice_upo())
    document = root.find(U + "Dokument")
    assert document is not None
    assert [etree.QName(child).localname for child in document] == [
        "NipSprzedawcy",
        "NumerKSeFDokumentu",
        "NumerFaktury",
        "DataWystawieniaFaktury",
        "DataPrzeslaniaDokumentu",
        "DataNadaniaNumeruKSeF",
        "SkrotDokumentu",
        "TrybWysylki",
    ]
    assert document.findtext(U + "DataPrzeslaniaDokumentu") == "2026-05-01T11:05:41.841+02:00"
    assert document.findtext(U + "DataNadaniaNumeruKSeF") == "2026-05-01T11:05:42.045+02:00"
    assert document.findtext(U + "NumerFaktury") == "FV/1/05/2026 & <spółka>"
    assert document.findtext(U + "SkrotDokumentu") == base64.b64encode(hashlib.sha256(b"faktura 1").digest()).decode()
    assert (
        root.findtext(f"{U}Uwierzytelnienie/{U}SkrotDokumentuUwierzytelniajacego")
        == base64.b64encode(hashlib.sha256(b"<AuthTokenRequest>...</AuthTokenRequest>").digest()).decode()
    )


def test_session_upo_pages(upo_schema: etree.XMLSchema) -> None:
    entries = [entry(index) for index in range(1, 26)]
    pages = build_session_upo_pages(
        session_reference=SESSION, authentication=AUTH_BY_TOKEN, form=FA3, entries=entries, page_size=10
    )
    assert len(pages) == 3
    read = [read_upo(page) for page in pages]
    assert [upo.page for upo in read] == [
        UpoPage(1, 3, 1, 10, 25),
        UpoPage(2, 3, 11, 20, 25),
        UpoPage(3, 3, 21, 25, 25),
    ]
    assert [item for upo in read for item in upo.entries] == entries
    for page in pages:
        assert_schema_valid(upo_schema, page)
        assert verify_upo(signed_upo(page), now=NOW).upo == read_upo(page)


def test_a_full_page_of_10000_entries(upo_schema: etree.XMLSchema) -> None:
    entries = [entry(index) for index in range(1, 10_001)]
    (page,) = build_session_upo_pages(session_reference=SESSION, authentication=AUTH_BY_HASH, form=FA3, entries=entries)
    assert len(page) < MAX_UPO_BYTES
    assert_schema_valid(upo_schema, page)
    signed = signed_upo(page)
    assert len(verify_upo(signed, now=NOW, expected_hash=upo_hash(signed)).upo.entries) == 10_000


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: invoice_upo(session_reference="20260501-SO-2C3E6C8000-B675CF5D68"), "numer referencyjny sesji"),
        (lambda: invoice_upo(receiver_name=" "), "od 1 do 240"),
        (
            lambda: build_session_upo_pages(
                session_reference=SESSION, authentication=AUTH_BY_HASH, form=FA3, entries=[]
            ),
            "co najmniej jedną",
        ),
        (
            lambda: build_session_upo_pages(
                session_reference=SESSION, authentication=AUTH_BY_HASH, form=FA3, entries=[entry()], page_size=10_001
            ),
            "od 1 do 10000",
        ),
        (
            lambda: build_session_upo_pages(
                session_reference=SESSION, authentication=AUTH_BY_HASH, form=FA3, entries=[entry(), entry()]
            ),
            "tylko raz",
        ),
        (
            lambda: UpoAuthentication("Pesel", "12345678901", ksef_token_reference=TOKEN_REFERENCE),
            "Nieznany typ kontekstu",
        ),
        (
            lambda: UpoAuthentication("Nip", "0265877635", ksef_token_reference=TOKEN_REFERENCE),
            "identyfikator kontekstu",
        ),
        (
            lambda: UpoAuthentication("NipVatUe", "5265877635-DE123456789012", ksef_token_reference=TOKEN_REFERENCE),
            "identyfikator kontekstu",
        ),
        (lambda: UpoAuthentication("Nip", "5265877635"), "dokładnie jednego"),
        (
            lambda: UpoAuthentication(
                "Nip", "5265877635", ksef_token_reference=TOKEN_REFERENCE, auth_document_hash=b"1" * 32
            ),
            "dokładnie jednego",
        ),
        (lambda: UpoAuthentication("Nip", "5265877635", ksef_token_reference="token"), "tokena KSeF"),
        (lambda: UpoAuthentication("Nip", "5265877635", auth_document_hash=b"short"), "32 bajty"),
        (lambda: _entry_with(ksef_number="5265877635-20260501-0200A0D6723E-00"), "suma kontrolna"),
        (lambda: _entry_with(seller_nip="7352765225"), "nie należy do sprzedawcy"),
        (lambda: _entry_with(invoice_number=""), "od 1 do 256"),
        (lambda: _entry_with(invoice_number="x" * 257), "od 1 do 256"),
        (lambda: _entry_with(issue_date=dt.date(2005, 12, 31)), "2006-01-01"),
        (lambda: _entry_with(issue_date=NOW), "musi być datą"),
        (lambda: _entry_with(sent_at=dt.datetime(2026, 5, 1, 12, 0)), "strefą czasową"),
        (lambda: _entry_with(numbered_at=dt.datetime(2021, 9, 30, tzinfo=dt.UTC)), "2021-10-01"),
        (lambda: _entry_with(invoice_hash=b"x" * 31), "32 bajty"),
        (lambda: _entry_with(mode="Batch"), "Batch"),
    ],
)
def test_builder_refuses_bad_input(build: Callable[[], object], fragment: str) -> None:
    with pytest.raises((UpoError, ValueError)) as caught:
        build()
    assert fragment in str(caught.value)


def _entry_with(**changes: object) -> UpoEntry:
    values = {name: getattr(entry(), name) for name in UpoEntry.__dataclass_fields__}
    values.update(changes)
    return UpoEntry(**values)  # type: ignore[arg-type]


# --- signature, hash and verification ---------------------------------------------------------------------------------


def test_sign_hash_and_verify() -> None:
    unsigned = invoice_upo()
    signed = signed_upo(unsigned)
    assert signed.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<Potwierdzenie')
    root = etree.fromstring(signed)
    assert root[-1].tag == DS + "Signature"
    assert upo_hash(signed) == base64.b64encode(hashlib.sha256(signed).digest()).decode()
    verified = verify_upo(signed, now=NOW, signer_certificate=SERVER_CERTIFICATE, expected_hash=upo_hash(signed))
    assert verified.upo == read_upo(unsigned)
    assert verified.certificate == SERVER_CERTIFICATE
    assert verified.signing_time == NOW - dt.timedelta(minutes=1)


def test_rsa_signed_upo_verifies() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _server_certificate(key)
    signed = sign_upo(invoice_upo(), XadesSigner(key, certificate), now=NOW)
    assert verify_upo(signed, now=NOW, signer_certificate=certificate).certificate == certificate


def test_signing_twice_is_refused() -> None:
    with pytest.raises(UpoError, match="już podpisany"):
        sign_upo(signed_upo(), SIGNER, now=NOW)


def test_an_unsigned_upo_does_not_verify() -> None:
    with pytest.raises(UpoError, match="nie zawiera podpisu"):
        verify_upo(invoice_upo(), now=NOW)


def test_wrong_hash_header_is_refused() -> None:
    signed = signed_upo()
    with pytest.raises(UpoError, match="x-ms-meta-hash"):
        verify_upo(signed, now=NOW, expected_hash=upo_hash(signed + b"\n"))


def test_another_signer_is_refused() -> None:
    other = _server_certificate(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(UpoError, match="innym certyfikatem"):
        verify_upo(signed_upo(), now=NOW, signer_certificate=other)


def test_signer_certificate_outside_its_validity_is_refused() -> None:
    with pytest.raises(UpoError, match="był ważny do"):
        verify_upo(signed_upo(), now=NOW + dt.timedelta(days=400))
    with pytest.raises(UpoError, match="późniejszy niż bieżący czas"):
        verify_upo(signed_upo(), now=NOW - dt.timedelta(days=1))


def _edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(root, encoding="utf-8")


def _set(path: str, text: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = root.find(path)
        assert element is not None, path
        element.text = text

    return change


def _other_number(root: etree._Element) -> None:
    element = root.find(f"{U}Dokument/{U}NumerKSeFDokumentu")
    assert element is not None
    element.text = str(build_ksef_number("5265877635", dt.date(2026, 5, 1), 0xABCDEF))  # valid CRC, other number


def _move_signature_into_document(root: etree._Element) -> None:
    signature = root.find(DS + "Signature")
    document = root.find(U + "Dokument")
    assert signature is not None
    assert document is not None
    document.append(signature)


def _duplicate_signature(root: etree._Element) -> None:
    from copy import deepcopy

    signature = root.find(DS + "Signature")
    assert signature is not None
    root.append(deepcopy(signature))


def _transplant_signature(root: etree._Element) -> None:
    """The genuine signature of one UPO placed on another (a different invoice)."""
    other = etree.fromstring(signed_upo(invoice_upo(entry=entry(2))))
    signature = root.find(DS + "Signature")
    assert signature is not None
    root.remove(signature)
    transplanted = other.find(DS + "Signature")
    assert transplanted is not None
    root.append(transplanted)


def _wrap(data: bytes) -> bytes:
    """XSW: the genuine signed UPO nested inside a forged one."""
    forged = etree.fromstring(invoice_upo(entry=entry(3)))
    forged.append(etree.fromstring(data))
    return etree.tostring(forged)


TAMPERING: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("other KSeF number", lambda data: _edit(data, _other_number), "skrótu"),
    (
        "other invoice hash",
        lambda data: _edit(data, _set(f"{U}Dokument/{U}SkrotDokumentu", base64.b64encode(b"\0" * 32).decode())),
        "skrótu",
    ),
    ("other mode", lambda data: _edit(data, _set(f"{U}Dokument/{U}TrybWysylki", "Offline")), "skrótu"),
    ("other receiver", lambda data: _edit(data, _set(f"{U}NazwaPodmiotuPrzyjmujacego", "Ktoś inny")), "skrótu"),
    (
        "other signing time",
        lambda data: _edit(data, _set(".//{http://uri.etsi.org/01903/v1.3.2#}SigningTime", "2026-05-01T10:00:00Z")),
        "skrótu",
    ),
    (
        "signature value",
        lambda data: _edit(data, _set(f"{DS}Signature/{DS}SignatureValue", base64.b64encode(b"\1" * 64).decode())),
        "zweryfikowany negatywnie",
    ),
    ("signature removed", without_signature, "nie zawiera podpisu"),
    ("signature moved", lambda data: _edit(data, _move_signature_into_document), "bezpośrednim elementem"),
    ("signature duplicated", lambda data: _edit(data, _duplicate_signature), "2 podpisy"),
    ("signature transplanted", lambda data: _edit(data, _transplant_signature), "skrótu"),
    ("wrapped in a forged UPO", _wrap, "bezpośrednim elementem"),
    ("other root", lambda data: data.replace(b"Potwierdzenie", b"Poswiadczenie"), "Elementem głównym"),
]


@pytest.mark.parametrize(("tamper", "fragment"), [pytest.param(t, f, id=name) for name, t, f in TAMPERING])
def test_tampered_upo_fails_verification(tamper: Callable[[bytes], bytes], fragment: str) -> None:
    with pytest.raises(UpoError) as caught:
        verify_upo(tamper(signed_upo()), now=NOW)
    assert caught.value.message.startswith("Podpis UPO jest nieprawidłowy")
    assert fragment in caught.value.message


SIGNED_ONCE = signed_upo()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(min_value=0), value=st.integers(0, 255))
def test_any_changed_byte_is_caught(position: int, value: int) -> None:
    signed = SIGNED_ONCE
    index = position % len(signed)
    if signed[index] == value:
        return
    changed = signed[:index] + bytes([value]) + signed[index + 1 :]
    with pytest.raises(UpoError):
        verify_upo(changed, now=NOW, expected_hash=upo_hash(signed))
    try:
        verified = verify_upo(changed, now=NOW)
    except UpoError:
        return
    # Only bytes outside what XML canonicalization signs (e.g. white space before the root) may change unnoticed;
    # what the UPO says is then exactly what was signed.
    assert verified.upo == read_upo(signed)


# --- the parser's attack corpus ---------------------------------------------------------------------------------------

UNSIGNED = invoice_upo()


def _replace(old: bytes, new: bytes) -> bytes:
    assert old in UNSIGNED, old
    return UNSIGNED.replace(old, new, 1)


def _tag(name: str) -> tuple[bytes, bytes]:
    return f"<{name}>".encode(), f"</{name}>".encode()


MALFORMED: list[tuple[str, bytes, str]] = [
    ("empty", b"", "Nie można odczytać UPO"),
    ("not XML", b"UPO", "Nie można odczytać UPO"),
    ("XXE", b'<?xml version="1.0"?><!DOCTYPE P [<!ENTITY x SYSTEM "file:///etc/passwd">]><P>&x;</P>', "DOCTYPE"),
    ("too large", b" " * (MAX_UPO_BYTES + 1), "bajtów"),
    ("other namespace", _replace(UPO_NAMESPACE.encode(), b"http://upo.schematy.mf.gov.pl/KSeF/v4-2"), "v4-3"),
    ("invoice instead", b'<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"/>', "element główny to 'Faktura'"),
    (
        "missing receiver",
        re.sub(rb"<NazwaPodmiotuPrzyjmujacego>[^<]*</NazwaPodmiotuPrzyjmujacego>", b"", UNSIGNED),
        "oczekiwano NazwaPodmiotuPrzyjmujacego",
    ),
    ("bad session reference", _replace(SESSION.encode(), b"20260501-SO-x"), "numer referencyjny sesji"),
    ("no context", re.sub(rb"<Nip>\d+</Nip>", b"", UNSIGNED), "IdKontekstu musi zawierać"),
    ("bad context value", _replace(b"<Nip>5265877635</Nip>", b"<Nip>abc</Nip>"), "identyfikator kontekstu"),
    (
        "two contexts",
        _replace(b"<Nip>5265877635</Nip>", b"<Nip>5265877635</Nip><Nip>5265877635</Nip>"),
        "nieoczekiwany element 'Nip'",
    ),
    (
        "no authentication means",
        re.sub(rb"<SkrotDokumentuUwierzytelniajacego>[^<]*</SkrotDokumentuUwierzytelniajacego>", b"", UNSIGNED),
        "SkrotDokumentuUwierzytelniajacego",
    ),
    (
        "auth hash not base64",
        re.sub(rb"<SkrotDokumentuUwierzytelniajacego>[^<]*<", b"<SkrotDokumentuUwierzytelniajacego>!!<", UNSIGNED),
        "SHA-256",
    ),
    ("no documents", re.sub(rb"<Dokument>.*</Dokument>", b"", UNSIGNED, flags=re.S), "oczekiwano Dokument"),
    (
        "elements out of order",
        _replace(b"<KodFormularza>FA (3)</KodFormularza>", b"").replace(
            b"</Potwierdzenie>", b"<KodFormularza>FA (3)</KodFormularza></Potwierdzenie>"
        ),
        "oczekiwano KodFormularza",
    ),
    (
        "unknown element",
        _replace(b"</Potwierdzenie>", b"<Uwagi>x</Uwagi></Potwierdzenie>"),
        "nieoczekiwany element 'Uwagi'",
    ),
    ("text between elements", _replace(b"<KodFormularza>", b"tekst<KodFormularza>"), "tekstu poza elementami"),
    (
        "KSeF number checksum",
        re.sub(rb"(<NumerKSeFDokumentu>[^<]*-)[0-9A-F]{2}<", rb"\g<1>ZZ<", UNSIGNED),
        "Nieprawidłowy numer KSeF",
    ),
    (
        "issue date",
        re.sub(rb"<DataWystawieniaFaktury>[^<]*<", b"<DataWystawieniaFaktury>2026-02-30<", UNSIGNED),
        "nie jest datą",
    ),
    (
        "moment without zone",
        re.sub(rb"<DataPrzeslaniaDokumentu>([^<.]*)\.841\+02:00<", rb"<DataPrzeslaniaDokumentu>\1<", UNSIGNED),
        "nie jest datą i godziną",
    ),
    ("document hash length", re.sub(rb"<SkrotDokumentu>[^<]*<", b"<SkrotDokumentu>AAAA<", UNSIGNED), "SHA-256"),
    ("mode", _replace(b"<TrybWysylki>Online</TrybWysylki>", b"<TrybWysylki>Wsadowy</TrybWysylki>"), "TrybWysylki"),
    (
        "page zero",
        _replace(
            b"<NazwaStrukturyLogicznej>",
            b"<OpisPotwierdzenia><Strona>0</Strona></OpisPotwierdzenia><NazwaStrukturyLogicznej>",
        ),
        "liczbą dodatnią",
    ),
    (
        "empty value",
        _replace(b"<KodFormularza>FA (3)</KodFormularza>", b"<KodFormularza> </KodFormularza>"),
        "niepusty tekst",
    ),
]


@pytest.mark.parametrize(("data", "fragment"), [pytest.param(d, f, id=name) for name, d, f in MALFORMED])
def test_malformed_upo_is_refused_with_a_clear_message(data: bytes, fragment: str) -> None:
    with pytest.raises(UpoError) as caught:
        read_upo(data)
    assert fragment in caught.value.message


def test_duplicate_ksef_numbers_are_refused() -> None:
    document = re.search(rb"<Dokument>.*</Dokument>", UNSIGNED, flags=re.S)
    assert document is not None
    doubled = UNSIGNED.replace(document.group(), document.group() * 2)
    with pytest.raises(UpoError, match="więcej niż raz"):
        read_upo(doubled)


def test_read_returns_the_content_of_a_real_looking_upo() -> None:
    upo = read_upo(signed_upo())
    assert isinstance(upo, Upo)
    assert upo.session_reference == SESSION
    assert upo.page is None
    assert upo.entries[0].ksef_number.startswith("5265877635-20260501-")
