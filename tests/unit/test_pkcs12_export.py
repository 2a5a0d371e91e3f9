"""`build_pkcs12`: a certificate and its key in one password-protected file that our loader (and OpenSSL-based
programs) read back; a key of another certificate is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from ksef_mcu.crypto.errors import CertificateError, WrongPasswordError
from ksef_mcu.crypto.keys import (
    KeyKind,
    PrivateKey,
    build_pkcs12,
    generate_private_key,
    load_pkcs12,
    public_key_sha256_fingerprint,
)
from support.pki import foreign_certificate

PASSWORD = "Abcdefgh1234567!"


def certificate_for(key: PrivateKey) -> x509.Certificate:
    return foreign_certificate(key, now=dt.datetime.now(dt.UTC))


@pytest.mark.parametrize("kind", [KeyKind.EC_P256, KeyKind.RSA_2048])
def test_round_trip(kind: KeyKind) -> None:
    key = generate_private_key(kind)
    certificate = certificate_for(key)
    bundle = build_pkcs12(key, certificate, PASSWORD, name="Moj certyfikat")
    loaded_key, loaded_certificate = load_pkcs12(bundle, PASSWORD)
    assert loaded_certificate == certificate
    assert public_key_sha256_fingerprint(loaded_key) == public_key_sha256_fingerprint(key)
    with pytest.raises(WrongPasswordError):
        load_pkcs12(bundle, "Inne-haslo-123456")


def test_a_key_of_another_certificate_is_refused() -> None:
    certificate = certificate_for(generate_private_key())
    with pytest.raises(CertificateError):
        build_pkcs12(generate_private_key(), certificate, PASSWORD, name="x")
