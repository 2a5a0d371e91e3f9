"""Session and KSeF-token encryption: known answers, round trips, and every failure with its own KSeF code."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.encryption import (
    ContentMismatchError,
    EcTokenLayout,
    EncryptionError,
    FileMetadata,
    InvoiceDecryptionError,
    KsefTokenError,
    SessionKey,
    SymmetricKeyDecryptionError,
    check_declared_content,
    decrypt_aes_cbc,
    decrypt_ksef_token,
    encrypt_aes_cbc,
    encrypt_invoice,
    encrypt_ksef_token,
    ksef_token_plaintext,
    open_session_key,
    session_encryption,
    timestamp_ms,
    unwrap_symmetric_key,
    wrap_symmetric_key,
)
from ksef_mcu.crypto.errors import KsefCryptoError

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())
KEY = bytes(range(32))
IV = bytes(range(100, 116))
TOKEN = "20251010-EC-1DCE3E3000-12ECB5B36E-45|internalId-5265877635-12345|919f7044" + "ab" * 28
CHALLENGE_AT = dt.datetime(2026, 5, 1, 10, 15, 30, 123456, tzinfo=dt.UTC)


def _certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ministerstwo Finansów")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


# --- AES-256-CBC ------------------------------------------------------------------------------------------------------


def test_aes_cbc_matches_a_plain_cryptography_implementation_and_pkcs7_lengths() -> None:
    for size in (0, 1, 15, 16, 17, 6480):
        data = os.urandom(size)
        encrypted = encrypt_aes_cbc(data, KEY, IV)
        assert len(encrypted) == 16 * (size // 16 + 1)  # PKCS#7 always adds 1-16 bytes (6480 -> 6496 in the OAS)
        pad = 16 - size % 16
        encryptor = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
        assert encrypted == encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()
        assert decrypt_aes_cbc(encrypted, KEY, IV) == data


def test_aes_known_answer_nist_sp800_38a_first_block() -> None:
    # NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), block 1; our output then carries one block of padding.
    key = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
    iv = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    plain = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert encrypt_aes_cbc(plain, key, iv)[:16] == bytes.fromhex("f58c4c04d6e5f1ba779eabfb5f7bfbd6")


@pytest.mark.parametrize(("key", "iv"), [(KEY[:31], IV), (KEY + b"x", IV), (KEY, IV[:15]), (KEY, IV + b"x")])
def test_wrong_key_or_iv_size_is_an_input_error(key: bytes, iv: bytes) -> None:
    with pytest.raises(EncryptionError) as caught:
        encrypt_aes_cbc(b"data", key, iv)
    assert caught.value.code == 21405
    assert "bajt" in caught.value.message
    with pytest.raises(EncryptionError):
        SessionKey(key, iv)


@pytest.mark.parametrize("length", [0, 1, 15, 17, 31])
def test_ciphertext_that_is_not_whole_blocks_is_435(length: int) -> None:
    with pytest.raises(InvoiceDecryptionError) as caught:
        decrypt_aes_cbc(b"\0" * length, KEY, IV)
    assert caught.value.code == 435
    assert "wielokrotnością" in caught.value.message


def test_wrong_key_is_435_bad_padding() -> None:
    encrypted = encrypt_aes_cbc(b"<Faktura/>" * 10, KEY, IV)
    errors: list[InvoiceDecryptionError] = []
    for attempt in range(20):
        other = hashlib.sha256(bytes([attempt])).digest()
        try:
            decrypt_aes_cbc(encrypted, other, IV)
        except InvoiceDecryptionError as error:
            errors.append(error)
    assert len(errors) >= 15  # a random key yields valid-looking padding with probability ~1/256 per try
    assert {(error.code, "PKCS#7" in error.message) for error in errors} == {(435, True)}


def test_session_key_generate_and_repr_hides_the_key() -> None:
    first, second = SessionKey.generate(), SessionKey.generate()
    assert len(first.key) == 32
    assert len(first.iv) == 16
    assert first.key != second.key
    assert first.iv != second.iv
    assert first.key.hex() not in repr(first)
    assert repr(first.key) not in repr(first)
    assert first.decrypt(first.encrypt(b"abc")) == b"abc"


# --- RSA-OAEP key wrap ------------------------------------------------------------------------------------------------


def test_wrap_is_rsa_oaep_sha256_mgf1_sha256_with_empty_label() -> None:
    wrapped = wrap_symmetric_key(KEY, _certificate(RSA_KEY))
    assert len(wrapped) == 256
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    assert RSA_KEY.decrypt(wrapped, oaep) == KEY
    assert unwrap_symmetric_key(wrapped, RSA_KEY) == KEY
    assert unwrap_symmetric_key(wrap_symmetric_key(KEY, RSA_KEY.public_key()), RSA_KEY) == KEY


def test_unwrap_with_the_wrong_key_or_sha1_oaep_is_415() -> None:
    wrapped = wrap_symmetric_key(KEY, RSA_KEY.public_key())
    with pytest.raises(SymmetricKeyDecryptionError) as caught:
        unwrap_symmetric_key(wrapped, OTHER_RSA_KEY)
    assert caught.value.code == 415
    assert caught.value.description == "Błąd odszyfrowania dostarczonego klucza"
    sha1 = RSA_KEY.public_key().encrypt(KEY, padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None))
    with pytest.raises(SymmetricKeyDecryptionError):
        unwrap_symmetric_key(sha1, RSA_KEY)


def test_unwrapped_key_of_the_wrong_size_is_415() -> None:
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    with pytest.raises(SymmetricKeyDecryptionError, match="16 bajtów"):
        unwrap_symmetric_key(RSA_KEY.public_key().encrypt(KEY[:16], oaep), RSA_KEY)


def test_wrap_refuses_ec_and_short_rsa_keys() -> None:
    with pytest.raises(EncryptionError, match="RSA"):
        wrap_symmetric_key(KEY, _certificate(EC_KEY))
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(EncryptionError, match="2048"):
        wrap_symmetric_key(KEY, short.public_key())
    with pytest.raises(EncryptionError, match="32 bajty"):
        wrap_symmetric_key(KEY[:16], RSA_KEY.public_key())


def test_session_encryption_round_trip_through_the_api_fields() -> None:
    session_key = SessionKey.generate()
    fields = session_encryption(session_key, _certificate(RSA_KEY), public_key_id="abc=")
    assert base64.b64decode(fields.initialization_vector) == session_key.iv
    assert fields.public_key_id == "abc="
    opened = open_session_key(fields.encrypted_symmetric_key, fields.initialization_vector, RSA_KEY)
    assert opened == session_key


@pytest.mark.parametrize(
    ("key_field", "iv_field", "code", "fragment"),
    [
        ("not base64!", base64.b64encode(IV).decode(), 21405, "Base64"),
        (base64.b64encode(b"x" * 256).decode(), "not base64!", 21405, "Base64"),
        (base64.b64encode(b"x" * 256).decode(), base64.b64encode(IV[:12]).decode(), 21405, "16 bajtów"),
        (base64.b64encode(b"x" * 256).decode(), base64.b64encode(IV).decode(), 415, "RSA-OAEP"),
    ],
)
def test_open_session_key_errors(key_field: str, iv_field: str, code: int, fragment: str) -> None:
    with pytest.raises(EncryptionError) as caught:
        open_session_key(key_field, iv_field, RSA_KEY)
    assert caught.value.code == code
    assert fragment in caught.value.message


# --- metadata ---------------------------------------------------------------------------------------------------------


def test_file_metadata_matches_the_oas_example_shape() -> None:
    data = "<Faktura>zażółć</Faktura>".encode()
    metadata = FileMetadata.of(data)
    assert metadata.size == len(data)
    assert metadata.sha256_base64 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert len(metadata.sha256_base64) == 44
    assert len(metadata.sha256_base64url) == 43
    assert "+" not in metadata.sha256_base64url
    assert "/" not in metadata.sha256_base64url
    assert metadata.matches(len(data), metadata.sha256_base64)
    assert not metadata.matches(len(data) + 1, metadata.sha256_base64)
    assert not metadata.matches(len(data), "not base64")


def test_encrypt_invoice_declares_plain_and_encrypted_metadata() -> None:
    session_key = SessionKey(KEY, IV)
    invoice = b"x" * 6480
    encrypted = encrypt_invoice(invoice, session_key)
    assert encrypted.plain == FileMetadata.of(invoice)
    assert encrypted.encrypted.size == 6496
    assert encrypted.encrypted == FileMetadata.of(encrypted.content)
    assert base64.b64decode(encrypted.content_base64) == encrypted.content
    assert session_key.decrypt(encrypted.content) == invoice
    assert check_declared_content(
        encrypted.content, size=encrypted.encrypted.size, sha256_base64=encrypted.encrypted.sha256_base64
    ) == (encrypted.encrypted)


def test_declared_content_mismatches_are_21402_and_21403() -> None:
    content = b"\1" * 32
    metadata = FileMetadata.of(content)
    with pytest.raises(ContentMismatchError) as size:
        check_declared_content(content, size=33, sha256_base64=metadata.sha256_base64)
    assert size.value.code == 21402
    assert "Długość treści nie zgadza się z rozmiarem pliku" in size.value.message
    with pytest.raises(ContentMismatchError) as digest:
        check_declared_content(content, size=32, sha256_base64=FileMetadata.of(b"other").sha256_base64)
    assert digest.value.code == 21403
    assert "Skrót treści nie zgadza się ze skrótem pliku" in digest.value.message


# --- KSeF token -------------------------------------------------------------------------------------------------------


def test_timestamp_ms_and_plaintext_format() -> None:
    assert timestamp_ms(CHALLENGE_AT) == 1777630530123
    assert timestamp_ms(CHALLENGE_AT.astimezone(dt.timezone(dt.timedelta(hours=2)))) == 1777630530123
    assert ksef_token_plaintext(TOKEN, CHALLENGE_AT) == f"{TOKEN}|1777630530123".encode()
    assert ksef_token_plaintext("abc", 5) == b"abc|5"
    with pytest.raises(ValueError, match="timezone"):
        timestamp_ms(dt.datetime(2026, 1, 1))


@pytest.mark.parametrize(("token", "timestamp"), [("", 1), (" abc", 1), ("abc\n", 1), ("a\nb", 1), ("abc", -1)])
def test_bad_token_input_is_21405(token: str, timestamp: int) -> None:
    with pytest.raises(EncryptionError) as caught:
        ksef_token_plaintext(token, timestamp)
    assert caught.value.code == 21405


def test_rsa_token_round_trip_and_it_is_plain_rsa_oaep() -> None:
    encrypted = encrypt_ksef_token(TOKEN, CHALLENGE_AT, _certificate(RSA_KEY))
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    assert RSA_KEY.decrypt(encrypted, oaep) == f"{TOKEN}|1777630530123".encode()
    result = decrypt_ksef_token(encrypted, RSA_KEY, expected_timestamp_ms=1777630530123)
    assert (result.token, result.timestamp_ms) == (TOKEN, 1777630530123)
    assert TOKEN not in repr(result)


@pytest.mark.parametrize("layout", list(EcTokenLayout))
def test_ec_token_round_trip_in_both_layouts(layout: EcTokenLayout) -> None:
    encrypted = encrypt_ksef_token(TOKEN, CHALLENGE_AT, _certificate(EC_KEY), ec_layout=layout)
    plain = f"{TOKEN}|1777630530123".encode()
    assert len(encrypted) == 91 + 12 + len(plain) + 16  # P-256 SPKI, nonce, ciphertext, tag
    assert decrypt_ksef_token(encrypted, EC_KEY).token == TOKEN


def _reference_ec_token(plain: bytes, public_key: ec.EllipticCurvePublicKey, layout: EcTokenLayout) -> bytes:
    """The official clients' algorithms, written out independently of the module under test."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    secret = ephemeral.exchange(ec.ECDH(), public_key)
    key = secret if layout is EcTokenLayout.JAVA else hashlib.sha256(secret).digest()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plain, None)
    spki = ephemeral.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if layout is EcTokenLayout.JAVA:
        return spki + nonce + sealed
    return spki + nonce + sealed[-16:] + sealed[:-16]


@pytest.mark.parametrize("layout", list(EcTokenLayout))
def test_ec_token_from_the_official_algorithms_decrypts(layout: EcTokenLayout) -> None:
    encrypted = _reference_ec_token(f"{TOKEN}|42".encode(), EC_KEY.public_key(), layout)
    assert decrypt_ksef_token(encrypted, EC_KEY, expected_timestamp_ms=42).token == TOKEN


@pytest.mark.parametrize("layout", list(EcTokenLayout))
def test_ec_token_made_here_decrypts_with_the_official_algorithm(layout: EcTokenLayout) -> None:
    encrypted = encrypt_ksef_token("abc", 7, EC_KEY.public_key(), ec_layout=layout)
    spki_length = 91
    ephemeral = serialization.load_der_public_key(encrypted[:spki_length])
    assert isinstance(ephemeral, ec.EllipticCurvePublicKey)
    secret = EC_KEY.exchange(ec.ECDH(), ephemeral)
    nonce, body = encrypted[spki_length : spki_length + 12], encrypted[spki_length + 12 :]
    if layout is EcTokenLayout.JAVA:
        plain = AESGCM(secret).decrypt(nonce, body, None)
    else:
        plain = AESGCM(hashlib.sha256(secret).digest()).decrypt(nonce, body[16:] + body[:16], None)
    assert plain == b"abc|7"


def test_token_timestamp_mismatch_says_invalid_token_time() -> None:
    encrypted = encrypt_ksef_token(TOKEN, 1000, RSA_KEY.public_key())
    with pytest.raises(KsefTokenError) as caught:
        decrypt_ksef_token(encrypted, RSA_KEY, expected_timestamp_ms=1001)
    assert caught.value.code == 450
    assert caught.value.detail == "Nieprawidłowy czas tokena"
    assert caught.value.description == "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu"


@pytest.mark.parametrize(
    "plaintext", [b"no-separator", b"|123", b"token|", b"token|12a", b"token|\xd9\xa3", b"\xff\xfe|1", b"token|-1"]
)
def test_malformed_token_plaintext_is_invalid_token(plaintext: bytes) -> None:
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    with pytest.raises(KsefTokenError) as caught:
        decrypt_ksef_token(RSA_KEY.public_key().encrypt(plaintext, oaep), RSA_KEY)
    assert caught.value.detail == "Nieprawidłowy token"


def test_token_for_another_key_is_invalid_token() -> None:
    with pytest.raises(KsefTokenError, match="RSA-OAEP"):
        decrypt_ksef_token(encrypt_ksef_token(TOKEN, 1, OTHER_RSA_KEY.public_key()), RSA_KEY)
    with pytest.raises(KsefTokenError, match="AES-256-GCM"):
        decrypt_ksef_token(encrypt_ksef_token(TOKEN, 1, OTHER_EC_KEY.public_key()), EC_KEY)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\x30",
        b"\x31\x10" + b"\0" * 40,
        b"\x30\x85" + b"\0" * 100,
        b"\x30\x10" + b"\0" * 16 + b"\0" * 28,  # a DER sequence that is not a public key
    ],
)
def test_garbage_ec_token_is_invalid_token(blob: bytes) -> None:
    with pytest.raises(KsefTokenError) as caught:
        decrypt_ksef_token(blob, EC_KEY)
    assert caught.value.detail == "Nieprawidłowy token"


def test_ec_token_with_a_p384_ephemeral_key_is_refused() -> None:
    ephemeral = ec.generate_private_key(ec.SECP384R1())
    spki = ephemeral.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KsefTokenError, match="P-256"):
        decrypt_ksef_token(spki + b"\0" * 40, EC_KEY)


def test_unsupported_token_keys_are_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(EncryptionError, match="EC P-256"):
        encrypt_ksef_token(TOKEN, 1, p384.public_key())
    with pytest.raises(EncryptionError, match="EC P-256"):
        decrypt_ksef_token(b"x", p384)


def test_every_error_is_part_of_the_crypto_error_tree() -> None:
    for error in (EncryptionError, SymmetricKeyDecryptionError, InvoiceDecryptionError, ContentMismatchError):
        assert issubclass(error, KsefCryptoError)
    assert issubclass(KsefTokenError, KsefCryptoError)


@pytest.mark.parametrize(
    ("position", "value", "what"),
    [
        (25, 0x01, "a non-zero unused-bits count"),
        (26, 0x06, "the hybrid point form"),
        (26, 0x07, "the hybrid point form"),
    ],
)
def test_ec_token_with_a_non_canonical_ephemeral_key_is_refused(position: int, value: int, what: str) -> None:
    # The same point written another way still parses (cryptography is lenient there): such bytes are not what any
    # official client writes, so a token carrying them counts as altered (found by the tamper property test).
    encrypted = bytearray(encrypt_ksef_token("token-abc", 1_700_000_000_000, EC_KEY.public_key()))
    assert encrypted[24:27] == b"\x42\x00\x04"  # BIT STRING length, unused bits, uncompressed point
    encrypted[position] = value if position == 25 else value | (encrypted[position + 64] & 1)
    with pytest.raises(KsefTokenError) as caught:
        decrypt_ksef_token(bytes(encrypted), EC_KEY)
    assert caught.value.detail == "Nieprawidłowy token", what
