"""The MCU screens in Chromium: a live server on the test database, a clock tests can move forward, and the steps
people take (log in, generate, send, download), driven by the guide's words as accessible names."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support.live_server import serve_in_thread
from support.pki import random_nip

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Page

    from ksef_mcu.server.keys import ServerKeys

PASSWORD = "Bardzo-Tajne-Haslo-2026"


class OffsetClock:
    """The real time plus an offset that tests move forward (idle sessions, expired tokens)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@dataclass
class McuServer:
    url: str
    app: FastAPI
    clock: OffsetClock

    @property
    def components(self) -> Any:
        return self.app.state.components


@contextmanager
def mcu_server(
    database_url: str, keys: ServerKeys, data_dir: Path, *, clock: OffsetClock, **settings: Any
) -> Iterator[McuServer]:
    """`ksef-mcu serve` in a thread (issuance worker included) on `database_url`."""
    from ksef_mcu.server.app import create_app
    from ksef_mcu.server.settings import ServerSettings
    from ksef_mcu.storage.database import Database

    database = Database.from_url(database_url)
    options = {"data_dir": data_dir, "database_url": database_url, "rate_limits_enabled": False, **settings}
    app = create_app(ServerSettings(**options), clock=clock, keys=keys, database=database)
    try:
        with serve_in_thread(app) as url:
            yield McuServer(url, app, clock)
    finally:
        database.dispose()


# --- steps ------------------------------------------------------------------------------------------------------------


def log_in_for_test(page: Page, url: str, nip: str | None = None) -> str:
    """ "Profil Zaufany" as the company `nip` (random by default); returns the NIP."""
    nip = nip or random_nip()
    page.goto(f"{url}/")
    page.get_by_role("link", name="Profil Zaufany").click()
    page.get_by_label("NIP", exact=True).fill(nip)
    page.get_by_label("Oświadczam, że podane dane są fikcyjne").check()
    page.get_by_role("button", name="Uwierzytelnij do aplikacji testowej").click()
    page.get_by_role("heading", name="Witaj, Firma testowa").wait_for()
    return nip


def log_in_as_person(page: Page, url: str, nip: str, pesel: str, first_name: str, last_name: str) -> None:
    """ "Profil Zaufany" as a person (PESEL) in the context of `nip` (the first person of a NIP becomes its owner)."""
    page.goto(f"{url}/logowanie/profil-zaufany")
    page.get_by_label("Osoba (PESEL)").check()
    page.get_by_label("NIP", exact=True).fill(nip)
    page.get_by_label("PESEL", exact=True).fill(pesel)
    page.get_by_label("Imię").fill(first_name)
    page.get_by_label("Nazwisko").fill(last_name)
    page.get_by_label("Oświadczam, że podane dane są fikcyjne").check()
    page.get_by_role("button", name="Uwierzytelnij do aplikacji testowej").click()
    page.get_by_role("heading", name=f"Witaj, {first_name} {last_name}").wait_for()


def grant_on_screen(page: Page, url: str, pesel: str, first_name: str, last_name: str, *permissions: str) -> None:
    """ "Nadaj uprawnienie" to a person by PESEL; waits for the operation's status."""
    page.goto(f"{url}/uprawnienia/nadaj")
    page.get_by_role("textbox", name="Identyfikator").fill(pesel)
    page.get_by_role("textbox", name="Imię").fill(first_name)
    page.get_by_role("textbox", name="Nazwisko").fill(last_name)
    for permission in permissions:
        page.get_by_role("checkbox", name=permission, exact=True).check()
    page.get_by_role("textbox", name="Opis").fill("Pracownik działu księgowości")
    page.get_by_role("button", name="Nadaj uprawnienia").click()
    page.get_by_role("heading", name="Status operacji").wait_for()


def generate_key(page: Page, directory: Path, name: str, *, password: str = PASSWORD, rsa: bool = False) -> Path:
    """ "Wnioskuj o certyfikat" step one: name, password twice, "Generuj"; returns the saved `.key`."""
    page.get_by_label("Nazwa certyfikatu").fill(name)
    page.get_by_label("Hasło", exact=True).fill(password)
    page.get_by_label("Powtórz hasło").fill(password)
    if rsa:
        page.get_by_text("Opcje zaawansowane").click()
        page.get_by_label("RSA 2048").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Generuj").click()
    assert download.value.suggested_filename == f"{name}.key"
    target = directory / download.value.suggested_filename
    download.value.save_as(target)
    page.get_by_role("heading", name="Przesłanie wniosku").wait_for()
    return target


def send_request(page: Page, purpose: str) -> None:
    """Step two: "Przeznaczenie certyfikatu", then "Wyślij wniosek o wydanie certyfikatu"; waits for the status."""
    page.get_by_label(purpose).check()
    page.get_by_role("button", name="Wyślij wniosek o wydanie certyfikatu").click()
    page.get_by_role("heading", name="Status wniosku").wait_for()


def download_issued(page: Page, directory: Path) -> Path:
    """Wait for "Certyfikat został wystawiony" (the page polls), then "Pobierz certyfikat"."""
    page.get_by_text("Certyfikat został wystawiony.").wait_for(timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz certyfikat").click()
    target = directory / download.value.suggested_filename
    download.value.save_as(target)
    return target


def openssl(*arguments: str) -> str:
    result = subprocess.run(["openssl", *arguments], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def principal_of(mcu: McuServer, nip: str) -> Any:
    """The owner of `nip` as the services see a logged-in caller (a sandbox test login, made directly)."""
    from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType
    from ksef_mcu.server.auth.tokens import TokenKind
    from ksef_mcu.server.web.service import TestIdentity

    components = mcu.components
    context = ContextIdentifier(ContextIdentifierType.NIP, nip)
    started = components.authentication.start_test_login(context, TestIdentity(nip).details(), client_ip="127.0.0.1")
    access = components.authentication.redeem(started.authentication_token.token).access_token.token
    return components.tokens.verify(access, kinds=(TokenKind.ACCESS,), now=mcu.clock.now()).principal()


def issue_certificates(
    mcu: McuServer, nip: str, names: list[str], certificate_type: str = "Authentication"
) -> list[str]:
    """Certificates for `nip` made straight through the services (keys in Python): their serial numbers."""
    import time

    from ksef_mcu.crypto.certificates import KsefCertificateType
    from ksef_mcu.crypto.csr import create_csr
    from ksef_mcu.server.certificates.policy import EnrollmentRequest
    from support.pki import ec_key

    components = mcu.components
    principal = principal_of(mcu, nip)
    data = components.enrollment.enrollment_data(principal)
    references = [
        components.enrollment.submit(
            principal, EnrollmentRequest(name, KsefCertificateType(certificate_type), create_csr(ec_key(), data))
        ).reference_number
        for name in names
    ]
    serials = []
    deadline = time.monotonic() + 60
    for reference in references:
        while (report := components.enrollment.status(principal, reference)).serial_number is None:
            assert time.monotonic() < deadline, f"{reference} was not issued"
            time.sleep(0.05)
        serials.append(report.serial_number)
    return serials
