from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from typer.testing import CliRunner

from ksef_mcu.cli import app
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.certificates import sha256_fingerprint
from ksef_mcu.crypto.keys import encrypt_private_key, generate_private_key
from ksef_mcu.formatting import format_moment

PASSWORD = "Abcdefgh1234567!"


def _inspect(runner: CliRunner, *arguments: str, password_input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["cert", "inspect", *arguments], input=password_input)
    return result.exit_code, result.stdout, result.stderr


def test_offline_certificate_with_matching_key(runner: CliRunner, offline_files: Any) -> None:
    code, out, err = _inspect(
        runner,
        str(offline_files.certificate_path),
        "--key",
        str(offline_files.key_path),
        "--password-file",
        str(offline_files.password_path),
    )
    assert code == 0, err
    assert "Typ 2 — podpis linku do weryfikacji wystawcy" in out
    assert "NIP 8096529464" in out
    assert "01D1732E43B9345E" in out
    assert "CN=Test CA" in out
    assert "ważny" in out
    assert "EC P-256" in out
    assert sha256_fingerprint(offline_files.certificate) in out
    assert "pasuje do certyfikatu" in out
    assert "organizationIdentifier=VATPL-8096529464" in out


def test_authentication_certificate_without_key(runner: CliRunner, authentication_files: Any) -> None:
    code, out, _ = _inspect(runner, str(authentication_files.certificate_path))
    assert code == 0
    assert "Typ 1 — uwierzytelnienie w systemie KSeF (Authentication)" in out
    assert "Klucz prywatny" not in out


def test_key_that_does_not_match_exits_3(runner: CliRunner, offline_files: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    other.write_bytes(encrypt_private_key(generate_private_key(), PASSWORD))
    code, out, _ = _inspect(
        runner, str(offline_files.certificate_path), "--key", str(other), password_input=PASSWORD + "\n"
    )
    assert code == ExitCode.LOCAL
    assert "NIE pasuje do certyfikatu" in out


def test_expired_certificate(runner: CliRunner, expired_offline_files: Any) -> None:
    code, out, _ = _inspect(runner, str(expired_offline_files.certificate_path))
    assert code == 0
    assert "wygasł" in out


def test_der_base64_and_pkcs12(runner: CliRunner, offline_files: Any, tmp_path: Path) -> None:
    der = offline_files.certificate.public_bytes(serialization.Encoding.DER)
    (tmp_path / "c.cer").write_bytes(der)
    (tmp_path / "c.b64").write_bytes(base64.b64encode(der))
    for name in ("c.cer", "c.b64"):
        code, out, _ = _inspect(runner, str(tmp_path / name))
        assert code == 0
        assert "01D1732E43B9345E" in out
    bundle = pkcs12.serialize_key_and_certificates(
        b"x", offline_files.key, offline_files.certificate, None, serialization.BestAvailableEncryption(b"p12-pass")
    )
    (tmp_path / "c.p12").write_bytes(bundle)
    code, out, prompts = _inspect(runner, str(tmp_path / "c.p12"), password_input="p12-pass\n")
    assert code == 0
    assert "Hasło do pliku PKCS#12" in prompts
    assert "01D1732E43B9345E" in out
    code, _, err = _inspect(runner, str(tmp_path / "c.p12"), password_input="wrong\n")
    assert code == ExitCode.LOCAL
    assert "Nieprawidłowe hasło do pliku PKCS#12" in err


def test_key_file_instead_of_certificate(runner: CliRunner, offline_files: Any) -> None:
    code, _, err = _inspect(runner, str(offline_files.key_path))
    assert code == ExitCode.LOCAL
    assert "Plik zawiera klucz prywatny, a nie certyfikat." in err


def test_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = _inspect(runner, str(tmp_path / "none.crt"))
    assert code == ExitCode.LOCAL
    assert "Nie znaleziono pliku certyfikatu" in err


def test_directory_instead_of_file(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = _inspect(runner, str(tmp_path))
    assert code == ExitCode.LOCAL
    assert "wskazuje katalog" in err


def test_official_ksef_certificate(runner: CliRunner, tmp_path: Path, official_vectors: dict[str, Any]) -> None:
    # The TI CCK KSeF certificate: its ECDSA signature algorithm carries the NULL parameters every KSeF CA writes.
    der = base64.b64decode(official_vectors["kod2_docs_rsa_pss"]["certificate_der_base64"])
    (tmp_path / "ksef.cer").write_bytes(der)
    code, out, _ = _inspect(runner, str(tmp_path / "ksef.cer"))
    assert code == 0
    assert "Typ 1 — uwierzytelnienie" in out
    assert "C=PL, O=Ministerstwo Finansów, OU=Krajowa Administracja Skarbowa, CN=TI CCK KSeF" in out
    assert re.search(r"^Ważny do +2027-07-29 11:28 CEST$", out, re.MULTILINE)  # 09:28:37 UTC, in Polish time
    assert "RSA 2048" in out
    assert "8BF30676AC95EC1B270A8B130A7CDB13FF093F68ACAFE00FCD9EF48C81395371" in out


def test_times_are_polish_local_time_with_the_zone(runner: CliRunner, offline_files: Any) -> None:
    code, out, _ = _inspect(runner, str(offline_files.certificate_path))
    assert code == 0
    valid_to = offline_files.certificate.not_valid_after_utc
    assert f"Ważny do            {format_moment(valid_to)}" in out
    assert re.search(r"Ważny od            \d{4}-\d\d-\d\d \d\d:\d\d CES?T\n", out)
    assert "UTC" not in out
