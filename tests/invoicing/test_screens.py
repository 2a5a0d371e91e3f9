"""Obsługa Faktur's pages over HTTP: first run, login (CSRF, lockout), sessions and security headers, per-company
access, and the upload limits (a 10 MB file gets a message, a 13 MB form a page — never a crash, nothing stored)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.invoicing.app import create_app
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.services import open_invoicing
from support.invoicing_pki import PASSWORD, issue
from support.live_server import serve_in_thread
from support.pki import random_nip

SECRET = "Haslo-Konta-12345"


def token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def config(tmp_path: Path) -> InvoicingConfig:
    return InvoicingConfig(data_dir=tmp_path / "faktury")


@pytest.fixture
def site(config: InvoicingConfig) -> Iterator[str]:
    with serve_in_thread(create_app(config)) as url:  # type: ignore[arg-type]
        yield url


def log_in(browser: httpx.Client, login: str, password: str = SECRET) -> httpx.Response:
    page = browser.get("/logowanie")
    return browser.post("/logowanie", data={"login": login, "haslo": password, "csrf_token": token(page)})


def test_first_run_then_login_with_csrf_and_security_headers(site: str) -> None:
    with httpx.Client(base_url=site, follow_redirects=True) as browser:
        first = browser.get("/")
        assert first.url.path == "/pierwsze-uruchomienie"
        assert first.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
        assert first.headers["x-frame-options"] == "DENY"
        cookie = first.history[0].headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        created = browser.post(
            "/pierwsze-uruchomienie",
            data={"login": "admin", "haslo": SECRET, "haslo-powtorz": SECRET, "csrf_token": token(first)},
        )
        assert created.url.path == "/firmy"
        assert "Utworzono konto administratora admin" in created.text
    with httpx.Client(base_url=site, follow_redirects=True) as stranger:
        # The first-run page is gone once an administrator exists; pages need a login.
        assert stranger.get("/pierwsze-uruchomienie").url.path == "/logowanie"
        assert stranger.get("/ustawienia/ksef").url.path == "/logowanie"
        refused = stranger.post("/logowanie", data={"login": "admin", "haslo": SECRET})
        assert refused.status_code == 403
        assert "Formularz wygasł" in refused.text
        assert log_in(stranger, "admin").url.path == "/"


def test_lockout_on_the_login_page(site: str, config: InvoicingConfig) -> None:
    setup = open_invoicing(config)
    setup.accounts.add_user("jan", SECRET)
    setup.close()
    with httpx.Client(base_url=site, follow_redirects=True) as browser:
        for _ in range(4):
            assert "Nieprawidłowy login lub hasło." in log_in(browser, "jan", "zle-haslo-9999").text
        assert "Konto jest czasowo zablokowane" in log_in(browser, "jan", "zle-haslo-9999").text
        locked = log_in(browser, "jan")
        assert locked.status_code == 400
        assert "Konto jest czasowo zablokowane" in locked.text


def test_a_user_sees_only_the_companies_given_to_them(site: str, config: InvoicingConfig) -> None:
    setup = open_invoicing(config)
    setup.accounts.add_user("admin", SECRET, is_admin=True)
    setup.accounts.add_user("jan", SECRET)
    mine = setup.accounts.add_company(random_nip(), "Firma Jana")
    theirs = setup.accounts.add_company(random_nip(), "Firma Cudza")
    setup.accounts.grant(mine.context_value, "jan")
    setup.close()
    with httpx.Client(base_url=site, follow_redirects=True) as browser:
        log_in(browser, "jan")
        settings = browser.get("/ustawienia/ksef")
        assert mine.context_value in settings.text
        assert theirs.context_value not in settings.text
        chosen = browser.post("/firma", data={"firma": str(theirs.id), "csrf_token": token(settings)})
        assert chosen.status_code == 400
        assert "Nie masz dostępu do tej firmy." in chosen.text
        added = browser.post("/firmy", data={"nip": random_nip(), "nazwa": "X", "csrf_token": token(settings)})
        assert "Firmy dodaje administrator." in added.text


def test_upload_limits(site: str, config: InvoicingConfig) -> None:
    setup = open_invoicing(config)
    setup.accounts.add_user("admin", SECRET, is_admin=True)
    company = setup.accounts.add_company(random_nip(), "Firma")
    setup.close()
    issued = issue(KsefCertificateType.AUTHENTICATION, now=datetime.now(UTC), nip=company.context_value)
    with httpx.Client(base_url=site, follow_redirects=True) as browser:
        log_in(browser, "admin")
        form = browser.get("/ustawienia/ksef/dodaj/1")
        ten = b"A" * (10 * 1_048_576)
        answer = browser.post(
            "/ustawienia/ksef/dodaj/1",
            data={"csrf_token": token(form), "haslo": PASSWORD},
            files={"certyfikat": ("duzy.crt", ten), "klucz": ("klucz.key", issued.key_file())},
        )
        assert answer.status_code == 400
        assert "Plik „duzy.crt” jest za duży (10,0 MB)" in answer.text
        huge = browser.post(
            "/ustawienia/ksef/dodaj/1",
            data={"csrf_token": token(form), "haslo": PASSWORD},
            files={"certyfikat": ("ogromny.crt", b"A" * (13 * 1_048_576)), "klucz": ("k.key", b"x")},
        )
        assert huge.status_code == 413
        assert "Przesłane pliki są za duże" in huge.text
        saved = browser.post(
            "/ustawienia/ksef/dodaj/1",
            data={"csrf_token": token(form), "haslo": PASSWORD},
            files={"certyfikat": ("ok.crt", issued.pem), "klucz": ("ok.key", issued.key_file())},
        )
        assert saved.url.path == "/ustawienia/ksef"
        assert "Zapisano: Certyfikat uwierzytelniający (Typ 1)" in saved.text
    check = open_invoicing(config)
    try:
        [stored] = check.settings.certificates(check.accounts.company(company.context_value))
        assert stored.common_name == "Firma Testowa Authentication"
    finally:
        check.close()
