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
