from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from typer.testing import CliRunner

from ksef_mcu.cli import app
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.csr import EnrollmentData, check_csr
from ksef_mcu.crypto.keys import KeyKind, encrypt_private_key, generate_private_key, public_key_sha256_fingerprint

PASSWORD = "Abcdefgh1234567!"
ENROLLMENT = {
    "commonName": "Anna Testowa",
    "countryName": "PL",
    "givenName": "Anna",
    "surname": "Testowa",
    "serialNumber": "TINPL-5265877635",
    "uniqueIdentifier": None,
    "organizationName": None,
    "organizationIdentifier": None,
}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    key = generate_private_key()
    (tmp_path / "Anna.key").write_bytes(encrypt_private_key(key, PASSWORD))
    (tmp_path / "pw").write_text(PASSWORD, encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps(ENROLLMENT, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def _create(runner: CliRunner, directory: Path, *extra: str, password_input: str | None = None) -> tuple[int, str, str]:
    arguments = [
        "csr",
        "create",
        "--key",
        str(directory / "Anna.key"),
        "--enrollment-data",
        str(directory / "data.json"),
    ]
    result = runner.invoke(app, [*arguments, *extra], input=password_input)
    return result.exit_code, result.stdout, result.stderr


def test_creates_base64_der_next_to_the_key(runner: CliRunner, files: Path) -> None:
    code, out, err = _create(runner, files, password_input=PASSWORD + "\n")
    assert code == 0, err
    text = (files / "Anna.csr").read_text(encoding="ascii")
    assert "\n" not in text
    info = check_csr(text, EnrollmentData.from_api(ENROLLMENT))
    assert info.signature_algorithm == "ecdsa-with-SHA256"
    assert info.spki_sha256 in out
    assert "Hasło do klucza prywatnego" in err  # prompts go to stderr: stdout is only the result
    assert "Hasło" not in out
    assert "Base64 DER w jednej linii" in out
    assert "Podmiot: CN=Anna Testowa, SN=Testowa, GN=Anna, C=PL, serialNumber=TINPL-5265877635" in out


def test_pem_and_rsa_pss(runner: CliRunner, tmp_path: Path) -> None:
    key = generate_private_key(KeyKind.RSA_2048)
    (tmp_path / "Anna.key").write_bytes(encrypt_private_key(key, PASSWORD))
    (tmp_path / "pw").write_text(PASSWORD, encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps(ENROLLMENT), encoding="utf-8")
    out_file = tmp_path / "wnioski" / "Anna.csr"  # --out is a folder (created), the file is named after the key
    code, out, err = _create(
        runner, tmp_path, "--pem", "--rsa-pss", "--out", str(out_file.parent), "--password-file", str(tmp_path / "pw")
    )
    assert code == 0, err
    request = x509.load_pem_x509_csr(out_file.read_bytes())
    assert request.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10"
    assert public_key_sha256_fingerprint(key) in out


def test_unencrypted_key_needs_no_password(runner: CliRunner, files: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = generate_private_key()
    plain = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (files / "Anna.key").write_bytes(plain)
    code, out, err = _create(runner, files)
    assert code == 0, err
    assert "Hasło" not in out + err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "nie jest poprawnym JSON-em (wiersz 1"),
        (json.dumps({"countryName": "PL"}), "Brak wymaganych pól w danych do wniosku: commonName."),
        (json.dumps(["x"]), "obiektem JSON"),
        (json.dumps({"commonName": "A", "countryName": "POLSKA"}), "countryName"),
    ],
)
def test_bad_enrollment_data(runner: CliRunner, files: Path, content: str, message: str) -> None:
    (files / "data.json").write_text(content, encoding="utf-8")
    code, _, err = _create(runner, files, "--password-file", str(files / "pw"))
    assert code == ExitCode.LOCAL
    assert message in err
    assert not (files / "Anna.csr").exists()


def test_wrong_password(runner: CliRunner, files: Path) -> None:
    code, _, err = _create(runner, files, password_input="Zle-haslo-12345A\n")
    assert code == ExitCode.LOCAL
    assert "Nieprawidłowe hasło do klucza prywatnego." in err
    assert not (files / "Anna.csr").exists()


def test_certificate_given_as_key(runner: CliRunner, files: Path, offline_files: Any) -> None:
    (files / "Anna.key").write_bytes(offline_files.certificate_path.read_bytes())
    code, _, err = _create(runner, files)
    assert code == ExitCode.LOCAL
    assert "Plik zawiera certyfikat, a nie klucz prywatny." in err


def test_missing_key_file(runner: CliRunner, files: Path) -> None:
    (files / "Anna.key").unlink()
    code, _, err = _create(runner, files)
    assert code == ExitCode.LOCAL
    assert "Nie znaleziono pliku klucza" in err


def test_refuses_to_overwrite(runner: CliRunner, files: Path) -> None:
    (files / "Anna.csr").write_text("old", encoding="ascii")
    code, out, err = _create(runner, files, password_input=PASSWORD + "\n")
    assert code == ExitCode.LOCAL
    assert "już istnieje" in err
    assert "Hasło" not in out + err
    assert (files / "Anna.csr").read_text(encoding="ascii") == "old"


def test_csr_content_is_the_api_field(runner: CliRunner, files: Path) -> None:
    code, _, _ = _create(runner, files, "--password-file", str(files / "pw"))
    assert code == 0
    der = base64.b64decode((files / "Anna.csr").read_bytes(), validate=True)
    subject = x509.load_der_x509_csr(der).subject
    assert [attribute.value for attribute in subject] == ["Anna Testowa", "Testowa", "Anna", "PL", "TINPL-5265877635"]
