"""What the networked commands print: times in Polish local time with the zone (ISO with the offset in `--json`),
messages that say exactly what happened."""

from __future__ import annotations

import json

from cli.scripted import REFERENCE, SERIAL, logged_in, run
from client.fakes import FakeKsef, list_item, ok


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
