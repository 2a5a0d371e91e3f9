from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ksef_mcu.cli import app
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.keys import KeyKind, key_kind, load_private_key, public_key_sha256_fingerprint

PASSWORD = "Abcdefgh1234567!"


def _generate(runner: CliRunner, *arguments: str, password_input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["keys", "generate", *arguments], input=password_input)
    return result.exit_code, result.stdout, result.stderr


def test_generate_with_prompts(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = _generate(
        runner, "Moj certyfikat", "--out", str(tmp_path), password_input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0, out
    key_file = tmp_path / "Moj certyfikat.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = load_private_key(key_file.read_bytes(), PASSWORD)
    assert key_kind(key) is KeyKind.EC_P256
    assert "Typ klucza: EC P-256" in out
    assert public_key_sha256_fingerprint(key) in out
    # The rule comes before the first prompt; the prompts (on stderr, stdout is the result) are on lines of their own.
    rule = err.index("od 15 do 32 znaków")
    first = err.index("Hasło do klucza prywatnego:")
    second = err.index("Powtórz hasło:")
    assert rule < first < second
    assert "\n" in err[first:second]
    assert "Hasło" not in out
    assert PASSWORD not in out + err


def test_generate_rsa_with_password_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(PASSWORD + "\r\n", encoding="utf-8")
    code, out, _ = _generate(
        runner, "klucz_rsa", "--rsa", "--out", str(tmp_path), "--password-file", str(tmp_path / "pw")
    )
    assert code == 0, out
    key = load_private_key((tmp_path / "klucz_rsa.key").read_bytes(), PASSWORD)
    assert key_kind(key) is KeyKind.RSA_2048
    assert "RSA 2048" in out


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("abcd", "od 5 do 50 znaków (ma 4)"),
        ("a" * 51, "od 5 do 50 znaków (ma 51)"),
        ("Zażółć", "litery bez polskich znaków"),
        ("tab\tname", "tabulator"),
        (" spacja", "nie może zaczynać się ani kończyć spacją"),
        ("../../etc/passwd", "niedozwolone"),
    ],
)
def test_bad_name_fails_before_asking_for_a_password(
    runner: CliRunner, tmp_path: Path, name: str, message: str
) -> None:
    code, out, err = _generate(runner, name, "--out", str(tmp_path))
    assert code == ExitCode.USAGE
    assert message in err
    assert "Hasło" not in out + err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("krotkie1A!", "od 15 do 32 znaków (ma 10)"),
        ("abcdefgh1234567!", "wielką literę"),
        ("Abcdefgh12345678", "znak specjalny"),
    ],
)
def test_weak_password_is_asked_again(runner: CliRunner, tmp_path: Path, password: str, message: str) -> None:
    answers = f"{password}\n{PASSWORD}\n{PASSWORD}\n"
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input=answers)
    assert code == 0, err
    assert message in err
    assert err.count("Hasło do klucza prywatnego:") == 2
    assert load_private_key((tmp_path / "certyfikat.key").read_bytes(), PASSWORD)


def test_a_weak_password_three_times_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input="krotkie1A!\n" * 3)
    assert code == ExitCode.LOCAL
    assert "od 15 do 32 znaków (ma 10)" in err
    assert list(tmp_path.iterdir()) == []


def test_mismatched_passwords_are_asked_again(runner: CliRunner, tmp_path: Path) -> None:
    answers = f"{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n"
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input=answers)
    assert code == 0, err
    assert "Hasła nie są zgodne." in err
    assert load_private_key((tmp_path / "certyfikat.key").read_bytes(), PASSWORD)
    again = f"{PASSWORD}\n{PASSWORD}x\n" * 3
    code, _, err = _generate(runner, "inny klucz", "--out", str(tmp_path), password_input=again)
    assert code == ExitCode.LOCAL
    assert "Hasła nie są zgodne." in err
    assert not (tmp_path / "inny klucz.key").exists()


def test_input_that_ends_at_a_password_prompt_cancels(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input=f"{PASSWORD}\n")
    assert code == ExitCode.CANCELLED
    assert "Nie podano hasła" in err
    assert "GetPassWarning" not in err
    assert "may be echoed" not in err
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    existing = tmp_path / "certyfikat.key"
    existing.write_bytes(b"precious")
    code, out, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == ExitCode.LOCAL
    assert "już istnieje" in err
    assert "Hasło" not in out + err  # refused before asking
    assert existing.read_bytes() == b"precious"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["certyfikat.key"]


def test_a_missing_output_directory_is_created_private(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "nowy" / "katalog"
    code, _, err = _generate(runner, "certyfikat", "--out", str(folder), password_input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, err
    assert load_private_key((folder / "certyfikat.key").read_bytes(), PASSWORD)
    assert folder.stat().st_mode & 0o777 == 0o700  # it holds a private key


def test_a_refusal_leaves_no_directory_behind(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "slabe").write_text("krotkie", encoding="utf-8")
    code, _, _ = _generate(
        runner, "certyfikat", "--out", str(tmp_path / "nowy"), "--password-file", str(tmp_path / "slabe")
    )
    assert code == ExitCode.LOCAL
    assert not (tmp_path / "nowy").exists()


def test_out_that_is_a_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "plik").write_text("x", encoding="utf-8")
    code, out, err = _generate(runner, "certyfikat", "--out", str(tmp_path / "plik"))
    assert code == ExitCode.USAGE
    assert f"{tmp_path / 'plik'} nie jest katalogiem." in err
    assert "Hasło" not in out + err  # refused before asking


def test_missing_or_empty_password_file(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), "--password-file", str(tmp_path / "none"))
    assert code == ExitCode.LOCAL
    assert "Nie znaleziono pliku z hasłem" in err
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), "--password-file", str(tmp_path / "empty"))
    assert code == ExitCode.LOCAL
    assert "jest pusty" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty"]


def test_unwritable_directory(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root in CI, where chmod cannot make a directory unwritable: simulate the refusal instead.
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("ksef_mcu.storage.files.tempfile.mkstemp", refuse)
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == ExitCode.LOCAL
    assert f"Brak uprawnień do zapisu w katalogu {tmp_path}" in err
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_leaves_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(descriptor: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ksef_mcu.storage.files.os.write", disk_full)
    code, _, err = _generate(runner, "certyfikat", "--out", str(tmp_path), password_input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == ExitCode.LOCAL
    assert "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_real_process_and_openssl(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(PASSWORD, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ksef_mcu", "keys", "generate", "Certyfikat offline", "--password-file", "pw"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    opened = subprocess.run(
        ["openssl", "pkey", "-in", "Certyfikat offline.key", "-passin", "file:pw", "-noout", "-text"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert opened.returncode == 0, opened.stderr
    assert "ASN1 OID: prime256v1" in opened.stdout
    parsed = subprocess.run(
        ["openssl", "asn1parse", "-in", "Certyfikat offline.key"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    for expected in (":PBES2", ":PBKDF2", ":0186A0", ":hmacWithSHA256", ":aes-256-cbc"):
        assert expected in parsed.stdout
