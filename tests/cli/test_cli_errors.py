"""The networked commands' failure paths, against a scripted KSeF (httpx MockTransport): network down, sessions that
cannot be renewed, rate limits, time-outs, answers that do not fit, and the profile file's safety."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.scripted import ENROLLMENT_DATA, REFERENCE, SERIAL, certificate_for, logged_in, retrieved, run
from client.fakes import LIMITS, FakeKsef, list_item, ok, problem
from ksef_mcu.cli import _profiles, app
from ksef_mcu.cli._common import CliError, ExitCode
from ksef_mcu.cli._profiles import profile_path
from ksef_mcu.cli.cert import remote as cert_remote
from ksef_mcu.client import Environment
from ksef_mcu.crypto.keys import generate_private_key


def test_connection_refused_names_the_server_and_how_to_start_it(fake: FakeKsef) -> None:
    logged_in()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    fake.on("GET", "/certificates/limits", refuse)
    error = run("cert", "limits", expect=ExitCode.UNAVAILABLE).stderr
    assert "Nie można połączyć się z serwerem KSeF http://127.0.0.1:8000" in error
    assert "make run" in error
    assert len(fake.calls("GET", "/certificates/limits")) == 4  # a safe call is retried before giving up


def test_a_refused_refresh_removes_the_useless_profile(fake: FakeKsef) -> None:
    profile = logged_in(access_in=timedelta(seconds=-1))
    fake.on("POST", "/auth/token/refresh", problem(401, detail="Token wygasł."))
    error = run("cert", "list", expect=ExitCode.REFUSED).stderr
    assert "zaloguj się ponownie" in error.lower()
    assert "ksef-mcu login" in error
    assert not profile.exists()
    assert not fake.calls("POST", "/certificates/query")


def test_a_refreshed_access_token_is_saved_back_privately(fake: FakeKsef) -> None:
    profile = logged_in(access_in=timedelta(seconds=30))  # inside the refresh margin
    valid_until = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    fake.on("POST", "/auth/token/refresh", ok({"accessToken": {"token": "access-2", "validUntil": valid_until}}))
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    run("cert", "limits")
    assert json.loads(profile.read_text())["tokens"]["accessToken"] == "access-2"
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert fake.calls("GET", "/certificates/limits")[0].headers["authorization"] == "Bearer access-2"


def test_a_rate_limited_enrollment_keeps_the_key_and_says_when_to_retry(fake: FakeKsef) -> None:
    logged_in()
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    fake.on("GET", "/certificates/enrollments/data", ok(ENROLLMENT_DATA))
    fake.on("POST", "/certificates/enrollments", problem(429, {"Retry-After": "30"}, detail="Za dużo zapytań."))
    result = run(
        "cert", "request", "Moj klucz", "--type", "offline", "--password-file", "haslo.txt", expect=ExitCode.UNAVAILABLE
    )
    assert "spróbuj ponownie za 30 s" in result.stderr
    assert "Klucz prywatny został zachowany: Moj klucz.key" in result.stderr
    assert '--key "Moj klucz.key"' in result.stderr
    assert Path("Moj klucz.key").exists()
    assert not Path("Moj klucz.crt").exists()
    assert len(fake.calls("POST", "/certificates/enrollments")) == 1  # enrolling is never repeated by itself


def test_an_enrollment_still_in_progress_tells_how_to_follow_it(fake: FakeKsef) -> None:
    logged_in()
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    fake.on("GET", "/certificates/enrollments/data", ok(ENROLLMENT_DATA))
    fake.on(
        "POST", "/certificates/enrollments", ok({"referenceNumber": REFERENCE, "timestamp": "2026-03-02T09:00Z"}, 202)
    )
    in_progress = {"requestDate": "2026-03-02T09:00Z", "status": {"code": 100, "description": "Wniosek przyjęty"}}
    fake.on("GET", f"/certificates/enrollments/{REFERENCE}", ok(in_progress))
    result = run(
        "cert",
        "request",
        "Czekam",
        "--type",
        "offline",
        "--password-file",
        "haslo.txt",
        "--wait",
        "1",
        expect=ExitCode.UNAVAILABLE,
    )
    assert f"ksef-mcu cert status {REFERENCE}" in result.stderr
    assert Path("Czekam.key").exists()
    assert "100" in run("cert", "status", REFERENCE).stdout


def test_a_rejected_enrollment_status_exits_1_with_the_reason(fake: FakeKsef) -> None:
    logged_in()
    rejected = {
        "requestDate": "2026-03-02T09:00Z",
        "status": {
            "code": 400,
            "description": "Wniosek odrzucony",
            "details": ["Osiągnięto dopuszczalny limit posiadanych certyfikatów."],
        },
    }
    fake.on("GET", f"/certificates/enrollments/{REFERENCE}", ok(rejected))
    result = run("cert", "status", REFERENCE, expect=ExitCode.REFUSED)
    assert "400 — Wniosek odrzucony" in result.stdout
    assert "Osiągnięto dopuszczalny limit" in result.stdout
    assert "Nieprawidłowy numer referencyjny" in run("cert", "status", "abc", expect=ExitCode.USAGE).stderr


def test_an_issued_certificate_for_another_key_is_not_saved(fake: FakeKsef) -> None:
    logged_in()
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    fake.on("GET", "/certificates/enrollments/data", ok(ENROLLMENT_DATA))
    fake.on(
        "POST", "/certificates/enrollments", ok({"referenceNumber": REFERENCE, "timestamp": "2026-03-02T09:00Z"}, 202)
    )
    issued = {
        "requestDate": "2026-03-02T09:00Z",
        "status": {"code": 200, "description": "Wniosek obsłużony"},
        "certificateSerialNumber": SERIAL,
    }
    fake.on("GET", f"/certificates/enrollments/{REFERENCE}", ok(issued))
    fake.on("POST", "/certificates/retrieve", ok(retrieved(certificate_for(generate_private_key()), "Nowy")))
    result = run(
        "cert",
        "request",
        "Nowy certyfikat",
        "--type",
        "authentication",
        "--password-file",
        "haslo.txt",
        expect=ExitCode.UNAVAILABLE,
    )
    assert "nie pasuje do klucza" in result.stderr
    assert not Path("Nowy certyfikat.crt").exists()
    assert Path("Nowy certyfikat.key").exists()


def test_download_never_uses_a_name_that_is_not_a_plain_file_name(fake: FakeKsef, tmp_path: Path) -> None:
    logged_in()
    fake.on("POST", "/certificates/query", ok({"certificates": [list_item(SERIAL, name="../zly")], "hasMore": False}))
    key = generate_private_key()
    fake.on("POST", "/certificates/retrieve", ok(retrieved(certificate_for(key), "../zly")))
    out = tmp_path / "out"
    out.mkdir()
    run("cert", "download", SERIAL, "--out", str(out))
    assert os.listdir(out) == [f"{SERIAL}.crt"]
    assert not (tmp_path / "zly.crt").exists()


def test_download_writes_every_file_or_none(fake: FakeKsef, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in()
    second = "0123456789ABCDE0"
    items = [list_item(SERIAL, name="Pierwszy"), list_item(second, name="Drugi")]
    fake.on("POST", "/certificates/query", ok({"certificates": items, "hasMore": False}))
    first_body = retrieved(certificate_for(generate_private_key()), "Pierwszy")["certificates"][0]
    second_body = {**first_body, "certificateName": "Drugi", "certificateSerialNumber": second}
    fake.on("POST", "/certificates/retrieve", ok({"certificates": [first_body, second_body]}))
    real_write = cert_remote.write_new_file
    writes: list[Path] = []

    def failing_second_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
        writes.append(path)
        if len(writes) == 2:
            raise CliError("Dysk pełny.")
        real_write(path, data, mode=mode)

    monkeypatch.setattr(cert_remote, "write_new_file", failing_second_write)
    out = tmp_path / "out"
    out.mkdir()
    assert "Dysk pełny." in run("cert", "download", SERIAL, second, "--out", str(out), expect=ExitCode.LOCAL).stderr
    assert os.listdir(out) == []  # the first file was removed again


def test_same_names_in_one_download_are_refused(fake: FakeKsef, tmp_path: Path) -> None:
    logged_in()
    items = [list_item(SERIAL, name="Taki sam"), list_item("0123456789ABCDE0", name="Taki sam")]
    fake.on("POST", "/certificates/query", ok({"certificates": items, "hasMore": False}))
    error = run("cert", "download", SERIAL, "0123456789ABCDE0", "--out", str(tmp_path), expect=ExitCode.LOCAL).stderr
    assert "tę samą nazwę" in error
    assert not fake.calls("POST", "/certificates/retrieve")


def test_forbidden_shows_the_reason_code_and_system_warnings_are_shown(fake: FakeKsef) -> None:
    logged_in()
    fake.on(
        "GET",
        "/certificates/limits",
        problem(
            403, {"X-System-Warning": "[w-1]: Planowana przerwa"}, detail="Brak uprawnień.", reasonCode="ip-not-allowed"
        ),
    )
    error = run("cert", "limits", expect=1).stderr
    assert "Brak uprawnień." in error
    assert "powód: ip-not-allowed" in error
    assert "Ostrzeżenie KSeF: [w-1]: Planowana przerwa" in error


def test_logout_removes_local_tokens_even_when_the_server_is_unreachable(fake: FakeKsef) -> None:
    profile = logged_in()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    fake.on("DELETE", "/auth/sessions/current", refuse)
    result = run("logout")
    assert "Nie udało się zakończyć sesji" in result.stderr
    assert "Usunięto zapisane tokeny" in result.stdout
    assert not profile.exists()


class TestProfileFiles:
    def test_a_damaged_profile_is_an_error_not_a_guess(self, fake: FakeKsef) -> None:
        path = logged_in()
        path.write_text("{nie json")
        error = run("cert", "limits", expect=ExitCode.LOCAL).stderr
        assert "jest uszkodzony" in error
        assert not fake.requests

    def test_a_profile_readable_by_others_is_tightened(self, fake: FakeKsef) -> None:
        path = logged_in()
        path.chmod(0o644)
        fake.on("GET", "/certificates/limits", ok(LIMITS))
        result = run("cert", "limits")
        assert "zmieniono uprawnienia na 0600" in result.stderr
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_config_directory_follows_the_environment(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("KSEF_MCU_CONFIG_DIR", str(tmp_path / "wlasny"))
        assert profile_path(Environment.TEST) == tmp_path / "wlasny" / "profiles" / "test.json"
        monkeypatch.delenv("KSEF_MCU_CONFIG_DIR")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        assert _profiles.config_dir() == tmp_path / "xdg" / "ksef-mcu"
        monkeypatch.delenv("XDG_CONFIG_HOME")
        monkeypatch.setenv("HOME", str(tmp_path / "dom"))
        assert _profiles.config_dir() == tmp_path / "dom" / ".config" / "ksef-mcu"

    def test_each_environment_has_its_own_login(self, fake: FakeKsef) -> None:
        logged_in()
        error = run("cert", "list", "--env", "test", expect=ExitCode.LOCAL).stderr
        assert "Nie jesteś zalogowany do środowiska test" in error
        assert "ksef-mcu login --env test" in error
        assert not fake.requests


def test_a_failure_after_the_key_is_saved_says_the_key_is_kept(fake: FakeKsef) -> None:
    logged_in()
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    fake.on("GET", "/certificates/enrollments/data", problem(403, detail="Brak uprawnień.", reasonCode="x"))
    error = run(
        "cert", "request", "Klucz zostaje", "--type", "offline", "--password-file", "haslo.txt", expect=ExitCode.REFUSED
    )
    assert error.stderr.index("Brak uprawnień.") < error.stderr.index("Klucz prywatny został zachowany")
    assert Path("Klucz zostaje.key").exists()
    assert not fake.calls("POST", "/certificates/enrollments")


def test_a_network_failure_after_sending_says_how_to_follow_the_request(fake: FakeKsef) -> None:
    logged_in()
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    fake.on("GET", "/certificates/enrollments/data", ok(ENROLLMENT_DATA))
    fake.on(
        "POST", "/certificates/enrollments", ok({"referenceNumber": REFERENCE, "timestamp": "2026-03-02T09:00Z"}, 202)
    )

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    fake.on("GET", f"/certificates/enrollments/{REFERENCE}", refuse)
    error = run(
        "cert", "request", "Wyslany", "--type", "offline", "--password-file", "haslo.txt", expect=ExitCode.UNAVAILABLE
    ).stderr
    assert "Nie można połączyć się" in error
    assert f"Wniosek został wysłany; sprawdź jego status: ksef-mcu cert status {REFERENCE}" in error


def test_every_networked_command_takes_env_and_base_url() -> None:
    import typer.main

    root: Any = typer.main.get_command(app)  # typer's own click-like groups: walk them by `commands`
    networked = [
        ("login",),
        ("logout",),
        *[("cert", name) for name in ("request", "status", "list", "download", "revoke", "limits")],
        *[("testdata", group, name) for group, name in [("subject", "create"), ("subject", "remove")]],
        *[("testdata", group, name) for group, name in [("person", "create"), ("person", "remove")]],
        *[("testdata", "permissions", name) for name in ("grant", "revoke")],
        *[("testdata", "context", name) for name in ("block", "unblock")],
        *[("testdata", "limits", name) for name in ("set", "reset")],
    ]
    for path in networked:
        command = root
        for part in path:
            command = command.commands[part]
        options = {option for parameter in command.params for option in getattr(parameter, "opts", [])}
        assert {"--env", "--base-url"} <= options, path
