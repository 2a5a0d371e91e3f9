"""'Wyślij faktury do KSeF' with many files, in Chromium against real processes (`ksef-mcu serve` on each database
backend, `ksef-mcu invoicing serve`): the sending runs in Obsługa Faktur's background and its page follows it through
the JSON status (send-progress.js) — each file's KSeF number and UPO, a refused file with its reason while the others
go through, the progress bar reaching 100 %, the state surviving a reload, the status only for the user's companies.
Screenshot: docs/screens/invoicing-13-wysylka-z-bledem.png (KSEF_MCU_SCREENSHOTS)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from documents.samples import invoice_xml
from ksef_mcu.documents.forms import FA3
from ksef_mcu.documents.upo import verify_upo
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.services import open_invoicing
from ksef_mcu.invoicing.uploads import CertificateUpload
from support.invoicing_setup import PASSWORD, InvoicingServe, obtain
from support.pki import random_nip
from support.processes import Serve

ADMIN, ADMIN_PASSWORD = "administrator", "Haslo-Administratora-1"
CLERK, CLERK_PASSWORD = "ksiegowa", "Haslo-Ksiegowej-2026"
FAST = {"rate_limits_enabled": "false", "invoice_claim_lease": "PT2S", "issuance_poll_interval": "PT0.1S"}
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class Installation:
    mcu: Serve
    faktury: InvoicingServe
    nip: str


@pytest.fixture
def installation(database_url: str, tmp_path: Path) -> Iterator[Installation]:
    """Our KSeF, and Obsługa Faktur with the company's Type 1 certificate installed, an administrator, and a clerk
    who has access to another company only."""
    mcu = Serve(tmp_path / "mcu", database_url, **FAST)
    faktury = None
    try:
        nip = random_nip()
        issued = obtain(mcu.base_url, nip)
        setup = open_invoicing(InvoicingConfig(data_dir=tmp_path / "faktury", ksef_url=f"{mcu.base_url}/v2"))
        try:
            setup.accounts.add_user(ADMIN, ADMIN_PASSWORD, is_admin=True)
            setup.accounts.add_user(CLERK, CLERK_PASSWORD)
            company = setup.accounts.add_company(nip, "Firma Testowa sp. z o.o.")
            for slot, (crt, key) in issued.items():
                setup.settings.add_certificate(
                    company, slot, CertificateUpload(certificate=crt, key=key, password=PASSWORD), added_by="test"
                )
            other = random_nip()
            setup.accounts.add_company(other, "Inna Firma S.A.")
            setup.accounts.grant(other, CLERK)
        finally:
            setup.close()
        faktury = InvoicingServe(tmp_path / "faktury", mcu.base_url)
        yield Installation(mcu, faktury, nip)
        assert faktury.terminate(timeout=30) in (0, -15), faktury.output()
        assert "Traceback" not in faktury.output(), faktury.output()
        mcu.stop()
    finally:
        for process in (faktury, mcu):
            if process is not None and process.process.poll() is None:
                process.kill()


def log_in(page: Page, url: str, login: str, password: str) -> None:
    page.goto(f"{url}/logowanie")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Hasło").fill(password)
    page.get_by_role("button", name="Zaloguj się").click()
    page.get_by_role("heading", name="Obsługa Faktur").wait_for()


def send(page: Page, url: str, files: list[Path]) -> list[str]:
    """Choose the files on "Wyślij faktury do KSeF", send them; the status requests the page's script made."""
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/stan") else None)
    page.goto(f"{url}/faktury")
    page.get_by_role("link", name="Wyślij faktury do KSeF").click()
    page.get_by_label("Pliki faktur (FA(3), XML)").set_input_files(files)
    page.get_by_role("button", name="Wyślij do KSeF").click()
    page.get_by_role("heading", name="Wysyłka faktur do KSeF").wait_for()
    return polls


def invoices(folder: Path, nip: str, count: int) -> list[Path]:
    today = datetime.now(UTC).date()
    paths = []
    for index in range(1, count + 1):
        path = folder / f"faktura-{index}.xml"
        path.write_bytes(invoice_xml(FA3, seller_nip=nip, issue_date=today, number=f"FV/{index}/PROGRESS"))
        paths.append(path)
    return paths


def expect_complete(page: Page) -> None:
    bar = page.get_by_role("progressbar", name="Postęp wysyłki")
    expect(bar).to_have_js_property("position", 1)  # value == max
    expect(page.locator("[data-send-percent]")).to_have_text("100 %")


def test_many_files_each_with_its_ksef_number_and_the_progress_reaching_100(
    installation: Installation, screen: Page, tmp_path: Path
) -> None:
    url, nip = installation.faktury.base_url, installation.nip
    log_in(screen, url, ADMIN, ADMIN_PASSWORD)
    files = invoices(tmp_path, nip, 5)
    files[4] = files[4].rename(tmp_path / "faktura-5-<b>.xml")  # a file name is text, never markup
    polls = send(screen, url, files)
    status = screen.get_by_role("status")
    expect(status).to_contain_text("Zakończono. Numery KSeF: 5 z 5.", timeout=90_000)
    expect(status).to_contain_text(re.compile(r"Sesja \S+ zamknięta\."))
    assert polls, "the page followed the sending through its JSON status"
    expect_complete(screen)
    numbers = []
    for path in files:
        row = screen.get_by_role("row").filter(has_text=path.name)
        expect(row).to_contain_text("UPO pobrane")
        number = row.locator(".serial").inner_text()
        assert re.fullmatch(rf"{nip}-\d{{8}}-[0-9A-F]{{12}}-[0-9A-F]{{2}}", number), number
        numbers.append(number)
    assert len(set(numbers)) == 5
    expect(screen.locator("table b")).to_have_count(0)
    with screen.expect_download() as download:
        screen.get_by_role("row").filter(has_text="faktura-3.xml").get_by_role("link", name="Pobierz UPO").click()
    upo = Path(download.value.path()).read_bytes()
    verify_upo(upo, now=datetime.now(UTC))
    assert numbers[2].encode() in upo

    # A reload shows the same state (it is in the database, not in the page).
    job_url = screen.url
    screen.reload()
    expect(screen.get_by_role("status")).to_contain_text("Numery KSeF: 5 z 5.")
    expect_complete(screen)
    for number in numbers:
        expect(screen.get_by_text(number, exact=True)).to_be_visible()
    expect(screen.get_by_role("cell", name="faktura-5-<b>.xml")).to_be_visible()
    expect(screen.locator("table b")).to_have_count(0)

    # The JSON status: for the logged-in user (the page's cookie); nobody else gets it.
    answer = screen.request.get(f"{job_url}/stan")
    assert answer.ok
    assert answer.headers["cache-control"] == "no-store"
    data = answer.json()
    assert data["state"] == "done"
    assert data["progress"]["percent"] == 100
    assert [item["ksefNumber"] for item in data["files"]] == numbers
    anonymous = httpx.get(f"{job_url}/stan", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/logowanie"
    clerk = screen.context.browser.new_context() if screen.context.browser else None
    assert clerk is not None
    try:
        other = clerk.new_page()
        log_in(other, url, CLERK, CLERK_PASSWORD)
        refused = other.request.get(f"{job_url}/stan")
        assert refused.status == 404
        assert "ksefNumber" not in refused.text()
        assert numbers[0] not in refused.text()
    finally:
        clerk.close()


def test_an_invalid_file_shows_its_error_and_the_others_go_through(
    installation: Installation, screen: Page, tmp_path: Path
) -> None:
    url, nip = installation.faktury.base_url, installation.nip
    shots = Path(os.environ.get("KSEF_MCU_SCREENSHOTS") or tmp_path / "screens")
    screen.set_viewport_size({"width": 1280, "height": 800})
    log_in(screen, url, ADMIN, ADMIN_PASSWORD)
    good = invoices(tmp_path, nip, 3)
    broken = tmp_path / "zepsuta.xml"
    broken.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<Faktura><Naglowek>niekompletna</Naglowek></Faktura>')
    send(screen, url, [good[0], broken, good[1], good[2]])
    status = screen.get_by_role("status")
    expect(status).to_contain_text("Zakończono. Numery KSeF: 3 z 4.", timeout=90_000)
    expect_complete(screen)
    refused = screen.get_by_role("row").filter(has_text="zepsuta.xml")
    expect(refused).to_contain_text("błąd")
    expect(refused).to_contain_text(re.compile(r"Odrzucona – \d{3}: \S"))
    expect(refused.get_by_role("link", name="Pobierz UPO")).to_have_count(0)
    for path in good:
        row = screen.get_by_role("row").filter(has_text=path.name)
        expect(row).to_contain_text("UPO pobrane")
        expect(row.locator(".serial")).to_have_text(re.compile(rf"^{nip}-\d{{8}}-"))
    folder = shots
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "invoicing-13-wysylka-z-bledem.png"
    screen.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    assert path.read_bytes().startswith(PNG)
    assert screen.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The refused invoice is on the list of sent invoices with its status; the others with their numbers.
    screen.get_by_role("link", name="Wróć do listy faktur").click()
    expect(screen.locator("main")).to_contain_text("zepsuta.xml")
