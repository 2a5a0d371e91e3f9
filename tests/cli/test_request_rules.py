"""`cert request` checks every rule the server will apply before it generates anything, and a command it suggests
repeats every option that still applies."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cli.scripted import logged_in, run, script_a_rejected_request
from client.fakes import FakeKsef, body
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.cli._network import today
from ksef_mcu.formatting import start_of_day


def test_a_start_beyond_90_days_is_refused_before_the_key_is_generated(fake: FakeKsef) -> None:
    logged_in()
    before = sorted(os.listdir())
    too_late = today() + dt.timedelta(days=91)
    result = run(
        "cert", "request", "Za pozno", "--type", "offline", "--valid-from", too_late.isoformat(),
        "--password-file", "haslo.txt", expect=ExitCode.USAGE,
    )  # fmt: skip
    latest = today() + dt.timedelta(days=90)
    assert f"może być najpóźniej 90 dni od dziś, czyli {latest}" in result.stderr
    assert sorted(os.listdir()) == before  # no key file
    assert not fake.calls()  # nothing asked, nothing sent


def test_a_retry_repeats_every_option_that_still_applies(fake: FakeKsef) -> None:
    logged_in()
    start = today() + dt.timedelta(days=90)
    script_a_rejected_request(fake, "Wniosek odrzucony", "Nieprawidłowy wniosek.")
    result = run(
        "cert", "request", "Pozniej", "--type", "offline", "--valid-from", start.isoformat(),
        "--password-file", "haslo.txt", "--wait", "5", "--base-url", "http://127.0.0.1:8000",
        expect=ExitCode.REFUSED,
    )  # fmt: skip
    [sent] = fake.calls("POST", "/certificates/enrollments")
    assert dt.datetime.fromisoformat(body(sent)["validFrom"]) == start_of_day(start)
    retry = (
        f'ksef-mcu cert request "Pozniej" --type offline --key "Pozniej.key" --valid-from {start.isoformat()} '
        '--password-file "haslo.txt" --wait 5 --base-url http://127.0.0.1:8000'
    )
    assert retry in result.stderr
    assert Path("Pozniej.key").exists()


def test_a_missing_key_file_is_refused_before_anything_is_sent(fake: FakeKsef) -> None:
    logged_in()
    result = run("cert", "request", "Z kluczem", "--type", "offline", "--key", "brak.key", expect=ExitCode.LOCAL)
    assert "Nie znaleziono pliku klucza: brak.key" in result.stderr
    assert not fake.calls()
