from __future__ import annotations

import base64
import datetime as dt
import warnings
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import (
    ORGANIZATION_IDENTIFIER,
    KsefCertificateType,
    ValidityState,
    certificate_serial,
    classify_certificate,
    key_matches_certificate,
    load_certificate,
    load_der_certificate,
    read_subject_identifier,
    sha256_fingerprint,
    validity_state,
)
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import CertificateError, PasswordRequiredError, WrongPasswordError
from ksef_mcu.crypto.keys import encrypt_private_key, generate_private_key

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
KEY = generate_private_key()


def _certificate(key_usage: x509.KeyUsage | None, *, serial: int = 0x01F20A5D352AE590) -> x509.Certificate:
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Jan Testowy"), x509.NameAttribute(NameOID.COUNTRY_NAME, "PL")]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(KEY.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
    )
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    return builder.sign(KEY, hashes.SHA256())


def _usage(**asserted: bool) -> x509.KeyUsage:
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    values = {name: asserted.get(name, False) for name in names}
    return x509.KeyUsage(**values)


AUTHENTICATION = _certificate(_usage(digital_signature=True))
OFFLINE = _certificate(_usage(content_commitment=True))


class TestClassify:
    def test_authentication_and_offline(self) -> None:
        assert classify_certificate(AUTHENTICATION) is KsefCertificateType.AUTHENTICATION
        assert classify_certificate(OFFLINE) is KsefCertificateType.OFFLINE
        assert KsefCertificateType.AUTHENTICATION == "Authentication"
        assert KsefCertificateType.OFFLINE == "Offline"

    @pytest.mark.parametrize(
        "usage",
        [
            None,
            _usage(digital_signature=True, content_commitment=True),
            _usage(digital_signature=True, key_encipherment=True),
            _usage(content_commitment=True, key_cert_sign=True),
            _usage(key_encipherment=True),
        ],
    )
    def test_anything_else_is_not_a_ksef_certificate(self, usage: x509.KeyUsage | None) -> None:
        assert classify_certificate(_certificate(usage)) is None


class TestLoad:
    def test_pem_der_and_base64(self) -> None:
        pem = OFFLINE.public_bytes(serialization.Encoding.PEM)
        der = OFFLINE.public_bytes(serialization.Encoding.DER)
        for data in (pem, der, base64.b64encode(der), base64.encodebytes(der), b"\r\n" + pem + b"trailing text"):
            assert load_certificate(data) == OFFLINE

    def test_pem_chain_returns_the_first_certificate(self) -> None:
        chain = OFFLINE.public_bytes(serialization.Encoding.PEM) + AUTHENTICATION.public_bytes(
            serialization.Encoding.PEM
        )
        assert load_certificate(chain) == OFFLINE

    def test_pkcs12(self) -> None:
        protected = pkcs12.serialize_key_and_certificates(
            b"x", KEY, OFFLINE, None, serialization.BestAvailableEncryption(b"pw")
        )
        assert load_certificate(protected, "pw") == OFFLINE
        with pytest.raises(PasswordRequiredError):
            load_certificate(protected)
        with pytest.raises(WrongPasswordError):
            load_certificate(protected, "bad")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (encrypt_private_key(KEY, "Haslo!Haslo1234"), "klucz prywatny"),
            (
                KEY.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
                "klucz prywatny",
            ),
            (
                KEY.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
                "klucz publiczny",
            ),
            (
                KEY.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
                "klucz publiczny",
            ),
            (b"", "Nie rozpoznano certyfikatu"),
            (b"not a certificate at all", "Nie rozpoznano certyfikatu"),
            (b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n", "Base64"),
        ],
        # Stable ids: the key is generated per run, and pytest-xdist workers must collect the same names.
        ids=[
            "encrypted-pkcs8-pem",
            "pkcs8-der",
            "public-key-pem",
            "public-key-der",
            "empty",
            "text",
            "pem-with-bad-base64",
        ],
    )
    def test_not_a_certificate(self, data: bytes, message: str) -> None:
        with pytest.raises(CertificateError, match=message):
            load_certificate(data)

    def test_csr_is_named(self) -> None:
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
            .sign(KEY, hashes.SHA256())
        )
        for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
            with pytest.raises(CertificateError, match="CSR"):
                load_certificate(csr.public_bytes(encoding))

    def test_truncated_der(self) -> None:
        der = OFFLINE.public_bytes(serialization.Encoding.DER)
        with pytest.raises(CertificateError):
            load_certificate(der[:-10])
        with pytest.raises(CertificateError, match="DER"):
            load_der_certificate(der[:-1] + b"\x00\x00")


class TestOfficialCertificate:
    """The TI CCK KSeF certificate from the official C# tests: ECDSA-SHA512 signature with explicit NULL parameters."""

    def test_loads_without_warnings_and_keeps_its_bytes(self, official_vectors: dict[str, Any]) -> None:
        vector = official_vectors["kod2_docs_rsa_pss"]
        der = base64.b64decode(vector["certificate_der_base64"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            certificate = load_certificate(vector["certificate_der_base64"].encode())
        assert certificate.public_bytes(serialization.Encoding.DER) == der
        assert sha256_fingerprint(certificate) == vector["certificate_facts"]["sha256_fingerprint_upper_hex"]
        assert certificate_serial(certificate) == vector["certificate_serial"]
        assert classify_certificate(certificate) is KsefCertificateType.AUTHENTICATION
        identifier = read_subject_identifier(certificate)
        assert (identifier.type, identifier.value) == ("Nip", "5265877635")
        assert validity_state(certificate, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) is ValidityState.VALID

    def test_its_published_key_matches(self, official_vectors: dict[str, Any]) -> None:
        from ksef_mcu.crypto.keys import load_private_key

        vector = official_vectors["kod2_docs_rsa_pss"]
        certificate = load_certificate(vector["certificate_der_base64"].encode())
        assert key_matches_certificate(load_private_key(vector["private_key_pkcs1_der_base64"].encode()), certificate)
        assert not key_matches_certificate(KEY, certificate)


def test_common_name_longer_than_64_bytes_is_read_without_warnings() -> None:
    # What KSeF issues for a long Polish company name: the CN plus " (uwierzytelnienie)" exceeds 64 UTF-8 bytes.
    common_name = "PRZEDSIĘBIORSTWO ŻÓŁTE ŹRÓDŁA SPÓŁKA JAWNA (uwierzytelnienie)"
    assert len(common_name.encode()) > 64
    with tolerate_ksef_quirks():
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False),
                x509.NameAttribute(ORGANIZATION_IDENTIFIER, "VATPL-6381853612"),
            ]
        )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(KEY.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW)
        .add_extension(_usage(digital_signature=True), critical=True)
        .sign(KEY, hashes.SHA256())
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_certificate(certificate.public_bytes(serialization.Encoding.PEM))
        identifier = read_subject_identifier(loaded)
    assert (identifier.type, identifier.value) == ("Nip", "6381853612")


class TestKeyMatch:
    def test_private_and_public(self) -> None:
        assert key_matches_certificate(KEY, OFFLINE)
        assert key_matches_certificate(KEY.public_key(), OFFLINE)
        other = generate_private_key()
        assert not key_matches_certificate(other, OFFLINE)

    def test_rsa_key_against_ec_certificate(self) -> None:
        from ksef_mcu.crypto.keys import KeyKind

        assert not key_matches_certificate(generate_private_key(KeyKind.RSA_2048), OFFLINE)


class TestValidity:
    @pytest.mark.parametrize(
        ("now", "state"),
        [
            (NOW - dt.timedelta(days=1, seconds=1), ValidityState.NOT_YET_VALID),
            (NOW - dt.timedelta(days=1), ValidityState.VALID),
            (NOW, ValidityState.VALID),
            (NOW + dt.timedelta(days=1), ValidityState.VALID),
            (NOW + dt.timedelta(days=1, seconds=1), ValidityState.EXPIRED),
        ],
    )
    def test_states_and_inclusive_bounds(self, now: dt.datetime, state: ValidityState) -> None:
        assert validity_state(OFFLINE, now) is state

    def test_other_time_zone(self) -> None:
        warsaw = dt.timezone(dt.timedelta(hours=1))
        assert validity_state(OFFLINE, (NOW + dt.timedelta(days=1)).astimezone(warsaw)) is ValidityState.VALID

    def test_naive_now_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            validity_state(OFFLINE, NOW.replace(tzinfo=None))


def test_ec_key_fixture_is_ec() -> None:
    assert isinstance(KEY, ec.EllipticCurvePrivateKey)
