"""Fixtures for the client tests: a scripted KSeF, a fake clock, a CSR and a certificate."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

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


def find_shared_dir() -> Path | None:
    """`KSEF_MCU_SHARED_DIR`, else the nearest `shared/` beside an ancestor of this repository that has ksef-docs."""
    if configured := os.environ.get("KSEF_MCU_SHARED_DIR"):
        return Path(configured)
    for ancestor in Path(__file__).resolve().parents:
        candidate = ancestor / "shared"
        if (candidate / "ksef-docs").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def open_api() -> dict[str, Any]:
    """The official OpenAPI document of KSeF API v2 (read from the shared folder, never copied)."""
    shared = find_shared_dir()
    path = shared / "ksef-docs" / "open-api.json" if shared else None
    if path is None or not path.is_file():
        pytest.skip("shared/ksef-docs/open-api.json is not available (set KSEF_MCU_SHARED_DIR)")
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document
