"""The exit-code table a script can rely on (docs/cli.md): 0 ok, 1 refused by KSeF, 2 usage, 3 local file or password,
4 network or server unavailable, 5 cancelled — one test per row, each through a real failure of that kind."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cli.scripted import PASSWORD, REFERENCE, SERIAL, logged_in, run
from client.fakes import LIMITS, FakeKsef, list_item, ok, problem
from ksef_mcu.cli._common import ExitCode


def test_the_table_is_what_the_docs_promise() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "REFUSED": 1,
        "USAGE": 2,
        "LOCAL": 3,
        "UNAVAILABLE": 4,
        "CANCELLED": 5,
    }
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} |" in docs, f"docs/cli.md has no row for exit code {int(code)}"


def test_0_ok(fake: FakeKsef) -> None:
    logged_in()
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    run("cert", "limits", expect=ExitCode.OK)


class TestRefusedByKsef:
    def test_an_api_error(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("POST", "/certificates/query", problem(400, detail="Nieprawidłowe żądanie."))
        run("cert", "list", expect=ExitCode.REFUSED)

    def test_a_rejected_request(self, fake: FakeKsef) -> None:
        logged_in()
        rejected = {"requestDate": "2026-03-02T09:00Z", "status": {"code": 400, "description": "Wniosek odrzucony"}}
        fake.on("GET", f"/certificates/enrollments/{REFERENCE}", ok(rejected))
        run("cert", "status", REFERENCE, expect=ExitCode.REFUSED)

    def test_an_unknown_serial(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("POST", "/certificates/query", ok({"certificates": [], "hasMore": False}))
        run("cert", "revoke", SERIAL, "--yes", expect=ExitCode.REFUSED)

    def test_a_session_ksef_will_not_renew(self, fake: FakeKsef) -> None:
        logged_in(access_in=timedelta(seconds=-1))
        fake.on("POST", "/auth/token/refresh", problem(401, detail="Token wygasł."))
        run("cert", "list", expect=ExitCode.REFUSED)


class TestUsage:
    def test_a_missing_option(self, fake: FakeKsef) -> None:
        run("cert", "request", "Moj certyfikat", expect=ExitCode.USAGE)

    def test_a_name_the_guide_forbids(self, fake: FakeKsef) -> None:
        logged_in()
        run("cert", "request", "ab", "--type", "offline", "--password-file", "haslo.txt", expect=ExitCode.USAGE)
        assert not fake.calls()

    def test_options_that_exclude_each_other(self, fake: FakeKsef) -> None:
        run("login", "--pkcs12", "a.p12", "--cert", "a.crt", expect=ExitCode.USAGE)

    def test_a_bad_date(self, fake: FakeKsef) -> None:
        logged_in()
        run("cert", "list", "--expires-after", "jutro", expect=ExitCode.USAGE)

    def test_a_bad_serial(self, fake: FakeKsef) -> None:
        logged_in()
        run("cert", "download", "XYZ", expect=ExitCode.USAGE)


class TestLocalFileOrPassword:
    def test_a_missing_file(self, fake: FakeKsef) -> None:
        run("cert", "inspect", "brak.crt", expect=ExitCode.LOCAL)

    def test_a_wrong_password(self, fake: FakeKsef) -> None:
        run("keys", "generate", "Moj klucz", "--password-file", "haslo.txt")
        Path("zle.txt").write_text("Zupelnie1inne-haslo")
        run("csr", "create", "--key", "Moj klucz.key", "--enrollment-data", "brak.json", expect=ExitCode.LOCAL)
        data = Path("dane.json")
        data.write_text(json.dumps({"commonName": "Jan", "countryName": "PL", "serialNumber": "TINPL-5265877635"}))
        wrong = run(
            "csr",
            "create",
            "--key",
            "Moj klucz.key",
            "--enrollment-data",
            "dane.json",
            "--password-file",
            "zle.txt",
            expect=ExitCode.LOCAL,
        )
        assert "hasło" in wrong.stderr.lower()

    def test_a_weak_password(self, fake: FakeKsef) -> None:
        Path("slabe.txt").write_text("krotkie")
        run("keys", "generate", "Moj klucz", "--password-file", "slabe.txt", expect=ExitCode.LOCAL)

    def test_not_logged_in_is_the_same_for_whoami_and_logout(self, fake: FakeKsef) -> None:
        assert "Nie jesteś zalogowany" in run("whoami", expect=ExitCode.LOCAL).stderr
        assert "Nie jesteś zalogowany" in run("logout", expect=ExitCode.LOCAL).stderr
        run("cert", "list", expect=ExitCode.LOCAL)
        assert not fake.calls()


class TestUnavailable:
    def test_a_server_that_cannot_be_reached(self, fake: FakeKsef) -> None:
        logged_in()

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

        fake.on("GET", "/certificates/limits", refuse)
        run("cert", "limits", expect=ExitCode.UNAVAILABLE)

    def test_a_server_error(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("GET", "/certificates/limits", problem(503, detail="Przerwa techniczna."))
        run("cert", "limits", expect=ExitCode.UNAVAILABLE)

    def test_a_rate_limit(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("GET", "/certificates/limits", problem(429, {"Retry-After": "1"}, detail="Za dużo zapytań."))
        run("cert", "limits", expect=ExitCode.UNAVAILABLE)

    # A certificate not issued within --wait: tests/cli/test_cli_errors.py (exit code 4 there too).


class TestCancelled:
    def test_answering_no(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("POST", "/certificates/query", ok({"certificates": [list_item(SERIAL)], "hasMore": False}))
        result = run("cert", "revoke", SERIAL, input="n\n", expect=ExitCode.CANCELLED)
        assert "Nie unieważniono certyfikatu." in result.stderr
        assert not fake.calls("POST", f"/certificates/{SERIAL}/revoke")

    def test_no_answer_at_a_password_prompt(self, fake: FakeKsef) -> None:
        run("keys", "generate", "Moj klucz", input="", expect=ExitCode.CANCELLED)
        assert not Path("Moj klucz.key").exists()


@pytest.mark.parametrize("flag", ["--json"])
def test_whoami_json(fake: FakeKsef, flag: str) -> None:
    profile = logged_in()
    document = json.loads(run("whoami", flag).stdout)
    assert document["environment"] == "local"
    assert document["baseUrl"] == "http://127.0.0.1:8000/v2"
    assert document["subject"] == "CN=Jan Testowy"
    assert document["identifier"] == {"type": "Nip", "value": "5265877635"}
    assert document["context"] == {"type": "Nip", "value": "5265877635"}
    assert document["certificateSerial"] == "0102030405060708"
    assert document["sessionActive"] is True
    assert document["profile"] == str(profile)
    assert "access-1" not in json.dumps(document)  # tokens are never printed
    access_until = datetime.fromisoformat(document["accessTokenValidUntil"])
    assert access_until.utcoffset() is not None
    assert access_until > datetime.now(UTC)
    assert PASSWORD not in json.dumps(document)
