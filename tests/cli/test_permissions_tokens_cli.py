"""`ksef-mcu permissions …`, `ksef-mcu tokens …` and `ksef-mcu login --token` against our real server (over HTTP from
a thread of the test process): grant, list, status, revoke; a token written to a 0600 file, a login with it (the
token never printed), the list, the revocation, and the refused next login."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from ksef_mcu.cli._common import ExitCode
from support.pki import random_pesel

from .test_journey_cli import ksef, run, self_signed_login

__all__ = ["ksef"]

pytestmark = pytest.mark.db


def test_permissions_grant_list_status_revoke(ksef: str) -> None:
    self_signed_login()
    pesel = random_pesel()
    granted = run(
        "permissions",
        "grant",
        "--pesel",
        pesel,
        "-p",
        "wystawianie-faktur",
        "-p",
        "przegladanie-faktur",
        "--first-name",
        "Anna",
        "--last-name",
        "Nowak",
        "--description",
        "Księgowa w firmie",
    )
    assert "Nadano uprawnienia (wystawianie faktur, przeglądanie faktur)" in granted.stdout
    listed = json.loads(run("permissions", "list", "--json").stdout)
    assert {(item["permissionScope"], item["authorizedIdentifier"]["value"]) for item in listed} == {
        ("InvoiceWrite", pesel),
        ("InvoiceRead", pesel),
    }
    table = run("permissions", "list").stdout
    assert "wystawianie faktur" in table
    assert "Anna Nowak" in table

    revoked = run("permissions", "revoke", listed[0]["id"], "--no-wait")
    reference = re.search(r"(\d{8}-EG-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2})", revoked.stdout)
    assert reference is not None, revoked.stdout
    status = run("permissions", "status", reference.group(1))
    assert "200: Operacja zakończona sukcesem" in status.stdout
    assert len(json.loads(run("permissions", "list", "--json").stdout)) == 1

    again = run("permissions", "revoke", listed[0]["id"], expect=ExitCode.REFUSED)
    assert "nie istnieje w bieżącym kontekście" in again.stderr
    bad = run(
        "permissions",
        "grant",
        "--pesel",
        "12345678901",
        "-p",
        "wystawianie-faktur",
        "--first-name",
        "A",
        "--last-name",
        "Nowak",
        "--description",
        "Księgowa",
        expect=ExitCode.USAGE,
    )
    assert "PESEL" in bad.stderr


def test_tokens_create_login_list_revoke(ksef: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nip = self_signed_login()
    created = run(
        "tokens", "create", "-p", "przegladanie-faktur", "--description", "Token do ERP", "--output", "token.txt"
    )
    token_file = Path("token.txt")
    token = token_file.read_text().strip()
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert token not in created.stdout + created.stderr
    reference = token.split("|")[0]

    login = run("login", "--token", "--token-file", "token.txt")
    assert token not in login.stdout + login.stderr
    assert f"NIP {nip}" in login.stdout
    whoami = json.loads(run("whoami", "--json").stdout)
    assert whoami["identifier"] == {"type": "Token", "value": reference}

    tokens = json.loads(run("tokens", "list", "--json").stdout)
    assert [t["referenceNumber"] for t in tokens] == [reference]  # a token login sees its own token only
    run("tokens", "revoke", reference)
    monkeypatch.setenv("KSEF_MCU_TOKEN", token)
    refused = run("login", "--token", expect=ExitCode.REFUSED)
    assert "Token unieważniony" in refused.stderr
    assert token not in refused.stdout + refused.stderr
    monkeypatch.delenv("KSEF_MCU_TOKEN")
    missing = run("login", "--token", expect=ExitCode.USAGE)
    assert "KSEF_MCU_TOKEN" in missing.stderr


def test_attachment_consent_from_test_data_to_the_status(ksef: str) -> None:
    nip = self_signed_login()
    assert "niedozwolone (brak zgody" in run("permissions", "attachments").stdout
    assert "może wystawiać faktury z załącznikiem" in run("testdata", "attachment", "allow", "--nip", nip).stdout
    assert json.loads(run("permissions", "attachments", "--json").stdout) == {
        "isAttachmentAllowed": True,
        "revokedDate": None,
    }
    assert "dozwolone (bezterminowo)" in run("permissions", "attachments").stdout
    later = run("testdata", "attachment", "revoke", "--nip", nip, "--end-date", "2099-01-01")
    assert "od 2099-01-01" in later.stdout
    assert "dozwolone; wygasa 2099-01-01" in run("permissions", "attachments").stdout
    run("testdata", "attachment", "revoke", "--nip", nip)
    assert "niedozwolone (zgoda wygasła" in run("permissions", "attachments").stdout

    bad_date = run("testdata", "attachment", "revoke", "--nip", nip, "--end-date", "jutro", expect=ExitCode.USAGE)
    assert "RRRR-MM-DD" in bad_date.stderr
    past = run("testdata", "attachment", "revoke", "--nip", nip, "--end-date", "2001-01-01", expect=ExitCode.REFUSED)
    assert "nie może być wcześniejsza niż dzisiejsza" in past.stderr
    assert "NIP" in run("testdata", "attachment", "allow", "--nip", "123", expect=ExitCode.USAGE).stderr
