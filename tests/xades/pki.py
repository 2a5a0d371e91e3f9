"""Test keys and certificates for the XAdES tests: generated once per session, shaped like KSeF's test certificates."""

from __future__ import annotations

import datetime as dt
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER

#: The fixed "now" of the XAdES tests; certificates are valid from an hour before to a year after.
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.UTC)
CHALLENGE = "20260520-CR-46F7284000-D8D06263E5-C5"
NIP = "5265877635"
PESEL = "88102341294"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@functools.cache
def rsa_key(bits: int = 2048, index: int = 0) -> rsa.RSAPrivateKey:
    """An RSA key, the same object for the same arguments during a session (generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key(curve_name: str = "secp256r1", index: int = 0) -> ec.EllipticCurvePrivateKey:
    """An EC key on the named curve, cached like `rsa_key`."""
    curve = {"secp224r1": ec.SECP224R1, "secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1, "secp521r1": ec.SECP521R1}
    return ec.generate_private_key(curve[curve_name]())


def person_name(*, nip: str | None = NIP, pesel: str | None = None) -> x509.Name:
    """A person's DN as the official test generators build it (GN, SN, serialNumber TINPL-/PNOPL-, CN, C)."""
    serial = f"PNOPL-{pesel}" if pesel else f"TINPL-{nip}"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )


def seal_name(nip: str = NIP, *, with_person_attributes: bool = False) -> x509.Name:
    """An organisation seal's DN (O, organizationIdentifier VATPL-, CN, C); optionally with forbidden GN/SN."""
    attributes = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kowalski sp. z o.o."),
        x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Kowalski & Syn <pieczęć>"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
    ]
    if with_person_attributes:
        attributes[:0] = [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
        ]
    return x509.Name(attributes)


def plain_name() -> x509.Name:
    """A DN with no NIP or PESEL (e.g. a foreign qualified certificate)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Hans Müller"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        ]
    )


def make_certificate(
    key: PrivateKey,
    subject: x509.Name | None = None,
    *,
    not_before: dt.datetime = NOW - dt.timedelta(hours=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
    issuer_key: PrivateKey | None = None,
    issuer: x509.Name | None = None,
    serial_number: int = 0x1234_5678_9ABC_DEF0,
) -> x509.Certificate:
    """A certificate for `key`: self-signed unless `issuer_key` is given; no extensions, like the C# test certs."""
    subject = subject or person_name()
    signer = issuer_key or key
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(serial_number)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(signer, hashes.SHA256())
    )
