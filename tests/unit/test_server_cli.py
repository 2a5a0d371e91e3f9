"""`ksef-mcu serve` refuses bad settings before starting anything, with a Polish message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ksef_mcu.cli import app as cli
from ksef_mcu.cli._common import ExitCode


def test_unreadable_trust_anchors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "anchors.pem"
    bad.write_text("to nie jest certyfikat")
    monkeypatch.setenv("KSEF_MCU_TRUST_ANCHORS", f'["{bad}"]')
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path / "data"), "--port", "18001"])
    assert result.exit_code == ExitCode.LOCAL
    assert "Błąd: nie można wczytać zaufanych certyfikatów (KSEF_MCU_TRUST_ANCHORS)" in result.output
    assert not (tmp_path / "data").exists()


def test_invalid_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_MCU_ACCESS_TOKEN_LIFETIME", "kwadrans")
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == ExitCode.USAGE
    assert "Błąd: nieprawidłowe ustawienia serwera (access_token_lifetime:" in result.output


def test_unknown_mode(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--mode", "production", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2


def test_the_banner_says_where_everything_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from ksef_mcu.cli import server
    from ksef_mcu.server import app as server_app

    started: list[dict[str, object]] = []
    monkeypatch.setattr(server, "prepare", lambda settings: None)  # keys and schema are another test's business
    monkeypatch.setattr(server_app, "create_app", lambda settings: "app")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    for variable in ("KSEF_MCU_PUBLIC_URL", "KSEF_MCU_DATABASE_URL", "KSEF_MCU_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)

    default = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path / "dane")])
    assert default.exit_code == 0, default.output
    banner = default.stderr
    for line in (
        "API KSeF 2.0             http://127.0.0.1:8000/v2",
        "Dokumentacja API         http://127.0.0.1:8000/docs",
        "Stan serwera             http://127.0.0.1:8000/healthz",
        "Certyfikaty urzędu (CA)  http://127.0.0.1:8000/ca/certificate",
        "Weryfikacja kodów QR     http://127.0.0.1:8000/qr",  # where `ksef-mcu qr … --env local` links point
        f"Katalog danych           {(tmp_path / 'dane').resolve()}",
        "Tryb                     sandbox",
        "ksef-mcu login --cert logowanie-testowe.crt --key logowanie-testowe.key\n",
    ):
        assert line in banner, line
    assert started[0]["port"] == 8000

    other = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path / "dane"), "--port", "9000"])
    assert "http://127.0.0.1:9000/docs" in other.stderr
    assert "--key logowanie-testowe.key --base-url http://127.0.0.1:9000" in other.stderr  # the next step finds it
