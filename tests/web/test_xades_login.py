"""The "Certyfikat KSeF" login's cryptography: the server prepares the SignedInfo bytes, Chromium signs them with the
key it decrypted itself, the server completes the XAdES signature and our verifier accepts it."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.keys import encrypt_private_key
from ksef_mcu.crypto.xades import (
    ContextIdentifier,
    ContextIdentifierType,
    SignatureMethod,
    build_auth_token_request,
    verify_auth_token_request,
)
from ksef_mcu.crypto.xades.two_step import complete_signature, prepare_signature
from support.browser import BrowserError, Harness, b64, unb64

NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.UTC)
NIP = "5265877635"
CHALLENGE = "20260520-CR-46F7284000-D8D06263E5-C5"
PASSWORD = "Klucz-Do-Logowania-7"

_OPEN = """
  const files = [k.pem.fromBase64(arg.certificate), k.pem.fromBase64(arg.key)];
  return (await k.xades.openSigningCredentials(...files, arg.password)).kind;
"""
_OPEN_AND_SIGN = """
  const credentials = await k.xades.openSigningCredentials(
    k.pem.fromBase64(arg.certificate), k.pem.fromBase64(arg.key), arg.password);
  const value = await k.xades.signSignedInfo(credentials, k.pem.fromBase64(arg.signedInfo), arg.method);
  return { value: k.pem.toBase64(value), certificate: credentials.certificate.base64, kind: credentials.kind };
"""


def seal(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *, issuer_key: Any = None) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{NIP}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Żółwik sp. z o.o."),
            x509.NameAttribute(NameOID.COMMON_NAME, "Żółwik (uwierzytelnienie)"),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Testowe CA")]) if issuer_key else subject
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(0x01F20A5D352AE590)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=730))
        .sign(issuer_key or key, hashes.SHA256())
    )


def request_xml() -> bytes:
    return build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType.NIP, NIP), "certificateSubject", namespace="2.1"
    )


def sign_in_browser(
    harness: Harness, certificate: bytes, key_file: bytes, signed_info: bytes, method: str, password: str = PASSWORD
) -> dict[str, str]:
    arguments = {
        "certificate": b64(certificate),
        "key": b64(key_file),
        "password": password,
        "signedInfo": b64(signed_info),
        "method": method,
    }
    result: dict[str, str] = harness.run(_OPEN_AND_SIGN, arguments)
    return result


KEYS = {
    "ec-p256": (lambda: ec.generate_private_key(ec.SECP256R1()), SignatureMethod.ECDSA_SHA256),
    "rsa-2048": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), SignatureMethod.RSA_SHA256),
}


@pytest.mark.parametrize("kind", sorted(KEYS))
@pytest.mark.parametrize("certificate_encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_browser_signature_completes_and_verifies(
    harness: Harness, kind: str, certificate_encoding: serialization.Encoding
) -> None:
    make_key, method = KEYS[kind]
    key = make_key()
    certificate = seal(key)
    prepared = prepare_signature(request_xml(), certificate, now=NOW)
    assert prepared.signature_method is method

    signed = sign_in_browser(
        harness,
        certificate.public_bytes(certificate_encoding),
        encrypt_private_key(key, PASSWORD),
        prepared.signed_info,
        method.value,
    )
    assert signed["kind"] == kind
    # What the page sends the server to prepare the signature: the certificate's DER, whatever file it was given.
    assert unb64(signed["certificate"]) == certificate.public_bytes(serialization.Encoding.DER)
    value = unb64(signed["value"])
    if kind == "ec-p256":
        assert len(value) == 64  # raw r||s, as XML-DSig wants

    login = verify_auth_token_request(complete_signature(prepared, value), now=NOW)
    assert login.subject_identifier.value == NIP
    assert login.challenge == CHALLENGE
    assert login.signature_method is method
    assert login.certificate == certificate


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_a_tampered_browser_signature_fails(harness: Harness, kind: str) -> None:
    make_key, method = KEYS[kind]
    key = make_key()
    certificate = seal(key)
    prepared = prepare_signature(request_xml(), certificate, now=NOW)
    value = bytearray(
        unb64(
            sign_in_browser(
                harness,
                certificate.public_bytes(serialization.Encoding.PEM),
                encrypt_private_key(key, PASSWORD),
                prepared.signed_info,
                method.value,
            )["value"]
        )
    )
    value[len(value) // 3] ^= 0x40
    with pytest.raises(XadesError) as caught:
        complete_signature(prepared, bytes(value))
    assert caught.value.reason is XadesRejection.SIGNATURE_MISMATCH
    # Assembled anyway (as a hostile client could send it), the verifier refuses it too.
    with pytest.raises(XadesError) as caught:
        verify_auth_token_request(prepared.template.assemble(prepared, bytes(value)), now=NOW)
    assert caught.value.reason is XadesRejection.SIGNATURE_MISMATCH


def test_signature_over_other_bytes_fails(harness: Harness) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = seal(key)
    prepared = prepare_signature(request_xml(), certificate, now=NOW)
    other = prepare_signature(request_xml(), certificate, now=NOW + dt.timedelta(minutes=1))
    value = sign_in_browser(
        harness,
        certificate.public_bytes(serialization.Encoding.PEM),
        encrypt_private_key(key, PASSWORD),
        other.signed_info,
        SignatureMethod.ECDSA_SHA256.value,
    )["value"]
    with pytest.raises(XadesError) as caught:
        complete_signature(prepared, unb64(value))
    assert caught.value.reason is XadesRejection.SIGNATURE_MISMATCH


@pytest.mark.parametrize(
    ("key_kind", "certificate_kind"), [("ec-p256", "ec-p256"), ("rsa-2048", "ec-p256"), ("ec-p256", "rsa-2048")]
)
def test_a_key_that_is_not_the_certificates_is_caught_in_the_browser(
    harness: Harness, key_kind: str, certificate_kind: str
) -> None:
    key = KEYS[key_kind][0]()
    certificate = seal(KEYS[certificate_kind][0]())
    with pytest.raises(BrowserError) as caught:
        harness.run(
            _OPEN,
            {
                "certificate": b64(certificate.public_bytes(serialization.Encoding.PEM)),
                "key": b64(encrypt_private_key(key, PASSWORD)),
                "password": PASSWORD,
            },
        )
    assert (caught.value.code, caught.value.message) == ("key-mismatch", "Klucz prywatny nie pasuje do certyfikatu.")


def test_a_signature_method_the_key_cannot_make_is_refused(harness: Harness) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = seal(key)
    with pytest.raises(BrowserError) as caught:
        sign_in_browser(
            harness,
            certificate.public_bytes(serialization.Encoding.PEM),
            encrypt_private_key(key, PASSWORD),
            b"<SignedInfo/>",
            SignatureMethod.RSA_SHA256.value,
        )
    assert caught.value.code == "key-mismatch"


def test_wrong_password_at_login_is_a_clear_error(harness: Harness) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = seal(key)
    with pytest.raises(BrowserError) as caught:
        sign_in_browser(
            harness,
            certificate.public_bytes(serialization.Encoding.PEM),
            encrypt_private_key(key, PASSWORD),
            b"<SignedInfo/>",
            SignatureMethod.ECDSA_SHA256.value,
            password="Inne-Haslo-1234",
        )
    assert (caught.value.code, caught.value.message) == ("wrong-password", "Nieprawidłowe hasło do klucza prywatnego.")


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n", "klucz prywatny, a nie certyfikat"),
        (b"nie certyfikat", "Plik nie zawiera certyfikatu X.509"),
        (b"\x30\x03\x02\x01\x00", "Plik nie zawiera certyfikatu X.509"),
    ],
    ids=["a-key", "text", "other-der"],
)
def test_files_that_are_not_certificates_are_named(harness: Harness, file: bytes, message: str) -> None:
    with pytest.raises(BrowserError) as caught:
        harness.run("return k.certificate.readCertificate(k.pem.fromBase64(arg))", b64(file))
    assert caught.value.code == "not-a-certificate"
    assert message in caught.value.message


def test_browser_generated_key_logs_in_with_the_certificate_issued_for_its_csr(harness: Harness) -> None:
    """The whole key life in one: "Generuj" → CSR → a CA issues the certificate → the `.key` signs the login."""
    made = harness.run(
        "return await k.enroll.generateKeyAndCsr({ password: arg.password, enrollmentData: arg.data })",
        {
            "password": PASSWORD,
            "data": {
                "commonName": "Żółwik (uwierzytelnienie)",
                "countryName": "PL",
                "organizationName": "Żółwik sp. z o.o.",
                "organizationIdentifier": f"VATPL-{NIP}",
            },
        },
    )
    request = x509.load_der_x509_csr(base64.b64decode(made["csr"]))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Testowe CA")]))
        .public_key(request.public_key())
        .serial_number(0x0123456789ABCDEF)
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=730))
        .sign(ca_key, hashes.SHA256())
    )
    prepared = prepare_signature(request_xml(), certificate, now=NOW)
    value = sign_in_browser(
        harness,
        certificate.public_bytes(serialization.Encoding.PEM),
        made["keyFile"].encode(),
        prepared.signed_info,
        prepared.signature_method.value,
    )["value"]
    login = verify_auth_token_request(complete_signature(prepared, unb64(value)), now=NOW)
    assert login.subject_identifier.value == NIP


def test_official_csharp_certificate_and_key_log_in(harness: Harness, official_vectors: dict[str, Any]) -> None:
    """A real `TI CCK KSeF` seal certificate (RSA 2048, ecdsa-with-SHA512 + NULL parameters) and its PKCS#1 key."""
    vector = official_vectors["kod2_docs_rsa_pss"]
    certificate_der = base64.b64decode(vector["certificate_der_base64"])
    with tolerate_ksef_quirks():
        certificate = x509.load_der_x509_certificate(certificate_der)
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)  # inside 2025-07-29 … 2027-07-29
    prepared = prepare_signature(request_xml(), certificate, now=now)
    signed = sign_in_browser(
        harness,
        certificate_der,
        vector["private_key_pkcs1_der_base64"].encode(),
        prepared.signed_info,
        prepared.signature_method.value,
        password="",
    )
    login = verify_auth_token_request(complete_signature(prepared, unb64(signed["value"])), now=now)
    assert login.subject_identifier.value == "5265877635"
    assert login.signature_method is SignatureMethod.RSA_SHA256
