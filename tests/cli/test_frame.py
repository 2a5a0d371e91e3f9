"""The frame around the commands speaks Polish (or English when asked): help pages, usage errors, placeholders, option
values, `-h`, `--version`, the help width, and no Python warnings when a password comes from a pipe."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.scripted import SERIAL, logged_in, run
from client.fakes import FakeKsef, body, list_item, ok
from ksef_mcu import __version__
from ksef_mcu.cli import app
from ksef_mcu.cli._common import ExitCode
from support.processes import KSEF_MCU, clean_environment

ENGLISH_FRAME = re.compile(
    r"Usage|Options|Arguments|Commands|\[required\]|\[default|Show this message|env var|<str>|<bool>|<path>|"
    r"<int>|<float>|\{[a-z_]+\}|Missing option|Invalid value|No such|Try '"
)
POLISH_FRAME = re.compile(
    r"Użycie|Opcje|Argumenty|Polecenia|wymagan|domyślnie|Pokaż tę pomoc|zmienna|Błąd|Brak|Nieznana"
)


def command_paths() -> Iterator[list[str]]:
    """Every command and group of `ksef-mcu`, as the words that reach it."""
    from typer._click.core import Context
    from typer.core import TyperGroup

    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        if isinstance(command, TyperGroup):
            context = Context(command)
            for name in command.list_commands(context):
                yield from walk(command.get_command(context, name), [*path, name])

    yield from walk(typer.main.get_command(app), [])


ALL_COMMANDS = list(command_paths())


def invoke(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_every_help_page_is_polish_with_polish_placeholders() -> None:
    assert len(ALL_COMMANDS) > 40
    for path in ALL_COMMANDS:
        code, out, err = invoke(*path, "-h")
        assert code == 0, (path, err)
        assert out.startswith(f"Użycie: ksef-mcu {' '.join(path)}".rstrip() + " [OPCJE]"), (path, out)
        assert "Pokaż tę pomoc i zakończ." in out
        assert not ENGLISH_FRAME.search(out), (path, ENGLISH_FRAME.search(out), out)


def test_the_placeholders_say_what_goes_there() -> None:
    # Wide enough that no placeholder is wrapped, whatever width the test runner (or its xdist worker) gives.
    _, out, _ = invoke("cert", "request", "--help", env={"COLUMNS": "250"})
    assert out.startswith("Użycie: ksef-mcu cert request [OPCJE] NAZWA\n")
    for shown in (
        "--type uwierzytelnienie|offline",
        "--valid-from RRRR-MM-DD",
        "--out KATALOG",
        "--key PLIK.key",
        "--password-file PLIK",
        "--wait SEKUNDY",
        "--base-url URL",
        "[wymagana]",
        "[zmienna: KSEF_MCU_ENV; domyślnie: local]",
    ):
        assert shown in out, shown
    assert "--rsa " in out  # a flag takes no placeholder


def test_help_piped_is_not_squeezed_to_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    _, out, _ = invoke("cert", "request", "-h")
    widths = [len(line) for line in out.splitlines()]
    assert max(widths) > 100
    assert max(widths) <= 120
    flattened = " ".join(out.split())
    assert "Hasło: 15–32 znaki, wielka i mała litera, cyfra i znak specjalny spośród !@#$%^&*()-_=+." in flattened


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["cert", "request", "Moj certyfikat"], "Brak wymaganej opcji --type (dozwolone: uwierzytelnienie, offline)."),
        (["cert", "request"], "Brak argumentu NAZWA."),
        (["cert", "list", "--type", "x"], "Nieprawidłowa wartość opcji --type: „x” — dozwolone: uwierzytelnienie,"),
        (["cert", "request", "N", "--type", "offline", "--wait", "abc"], "opcji --wait: oczekiwano liczby ≥ 1."),
        (["cert", "list", "--tpye", "offline"], "Nieznana opcja --tpye — czy chodziło o --type?"),
        (["cert", "limits", "nadmiar"], "Nieoczekiwane dodatkowe argumenty: nadmiar."),
        (["cert", "requets"], "Nie ma polecenia „requets” — czy chodziło o request?"),
        (["cert", "list", "--type"], "Opcja --type wymaga wartości."),
        (["serve", "--mode", "produkcja"], "Nieprawidłowa wartość opcji --mode: dozwolone: sandbox, strict."),
        (["--lang", "xx", "whoami"], "Nieprawidłowa wartość opcji --lang: „xx” — dozwolone: pl, en."),
    ],
)
def test_usage_errors_are_polish_and_exit_2(arguments: list[str], message: str) -> None:
    code, out, err = invoke(*arguments)
    assert code == ExitCode.USAGE
    assert message in err, err
    assert not ENGLISH_FRAME.search(err), err
    assert out == ""


def test_a_usage_error_shows_the_usage_and_where_help_is() -> None:
    _, _, err = invoke("cert", "download")
    assert err.splitlines() == [
        "Użycie: ksef-mcu cert download [OPCJE] NUMER...",
        "Pomoc: ksef-mcu cert download -h",
        "Błąd: Brak argumentu NUMER.",
    ]


def all_help_texts() -> list[str]:
    from typer._click.core import Context
    from typer.core import TyperGroup

    texts: list[str] = []

    def walk(command: object) -> None:
        texts.extend(text for text in [getattr(command, "help", None)] if text)
        texts.extend(param.help for param in getattr(command, "params", []) if getattr(param, "help", None))
        if isinstance(command, TyperGroup):
            context = Context(command)
            for name in command.list_commands(context):
                walk(command.get_command(context, name))

    walk(typer.main.get_command(app))
    return texts


class TestEnglish:
    def test_every_help_text_has_its_english(self) -> None:
        from ksef_mcu.cli._english import HELP, help_key

        missing = [text for text in all_help_texts() if help_key(text) not in HELP]
        assert missing == []
        assert len(HELP) == len({help_key(text) for text in all_help_texts()})  # and nothing stale

    def test_every_help_page_in_english(self) -> None:
        for path in ALL_COMMANDS:
            code, out, _ = invoke("--lang", "en", *path, "-h")
            assert code == 0
            assert out.startswith("Usage: ksef-mcu")
            assert not POLISH_FRAME.search(out), (path, POLISH_FRAME.search(out))
            # Option values (uwierzytelnienie|offline) stay as typed, and the MCU's screen words stay quoted in Polish.
            values = {value for metavar in re.findall(r"\S*\|\S*", out) for value in metavar.split("|")}
            prose = re.sub(r'\S*\|\S*|"[^"]*"', "", out)
            prose = " ".join(word for word in re.split(r"[\s,()]+", prose) if word not in values)
            assert not re.search(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]", prose), (path, out)

    @pytest.mark.parametrize("where", ["before", "after"])
    def test_lang_en_anywhere_on_the_line(self, where: str) -> None:
        arguments = ["--lang", "en", "cert", "list", "-h"] if where == "before" else ["cert", "list", "-h", "--lang=en"]
        code, out, _ = invoke(*arguments)
        assert code == 0
        assert out.startswith("Usage: ksef-mcu cert list [OPTIONS]\n")
        assert "Show this help and exit." in out
        assert "--status aktywny|zablokowany|unieważniony|wygasły" in out
        assert not POLISH_FRAME.search(out.split("\n", 1)[0])

    def test_an_english_locale(self) -> None:
        env = {"KSEF_MCU_LANG": "", "LANG": "en_US.UTF-8", "LC_ALL": "", "LANGUAGE": "", "LC_MESSAGES": ""}
        code, _, err = invoke("cert", "request", "x", env=env)
        assert code == ExitCode.USAGE
        assert "Error: Missing option --type (allowed: uwierzytelnienie, offline)." in err
        assert "Usage: ksef-mcu cert request [OPTIONS] NAME" in err

    def test_ksef_mcu_lang_wins_over_the_locale(self) -> None:
        env = {"KSEF_MCU_LANG": "pl", "LANG": "en_US.UTF-8"}
        assert "Użycie:" in invoke("cert", "request", "x", env=env)[2]

    def test_a_polish_or_neutral_locale_is_polish(self) -> None:
        for lang in ("pl_PL.UTF-8", "C.UTF-8", ""):
            env = {"KSEF_MCU_LANG": "", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": lang}
            assert "Użycie:" in invoke("cert", "request", "x", env=env)[2]


def test_version_and_short_help() -> None:
    assert invoke("--version") == (0, f"{__version__}\n", "")
    assert invoke("version")[1] == f"{__version__}\n"
    code, out, _ = invoke("-h")
    assert code == 0
    assert "--version" in out
    assert "--lang pl|en" in out


class TestPolishValues:
    def test_type_and_status_in_polish_or_english(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("POST", "/certificates/query", ok({"certificates": [], "hasMore": False}))
        run("cert", "list", "--type", "uwierzytelnienie", "--status", "unieważniony")
        run("cert", "list", "--type", "Authentication", "--status", "REVOKED")
        run("cert", "list", "--type", "offline", "--status", "wygasly")
        queries = [body(request) for request in fake.calls("POST", "/certificates/query")]
        assert [(query["type"], query["status"]) for query in queries] == [
            ("Authentication", "Revoked"),
            ("Authentication", "Revoked"),
            ("Offline", "Expired"),
        ]

    def test_revocation_reason_in_polish(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("POST", "/certificates/query", ok({"certificates": [list_item(SERIAL)], "hasMore": False}))
        fake.on("POST", f"/certificates/{SERIAL}/revoke", ok(None, 204))
        run("cert", "revoke", SERIAL, "--reason", "kompromitacja-klucza", "--yes")
        [request] = fake.calls("POST", f"/certificates/{SERIAL}/revoke")
        assert body(request) == {"revocationReason": "KeyCompromise"}

    def test_a_suggested_command_uses_the_polish_value(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on(
            "GET",
            "/certificates/limits",
            ok(
                {
                    "canRequest": False,
                    "enrollment": {"limit": 6, "remaining": 0},
                    "certificate": {"limit": 2, "remaining": 2},
                }
            ),
        )
        result = run(
            "cert",
            "request",
            "Moj klucz",
            "--type",
            "authentication",
            "--password-file",
            "haslo.txt",
            expect=ExitCode.REFUSED,
        )
        assert "--type authentication" not in result.stderr + result.stdout


def test_a_password_from_a_pipe_brings_no_python_warnings(tmp_path: Path) -> None:
    password = "Abcdefgh1234567!"
    result = subprocess.run(
        [str(KSEF_MCU), "keys", "generate", "Klucz z potoku", "--out", str(tmp_path)],
        input=f"{password}\n{password}\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**clean_environment(), "PYTHONWARNINGS": "default"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "GetPassWarning" not in result.stderr
    assert "may be echoed" not in result.stderr
    assert "Hasło do klucza prywatnego: \nPowtórz hasło: \n" in result.stderr  # each prompt on its own line
    assert (tmp_path / "Klucz z potoku.key").exists()
    assert os.stat(tmp_path / "Klucz z potoku.key").st_mode & 0o777 == 0o600
