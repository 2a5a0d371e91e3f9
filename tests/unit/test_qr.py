from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import load_certificate
from ksef_mcu.crypto.errors import QrError
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, generate_private_key, load_private_key
from ksef_mcu.crypto.qr import (
    QR_BASE_URLS,
    ContextIdentifierType,
    EcdsaSignatureEncoding,
    InvoiceHash,
    QrEnvironment,
    base64url,
    build_invoice_link,
    build_offline_qr_link,
    check_ksef_number,
    parse_invoice_link,
    parse_offline_qr_link,
    sign_offline_qr_link,
    unsigned_offline_qr_link,
    verify_offline_qr_link,
)

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
TEST_BASE = "https://qr-test.ksef.mf.gov.pl"
INVOICE = '<?xml version="1.0" encoding="UTF-8"?><Faktura>zażółć</Faktura>'.encode()


def ksef_certificate(key: PrivateKey, *, offline: bool = True, serial: int = 0x01D1732E43B9345E) -> x509.Certificate:
    """A certificate shaped like a KSeF one (self-signed here; the CA does not matter to KOD II)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), "VATPL-8096529464"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Testowa sp. z o.o."),
            x509.NameAttribute(NameOID.COMMON_NAME, "Testowa (offline)" if offline else "Testowa (uwierzytelnienie)"),
        ]
    )
    usage = dict.fromkeys(
        [
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ],
        False,
    )
    usage["content_commitment" if offline else "digital_signature"] = True
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=730))
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .sign(key, hashes.SHA256())
    )


EC_KEY = generate_private_key(KeyKind.EC_P256)
RSA_KEY = generate_private_key(KeyKind.RSA_2048)
EC_OFFLINE = ksef_certificate(EC_KEY)
RSA_OFFLINE = ksef_certificate(RSA_KEY, serial=0x01732D26F736E531)


def _link(key_: PrivateKey, certificate_: x509.Certificate, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "context_type": ContextIdentifierType.NIP,
        "context_value": "8096529464",
        "seller_nip": "8096529464",
        "invoice": INVOICE,
        "certificate": certificate_,
        "key": key_,
        "now": NOW,
    }
    arguments.update(overrides)
    return build_offline_qr_link(TEST_BASE, **arguments)


class TestEnvironments:
    def test_base_urls(self) -> None:
        assert QR_BASE_URLS[QrEnvironment.TEST] == "https://qr-test.ksef.mf.gov.pl"
        assert QR_BASE_URLS[QrEnvironment.DEMO] == "https://qr-demo.ksef.mf.gov.pl"
        assert QR_BASE_URLS[QrEnvironment.PROD] == "https://qr.ksef.mf.gov.pl"
        assert QR_BASE_URLS[QrEnvironment.LOCAL] == "http://127.0.0.1:8000/qr"
        assert QR_BASE_URLS[QrEnvironment("prod")] == QR_BASE_URLS[QrEnvironment.PROD]


class TestInvoiceHash:
    def test_of_and_encodings(self) -> None:
        digest = InvoiceHash.of(b"<root>test</root>")
        assert len(digest.base64url) == 43
        assert "=" not in digest.base64url
        assert len(digest.base64) == 44
        assert InvoiceHash.parse(digest.base64) == digest
        assert InvoiceHash.parse(digest.base64url) == digest
        assert InvoiceHash.parse(digest.base64url + "=") == digest

    @pytest.mark.parametrize(
        "text", ["", "abc", "A" * 42, "A" * 44, "UtQp9Gpc51y-u3xApZjIjgkpZ01js+J8KflSPW8WzIE", "A" * 43 + "=="]
    )
    def test_parse_rejects(self, text: str) -> None:
        with pytest.raises(QrError, match="skrót faktury"):
            InvoiceHash.parse(text)

    def test_wrong_length(self) -> None:
        with pytest.raises(QrError):
            InvoiceHash(b"short")


class TestKodI:
    def test_official_vector(self, official_vectors: dict[str, Any]) -> None:
        vector = official_vectors["kod1_docs_and_csharp_test"]
        link = build_invoice_link(
            vector["base_url"],
            vector["seller_nip"],
            dt.date.fromisoformat(vector["issue_date"]),
            InvoiceHash.parse(vector["invoice_hash_base64url"]),
        )
        assert link == vector["expected_url"]
        parsed = parse_invoice_link(link)
        assert parsed.issue_date == dt.date(2026, 2, 1)
        assert parsed.invoice_hash.base64url == vector["invoice_hash_base64url"]

    def test_hashes_the_invoice_bytes(self) -> None:
        link = build_invoice_link(TEST_BASE + "/", "5265877635", dt.date(2026, 1, 5), b"<root>test</root>")
        expected = base64url(hashlib.sha256(b"<root>test</root>").digest())
        assert link == f"{TEST_BASE}/invoice/5265877635/05-01-2026/{expected}"

    def test_datetime_uses_its_date(self) -> None:
        link = build_invoice_link(TEST_BASE, "1111111111", dt.datetime(2026, 2, 1, 23, 59), INVOICE)
        assert "/01-02-2026/" in link

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (("ftp://x", "1111111111", dt.date(2026, 1, 1), b""), "adres bazowy"),
            ((TEST_BASE, "111111111", dt.date(2026, 1, 1), b""), "NIP sprzedawcy"),
            ((TEST_BASE, "11111111111", dt.date(2026, 1, 1), b""), "NIP sprzedawcy"),
            ((TEST_BASE, "1111111112", dt.date(2026, 1, 1), b""), "NIP sprzedawcy"),  # check digit
            ((TEST_BASE, "0123456789", dt.date(2026, 1, 1), b""), "NIP sprzedawcy"),  # leading zero
            ((TEST_BASE, "1111111111", "2026-01-01", b""), "datą"),
        ],
    )
    def test_bad_input(self, arguments: Any, message: str) -> None:
        with pytest.raises(QrError, match=message):
            build_invoice_link(*arguments)

    @pytest.mark.parametrize(
        "link",
        [
            "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/31-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
            "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/2026-02-01/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
            "https://qr-test.ksef.mf.gov.pl/faktura/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
            "qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
            "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIF",
            # ten digits that are no NIP: a wrong check digit, a leading zero
            "https://qr-test.ksef.mf.gov.pl/invoice/1111111112/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
            "https://qr-test.ksef.mf.gov.pl/invoice/0111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
        ],
    )
    def test_parse_rejects(self, link: str) -> None:
        with pytest.raises(QrError):
            parse_invoice_link(link)


class TestKodIIOfficialVector:
    def test_published_signature_verifies(self, official_vectors: dict[str, Any]) -> None:
        vector = official_vectors["kod2_docs_rsa_pss"]
        certificate = load_certificate(vector["certificate_der_base64"].encode())
        parsed = verify_offline_qr_link(vector["expected_url"], certificate)
        assert parsed.signed_data == vector["string_to_sign"]
        assert parsed.certificate_serial == vector["certificate_serial"]
        assert parsed.link == vector["expected_url"]
        assert base64url(parsed.signature) == vector["signature_base64url_no_padding"]

    def test_our_signature_with_the_published_key_verifies(self, official_vectors: dict[str, Any]) -> None:
        vector = official_vectors["kod2_docs_rsa_pss"]
        certificate = load_certificate(vector["certificate_der_base64"].encode())
        key = load_private_key(vector["private_key_pkcs1_der_base64"].encode())
        unsigned = unsigned_offline_qr_link(
            "https://qr-test.ksef.mf.gov.pl",
            context_type=vector["context_identifier_type"],
            context_value=vector["context_identifier_value"],
            seller_nip=vector["seller_nip"],
            certificate_serial=vector["certificate_serial"],
            invoice=InvoiceHash.parse(vector["invoice_hash_base64url"]),
        )
        assert unsigned.removeprefix("https://") == vector["string_to_sign"]
        ours = sign_offline_qr_link(unsigned, key)
        assert ours != vector["expected_url"]  # PSS is randomised
        assert verify_offline_qr_link(ours, certificate).signed_data == vector["string_to_sign"]
        # An independent check with cryptography directly: PSS, SHA-256, MGF1-SHA-256, salt exactly 32.
        signature = base64.urlsafe_b64decode(ours.rsplit("/", 1)[1] + "==")
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(
            signature,
            vector["string_to_sign"].encode(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )

    def test_the_authentication_certificate_cannot_sign(self, official_vectors: dict[str, Any]) -> None:
        vector = official_vectors["kod2_docs_rsa_pss"]
        certificate = load_certificate(vector["certificate_der_base64"].encode())
        key = load_private_key(vector["private_key_pkcs1_der_base64"].encode())
        with pytest.raises(QrError, match="Typ 1"):
            _link(key, certificate, now=None)

    def test_real_demo_ecdsa_link_parses_and_strictness(self, official_vectors: dict[str, Any]) -> None:
        url = official_vectors["kod2_real_demo_url_ecdsa"]["url"]
        parsed = parse_offline_qr_link(url)
        assert len(parsed.signature) == 64
        assert parsed.certificate_serial == "014081C969B66F7C"
        # The portal accepts a last character with different unused bits; we do not.
        with pytest.raises(QrError, match="niekanoniczne"):
            parse_offline_qr_link(url[:-1] + "B")


class TestKodII:
    @pytest.mark.parametrize("encoding", list(EcdsaSignatureEncoding))
    def test_ec_sign_and_verify(self, encoding: EcdsaSignatureEncoding) -> None:
        link = _link(EC_KEY, EC_OFFLINE, ecdsa_encoding=encoding)
        parsed = verify_offline_qr_link(link, EC_OFFLINE)
        if encoding is EcdsaSignatureEncoding.P1363:
            assert len(parsed.signature) == 64
            assert len(link.rsplit("/", 1)[1]) == 86
        else:
            assert parsed.signature[0] == 0x30
            decode_dss_signature(parsed.signature)
        assert verify_offline_qr_link(link, EC_KEY.public_key()) == parsed
        assert verify_offline_qr_link(link, EC_KEY) == parsed

    def test_link_shape(self) -> None:
        link = _link(EC_KEY, EC_OFFLINE)
        segments = link.removeprefix(TEST_BASE + "/").split("/")
        assert segments[:5] == ["certificate", "Nip", "8096529464", "8096529464", "01D1732E43B9345E"]
        assert segments[5] == InvoiceHash.of(INVOICE).base64url
        assert len(segments) == 7

    def test_rsa_sign_and_verify(self) -> None:
        link = _link(RSA_KEY, RSA_OFFLINE)
        parsed = verify_offline_qr_link(link, RSA_OFFLINE)
        assert len(parsed.signature) == 256
        assert parsed.certificate_serial == "01732D26F736E531"

    def test_verify_accepts_der_and_p1363_of_the_same_signature(self) -> None:
        link = _link(EC_KEY, EC_OFFLINE)
        parsed = parse_offline_qr_link(link)
        r, s = int.from_bytes(parsed.signature[:32], "big"), int.from_bytes(parsed.signature[32:], "big")
        der_link = f"{parsed.unsigned_link}/{base64url(encode_dss_signature(r, s))}"
        assert verify_offline_qr_link(der_link, EC_OFFLINE).unsigned_link == parsed.unsigned_link

    def test_p1363_keeps_leading_zeros(self) -> None:
        # r or s below 2^248 happens 1 in 128 signatures: keep signing until one does and check the 64-byte form.
        for _ in range(2000):
            parsed = parse_offline_qr_link(_link(EC_KEY, EC_OFFLINE))
            if parsed.signature[0] == 0 or parsed.signature[32] == 0:
                assert len(parsed.signature) == 64
                verify_offline_qr_link(parsed.link, EC_OFFLINE)
                return
        pytest.fail("no short r or s in 2000 signatures")

    def test_wrong_certificate_fails(self) -> None:
        other_key = generate_private_key()
        other = ksef_certificate(other_key)
        with pytest.raises(QrError, match="Podpis KODU II jest nieprawidłowy"):
            verify_offline_qr_link(_link(EC_KEY, EC_OFFLINE), other)
        with pytest.raises(QrError, match="Numer seryjny"):
            verify_offline_qr_link(_link(EC_KEY, EC_OFFLINE), ksef_certificate(EC_KEY, serial=5))

    def test_non_canonical_der_signature_fails(self) -> None:
        parsed = parse_offline_qr_link(_link(EC_KEY, EC_OFFLINE, ecdsa_encoding=EcdsaSignatureEncoding.DER))
        padded = parsed.signature + b"\x00"
        with pytest.raises(QrError, match="P1363"):
            verify_offline_qr_link(f"{parsed.unsigned_link}/{base64url(padded)}", EC_OFFLINE)

    def test_other_contexts(self) -> None:
        for context_type, value in [
            ("InternalId", "8096529464-00005"),
            ("NipVatUe", "8096529464-DE123456789"),
            ("PeppolId", "PPL123456"),
        ]:
            link = _link(EC_KEY, EC_OFFLINE, context_type=context_type, context_value=value)
            assert f"/certificate/{context_type}/{value}/" in link
            verify_offline_qr_link(link, EC_OFFLINE)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"context_type": "Pesel"}, "Nieznany typ kontekstu"),
            ({"context_value": "123"}, "identyfikator kontekstu"),
            ({"context_type": "InternalId", "context_value": "8096529464"}, "identyfikator kontekstu"),
            ({"context_type": "InternalId", "context_value": "8096529464-00001"}, "cyframi kontrolnymi"),
            ({"context_value": "8096529465"}, "cyframi kontrolnymi"),
            ({"context_type": "NipVatUe", "context_value": "8096529464-DE12345678"}, "identyfikator kontekstu"),
            ({"seller_nip": "8096529465"}, "NIP sprzedawcy"),
            ({"seller_nip": "80965294"}, "NIP sprzedawcy"),
            ({"now": NOW + dt.timedelta(days=731)}, "wygasł"),
            ({"now": NOW - dt.timedelta(days=2)}, "nie jest jeszcze ważny"),
            ({"key": generate_private_key()}, "nie pasuje"),
            ({"certificate": ksef_certificate(EC_KEY, offline=False)}, "Typ 1"),
        ],
    )
    def test_build_refuses(self, overrides: dict[str, Any], message: str) -> None:
        with pytest.raises(QrError, match=message):
            _link(EC_KEY, EC_OFFLINE, **overrides)

    def test_non_ksef_certificate_refused(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
        plain = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(EC_KEY.public_key())
            .serial_number(1)
            .not_valid_before(NOW)
            .not_valid_after(NOW)
            .sign(EC_KEY, hashes.SHA256())
        )
        with pytest.raises(QrError, match="nie jest certyfikat KSeF typu Offline"):
            _link(EC_KEY, plain)

    def test_unsupported_key_cannot_sign(self) -> None:
        unsigned = unsigned_offline_qr_link(
            TEST_BASE,
            context_type="Nip",
            context_value="1111111111",
            seller_nip="1111111111",
            certificate_serial="0102030405060708",
            invoice=INVOICE,
        )
        with pytest.raises(QrError, match="EC P-256 albo RSA 2048"):
            sign_offline_qr_link(unsigned, ec.generate_private_key(ec.SECP384R1()))  # type: ignore[arg-type]

    def test_local_http_base_signs_without_the_scheme(self) -> None:
        link = build_offline_qr_link(
            QR_BASE_URLS[QrEnvironment.LOCAL],
            context_type="Nip",
            context_value="8096529464",
            seller_nip="8096529464",
            invoice=INVOICE,
            certificate=EC_OFFLINE,
            key=EC_KEY,
        )
        parsed = verify_offline_qr_link(link, EC_OFFLINE)
        assert parsed.signed_data.startswith("127.0.0.1:8000/qr/certificate/Nip/")
        assert parsed.base_url == "http://127.0.0.1:8000/qr"

    @pytest.mark.parametrize(
        "link",
        [
            "https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/x",
            "https://qr-test.ksef.mf.gov.pl/invoice/Nip/1111111111/1111111111/01F20A5D352AE590/"
            "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AAAA",
            "https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01f20a5d352ae590/"
            "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AAAA",
            "https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
            "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AAAA=",
            "https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
            "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AAAA?x=1",
        ],
    )
    def test_parse_rejects(self, link: str) -> None:
        with pytest.raises(QrError):
            parse_offline_qr_link(link)


class TestKsefNumber:
    def test_accepts_the_official_example(self, official_vectors: dict[str, Any]) -> None:
        number = official_vectors["kod1_docs_and_csharp_test"]["ksef_number_label_used_in_csharp_test"]
        assert check_ksef_number(number) == number

    @pytest.mark.parametrize("number", ["", "5265877635-20250729-01004014E040", "5265877635-20250729-01004014e040-00"])
    def test_rejects(self, number: str) -> None:
        with pytest.raises(QrError, match="numer KSeF"):
            check_ksef_number(number)


def test_rsa_key_fixture_is_rsa() -> None:
    assert isinstance(RSA_KEY, rsa.RSAPrivateKey)
    assert isinstance(EC_KEY, ec.EllipticCurvePrivateKey)
