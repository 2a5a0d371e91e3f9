"""The request's status page in Chromium, with no issuance worker running (the test issues when it wants): "Odśwież",
the automatic polling, a rejection explained and sent again with the same key.

In a module of its own: a live server with a worker on the same database (another module's) would issue the
request before the test looks at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from ksef_mcu.server.certificates.model import CERTIFICATE_LIMIT_DETAIL, EnrollmentStatus, EnrollmentStatusCode
from ksef_mcu.server.certificates.repositories.enrollments import EnrollmentRepository
from ksef_mcu.server.certificates.worker import IssuanceWorker
from ksef_mcu.server.keys import ServerKeys
from support.screens_browser import (
    McuServer,
    OffsetClock,
    download_issued,
    generate_key,
    log_in_for_test,
    mcu_server,
    send_request,
)

ENROLL = "/certyfikaty/wniosek"


@pytest.fixture(scope="module")
def mcu_without_worker(
    database_url: str, server_keys: ServerKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[McuServer]:
    with mcu_server(
        database_url, server_keys, tmp_path_factory.mktemp("manual"), clock=OffsetClock(), issuance_worker=False
    ) as server:
        yield server


def issue_now(mcu: McuServer) -> None:
    components = mcu.components
    IssuanceWorker(
        settings=components.settings, database=components.database, clock=mcu.clock, issuer=components.authority.issuer
    ).run_once()


def test_status_polls_until_issued_and_explains_rejections(
    mcu_without_worker: McuServer, screen: Page, tmp_path: Path
) -> None:
    mcu = mcu_without_worker
    log_in_for_test(screen, mcu.url)
    screen.goto(f"{mcu.url}{ENROLL}")
    generate_key(screen, tmp_path, "Czeka na wydanie")
    send_request(screen, "Uwierzytelnienie w systemie KSeF")
    assert screen.get_by_text("Wniosek przyjęty do realizacji (100)").is_visible()
    screen.get_by_role("button", name="Odśwież").click()
    screen.get_by_role("button", name="Odśwież").wait_for()
    issue_now(mcu)
    download_issued(screen, tmp_path)  # the page reloaded by itself

    # A request rejected for the certificate limit: explained, and sent again with the same key.
    screen.goto(f"{mcu.url}{ENROLL}")
    generate_key(screen, tmp_path, "Odrzucony za limit")
    send_request(screen, "Uwierzytelnienie w systemie KSeF")
    reference = screen.locator("#status").get_attribute("data-reference")
    with mcu.components.database.write() as connection:
        status = EnrollmentStatus(EnrollmentStatusCode.REJECTED, (CERTIFICATE_LIMIT_DETAIL,))
        assert EnrollmentRepository(connection).finish(reference, status, now=mcu.clock.now())
    screen.reload()
    alert = screen.get_by_role("alert")
    assert alert.get_by_text("miałeś już najwyższą dozwoloną liczbę aktywnych certyfikatów").is_visible()
    assert alert.get_by_text("wyślij wniosek ponownie z tym samym kluczem").is_visible()
    screen.get_by_role("button", name="Wyślij wniosek ponownie z tym samym kluczem").click()
    screen.get_by_text("Wniosek wysłany ponownie z tym samym kluczem.").wait_for()
    assert screen.locator("#status").get_attribute("data-reference") != reference
    issue_now(mcu)
    screen.get_by_text("Certyfikat został wystawiony.").wait_for(timeout=30_000)
