"""`ksef-mcu ca export`: the CA certificates as PEM, to the screen or to a file that is never overwritten unasked."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from ksef_mcu.cli import app as cli
from ksef_mcu.cli._common import ExitCode


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("KSEF_MCU_SECRET", "passphrase-for-the-cli-tests")
    return CliRunner()


def test_chain_to_stdout(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["ca", "export", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    issuing, root = x509.load_pem_x509_certificates(result.stdout.encode())
    issuing.verify_directly_issued_by(root)
    assert (tmp_path / "keys" / "ca-issuing.key").exists()  # created on first use, like `serve` does


def test_root_to_a_file_and_no_silent_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    output = tmp_path / "root.pem"
    first = runner.invoke(cli, ["ca", "export", "--root", "-o", str(output), "--data-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "Zapisano certyfikat główny" in first.output
    [root] = x509.load_pem_x509_certificates(output.read_bytes())
    assert root.subject == root.issuer

    again = runner.invoke(cli, ["ca", "export", "-o", str(output), "--data-dir", str(tmp_path)])
    assert again.exit_code == ExitCode.LOCAL
    assert "już istnieje" in again.output
    assert output.read_bytes() == root.public_bytes(Encoding.PEM)

    forced = runner.invoke(cli, ["ca", "export", "-o", str(output), "--force", "--data-dir", str(tmp_path)])
    assert forced.exit_code == 0, forced.output
    assert len(x509.load_pem_x509_certificates(output.read_bytes())) == 2


def test_wrong_passphrase(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(cli, ["ca", "export", "--data-dir", str(tmp_path)]).exit_code == 0
    monkeypatch.setenv("KSEF_MCU_SECRET", "another-passphrase-entirely")
    result = runner.invoke(cli, ["ca", "export", "--data-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.LOCAL
    assert "nie można otworzyć kluczy urzędu certyfikacji" in result.output
