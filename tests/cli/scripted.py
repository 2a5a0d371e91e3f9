"""A scripted KSeF for the CLI tests (httpx MockTransport, see `client.fakes`): constants, a login profile, the
runner that checks the exit code, and certificates shaped like KSeF's answers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from client.fakes import LIMITS, FakeKsef, ok
from ksef_mcu.cli import app
from ksef_mcu.cli._profiles import LoginInfo, Profile, save_profile
from ksef_mcu.client import Environment, Token, TokenState

PASSWORD = "Abcdefgh1234567!"
REFERENCE = "20260302-CE-1111111111-2222222222-33"
SERIAL = "0123456789ABCDEF"
BASE = "http://127.0.0.1:8000/v2"


def run(*arguments: str, input: str | None = None, expect: int = 0) -> Result:
    result = CliRunner().invoke(app, list(arguments), input=input)
    assert result.exit_code == expect, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def logged_in(*, access_in: timedelta = timedelta(minutes=10), refresh_in: timedelta = timedelta(days=1)) -> Path:
    now = datetime.now(UTC)
    profile = Profile(
        environment=Environment.LOCAL,
        base_url=BASE,
        tokens=TokenState(Token("access-1", now + access_in), Token("refresh-1", now + refresh_in), REFERENCE),
        login=LoginInfo(
            subject="CN=Jan Testowy",
            identifier_type="Nip",
            identifier_value="5265877635",
            context_type="Nip",
            context_value="5265877635",
            certificate_serial="0102030405060708",
            certificate_fingerprint="AB" * 32,
            certificate_valid_to=now + timedelta(days=700),
            logged_in_at=now,
        ),
    )
    return save_profile(profile)


def certificate_for(key: Any, name: str = "Cudzy") -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int(SERIAL, 16))
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=700))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )


def retrieved(certificate: x509.Certificate, name: str) -> dict[str, Any]:
    return {
        "certificates": [
            {
                "certificate": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode(),
                "certificateName": name,
                "certificateSerialNumber": SERIAL,
                "certificateType": "Authentication",
            }
        ]
    }


ENROLLMENT_DATA = {"commonName": "Jan Testowy", "countryName": "PL", "serialNumber": "TINPL-5265877635"}


def script_a_rejected_request(fake: FakeKsef, description: str = "Wniosek odrzucony", *details: str) -> None:
    """KSeF accepts `cert request`'s enrollment, then rejects it (status 400) with `description` and `details`."""
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    fake.on("GET", "/certificates/enrollments/data", ok(ENROLLMENT_DATA))
    fake.on("POST", "/certificates/enrollments", ok({"referenceNumber": REFERENCE, "timestamp": "2026-03-02"}, 202))
    status = {"code": 400, "description": description, "details": list(details)}
    fake.on("GET", f"/certificates/enrollments/{REFERENCE}", ok({"requestDate": "2026-03-02T09:00Z", "status": status}))
