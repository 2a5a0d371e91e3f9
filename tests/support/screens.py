"""Driving the MCU screens over HTTP (httpx, in-process or against a live server): CSRF tokens from the pages,
the sandbox's test login, counting what a subject has stored."""

from __future__ import annotations

import re
from typing import Any

import httpx

from support.pki import random_nip

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE = "ksef_sesja"


def csrf_of(page: httpx.Response | str) -> str:
    text = page if isinstance(page, str) else page.text
    match = CSRF.search(text)
    assert match, text[:2000]
    return match.group(1)


async def csrf(client: httpx.AsyncClient, path: str = "/") -> str:
    """This session's CSRF token, read from a page."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response)


async def web_login(client: httpx.AsyncClient, nip: str | None = None, **fields: str) -> str:
    """Log in through "Profil Zaufany" (sandbox) as the company `nip` (random by default); returns the NIP."""
    nip = nip or random_nip()
    token = await csrf(client, "/logowanie/profil-zaufany")
    data = {"csrf_token": token, "rodzaj": "nip", "nip": nip, "fikcyjne": "tak", **fields}
    response = await client.post("/logowanie/profil-zaufany", data=data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    return nip


def is_page(response: httpx.Response, status: int) -> str:
    """Assert an HTML page for people with `status`; return its text."""
    assert response.status_code == status, (response.status_code, response.text[:3000])
    assert response.headers["content-type"] == "text/html; charset=utf-8", response.headers["content-type"]
    return response.text


def enrollment_count(components: Any) -> int:
    """How many enrollment requests are stored (every subject)."""
    from sqlalchemy import func, select

    from ksef_mcu.server.certificates.tables import certificate_enrollments

    with components.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(certificate_enrollments)).scalar_one())


async def person_web_login(
    client: httpx.AsyncClient, nip: str, pesel: str, *, first_name: str = "Anna", last_name: str = "Nowak"
) -> None:
    """ "Profil Zaufany" as a person (PESEL) in the context of `nip`. The first person to log into a NIP is bound to
    it as its owner; later ones get what was granted to them."""
    await web_login(client, nip, rodzaj="pesel", pesel=pesel, imie=first_name, nazwisko=last_name)


def grant_count(components: Any) -> int:
    """How many permission grants are stored (every context)."""
    from sqlalchemy import func, select

    from ksef_mcu.server.permissions.tables import permission_records

    with components.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(permission_records)).scalar_one())


def token_count(components: Any) -> int:
    """How many KSeF tokens are stored (every context)."""
    from sqlalchemy import func, select

    from ksef_mcu.server.tokens.tables import ksef_tokens

    with components.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(ksef_tokens)).scalar_one())


OPERATION_LOCATION = re.compile(r"^/uprawnienia/operacje/(\d{8}-EG-[0-9A-F-]+)$")


def operation_reference(response: httpx.Response) -> str:
    """The operation a grant or revocation form redirected to."""
    assert response.status_code == 303, (response.status_code, response.text[:3000])
    match = OPERATION_LOCATION.match(response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


GENERATED_TOKEN = re.compile(r'<textarea[^>]*id="token"[^>]*>([^<]+)</textarea>')


def token_on_page(text: str) -> str:
    match = GENERATED_TOKEN.search(text)
    assert match, text[:3000]
    return match.group(1)
