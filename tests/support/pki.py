"""Test certificates shaped like the official clients' self-signed ones, plus small CAs for chain tests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER, KsefCertificateType
from ksef_mcu.identifiers import generate_random_nip

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_RSA_KEYS: list[rsa.RSAPrivateKey] = []


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key() -> rsa.RSAPrivateKey:
    """An RSA-2048 key; a small pool is reused because generating them is slow and tests need many."""
    if len(_RSA_KEYS) < 4:
        _RSA_KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _RSA_KEYS[-1]
    return random.choice(_RSA_KEYS)


def random_nip() -> str:
    """A NIP with a valid check digit (what ksef2 and the official generators insist on)."""
    return generate_random_nip()


def random_pesel() -> str:
    """A PESEL of someone born in the 1980s (valid date part; check digit computed)."""
    year = random.randint(80, 99)
    month = random.randint(1, 12)
    day = random.randint(1, 28)
    serial = random.randint(0, 9999)
    digits = [int(c) for c in f"{year:02d}{month:02d}{day:02d}{serial:04d}"]
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def ksef_key_usage(certificate_type: KsefCertificateType) -> x509.KeyUsage:
    """The keyUsage of a KSeF certificate: digitalSignature (Type 1, Authentication) or nonRepudiation (Type 2,
    Offline) and nothing else."""
    return x509.KeyUsage(
        digital_signature=certificate_type is KsefCertificateType.AUTHENTICATION,
        content_commitment=certificate_type is KsefCertificateType.OFFLINE,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _build(
    subject: x509.Name,
    key: PrivateKey,
    *,
    now: datetime,
    issuer: tuple[x509.Name, PrivateKey] | None = None,
    ca: bool = False,
    lifetime: timedelta = timedelta(days=730),
    not_before: datetime | None = None,
) -> x509.Certificate:
    issuer_name, signing_key = issuer if issuer is not None else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(minutes=61))
        .not_valid_after((not_before or now) + lifetime)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


def person_certificate(
    key: PrivateKey,
    *,
    now: datetime,
    serial_number: str,
    given_name: str = "Anna",
    surname: str = "Testowa",
    **options: object,
) -> x509.Certificate:
    """A natural person's certificate: `serialNumber` like `TINPL-<nip>` or `PNOPL-<pesel>` (C# test layout)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
            x509.NameAttribute(NameOID.SURNAME, surname),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{given_name} {surname}"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    return _build(subject, key, now=now, **options)


def seal_certificate(
    key: PrivateKey, *, now: datetime, nip: str, organization: str = "Kowalski sp. z o.o.", **options: object
) -> x509.Certificate:
    """An organisation's seal: `organizationIdentifier` `VATPL-<nip>`, no person attributes."""
    subject = x509.Name(
        [
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, "Kowalski"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    return _build(subject, key, now=now, **options)


def foreign_certificate(key: PrivateKey, *, now: datetime, **options: object) -> x509.Certificate:
    """A certificate with no NIP/PESEL: its holder is known only by the certificate's fingerprint."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Hans"),
            x509.NameAttribute(NameOID.SURNAME, "Muster"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCDE-T22000129"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Hans Muster"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        ]
    )
    return _build(subject, key, now=now, **options)


@dataclass(frozen=True)
class TestCa:
    __test__ = False

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def root(cls, name: str, *, now: datetime) -> TestCa:
        key = ec_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        return cls(_build(subject, key, now=now, ca=True, lifetime=timedelta(days=3650)), key)

    def intermediate(self, name: str, *, now: datetime, ca: bool = True) -> TestCa:
        key = ec_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        issuer = (self.certificate.subject, self.key)
        return TestCa(_build(subject, key, now=now, issuer=issuer, ca=ca, lifetime=timedelta(days=1825)), key)

    def issue_person(
        self, key: PrivateKey, *, now: datetime, serial_number: str, **options: object
    ) -> x509.Certificate:
        return person_certificate(
            key, now=now, serial_number=serial_number, issuer=(self.certificate.subject, self.key), **options
        )
