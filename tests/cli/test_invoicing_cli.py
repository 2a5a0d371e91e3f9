"""`ksef-mcu invoicing …`: users, companies, certificates (the same checks as the screens), `show`, `connect` and
`check` with their exit codes (cron and monitoring rely on them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ksef_mcu.cli import app
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.certificates import KsefCertificateType
from support.invoicing_pki import PASSWORD, issue
from support.pki import random_nip
from support.processes import free_port


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "faktury"


def run(runner: CliRunner, data: Path, *arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, ["invoicing", *arguments, "--data-dir", str(data)])
    return result.exit_code, result.output


def test_users_and_companies(runner: CliRunner, data: Path, tmp_path: Path) -> None:
    password = tmp_path / "haslo.txt"
    password.write_text("Haslo-Uzytkownika-1\n")
    assert run(runner, data, "user", "add", "anna", "--password-file", str(password)) == (
        0,
        "Dodano użytkownika anna (administrator).\n",
    )
    assert run(runner, data, "user", "add", "jan", "--password-file", str(password)) == (0, "Dodano użytkownika jan.\n")
    code, output = run(runner, data, "user", "add", "jan", "--password-file", str(password))
    assert code == ExitCode.LOCAL
    assert "Użytkownik jan już istnieje." in output
    code, output = run(runner, data, "user", "list")
    assert output.splitlines()[0].startswith("anna\tadministrator")
    assert output.splitlines()[1].startswith("jan\tużytkownik")
    nip = random_nip()
    assert run(runner, data, "company", "add", nip, "--name", "Firma", "--user", "jan")[0] == 0
    assert run(runner, data, "company", "list") == (0, f"{nip}\tNip\tFirma\tdostęp: jan\n")
    assert run(runner, data, "company", "add", "1234567890", "--name", "Zła")[0] == ExitCode.LOCAL
    assert run(runner, data, "user", "remove", "jan") == (0, "Usunięto użytkownika jan.\n")
    assert run(runner, data, "company", "list") == (0, f"{nip}\tNip\tFirma\tdostęp: tylko administratorzy\n")


def test_add_cert_show_and_check(runner: CliRunner, data: Path, tmp_path: Path) -> None:
    nip = random_nip()
    assert run(runner, data, "company", "add", nip, "--name", "Firma")[0] == 0
    code, output = run(runner, data, "check")
    assert code == ExitCode.REFUSED
    assert "nie ma certyfikatu uwierzytelniającego" in output

    now = datetime.now(UTC)
    password = tmp_path / "haslo-klucza.txt"
    password.write_text(PASSWORD)
    crt, key = issue(KsefCertificateType.AUTHENTICATION, now=now, nip=nip).save(tmp_path, "logowanie")
    wrong = tmp_path / "zle.txt"
    wrong.write_text("Inne-Haslo-2026")
    arguments = ["settings", "add-cert", "--type", "1", "--cert", str(crt), "--key", str(key)]
    code, output = run(runner, data, *arguments, "--password-file", str(wrong))
    assert code == ExitCode.LOCAL
    assert "Nie zapisano certyfikatu: Nieprawidłowe hasło do klucza prywatnego." in output
    code, output = run(runner, data, *arguments, "--password-file", str(password))
    assert code == 0, output
    assert output.startswith("Zapisano: Certyfikat uwierzytelniający (Typ 1)")
    code, output = run(runner, data, "settings", "show")
    assert code == 0
    assert "Certyfikat offline (Typ 2) – opcjonalny: brak" in output
    assert PASSWORD not in output
    assert run(runner, data, "check") == (0, "Certyfikaty KSeF w porządku.\n")

    # A certificate that expires in 20 days: `check` fails with the warning.
    soon = issue(
        KsefCertificateType.OFFLINE,
        now=now,
        nip=nip,
        not_before=now - timedelta(days=700),
        lifetime=timedelta(days=720),
    )
    crt, key = soon.save(tmp_path, "offline")
    code, _ = run(
        runner,
        data,
        "settings",
        "add-cert",
        "--type",
        "2",
        "--cert",
        str(crt),
        "--key",
        str(key),
        "--password-file",
        str(password),
    )
    assert code == 0
    code, output = run(runner, data, "check")
    assert code == ExitCode.REFUSED
    assert "Certyfikat offline (Typ 2) firmy Firma" in output
    assert "wygasa za 19 dni" in output or "wygasa za 20 dni" in output


def test_connect_reports_the_network_error(runner: CliRunner, data: Path, tmp_path: Path) -> None:
    nip = random_nip()
    assert run(runner, data, "company", "add", nip, "--name", "Firma")[0] == 0
    password = tmp_path / "haslo-klucza.txt"
    password.write_text(PASSWORD)
    crt, key = issue(KsefCertificateType.AUTHENTICATION, now=datetime.now(UTC), nip=nip).save(tmp_path, "logowanie")
    arguments = ["settings", "add-cert", "--type", "1", "--cert", str(crt), "--key", str(key)]
    assert run(runner, data, *arguments, "--password-file", str(password))[0] == 0
    closed = f"http://127.0.0.1:{free_port()}"
    code, output = run(runner, data, "connect", "--ksef-url", closed)
    assert code == ExitCode.REFUSED
    assert output.startswith("Nie udało się połączyć z KSeF\nNie można połączyć się z KSeF pod adresem")
    code, output = run(runner, data, "check")
    assert code == ExitCode.REFUSED
    assert "Nie można połączyć się z KSeF" in output
