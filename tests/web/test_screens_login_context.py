"""The login context suggested by the address (`/?contextType=Nip&contextValue=…`, what Obsługa Faktur's "Przejdź do
platformy KSeF" opens): a valid identifier pre-fills the login forms' context fields, anything else is ignored without
a message, and nothing of it is ever echoed unescaped. It is only a pre-fill: the context logged in to is what the
form sends (the login tests cover that)."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest

from ksef_mcu.identifiers import generate_random_nip, internal_id_check_digit
from support.screens_browser import McuServer

LOGINS = ("/logowanie/certyfikat-kwalifikowany", "/logowanie/odcisk-palca", "/logowanie/certyfikat-ksef")


def _context_field(html: str) -> str | None:
    match = re.search(r'<input[^>]*name="kontekst"[^>]*>', html)
    assert match, html
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def _selected_type(html: str) -> str:
    select = re.search(r'<select[^>]*name="kontekst-typ".*?</select>', html, re.S)
    assert select, html
    chosen = re.search(r'<option value="([^"]+)"[^>]*selected', select.group(0))
    assert chosen, select.group(0)
    return chosen.group(1)


def test_a_valid_context_is_carried_from_the_start_page_to_every_login(mcu: McuServer) -> None:
    nip = generate_random_nip()
    with httpx.Client(base_url=mcu.url) as browser:
        start = browser.get("/", params={"contextType": "Nip", "contextValue": nip})
        assert start.status_code == 200
        assert f"NIP {nip}" in start.text
        for path in (*LOGINS, "/logowanie/profil-zaufany"):
            assert f'href="{path}?contextType=Nip&amp;contextValue={nip}"' in start.text, path
        for path in LOGINS:
            page = browser.get(path, params={"contextType": "Nip", "contextValue": nip})
            assert page.status_code == 200
            assert _context_field(page.text) == nip, path
            assert _selected_type(page.text) == "Nip", path
        test_login = browser.get("/logowanie/profil-zaufany", params={"contextType": "Nip", "contextValue": nip})
        assert re.search(rf'name="nip"[^>]*value="{nip}"|value="{nip}"[^>]*name="nip"', test_login.text)

        # An internal identifier is a context too, when its check digit is right.
        internal = f"{nip}-1234{internal_id_check_digit(nip + '1234')}"
        page = browser.get(LOGINS[2], params={"contextType": "InternalId", "contextValue": internal})
        assert _context_field(page.text) == internal
        assert _selected_type(page.text) == "InternalId"


@pytest.mark.parametrize(
    ("context_type", "value"),
    [
        ("Nip", "1234567890"),  # wrong check digit
        ("Nip", "52658776"),  # too short
        ("Pesel", "44051401359"),  # not a context type of the screens
        ("PeppolId", "PPL123456"),
        ("", ""),
    ],
)
def test_an_invalid_context_is_ignored_without_an_error(mcu: McuServer, context_type: str, value: str) -> None:
    with httpx.Client(base_url=mcu.url) as browser:
        start = browser.get("/", params={"contextType": context_type, "contextValue": value})
        assert start.status_code == 200
        assert "contextType" not in start.text
        assert "podpowiedziany w adresie" not in start.text
        for path in LOGINS:
            page = browser.get(path, params={"contextType": context_type, "contextValue": value})
            assert page.status_code == 200, path
            assert _context_field(page.text) in (None, ""), path
            assert _selected_type(page.text) == "Nip"
            assert 'class="error-summary"' not in page.text, path


def test_markup_in_the_address_is_never_echoed(mcu: McuServer) -> None:
    attack = '"><script>alert(1)</script>'
    with httpx.Client(base_url=mcu.url) as browser:
        for path in ("/", *LOGINS, "/logowanie/profil-zaufany"):
            for params in (
                {"contextType": "Nip", "contextValue": attack},
                {"contextType": attack, "contextValue": "5265877635"},
                {"contextType": "Nip", "contextValue": "5265877635" + attack},
            ):
                page = browser.get(path + "?" + "&".join(f"{key}={quote(item)}" for key, item in params.items()))
                assert page.status_code == 200, path
                assert "<script>alert" not in page.text, path
                assert "alert(1)" not in page.text, path
