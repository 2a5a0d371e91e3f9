"""Interoperability of the session and KSeF-token encryption with the third-party `ksef-client` 0.20.0 (PyPI).

What ksef-client encrypts, our server side decrypts; what our client side encrypts, ksef-client decrypts where it
can (it has no RSA or EC decryption, only AES), and its session request carries exactly the metadata ours declares.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.encryption import (
    EcTokenLayout,
    FileMetadata,
    SessionKey,
    check_declared_content,
    decrypt_aes_cbc,
    decrypt_ksef_token,
    encrypt_aes_cbc,
    encrypt_invoice,
    encrypt_ksef_token,
    open_session_key,
    session_encryption,
)

pytestmark = pytest.mark.interop

crypto = pytest.importorskip("ksef_client.services.crypto", reason="the dev extra ksef-client[xml] is not installed")

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
TOKEN = "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|" + "0f" * 32
INVOICE = '<?xml version="1.0" encoding="UTF-8"?><Faktura>zażółć gęślą jaźń</Faktura>'.encode()


def _base64_der(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    """The key's certificate as `GET /security/public-key-certificates` carries it (Base64 DER, no PEM armour)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ministerstwo Finansów")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")


def test_their_session_key_and_invoice_open_with_ours() -> None:
    data = crypto.build_encryption_data(_base64_der(RSA_KEY), public_key_id="id")
    info = data.encryption_info
    session_key = open_session_key(info.encrypted_symmetric_key, info.initialization_vector, RSA_KEY)
    assert (session_key.key, session_key.iv) == (data.key, data.iv)

    request = crypto.build_send_invoice_request(INVOICE, data.key, data.iv, offline_mode=False)
    content = base64.b64decode(request.encrypted_invoice_content)
    check_declared_content(content, size=request.encrypted_invoice_size, sha256_base64=request.encrypted_invoice_hash)
    plain = decrypt_aes_cbc(content, session_key.key, session_key.iv)
    assert plain == INVOICE
    assert FileMetadata.of(plain).matches(request.invoice_size, request.invoice_hash)


def test_our_invoice_request_has_the_metadata_theirs_has_and_they_decrypt_it() -> None:
    session_key = SessionKey.generate()
    ours = encrypt_invoice(INVOICE, session_key)
    theirs = crypto.build_send_invoice_request(INVOICE, session_key.key, session_key.iv)
    assert (ours.plain.size, ours.plain.sha256_base64) == (theirs.invoice_size, theirs.invoice_hash)
    assert (ours.encrypted.size, ours.encrypted.sha256_base64) == (
        theirs.encrypted_invoice_size,
        theirs.encrypted_invoice_hash,
    )
    assert ours.content_base64 == theirs.encrypted_invoice_content  # same key and IV: CBC is deterministic
    assert crypto.decrypt_aes_cbc_pkcs7(ours.content, session_key.key, session_key.iv) == INVOICE
    assert crypto.get_file_metadata(INVOICE).sha256_base64 == ours.plain.sha256_base64


def test_aes_both_directions_for_many_sizes() -> None:
    session_key = SessionKey.generate()
    for size in (0, 1, 15, 16, 17, 1000, 65_537):
        data = bytes(index % 251 for index in range(size))
        assert crypto.decrypt_aes_cbc_pkcs7(
            encrypt_aes_cbc(data, session_key.key, session_key.iv), *_kv(session_key)
        ) == (data)
        assert decrypt_aes_cbc(crypto.encrypt_aes_cbc_pkcs7(data, *_kv(session_key)), *_kv(session_key)) == data


def _kv(session_key: SessionKey) -> tuple[bytes, bytes]:
    return session_key.key, session_key.iv


def test_our_wrapped_key_is_what_their_client_would_send() -> None:
    session_key = SessionKey.generate()
    ours = session_encryption(session_key, RSA_KEY.public_key())
    # Their server-side equivalent does not exist; both must open with the same private key the same way.
    theirs = crypto.encrypt_rsa_oaep(_base64_der(RSA_KEY), session_key.key)
    assert open_session_key(ours.encrypted_symmetric_key, ours.initialization_vector, RSA_KEY) == session_key
    reopened = open_session_key(base64.b64encode(theirs).decode(), ours.initialization_vector, RSA_KEY)
    assert reopened == session_key


def test_their_rsa_token_decrypts_with_ours() -> None:
    encrypted = crypto.encrypt_ksef_token_rsa(_base64_der(RSA_KEY), TOKEN, 1_777_630_530_123)
    result = decrypt_ksef_token(encrypted, RSA_KEY, expected_timestamp_ms=1_777_630_530_123)
    assert result.token == TOKEN


@pytest.mark.parametrize("output_format", ["java", "csharp"])
def test_their_ec_tokens_decrypt_with_ours(output_format: str) -> None:
    # ksef-client's "csharp" format keeps the raw shared secret as the key (the real C# client hashes it); both and
    # the real C# derivation (tests/unit/test_encryption.py) are accepted.
    encrypted = crypto.encrypt_ksef_token_ec(_base64_der(EC_KEY), TOKEN, 42, output_format=output_format)
    assert decrypt_ksef_token(encrypted, EC_KEY, expected_timestamp_ms=42).token == TOKEN


@pytest.mark.parametrize("layout", list(EcTokenLayout))
def test_our_tokens_have_their_shape(layout: EcTokenLayout) -> None:
    ours = encrypt_ksef_token(TOKEN, 42, EC_KEY.public_key(), ec_layout=layout)
    theirs = crypto.encrypt_ksef_token_ec(_base64_der(EC_KEY), TOKEN, 42, output_format=layout.value)
    assert len(ours) == len(theirs)
    assert ours[:27] == theirs[:27]  # the same SubjectPublicKeyInfo header (id-ecPublicKey, prime256v1, bit string)
