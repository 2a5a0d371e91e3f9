"""The reusable KOD II signer: the official vector, the same checks as the one-call function, and its errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import load_certificate
from ksef_mcu.crypto.errors import QrError
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, generate_private_key, load_private_key
from ksef_mcu.crypto.qr import (
    EcdsaSignatureEncoding,
    InvoiceHash,
    OfflineQrSigner,
    build_offline_qr_link,
    parse_offline_qr_link,
    verify_offline_qr_link,
)

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
BASE = "https://qr-test.ksef.mf.gov.pl"
NIP = "8096529464"
INVOICE = '<?xml version="1.0" encoding="UTF-8"?><Faktura>zażółć</Faktura>'.encode()


def certificate_for(
    key: PrivateKey, *, offline: bool = True, serial: int = 0x01D1732E43B9345E, days: int = 730
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Testowa (offline)")])
    usage = x509.KeyUsage(not offline, offline, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=days))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )


EC_KEY = generate_private_key(KeyKind.EC_P256)
RSA_KEY = generate_private_key(KeyKind.RSA_2048)


def signer(key: PrivateKey = EC_KEY, **options: Any) -> OfflineQrSigner:
    arguments: dict[str, Any] = {
        "context_type": "Nip",
        "context_value": NIP,
        "certificate": certificate_for(key),
        "key": key,
        "now": NOW,
    }
    arguments.update(options)
    return OfflineQrSigner(BASE, **arguments)


def test_official_vector_with_the_published_key(official_vectors: dict[str, Any]) -> None:
    vector = official_vectors["kod2_docs_rsa_pss"]
    published = load_certificate(vector["certificate_der_base64"].encode())
    key = load_private_key(vector["private_key_pkcs1_der_base64"].encode())
    # The published certificate is an Authentication one (keyUsage digitalSignature), which may not sign KOD II;
    # an Offline certificate for the same key and serial signs the same string.
    offline = certificate_for(key, serial=published.serial_number)
    bulk = OfflineQrSigner(
        "https://qr-test.ksef.mf.gov.pl",
        context_type=vector["context_identifier_type"],
        context_value=vector["context_identifier_value"],
        certificate=offline,
        key=key,
    )
    link = bulk.link(vector["seller_nip"], InvoiceHash.parse(vector["invoice_hash_base64url"]))
    assert link.rsplit("/", 1)[0] == vector["expected_url"].rsplit("/", 1)[0]
    parsed = verify_offline_qr_link(link, published)
    assert parsed.signed_data == vector["string_to_sign"]
    with pytest.raises(QrError, match="Typ 1"):
        OfflineQrSigner(BASE, context_type="Nip", context_value=NIP, certificate=published, key=key)


@pytest.mark.parametrize("key", [EC_KEY, RSA_KEY], ids=["EC", "RSA"])
def test_link_verifies_and_matches_the_one_call_function(key: PrivateKey) -> None:
    certificate = certificate_for(key)
    bulk = signer(key, certificate=certificate)
    ours = bulk.link(NIP, INVOICE, now=NOW)
    theirs = build_offline_qr_link(
        BASE, context_type="Nip", context_value=NIP, seller_nip=NIP, invoice=INVOICE, certificate=certificate, key=key
    )
    assert ours.rsplit("/", 1)[0] == theirs.rsplit("/", 1)[0]
    assert verify_offline_qr_link(ours, certificate) == parse_offline_qr_link(ours)
    assert bulk.link(NIP, InvoiceHash.of(INVOICE)).rsplit("/", 1)[0] == ours.rsplit("/", 1)[0]
    assert bulk.certificate is certificate


def test_ecdsa_encodings() -> None:
    p1363 = parse_offline_qr_link(signer().link(NIP, INVOICE))
    assert len(p1363.signature) == 64
    der = parse_offline_qr_link(signer(ecdsa_encoding=EcdsaSignatureEncoding.DER).link(NIP, INVOICE))
    assert der.signature[0] == 0x30
    assert len(der.signature) in range(68, 73)
    verify_offline_qr_link(der.link, EC_KEY.public_key())


def test_local_http_base_and_other_contexts() -> None:
    key = EC_KEY
    local = OfflineQrSigner(
        "http://127.0.0.1:8000/qr/",
        context_type="InternalId",
        context_value=f"{NIP}-00005",
        certificate=certificate_for(key),
        key=key,
    )
    link = local.link("5265877635", INVOICE)
    assert link.startswith(f"http://127.0.0.1:8000/qr/certificate/InternalId/{NIP}-00005/5265877635/01D1732E43B9345E/")
    assert verify_offline_qr_link(link, key.public_key()).signed_data.startswith("127.0.0.1:8000/qr/certificate/")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"certificate": certificate_for(EC_KEY, offline=False)}, "Typ 1"),
        ({"certificate": certificate_for(generate_private_key(KeyKind.EC_P256))}, "nie pasuje"),
        ({"now": NOW + dt.timedelta(days=800)}, "wygasł"),
        ({"now": NOW - dt.timedelta(days=2)}, "nie jest jeszcze ważny"),
        ({"context_type": "Pesel"}, "Nieznany typ kontekstu"),
        ({"context_value": "123"}, "identyfikator kontekstu"),
    ],
)
def test_construction_refuses_what_cannot_sign(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(QrError, match=fragment):
        signer(**options)


def test_unsupported_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(QrError, match="Nie można podpisać KODU II"):
        OfflineQrSigner(BASE, context_type="Nip", context_value=NIP, certificate=certificate_for(key), key=key)


def test_bad_base_url() -> None:
    with pytest.raises(QrError, match="adres bazowy"):
        OfflineQrSigner(
            "ftp://x", context_type="Nip", context_value=NIP, certificate=certificate_for(EC_KEY), key=EC_KEY
        )


@pytest.mark.parametrize(
    "nip", ["809652946", "80965294641", "809652946a", "٨٠٩٦٥٢٩٤٦٤", None, "8096529465", "0123456789"]
)
def test_link_refuses_a_bad_seller_nip(nip: object) -> None:
    with pytest.raises(QrError, match="NIP sprzedawcy"):
        signer().link(nip, INVOICE)  # type: ignore[arg-type]


def test_a_remembered_seller_never_lets_a_bad_nip_through() -> None:
    """Sellers are checked once and remembered; a bad NIP is refused every time, before and after good ones."""
    bulk = signer()
    for _ in range(3):
        parse_offline_qr_link(bulk.link(NIP, INVOICE))
        with pytest.raises(QrError, match="NIP sprzedawcy"):
            bulk.link("8096529465", INVOICE)

    class Sneaky(str):
        pass

    with pytest.raises(QrError, match="NIP sprzedawcy"):
        bulk.link(Sneaky("8096529465"), INVOICE)
    with pytest.raises(QrError, match="NIP sprzedawcy"):
        bulk.link(["8096529464"], INVOICE)  # type: ignore[arg-type]


def test_link_checks_validity_when_given_now() -> None:
    bulk = signer(certificate=certificate_for(EC_KEY, days=10))
    bulk.link(NIP, INVOICE, now=NOW + dt.timedelta(days=9))
    with pytest.raises(QrError, match="wygasł"):
        bulk.link(NIP, INVOICE, now=NOW + dt.timedelta(days=11))
    with pytest.raises(QrError, match="nie jest jeszcze ważny"):
        bulk.link(NIP, INVOICE, now=NOW - dt.timedelta(days=2))


def test_link_refuses_other_invoice_types() -> None:
    with pytest.raises(QrError, match="bajty pliku albo jego skrót"):
        signer().link(NIP, INVOICE.decode())  # type: ignore[arg-type]
