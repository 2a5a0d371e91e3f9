"""`ksef-mcu ca export`: the CA certificates of the server's data directory (or of a running server) as PEM — and never
a brand-new CA: no command but `serve` creates key material, so `ca export`, `ca block` and `worker` pointed at the
wrong directory say where they looked and leave it as they found it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from ksef_mcu.cli import app as cli
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.server.certificates.ca import CertificateAuthority, open_certificate_authority
from ksef_mcu.server.keys import KeyStore

SECRET = "passphrase-for-the-cli-tests"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("KSEF_MCU_SECRET", SECRET)
    for variable in ("KSEF_MCU_DATA_DIR", "KSEF_MCU_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    return CliRunner()


def server_data_dir(data_dir: Path) -> CertificateAuthority:
    """The CA `ksef-mcu serve` creates on its first start in `data_dir`."""
    store = KeyStore(data_dir / "keys", SECRET)
    return open_certificate_authority(store, now=datetime.now(UTC), crl_url="http://127.0.0.1:8000/ca/crl")


def files_under(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def test_chain_to_stdout(runner: CliRunner, tmp_path: Path) -> None:
    authority = server_data_dir(tmp_path)
    result = runner.invoke(cli, ["ca", "export", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    issuing, root = x509.load_pem_x509_certificates(result.stdout.encode())
    assert (issuing, root) == authority.chain
    issuing.verify_directly_issued_by(root)


def test_the_certificates_are_public_no_passphrase_needed(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = server_data_dir(tmp_path)
    monkeypatch.delenv("KSEF_MCU_SECRET")
    result = runner.invoke(cli, ["ca", "export", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.encode() == authority.chain_pem()


def test_root_to_a_file_and_no_silent_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    server_data_dir(tmp_path)
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


def test_no_ca_is_refused_and_nothing_is_created(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "nie-serwer"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("KSEF_MCU_SECRET")
    result = runner.invoke(cli, ["ca", "export"])
    assert result.exit_code == ExitCode.LOCAL
    assert f"nie ma urzędu certyfikacji w {elsewhere / 'data' / 'keys'}" in result.stderr
    assert "--data-dir" in result.stderr
    assert "--url" in result.stderr
    assert result.stdout == ""
    assert files_under(elsewhere) == []  # no ./data, no keys, no secret


@pytest.mark.parametrize(
    "command",
    [["worker"], ["ca", "block", "0123456789ABCDEF"], ["ca", "unblock", "0123456789ABCDEF"]],
    ids=["worker", "ca block", "ca unblock"],
)
def test_commands_that_use_the_ca_never_create_one(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    data_dir = tmp_path / "pusty"
    data_dir.mkdir()
    result = runner.invoke(cli, [*command, "--data-dir", str(data_dir)])
    assert result.exit_code == ExitCode.LOCAL, result.output
    assert f"nie ma urzędu certyfikacji w {data_dir / 'keys'}" in result.stderr
    assert files_under(data_dir) == []


def test_a_missing_passphrase_is_named(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server_data_dir(tmp_path)
    monkeypatch.delenv("KSEF_MCU_SECRET")
    before = files_under(tmp_path)
    result = runner.invoke(cli, ["ca", "block", "0123456789ABCDEF", "--data-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.LOCAL
    assert "nie ustawiono KSEF_MCU_SECRET" in result.stderr
    assert files_under(tmp_path) == before  # no secret file made up on the spot


def test_wrong_passphrase(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server_data_dir(tmp_path)
    monkeypatch.setenv("KSEF_MCU_SECRET", "another-passphrase-entirely")
    result = runner.invoke(cli, ["ca", "block", "0123456789ABCDEF", "--data-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.LOCAL
    assert "nie można otworzyć kluczy urzędu certyfikacji" in result.output


def test_url_and_data_dir_exclude_each_other(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["ca", "export", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE
    assert "podaj --url albo --data-dir, nie oba" in result.stderr


def test_url_of_a_server_that_is_not_there(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ca", "export", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "Nie można połączyć się z serwerem KSeF http://127.0.0.1:9" in result.stderr
