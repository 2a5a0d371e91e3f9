"""The neutral "certificate + key + password" loader: what it reports, and each distinct refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import KsefCertificateType, ValidityState
from ksef_mcu.crypto.credentials import (
    CertificateWithKey,
    load_certificate_with_key,
    load_pkcs12_certificate_with_key,
)
from ksef_mcu.crypto.errors import (
    CertificateError,
    CertificateTypeError,
    CertificateValidityError,
    KeyMismatchError,
    NotAPrivateKeyError,
    PasswordRequiredError,
    WrongPasswordError,
)
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, encrypt_private_key, generate_private_key
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from support.pki import ksef_key_usage

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PASSWORD = "Haslo-do-klucza-1"
NIP = "5265877635"
EC_KEY = generate_private_key(KeyKind.EC_P256)
OTHER_KEY = generate_private_key(KeyKind.EC_P256)


def _certificate(key: PrivateKey, kind: KsefCertificateType | None, *, days: int = 365) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINPL-{NIP}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Testowy (uwierzytelnienie)"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x01F20A5D352AE590)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=days))
    )
    if kind is not None:
        builder = builder.add_extension(ksef_key_usage(kind), critical=True)
    return builder.sign(key, hashes.SHA256())


AUTHENTICATION = _certificate(EC_KEY, KsefCertificateType.AUTHENTICATION)
OFFLINE = _certificate(EC_KEY, KsefCertificateType.OFFLINE)
ENCRYPTED_KEY = encrypt_private_key(EC_KEY, PASSWORD)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class TestWhatItReports:
    @pytest.mark.parametrize("kind", [KsefCertificateType.AUTHENTICATION, KsefCertificateType.OFFLINE])
    def test_type_subject_validity_and_key_match(self, kind: KsefCertificateType) -> None:
        certificate = AUTHENTICATION if kind is KsefCertificateType.AUTHENTICATION else OFFLINE
        loaded = load_certificate_with_key(_pem(certificate), ENCRYPTED_KEY, PASSWORD)
        assert loaded.certificate_type is kind
        assert loaded.subject_identifier == SubjectIdentifier(SubjectIdentifierType.NIP, NIP)
        assert loaded.subject == certificate.subject
        assert loaded.serial_number == "01F20A5D352AE590"
        assert loaded.valid_from == NOW - dt.timedelta(days=1)
        assert loaded.valid_to == NOW + dt.timedelta(days=365)
        assert loaded.key_matches is True
        assert loaded.validity_at(NOW) is ValidityState.VALID
        assert loaded.require(kind, now=NOW) is loaded

    def test_der_certificate_and_unencrypted_key_forms(self) -> None:
        der = AUTHENTICATION.public_bytes(serialization.Encoding.DER)
        for key_format in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
            for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
                key = EC_KEY.private_bytes(encoding, key_format, serialization.NoEncryption())
                assert load_certificate_with_key(der, key, None).key_matches

    def test_a_key_of_another_pair_is_reported_not_refused(self) -> None:
        loaded = load_certificate_with_key(_pem(AUTHENTICATION), encrypt_private_key(OTHER_KEY, PASSWORD), PASSWORD)
        assert loaded.key_matches is False
        with pytest.raises(KeyMismatchError, match="nie pasuje"):
            loaded.require(KsefCertificateType.AUTHENTICATION, now=NOW)

    def test_pkcs12(self) -> None:
        data = pkcs12.serialize_key_and_certificates(
            b"offline", EC_KEY, OFFLINE, None, serialization.BestAvailableEncryption(PASSWORD.encode())
        )
        loaded = load_pkcs12_certificate_with_key(data, PASSWORD)
        assert loaded.certificate_type is KsefCertificateType.OFFLINE
        assert loaded.key_matches
        with pytest.raises(WrongPasswordError):
            load_pkcs12_certificate_with_key(data, "zle-haslo")
        with pytest.raises(PasswordRequiredError):
            load_pkcs12_certificate_with_key(data, None)

    def test_the_key_is_not_in_the_repr(self) -> None:
        loaded = load_certificate_with_key(_pem(AUTHENTICATION), ENCRYPTED_KEY, PASSWORD)
        assert "key=" not in repr(loaded)
        assert isinstance(loaded, CertificateWithKey)


class TestRefusals:
    def test_the_certificate_file(self) -> None:
        with pytest.raises(CertificateError, match=r"^Certyfikat: .*klucz prywatny"):
            load_certificate_with_key(ENCRYPTED_KEY, ENCRYPTED_KEY, PASSWORD)
        with pytest.raises(CertificateError, match=r"^Certyfikat: .*Nie rozpoznano"):
            load_certificate_with_key(b"nonsense", ENCRYPTED_KEY, PASSWORD)
        p12 = pkcs12.serialize_key_and_certificates(b"x", EC_KEY, OFFLINE, None, serialization.NoEncryption())
        with pytest.raises(CertificateError, match="PKCS#12"):
            load_certificate_with_key(p12, ENCRYPTED_KEY, PASSWORD)

    def test_the_key_file(self) -> None:
        with pytest.raises(WrongPasswordError, match=r"^Klucz prywatny: Nieprawidłowe hasło"):
            load_certificate_with_key(_pem(AUTHENTICATION), ENCRYPTED_KEY, "inne-haslo-123")
        with pytest.raises(PasswordRequiredError, match=r"^Klucz prywatny: .*podaj hasło"):
            load_certificate_with_key(_pem(AUTHENTICATION), ENCRYPTED_KEY, None)
        with pytest.raises(NotAPrivateKeyError, match=r"^Klucz prywatny: .*certyfikat"):
            load_certificate_with_key(_pem(AUTHENTICATION), _pem(AUTHENTICATION), None)

    def test_the_wrong_type_for_the_slot(self) -> None:
        offline = load_certificate_with_key(_pem(OFFLINE), ENCRYPTED_KEY, PASSWORD)
        with pytest.raises(CertificateTypeError, match=r"offline \(Typ 2\).*uwierzytelniający \(Typ 1\)"):
            offline.require(KsefCertificateType.AUTHENTICATION, now=NOW)
        neither = load_certificate_with_key(_pem(_certificate(EC_KEY, None)), ENCRYPTED_KEY, PASSWORD)
        assert neither.certificate_type is None
        with pytest.raises(CertificateTypeError, match="nie jest certyfikat KSeF"):
            neither.require(KsefCertificateType.OFFLINE, now=NOW)

    def test_outside_the_validity_period(self) -> None:
        loaded = load_certificate_with_key(_pem(AUTHENTICATION), ENCRYPTED_KEY, PASSWORD)
        with pytest.raises(CertificateValidityError, match="wygasł"):
            loaded.require(KsefCertificateType.AUTHENTICATION, now=NOW + dt.timedelta(days=366))
        with pytest.raises(CertificateValidityError, match="ważny dopiero od"):
            loaded.require(KsefCertificateType.AUTHENTICATION, now=NOW - dt.timedelta(days=2))
