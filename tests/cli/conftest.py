"""Fixtures for the command-line tests: a CLI runner and KSeF-shaped certificates with their key files."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from client.fakes import FakeKsef
from ksef_mcu.cli import _network
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, encrypt_private_key, generate_private_key

PASSWORD = "Abcdefgh1234567!"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKsef:
    """A scripted KSeF behind the CLI's client; the CLI's config and working directory (with `haslo.txt`) in tmp."""
    ksef = FakeKsef()
    monkeypatch.setattr(_network, "http_transport", ksef.transport)
    monkeypatch.setattr(_network, "client_sleep", lambda seconds: time.sleep(min(seconds, 0.01)))
    monkeypatch.setenv("KSEF_MCU_CONFIG_DIR", str(tmp_path / "config"))
    for variable in ("KSEF_MCU_ENV", "KSEF_MCU_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "haslo.txt").write_text(PASSWORD)
    return ksef


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@dataclass(frozen=True)
class CertificateFiles:
    key: PrivateKey
    certificate: x509.Certificate
    certificate_path: Path
    key_path: Path
    password_path: Path


def make_certificate(
    key: PrivateKey, *, offline: bool, not_before: dt.datetime, not_after: dt.datetime
) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), "VATPL-8096529464"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Testowa sp. z o.o."),
            x509.NameAttribute(NameOID.COMMON_NAME, "Testowa (offline)" if offline else "Testowa (uwierzytelnienie)"),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    usage = x509.KeyUsage(not offline, offline, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(0x01D1732E43B9345E)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(usage, critical=True)
        .sign(generate_private_key(), hashes.SHA256())
    )


def write_certificate_files(
    directory: Path, *, kind: KeyKind = KeyKind.EC_P256, offline: bool = True, expired: bool = False
) -> CertificateFiles:
    key = generate_private_key(kind)
    if expired:
        not_before, not_after = NOW - dt.timedelta(days=800), NOW - dt.timedelta(days=70)
    else:
        not_before, not_after = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=729)
    certificate = make_certificate(key, offline=offline, not_before=not_before, not_after=not_after)
    directory.mkdir(parents=True, exist_ok=True)
    certificate_path = directory / "cert.crt"
    key_path = directory / "cert.key"
    password_path = directory / "password.txt"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(encrypt_private_key(key, PASSWORD))
    password_path.write_text(PASSWORD + "\n", encoding="utf-8")
    return CertificateFiles(key, certificate, certificate_path, key_path, password_path)


@pytest.fixture
def offline_files(tmp_path: Path) -> CertificateFiles:
    return write_certificate_files(tmp_path / "offline")


@pytest.fixture
def authentication_files(tmp_path: Path) -> CertificateFiles:
    return write_certificate_files(tmp_path / "auth", offline=False)


@pytest.fixture
def expired_offline_files(tmp_path: Path) -> CertificateFiles:
    return write_certificate_files(tmp_path / "expired", expired=True)
