"""What the networked commands print: times in Polish local time with the zone (ISO with the offset in `--json`),
messages that say exactly what happened."""

from __future__ import annotations

import json
from pathlib import Path

from cli.scripted import REFERENCE, SERIAL, logged_in, run, script_a_rejected_request
from client.fakes import FakeKsef, list_item, ok
from ksef_mcu.cli._common import ExitCode


def test_list_shows_polish_time_and_json_carries_the_offset(fake: FakeKsef) -> None:
    logged_in()
    fake.on("POST", "/certificates/query", ok({"certificates": [list_item(SERIAL)], "hasMore": False}))
    table = run("cert", "list").stdout
    assert "2025-08-25 16:15 CEST" in table  # lastUseDate 14:15:22 UTC
    [item] = json.loads(run("cert", "list", "--json").stdout)
    assert item["validFrom"] == "2025-08-24T16:15:22+02:00"
    assert item["validTo"] == "2027-08-24T16:15:22+02:00"
    assert item["status"] == "Active"


def test_status_json_carries_the_offset(fake: FakeKsef) -> None:
    logged_in()
    done = {
        "requestDate": "2026-01-15T08:00:00Z",
        "status": {"code": 200, "description": "Wniosek obsłużony"},
        "certificateSerialNumber": SERIAL,
    }
    fake.on("GET", f"/certificates/enrollments/{REFERENCE}", ok(done))
    document = json.loads(run("cert", "status", REFERENCE, "--json").stdout)
    assert document["requestDate"] == "2026-01-15T09:00:00+01:00"
    assert "2026-01-15 09:00 CET" in run("cert", "status", REFERENCE).stdout


def limits(requests_left: int, certificates_left: int) -> dict[str, object]:
    return {
        "canRequest": requests_left > 0 and certificates_left > 0,
        "enrollment": {"limit": 12, "remaining": requests_left},
        "certificate": {"limit": 6, "remaining": certificates_left},
    }


class TestLimitMessages:
    def test_requests_used_up_but_certificates_left(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("GET", "/certificates/limits", ok(limits(0, 4)))
        result = run(
            "cert", "request", "Moj klucz", "--type", "offline", "--password-file", "haslo.txt",
            expect=ExitCode.REFUSED,
        )  # fmt: skip
        assert "Wyczerpałeś limit wniosków o certyfikat (wykorzystano 12 z 12)" in result.stderr
        assert "aktywnych certyfikatów możesz mieć jeszcze 4 z 6" in result.stderr
        assert "Wyczerpałeś limit certyfikatów" not in result.stderr + result.stdout
        assert result.stdout == ""  # said once: no table before the error
        assert result.stderr.count("limit wniosków") == 2  # the message and its "odnowi limit wniosków", nothing else
        assert not Path("Moj klucz.key").exists()
        shown = run("cert", "limits").stdout
        assert "pozostało 0 z 12" in shown
        assert "Wyczerpałeś limit wniosków o certyfikat" in shown

    def test_certificates_used_up_is_the_mcu_dialog(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("GET", "/certificates/limits", ok(limits(5, 0)))
        result = run(
            "cert", "request", "Moj klucz", "--type", "offline", "--password-file", "haslo.txt",
            expect=ExitCode.REFUSED,
        )  # fmt: skip
        assert "Osiągnięto limit. Wyczerpałeś limit certyfikatów." in result.stderr
        assert result.stderr.count("Wyczerpałeś") == 1


def test_a_rejection_says_rejected_once(fake: FakeKsef) -> None:
    logged_in()
    script_a_rejected_request(fake, "Wniosek odrzucony", "Nieprawidłowy wniosek.")
    result = run(
        "cert", "request", "Odrzucony", "--type", "offline", "--password-file", "haslo.txt", expect=ExitCode.REFUSED
    )
    assert "Wniosek odrzucony przez KSeF (status 400)\n  Nieprawidłowy wniosek.\n" in result.stderr
    assert result.stderr.count("odrzucony") == 1
    assert '--key "Odrzucony.key"' in result.stderr  # here the same key may be used again


def test_several_missing_serials_are_plural(fake: FakeKsef) -> None:
    logged_in()
    fake.on("POST", "/certificates/query", ok({"certificates": [], "hasMore": False}))
    error = run("cert", "download", SERIAL, "0123456789ABCDE0", expect=ExitCode.REFUSED).stderr
    assert f"Nie znaleziono certyfikatów o numerach {SERIAL}, 0123456789ABCDE0 wśród Twoich certyfikatów." in error
    error = run("cert", "download", SERIAL, expect=ExitCode.REFUSED).stderr
    assert f"Nie znaleziono certyfikatu o numerze {SERIAL} wśród" in error


def test_an_empty_list_without_filters_is_not_about_criteria(fake: FakeKsef) -> None:
    logged_in()
    fake.on("POST", "/certificates/query", ok({"certificates": [], "hasMore": False}))
    empty = run("cert", "list").stdout
    assert "Nie masz jeszcze certyfikatów w tym środowisku (local)" in empty
    assert "kryteria" not in empty
    assert "Brak certyfikatów spełniających kryteria." in run("cert", "list", "--type", "offline").stdout


class TestRevokingTheLoginCertificate:
    def test_is_warned_about(self, fake: FakeKsef) -> None:
        logged_in()  # logged in with certificate 0102030405060708
        own = "0102030405060708"
        fake.on("POST", "/certificates/query", ok({"certificates": [list_item(own)], "hasMore": False}))
        fake.on("POST", f"/certificates/{own}/revoke", ok(None, 204))
        result = run("cert", "revoke", own, "--yes")
        assert "tym certyfikatem jesteś teraz zalogowany" in result.stderr

    def test_another_certificate_is_not(self, fake: FakeKsef) -> None:
        logged_in()
        fake.on("POST", "/certificates/query", ok({"certificates": [list_item(SERIAL)], "hasMore": False}))
        fake.on("POST", f"/certificates/{SERIAL}/revoke", ok(None, 204))
        assert "zalogowany" not in run("cert", "revoke", SERIAL, "--yes").stderr
