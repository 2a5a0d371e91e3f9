"""Encryption round trips for any input, and tampering with ciphertext, IV, wrapped key or token is always caught."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.encryption import (
    ContentMismatchError,
    EcTokenLayout,
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
    unwrap_symmetric_key,
    wrap_symmetric_key,
)

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())

keys = st.binary(min_size=32, max_size=32)
ivs = st.binary(min_size=16, max_size=16)
contents = st.binary(max_size=3000)
tokens = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r\n"),
    min_size=1,
    max_size=80,
).filter(lambda text: text == text.strip())


def _flip(data: bytes, position: int, bit: int) -> bytes:
    index = position % len(data)
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


@settings(max_examples=200, deadline=None)
@given(data=contents, key=keys, iv=ivs)
def test_aes_cbc_round_trip(data: bytes, key: bytes, iv: bytes) -> None:
    encrypted = encrypt_aes_cbc(data, key, iv)
    assert len(encrypted) % 16 == 0
    assert len(encrypted) > len(data)
    assert decrypt_aes_cbc(encrypted, key, iv) == data


@settings(max_examples=200, deadline=None)
@given(data=contents, key=keys, iv=ivs, position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_flipped_ciphertext_bit_is_caught(data: bytes, key: bytes, iv: bytes, position: int, bit: int) -> None:
    encrypted = encrypt_invoice(data, SessionKey(key, iv))
    tampered = _flip(encrypted.content, position, bit)
    # The server checks the declared encrypted hash first (21403) ...
    with pytest.raises(ContentMismatchError) as caught:
        check_declared_content(tampered, size=encrypted.encrypted.size, sha256_base64=encrypted.encrypted.sha256_base64)
    assert caught.value.code == 21403
    # ... and a sender who declares the tampered bytes is still caught after decryption: bad padding (435) or a
    # plaintext whose SHA-256 is not the declared invoiceHash (430).
    try:
        plain = decrypt_aes_cbc(tampered, key, iv)
    except InvoiceDecryptionError as error:
        refused: InvoiceDecryptionError | None = error
    else:
        refused = None
        assert hashlib.sha256(plain).digest() != encrypted.plain.sha256
    assert refused is None or refused.code == 435


@settings(max_examples=200, deadline=None)
@given(data=contents, key=keys, iv=ivs, position=st.integers(0, 15), bit=st.integers(0, 7))
def test_flipped_iv_bit_is_caught(data: bytes, key: bytes, iv: bytes, position: int, bit: int) -> None:
    encrypted = encrypt_aes_cbc(data, key, iv)
    try:
        plain = decrypt_aes_cbc(encrypted, key, _flip(iv, position, bit))
    except InvoiceDecryptionError:
        return
    assert plain != data


@settings(max_examples=100, deadline=None)
@given(key=keys, other=keys, iv=ivs, data=st.binary(min_size=1, max_size=500))
def test_wrong_key_never_yields_the_plaintext(key: bytes, other: bytes, iv: bytes, data: bytes) -> None:
    if key == other:
        return
    encrypted = encrypt_aes_cbc(data, key, iv)
    with contextlib.suppress(InvoiceDecryptionError):
        assert decrypt_aes_cbc(encrypted, other, iv) != data


@settings(max_examples=60, deadline=None)
@given(key=keys, position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_flipped_wrapped_key_bit_is_415(key: bytes, position: int, bit: int) -> None:
    wrapped = wrap_symmetric_key(key, RSA_KEY.public_key())
    assert unwrap_symmetric_key(wrapped, RSA_KEY) == key
    with pytest.raises(SymmetricKeyDecryptionError) as caught:
        unwrap_symmetric_key(_flip(wrapped, position, bit), RSA_KEY)
    assert caught.value.code == 415


@settings(max_examples=60, deadline=None)
@given(token=tokens, timestamp=st.integers(0, 2**53), position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_rsa_token_round_trip_and_tamper(token: str, timestamp: int, position: int, bit: int) -> None:
    encrypted = encrypt_ksef_token(token, timestamp, RSA_KEY.public_key())
    result = decrypt_ksef_token(encrypted, RSA_KEY, expected_timestamp_ms=timestamp)
    assert (result.token, result.timestamp_ms) == (token, timestamp)
    with pytest.raises(KsefTokenError) as caught:
        decrypt_ksef_token(_flip(encrypted, position, bit), RSA_KEY)
    assert caught.value.code == 450


@settings(max_examples=100, deadline=None)
@given(
    token=tokens,
    timestamp=st.integers(0, 2**53),
    layout=st.sampled_from(EcTokenLayout),
    position=st.integers(min_value=0),
    bit=st.integers(0, 7),
)
def test_ec_token_round_trip_and_tamper(
    token: str, timestamp: int, layout: EcTokenLayout, position: int, bit: int
) -> None:
    encrypted = encrypt_ksef_token(token, timestamp, EC_KEY.public_key(), ec_layout=layout)
    assert decrypt_ksef_token(encrypted, EC_KEY, expected_timestamp_ms=timestamp).token == token
    with pytest.raises(KsefTokenError) as caught:
        decrypt_ksef_token(_flip(encrypted, position, bit), EC_KEY)
    assert caught.value.detail == "Nieprawidłowy token"
