"""The sending jobs of "Wyślij faktury do KSeF" without KSeF: a sending cut off by a stop is marked interrupted at the
next start (its files say why), the progress arithmetic, the status endpoint's access rules, and the "Przejdź do
platformy KSeF" link carrying the company's context only to our own MCU."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ksef_mcu.client.environments import Environment
from ksef_mcu.invoicing.app import create_app
from ksef_mcu.invoicing.config import PLATFORM_URLS, InvoicingConfig
from ksef_mcu.invoicing.repository import Repository
from ksef_mcu.invoicing.sending import INTERRUPTED, SendJob, SendJobFile
from ksef_mcu.invoicing.services import open_invoicing
from support.live_server import serve_in_thread
from support.pki import random_nip

SECRET = "Haslo-Konta-12345"


def token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def config(tmp_path: Path) -> InvoicingConfig:
    return InvoicingConfig(data_dir=tmp_path / "faktury", ksef_url="http://127.0.0.1:9/v2")


def _running_job(config: InvoicingConfig, nip: str) -> int:
    """A company, an administrator, and a sending recorded as running (as a stop in the middle leaves it)."""
    setup = open_invoicing(config)
    try:
        setup.accounts.add_user("admin", SECRET, is_admin=True)
        company = setup.accounts.add_company(nip, "Firma Testowa")
        values = {
            "company_id": company.id,
            "state": "running",
            "session_closed": False,
            "created_by": "admin",
            "created_at": datetime.now(UTC),
        }
        with setup.database.write() as connection:
            job_id = Repository().add_send_job(connection, values, [("a.xml", b"<a/>"), ("b.xml", b"<b/>")])
        return job_id
    finally:
        setup.close()


@pytest.fixture
def started(config: InvoicingConfig) -> Iterator[tuple[str, int, str]]:
    nip = random_nip()
    job_id = _running_job(config, nip)
    with serve_in_thread(create_app(config)) as url:  # type: ignore[arg-type]
        yield url, job_id, nip


def test_a_sending_cut_off_by_a_stop_is_marked_interrupted(started: tuple[str, int, str]) -> None:
    url, job_id, nip = started
    with httpx.Client(base_url=url, follow_redirects=True) as browser:
        page = browser.get("/logowanie")
        browser.post("/logowanie", data={"login": "admin", "haslo": SECRET, "csrf_token": token(page)})
        status = browser.get(f"/faktury/wysylka/{job_id}/stan")
        assert status.status_code == 200
        assert status.headers["cache-control"] == "no-store"
        data = status.json()
        assert data["state"] == "failed"
        assert data["finished"] is True
        assert data["progress"]["percent"] == 100
        assert INTERRUPTED in data["summary"]
        assert [(item["name"], item["stage"], item["message"]) for item in data["files"]] == [
            ("a.xml", "error", INTERRUPTED),
            ("b.xml", "error", INTERRUPTED),
        ]
        shown = browser.get(f"/faktury/wysylka/{job_id}")
        assert "Wysyłka przerwana" in shown.text
        assert "send-progress.js" not in shown.text  # nothing left to follow
        assert browser.get(f"/faktury/wysylka/{job_id + 1}/stan").status_code == 404

        # "Przejdź do platformy KSeF": our MCU, in the company's context.
        assert f'href="http://127.0.0.1:9/?contextType=Nip&amp;contextValue={nip}"' in shown.text


def test_the_platform_link_carries_the_context_only_to_our_mcu(tmp_path: Path) -> None:
    local = InvoicingConfig(data_dir=tmp_path, ksef_url="http://127.0.0.1:8000/v2")
    assert (
        local.platform_url_for("Nip", "5265877635") == "http://127.0.0.1:8000/?contextType=Nip&contextValue=5265877635"
    )
    assert local.platform_url_for("InternalId", "5265877635-12345").endswith("contextValue=5265877635-12345")
    assert local.platform_url_for(None, None) == "http://127.0.0.1:8000/"
    for environment in (Environment.TEST, Environment.DEMO, Environment.PROD):
        remote = InvoicingConfig(data_dir=tmp_path, environment=environment)
        assert remote.platform_url_for("Nip", "5265877635") == PLATFORM_URLS[environment]


def _file(position: int, stage: str) -> SendJobFile:
    number = f"5265877635-20261202-00000000000{position}-00" if stage in ("processed", "upo") else None
    return SendJobFile(position, f"{position}.xml", stage, None, number, None, None)


def test_progress_counts_three_steps_a_file_and_the_session_close() -> None:
    files = (_file(1, "waiting"), _file(2, "sent"), _file(3, "processed"), _file(4, "upo"), _file(5, "error"))
    running = SendJob(1, "running", None, "ref", False, files)
    assert (running.progress_value, running.progress_max) == (0 + 1 + 2 + 3 + 3, 16)
    assert running.percent == 56
    assert "zakończono 2 z 5 plików (56 %)" in running.summary
    assert running.numbered == 2
    done = SendJob(1, "done", None, "ref", True, tuple(_file(index, "upo") for index in range(1, 4)))
    assert done.percent == 100
    assert done.summary == "Zakończono. Numery KSeF: 3 z 3. Sesja ref zamknięta."
