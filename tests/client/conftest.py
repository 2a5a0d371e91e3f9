"""Fixtures for the client tests: a scripted KSeF, a fake clock, a CSR and a certificate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .fakes import START, FakeClock, FakeKsef


@pytest.fixture
def fake() -> FakeKsef:
    return FakeKsef()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def csr(ec_key: ec.EllipticCurvePrivateKey) -> x509.CertificateSigningRequest:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINPL-5265877635"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(ec_key, hashes.SHA256())


@pytest.fixture(scope="session")
def certificate(ec_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski (offline)")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ec_key.public_key())
        .serial_number(0x01F20A5D352AE590)
        .not_valid_before(START)
        .not_valid_after(START + timedelta(days=730))
        .sign(ec_key, hashes.SHA256())
    )
