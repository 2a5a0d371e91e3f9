from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER, read_subject_identifier, sha256_fingerprint
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _self_signed(attributes: list[x509.NameAttribute]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(attributes)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _person(serial_number: str) -> x509.Certificate:
    return _self_signed(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Anna"),
            x509.NameAttribute(NameOID.SURNAME, "Testowa"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
            x509.NameAttribute(NameOID.COMMON_NAME, "Anna Testowa"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )


@pytest.mark.parametrize(
    ("serial_number", "expected"),
    [
        ("TINPL-5265877635", SubjectIdentifier(SubjectIdentifierType.NIP, "5265877635")),
        ("NIP-5265877635", SubjectIdentifier(SubjectIdentifierType.NIP, "5265877635")),
        ("PNOPL-88102341294", SubjectIdentifier(SubjectIdentifierType.PESEL, "88102341294")),
        ("PESEL:88102341294", SubjectIdentifier(SubjectIdentifierType.PESEL, "88102341294")),
    ],
)
def test_person_identifier_from_serial_number(serial_number: str, expected: SubjectIdentifier) -> None:
    assert read_subject_identifier(_person(serial_number)) == expected


@pytest.mark.parametrize("serial_number", ["TINPL-111111", "-88102341294", "TINPL-526587763512", "XYZ-5265877635"])
def test_unrecognised_serial_number_falls_back_to_fingerprint(serial_number: str) -> None:
    certificate = _person(serial_number)
    assert read_subject_identifier(certificate) == SubjectIdentifier(
        SubjectIdentifierType.FINGERPRINT, sha256_fingerprint(certificate)
    )


def test_seal_identifier_from_compound_organization_identifier() -> None:
    certificate = _self_signed(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "RÓŻA GREEN POWER SP. Z O.O."),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, "VATPL-6381853612 NTRPL-0001040934 BR:PL-525516467"),
            x509.NameAttribute(NameOID.COMMON_NAME, "RÓŻA"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    assert read_subject_identifier(certificate) == SubjectIdentifier(SubjectIdentifierType.NIP, "6381853612")


def test_fingerprint_is_64_upper_hex() -> None:
    fingerprint = sha256_fingerprint(_person("XYZ"))
    assert len(fingerprint) == 64
    assert fingerprint == fingerprint.upper()
    int(fingerprint, 16)
