"""Each way of logging in through the MCU screens, in Chromium; logging out; an expired session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.keys import ServerKeys
from ksef_mcu.server.permissions.model import Grant
from support.login import Identity
from support.pki import random_nip, random_pesel
from support.screens_browser import McuServer, OffsetClock, log_in_for_test, mcu_server


def sign_and_upload(page: Page, identity: Identity, mcu: McuServer, tmp_path: Path, nip: str) -> None:
    """Download the AuthTokenRequest, sign it as an external XAdES tool would (our signer), upload it."""
    page.get_by_label("Identyfikator kontekstu").fill(nip)
    with page.expect_download() as download:
        page.get_by_role("button", name="Pobierz dokument do podpisu").click()
    assert download.value.suggested_filename == "AuthTokenRequest.xml"
    document = Path(download.value.path()).read_bytes()
    signed = tmp_path / "AuthTokenRequest.podpisany.xml"
    signed.write_bytes(identity.signer.sign(document, now=mcu.clock.now()))
    page.get_by_label("Podpisany dokument (XML)").set_input_files(signed)
    page.get_by_role("button", name="Zaloguj").click()


def test_qualified_certificate(mcu: McuServer, screen: Page, tmp_path: Path) -> None:
    person = Identity.person_with_nip(now=mcu.clock.now())
    screen.goto(f"{mcu.url}/")
    screen.get_by_role("link", name="Certyfikat kwalifikowany").click()
    sign_and_upload(screen, person, mcu, tmp_path, person.nip or "")
    screen.get_by_role("heading", name="Witaj,").wait_for()
    assert screen.get_by_text("Podpis kwalifikowany").is_visible()


def test_qualified_certificate_fingerprint(mcu: McuServer, screen: Page, tmp_path: Path) -> None:
    company = random_nip()
    stranger = Identity.foreigner(now=mcu.clock.now())
    fingerprint = stranger.fingerprint
    mcu.components.testdata.grant_permissions(
        ContextIdentifier(ContextIdentifierType.NIP, company),
        SubjectIdentifier(SubjectIdentifierType.FINGERPRINT, fingerprint),
        [Grant("InvoiceRead", "odczyt faktur")],
    )
    screen.goto(f"{mcu.url}/")
    screen.get_by_role("link", name="Odcisk palca certyfikatu kwalifikowanego").click()
    sign_and_upload(screen, stranger, mcu, tmp_path, company)
    screen.get_by_text("Zalogowano odciskiem palca certyfikatu.").wait_for()
    assert screen.locator("#odcisk-palca").inner_text() == fingerprint


def test_profil_zaufany_as_a_person(mcu: McuServer, screen: Page) -> None:
    nip, pesel = random_nip(), random_pesel()
    screen.goto(f"{mcu.url}/logowanie/profil-zaufany")
    screen.get_by_label("Osoba (PESEL)").check()
    assert screen.get_by_label("Nazwa firmy").is_hidden()
    screen.get_by_label("NIP", exact=True).fill(nip)
    screen.get_by_label("PESEL", exact=True).fill(pesel)
    screen.get_by_label("Imię").fill("Anna")
    screen.get_by_label("Nazwisko").fill("Nowak")
    screen.get_by_label("Oświadczam, że podane dane są fikcyjne").check()
    screen.get_by_role("button", name="Uwierzytelnij do aplikacji testowej").click()
    screen.get_by_role("heading", name="Witaj, Anna Nowak").wait_for()
    assert screen.get_by_text(f"PESEL {pesel}").is_visible()


def test_a_login_without_permissions_is_explained(mcu: McuServer, screen: Page, tmp_path: Path) -> None:
    person = Identity.person_with_nip(now=mcu.clock.now())
    screen.goto(f"{mcu.url}/logowanie/certyfikat-kwalifikowany")
    sign_and_upload(screen, person, mcu, tmp_path, random_nip())
    summary = screen.get_by_role("alert")
    summary.get_by_text("nie masz uprawnień w wybranym kontekście").wait_for()
    assert summary.evaluate("element => element === document.activeElement")


def test_logout_and_an_expired_session(mcu: McuServer, screen: Page) -> None:
    log_in_for_test(screen, mcu.url)
    screen.get_by_role("button", name="Wyloguj").click()
    screen.get_by_text("Wylogowano.").wait_for()
    assert screen.get_by_role("link", name="Certyfikat KSeF").is_visible()
    log_in_for_test(screen, mcu.url)
    screen.goto(f"{mcu.url}/certyfikaty/lista")
    mcu.clock.advance(timedelta(minutes=21))
    try:
        screen.reload()
        screen.get_by_role("heading", name="Sesja wygasła").wait_for()
        screen.get_by_role("link", name="Zaloguj się ponownie").click()
        assert screen.get_by_role("link", name="Profil Zaufany").is_visible()
    finally:
        mcu.clock.advance(-timedelta(minutes=21))


@pytest.fixture(scope="module")
def strict_mcu(
    database_url: str, server_keys: ServerKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[McuServer]:
    with mcu_server(
        database_url, server_keys, tmp_path_factory.mktemp("strict"), clock=OffsetClock(), mode="strict"
    ) as server:
        yield server


def test_strict_mode_has_no_profil_zaufany(strict_mcu: McuServer, screen: Page) -> None:
    screen.goto(f"{strict_mcu.url}/")
    assert screen.get_by_role("link", name="Certyfikat kwalifikowany").is_visible()
    assert screen.get_by_role("link", name="Profil Zaufany").count() == 0
