"""The "Tokeny" screens over HTTP (in-process, both databases): "Generuj token" shows the token once and it logs in
through `/v2/auth/ksef-token`; "Unieważnij token" with its confirmation ends that; the list's filters and paging;
and the refusals — field messages, a permission not held, forged CSRF, another context's or another person's token,
an expired session, a context without tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.clock import ManualClock
from support.ksef_tokens import start_token_login, token_login
from support.login import Identity, bearer, login, status_of
from support.pki import random_nip, random_pesel
from support.screens import COOKIE, csrf, is_page, person_web_login, token_count, token_on_page, web_login
from support.server import TEST_START

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START
LIST = "/tokeny"
GENERATE = "/tokeny/generuj"
TOKEN = re.compile(r"^(\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2})\|nip-(\d{10})\|[0-9a-f]{64}$")


def components_of(app: FastAPI) -> Any:
    return app.state.components


def generate_form(token: str, *permissions: str, opis: str = "Token do integracji z systemem ERP") -> dict[str, Any]:
    return {"csrf_token": token, "uprawnienie": list(permissions), "opis": opis}


async def generate_on_screen(client: httpx.AsyncClient, *permissions: str, opis: str = "Token ERP") -> str:
    token = await csrf(client, GENERATE)
    page = await client.post(GENERATE, data=generate_form(token, *permissions, opis=opis))
    return token_on_page(is_page(page, 200))


async def api_owner(client: httpx.AsyncClient, nip: str) -> str:
    return (await login(client, Identity.person_with_nip(now=NOW, nip=nip), context=nip, now=NOW)).access_token


class TestGenerate:
    async def test_the_token_is_shown_once_logs_in_and_is_revoked_on_the_screen(
        self, client: httpx.AsyncClient
    ) -> None:
        nip = await web_login(client)
        form = is_page(await client.get(GENERATE), 200)
        assert '<legend class="field__label">Uprawnienia tokena</legend>' in form
        assert '<label for="uprawnienie-InvoiceWrite">Wystawianie faktur</label>' in form
        assert '<label for="uprawnienie-EnforcementOperations">' not in form  # not held by the owner
        assert ">Opis tokena</label>" in form

        token = await csrf(client, GENERATE)
        response = await client.post(GENERATE, data=generate_form(token, "InvoiceRead", "InvoiceWrite"))
        page = is_page(response, 200)
        assert response.headers["cache-control"] == "no-store"
        secret = token_on_page(page)
        match = TOKEN.fullmatch(secret)
        assert match is not None
        assert match.group(2) == nip
        reference = match.group(1)
        assert "Skopiuj token teraz — wyświetlamy go tylko ten jeden raz." in page
        assert 'id="kopiuj-token" data-copy-from="token" hidden>Kopiuj token</button>' in page
        assert "Przeglądanie faktur, Wystawianie faktur" in page
        assert secret not in client.cookies[COOKIE]

        listed = is_page(await client.get(LIST), 200)
        assert reference in listed
        assert secret not in listed
        assert secret.rsplit("|", 1)[1] not in listed
        assert ">Aktywny</span>" in listed
        assert "Token do integracji z systemem ERP" in listed
        assert secret not in is_page(await client.get(GENERATE), 200)

        logged_in = await token_login(client, secret, context=nip)
        assert logged_in.access_token

        path = f"/tokeny/{reference}/uniewaznienie"
        confirm = is_page(await client.get(path), 200)
        assert "<h1>Unieważnij token</h1>" in confirm
        assert "To operacja nieodwracalna." in confirm
        unconfirmed = is_page(await client.post(path, data={"csrf_token": token}), 400)
        assert "Potwierdź, że chcesz unieważnić ten token." in unconfirmed
        assert (await token_login(client, secret, context=nip)).access_token  # still works

        revoked = await client.post(path, data={"csrf_token": token, "potwierdzenie": "tak"})
        assert revoked.status_code == 303
        listed = is_page(await client.get(revoked.headers["location"]), 200)
        assert f"Token „Token do integracji z systemem ERP” ({reference}) został unieważniony." in listed
        assert ">Unieważniony</span>" in listed
        assert f'aria-label="Unieważnij token Token do integracji z systemem ERP ({reference})"' not in listed
        again = await start_token_login(client, secret, context=nip)
        assert (await status_of(client, again))["status"]["details"] == ["Token unieważniony."]
        assert "Ten token jest już unieważniony." in is_page(await client.get(path), 200)

    async def test_field_messages_and_nothing_stored(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        await web_login(client)
        token = await csrf(client, GENERATE)
        text = is_page(await client.post(GENERATE, data=generate_form(token, opis="abc")), 400)
        assert "Zaznacz co najmniej jedno uprawnienie tokena." in text
        assert "Opis tokena musi mieć od 5 do 256 znaków (ma 3)." in text
        assert 'id="uprawnienia" aria-describedby="uprawnienia-error" aria-invalid="true"' in text
        hostile = generate_form(token, "Owner", "<b>x</b>")
        text = is_page(await client.post(GENERATE, data=hostile), 400)
        assert "Nieznane uprawnienie: Owner, &lt;b&gt;x&lt;/b&gt;." in text
        not_held = is_page(await client.post(GENERATE, data=generate_form(token, "EnforcementOperations")), 400)
        assert "Nie można nadać tokenowi uprawnień których nie posiadasz." in not_held
        assert "Brakujące uprawnienia: EnforcementOperations." in not_held
        assert token_count(components_of(app)) == 0

    async def test_forged_csrf_and_an_expired_session_store_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        await web_login(client)
        token = await csrf(client, GENERATE)
        for forged in ("", "sfalszowany-token"):
            text = is_page(await client.post(GENERATE, data=generate_form(forged, "InvoiceRead")), 403)
            assert "Formularz wygasł" in text
            assert "Kopiuj token" not in text
        clock.advance(timedelta(minutes=21))
        text = is_page(await client.post(GENERATE, data=generate_form(token, "InvoiceRead")), 401)
        assert "Sesja wygasła" in text
        assert token_count(components_of(app)) == 0

    async def test_an_expired_session_revokes_nothing(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        nip = await web_login(client)
        secret = await generate_on_screen(client, "InvoiceRead")
        token = await csrf(client, LIST)
        clock.advance(timedelta(minutes=21))
        path = f"/tokeny/{secret.split('|', 1)[0]}/uniewaznienie"
        revoke = await client.post(path, data={"csrf_token": token, "potwierdzenie": "tak"})
        assert "Sesja wygasła" in is_page(revoke, 401)
        assert (await token_login(client, secret, context=nip)).access_token


class TestWhoseTokens:
    async def test_another_contexts_token_is_refused_and_unchanged(self, client: httpx.AsyncClient) -> None:
        stranger = random_nip()
        stranger_access = await api_owner(client, stranger)
        theirs = await client.post(
            "/v2/tokens",
            json={"permissions": ["InvoiceRead"], "description": "Cudzy token"},
            headers=bearer(stranger_access),
        )
        reference = theirs.json()["referenceNumber"]

        await web_login(client)
        token = await csrf(client, LIST)
        path = f"/tokeny/{reference}/uniewaznienie"
        text = is_page(await client.get(path), 404)
        assert "Nie ma takiego tokena wśród tokenów, które możesz zobaczyć w tym kontekście." in text
        posted = is_page(await client.post(path, data={"csrf_token": token, "potwierdzenie": "tak"}), 404)
        assert "Nic nie zostało zmienione." in posted
        forged = is_page(await client.post(path, data={"csrf_token": "x", "potwierdzenie": "tak"}), 403)
        assert "Formularz wygasł" in forged
        assert "Cudzy token" not in is_page(await client.get(LIST), 200)
        status = await client.get(f"/v2/tokens/{reference}", headers=bearer(stranger_access))
        assert status.json()["status"] == "Active"
        assert is_page(await client.get("/tokeny/za-krotki/uniewaznienie"), 400)

    async def test_an_employee_sees_and_revokes_only_own_tokens(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        nip = random_nip()
        await person_web_login(client, nip, random_pesel(), first_name="Olga", last_name="Właścicielka")
        owners_token = await generate_on_screen(client, "InvoiceRead", opis="Token właściciela")
        owners_reference = owners_token.split("|", 1)[0]
        employee = random_pesel()
        grant_token = await csrf(client, "/uprawnienia/nadaj")
        await client.post(
            "/uprawnienia/nadaj",
            data={
                "csrf_token": grant_token,
                "rodzaj": "osoba",
                "typ-identyfikatora": "Pesel",
                "identyfikator": employee,
                "imie": "Ewa",
                "nazwisko": "Kowalska",
                "uprawnienie": "InvoiceWrite",
                "opis": "Księgowa",
            },
        )

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as other:
            await person_web_login(other, nip, employee, first_name="Ewa", last_name="Kowalska")
            form = is_page(await other.get(GENERATE), 200)
            assert 'id="uprawnienie-InvoiceWrite"' in form
            assert 'id="uprawnienie-InvoiceRead"' not in form
            employees_token = await generate_on_screen(other, "InvoiceWrite", opis="Token księgowej")
            listed = is_page(await other.get(LIST), 200)
            assert "Token księgowej" in listed
            assert "Token właściciela" not in listed
            assert f"PESEL {employee}" in listed
            refused = is_page(await other.get(f"/tokeny/{owners_reference}/uniewaznienie"), 404)
            assert "Nie znaleziono tokena" in refused
            other_csrf = await csrf(other, LIST)
            posted = await other.post(
                f"/tokeny/{owners_reference}/uniewaznienie", data={"csrf_token": other_csrf, "potwierdzenie": "tak"}
            )
            assert "Nic nie zostało zmienione." in is_page(posted, 404)

        everything = is_page(await client.get(LIST), 200)  # the owner (CredentialsManage) sees both
        assert "Token księgowej" in everything
        assert "Token właściciela" in everything
        employees_reference = employees_token.split("|", 1)[0]
        token = await csrf(client, LIST)
        done = await client.post(
            f"/tokeny/{employees_reference}/uniewaznienie", data={"csrf_token": token, "potwierdzenie": "tak"}
        )
        assert done.status_code == 303
        assert (await token_login(client, owners_token, context=nip)).access_token
        again = await start_token_login(client, employees_token, context=nip)
        assert (await status_of(client, again))["status"]["code"] == 450


class TestList:
    async def test_paging_and_filters(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        await web_login(client)
        for index in range(12):
            await generate_on_screen(client, "InvoiceRead", opis=f"Token numer {index:02d}")
            clock.advance(timedelta(seconds=1))  # one after another, as people make them
        first = is_page(await client.get(LIST), 200)
        assert first.count('<tr data-reference="') == 10
        assert "Token numer 11" in first  # newest first
        following = re.search(r'<a href="(/tokeny\?dalej=[^"]+)">Następna strona</a>', first)
        assert following is not None
        second = is_page(await client.get(following.group(1).replace("&amp;", "&")), 200)
        assert second.count('<tr data-reference="') == 2
        assert "Token numer 00" in second
        assert "Pierwsza strona" in second
        assert "Następna strona" not in second
        assert is_page(await client.get(LIST, params={"na-stronie": "20"}), 200).count('<tr data-reference="') == 12

        one = is_page(await client.get(LIST, params={"opis": "numer 07"}), 200)
        assert one.count('<tr data-reference="') == 1
        assert "Wyczyść filtry" in one
        assert "Żaden token nie pasuje do filtrów." in is_page(
            await client.get(LIST, params={"status": "Revoked"}), 200
        )
        short = is_page(await client.get(LIST, params={"opis": "ab", "status": "Zly"}), 200)
        assert "Opis: podaj co najmniej 3 znaki." in short
        assert "Wybierz status z listy." in short
        forged = is_page(await client.get(LIST, params={"dalej": "nie-kursor"}), 200)
        assert "Adres strony listy był nieprawidłowy — pokazujemy pierwszą stronę." in forged
        assert forged.count('<tr data-reference="') == 10
