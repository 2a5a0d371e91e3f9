"""`ksef-mcu cert self-signed` writes its private key readable by the owner only (0600) — like `keys generate` and
`cert request`; the certificate is public."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ksef_mcu.cli import app
from ksef_mcu.crypto.keys import load_private_key

PASSWORD = "Haslo-do-klucza-123"


@pytest.mark.parametrize(
    "kind", [["--nip", "5265877635"], ["--nip", "5265877635", "--seal"], ["--pesel", "88102341294"]]
)
def test_key_file_is_owner_only(runner: CliRunner, tmp_path: Path, kind: list[str]) -> None:
    password_file = tmp_path / "haslo.txt"
    password_file.write_text(PASSWORD)
    out = tmp_path / "wynik"
    previous = os.umask(0o022)  # a usual umask: anything not set explicitly would come out 0644
    try:
        result = runner.invoke(
            app,
            ["cert", "self-signed", "Moj certyfikat", *kind, "--out", str(out), "--password-file", str(password_file)],
        )
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    key = out / "Moj certyfikat.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert load_private_key(key.read_bytes(), PASSWORD) is not None
    assert (out / "Moj certyfikat.crt").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
