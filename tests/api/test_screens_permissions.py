"""The "Uprawnienia" screens over HTTP (in-process, both databases): "Nadaj uprawnienie" to a person (PESEL, NIP,
fingerprint with and without an identifier) and to an entity with the right to pass it on, the operation's status,
"Uprawnienia nadane" and "Uprawnienia otrzymane" with filters and paging, "Odbierz uprawnienie" — and every refusal:
field messages, permissions not held, no right to grant (a page, and no menu entry), forged CSRF, another context's
grant or operation, an expired session. The effects are checked through `/v2`, the same store."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.clock import ManualClock
from support.login import Identity, bearer, login, start_login, status_of
from support.pki import random_nip, random_pesel
from support.screens import (
    csrf,
    grant_count,
    is_page,
    operation_reference,
    person_web_login,
    web_login,
)
from support.server import TEST_START
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START
GRANT = "/uprawnienia/nadaj"
GRANTED = "/uprawnienia/nadane"
RECEIVED = "/uprawnienia/otrzymane"
FINGERPRINT = "AB" * 32


def components_of(app: FastAPI) -> Any:
    return app.state.components


def person_form(token: str, pesel: str, *permissions: str, **fields: Any) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "rodzaj": "osoba",
        "typ-identyfikatora": "Pesel",
        "identyfikator": pesel,
        "imie": "Anna",
        "nazwisko": "Nowak",
        "uprawnienie": list(permissions or ("InvoiceWrite",)),
        "opis": "Pracownik działu księgowości",
        **fields,
    }


def entity_form(token: str, nip: str, permissions: list[str], delegable: list[str], **fields: str) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "rodzaj": "podmiot",
        "nip-podmiotu": nip,
        "nazwa-podmiotu": "Biuro Rachunkowe Bilans sp. z o.o.",
        "uprawnienie-podmiotu": permissions,
        "przekazywanie": delegable,
        "opis": "Biuro rachunkowe obsługujące firmę",
        **fields,
    }


async def grant_by_form(client: httpx.AsyncClient, data: dict[str, Any]) -> str:
    """Send "Nadaj uprawnienie"; the operation's page text."""
    reference = operation_reference(await client.post(GRANT, data=data))
    return is_page(await client.get(f"/uprawnienia/operacje/{reference}"), 200)


async def api_owner(client: httpx.AsyncClient, nip: str) -> str:
    """An access token of `nip`'s owner through /v2 (XAdES, the owner's own certificate)."""
    return (await login(client, Identity.person_with_nip(now=NOW, nip=nip), context=nip, now=NOW)).access_token


async def granted_in(client: httpx.AsyncClient, access_token: str) -> list[dict[str, Any]]:
    response = await client.post(
        "/v2/permissions/query/persons/grants?pageSize=100",
        json={"queryType": "PermissionsGrantedInCurrentContext"},
        headers=bearer(access_token),
    )
    assert response.status_code == 200, response.text
    permissions: list[dict[str, Any]] = response.json()["permissions"]
    return permissions


class TestGrantToPersons:
    async def test_owner_grants_invoice_write_by_pesel_which_then_logs_in(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        form = is_page(await client.get(GRANT), 200)
        for label in ("Rodzaj uprawnienia", "Typ identyfikatora", "Identyfikator", "Imię", "Nazwisko", "Opis"):
            assert f">{label}</" in form, label
        assert "Osobie fizycznej do pracy w KSeF" in form
        assert "Podmiotowi do wystawiania i przeglądania faktur" in form
        assert '<label for="uprawnienie-InvoiceWrite">Wystawianie faktur</label>' in form
        assert "Operacje egzekucyjne" not in form  # only what the owner holds is offered
        employee = Identity.person_with_pesel(now=NOW)
        assert employee.pesel is not None
        refused = await start_login(client, employee, context=nip, now=NOW)
        assert (await status_of(client, refused))["status"]["code"] == 415

        token = await csrf(client, GRANT)
        done = await grant_by_form(client, person_form(token, employee.pesel, "InvoiceWrite"))
        assert "Uprawnienia zostały nadane." in done
        assert "200 — Operacja zakończona sukcesem" in done
        assert "Nadanie uprawnień" in done

        listed = is_page(await client.get(GRANTED), 200)
        assert "Anna Nowak" in listed
        assert f"PESEL {employee.pesel}" in listed
        assert "Wystawianie faktur" in listed
        assert ">Aktywne</span>" in listed
        assert f"NIP {nip}" in listed  # who granted it
        assert "Ostatnie operacje" in listed
        assert "Odbierz uprawnienie Wystawianie faktur – Anna Nowak" in listed

        tokens = await login(client, employee, context=nip, now=NOW)
        assert json.loads(claims(tokens.access_token)["per"]) == ["InvoiceWrite"]
        [item] = await granted_in(client, await api_owner(client, nip))
        assert item["authorizedIdentifier"] == {"type": "Pesel", "value": employee.pesel}
        assert item["description"] == "Pracownik działu księgowości"
        assert item["subjectPersonDetails"] == {
            "subjectDetailsType": "PersonByIdentifier",
            "firstName": "Anna",
            "lastName": "Nowak",
        }

    async def test_by_nip_and_by_fingerprint_with_and_without_an_identifier(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        token = await csrf(client, GRANT)
        person_nip = random_nip()
        by_nip = person_form(token, person_nip, "InvoiceRead", **{"typ-identyfikatora": "Nip"})
        assert "Uprawnienia zostały nadane." in await grant_by_form(client, by_nip)
        pesel = random_pesel()
        with_id = person_form(
            token,
            "ab:" * 31 + "ab",
            "Introspection",
            **{"typ-identyfikatora": "Fingerprint", "identyfikator-osoby": pesel},
        )
        assert "Uprawnienia zostały nadane." in await grant_by_form(client, with_id)
        without_id = person_form(
            token,
            "CD" * 32,
            "CredentialsRead",
            **{
                "typ-identyfikatora": "Fingerprint",
                "data-urodzenia": "1985-04-12",
                "dokument-rodzaj": "Paszport",
                "dokument-numer": "C01X00T47",
                "dokument-kraj": "de",
            },
        )
        assert "Uprawnienia zostały nadane." in await grant_by_form(client, without_id)

        items = {
            item["authorizedIdentifier"]["value"]: item
            for item in await granted_in(client, await api_owner(client, nip))
        }
        assert items[person_nip]["authorizedIdentifier"]["type"] == "Nip"
        assert items[FINGERPRINT]["subjectPersonDetails"] == {
            "subjectDetailsType": "PersonByFingerprintWithIdentifier",
            "firstName": "Anna",
            "lastName": "Nowak",
            "personIdentifier": {"type": "Pesel", "value": pesel},
        }
        assert items["CD" * 32]["subjectPersonDetails"] == {
            "subjectDetailsType": "PersonByFingerprintWithoutIdentifier",
            "firstName": "Anna",
            "lastName": "Nowak",
            "birthDate": "1985-04-12",
            "idDocument": {"type": "Paszport", "number": "C01X00T47", "country": "DE"},
        }
        listed = is_page(await client.get(GRANTED), 200)
        assert f"Odcisk palca {FINGERPRINT}" in listed
        assert f"NIP {person_nip}" in listed

    async def test_field_messages_and_nothing_stored(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        await web_login(client)
        token = await csrf(client, GRANT)
        bad = person_form(token, "12345678901", imie="", nazwisko="N", opis="abc", uprawnienie=[])
        text = is_page(await client.post(GRANT, data=bad), 400)
        assert "Nieprawidłowy PESEL 12345678901: cyfra kontrolna albo data urodzenia się nie zgadza." in text
        assert "Podaj imię." in text
        assert "Pole „nazwisko” musi mieć od 2 do 81 znaków (ma 1)." in text
        assert "Zaznacz co najmniej jedno uprawnienie." in text
        assert "Opis musi mieć od 5 do 256 znaków (ma 3)." in text
        assert 'id="identyfikator" name="identyfikator" type="text" value="12345678901"' in text
        assert 'aria-describedby="identyfikator-hint identyfikator-error" aria-invalid="true"' in text
        assert 'id="uprawnienia" aria-describedby="uprawnienia-error" aria-invalid="true"' in text

        hostile = person_form(token, random_pesel(), "Owner", "<script>alert(1)</script>")
        text = is_page(await client.post(GRANT, data=hostile), 400)
        assert "Nieznane uprawnienie: Owner, &lt;script&gt;alert(1)&lt;/script&gt;." in text
        assert "<script>alert(1)</script>" not in text

        wrong_nip = person_form(token, "1234567890", **{"typ-identyfikatora": "Nip"})
        assert "Nieprawidłowy NIP 1234567890: cyfra kontrolna się nie zgadza." in is_page(
            await client.post(GRANT, data=wrong_nip), 400
        )
        short_fingerprint = person_form(token, "ABCDEF", **{"typ-identyfikatora": "Fingerprint"})
        text = is_page(await client.post(GRANT, data=short_fingerprint), 400)
        assert "Odcisk palca certyfikatu to 64 znaki szesnastkowe (0–9, A–F)" in text
        assert "Podaj datę urodzenia albo NIP lub PESEL osoby." in text
        assert "Podaj kraj wydania dokumentu jako dwuliterowy kod ISO, np. DE." in text
        unknown_kind = person_form(token, random_pesel(), rodzaj="ktos", **{"typ-identyfikatora": "Email"})
        assert "Wybierz rodzaj uprawnienia." in is_page(await client.post(GRANT, data=unknown_kind), 400)
        email = person_form(token, "anna@example.com", **{"typ-identyfikatora": "Email"})
        assert "Wybierz typ identyfikatora" in is_page(await client.post(GRANT, data=email), 400)
        bad_entity = entity_form(token, "0000000000", ["InvoiceRead"], ["InvoiceWrite"], **{"nazwa-podmiotu": "Bx"})
        text = is_page(await client.post(GRANT, data=bad_entity), 400)
        assert "Nieprawidłowy NIP 0000000000" in text
        assert "Pełna nazwa podmiotu musi mieć od 5 do 90 znaków (ma 2)." in text
        assert "Prawo do dalszego przekazywania dotyczy zaznaczonych uprawnień: „wystawianie faktur”." in text
        assert grant_count(components_of(app)) == 0

    async def test_a_description_is_shown_as_text(self, client: httpx.AsyncClient) -> None:
        await web_login(client)
        token = await csrf(client, GRANT)
        await grant_by_form(client, person_form(token, random_pesel(), opis='<img src=x onerror="alert(1)">'))
        listed = is_page(await client.get(GRANTED), 200)
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in listed
        assert "<img src=x" not in listed

    async def test_a_permission_not_held_is_refused_plainly(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        """The owner holds no EnforcementOperations (only a bailiff does): the service refuses, the screen says so."""
        await web_login(client)
        token = await csrf(client, GRANT)
        text = await grant_by_form(client, person_form(token, random_pesel(), "InvoiceRead", "EnforcementOperations"))
        assert "Nie nadano uprawnień. Nic nie zostało zmienione." in text
        assert "420 — Użyte poświadczenia nie mają uprawnień do wykonania tej operacji" in text
        assert "Nie można nadać uprawnień, których nie posiadasz w bieżącym kontekście: EnforcementOperations." in text
        assert "Możesz nadawać tylko te uprawnienia, które sam masz w tym kontekście" in text
        assert grant_count(components_of(app)) == 0
        listed = is_page(await client.get(GRANTED), 200)
        assert "W tym kontekście nie nadano jeszcze uprawnień osobom fizycznym." in listed
        assert "Nie nadano uprawnień." in listed  # among the recent operations


class TestGrantToEntities:
    async def test_an_entity_gets_invoice_permissions_with_the_right_to_pass_them_on(
        self, client: httpx.AsyncClient
    ) -> None:
        nip = await web_login(client)
        office = random_nip()
        token = await csrf(client, GRANT)
        text = await grant_by_form(
            client, entity_form(token, office, ["InvoiceWrite", "InvoiceRead"], ["InvoiceWrite"])
        )
        assert "Uprawnienia zostały nadane." in text
        assert 'href="/uprawnienia/nadane?odbiorca=podmioty"' in text

        listed = is_page(await client.get(GRANTED, params={"odbiorca": "podmioty"}), 200)
        assert "Biuro Rachunkowe Bilans sp. z o.o." in listed
        assert listed.count(f'<span class="serial">NIP {office}</span>') == 2
        assert '<td data-label="Prawo do dalszego przekazywania">Tak</td>' in listed
        assert '<td data-label="Prawo do dalszego przekazywania">Nie</td>' in listed
        only_write = is_page(
            await client.get(GRANTED, params={"odbiorca": "podmioty", "uprawnienie": "InvoiceWrite"}), 200
        )
        assert only_write.count('data-permission-id="') == 1
        assert "Anna Nowak" not in is_page(await client.get(GRANTED), 200)  # persons: none

        office_owner = await api_owner(client, office)
        received = await client.post("/v2/permissions/query/entities/grants", json={}, headers=bearer(office_owner))
        assert {
            (p["permissionScope"], p["canDelegate"], p["contextIdentifier"]["value"])
            for p in received.json()["permissions"]
        } == {("InvoiceWrite", True, nip), ("InvoiceRead", False, nip)}

    async def test_an_entity_cannot_be_given_permissions_in_its_own_context(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        token = await csrf(client, GRANT)
        text = await grant_by_form(client, entity_form(token, nip, ["InvoiceRead"], []))
        assert "450 — Operacja niedozwolona dla wskazanego identyfikatora lub jego typu" in text
        assert "Podmiot nie może nadać uprawnień do obsługi faktur samemu sobie." in text


class TestWhoMay:
    async def test_the_owner_sees_every_entry(self, client: httpx.AsyncClient) -> None:
        await web_login(client)
        start = is_page(await client.get("/"), 200)
        for link in (
            '<a href="/uprawnienia">Uprawnienia</a>',
            '<a href="/tokeny">Tokeny</a>',
            'href="/uprawnienia/nadaj">Nadaj uprawnienie</a>',
            'href="/uprawnienia/nadane">Uprawnienia nadane</a>',
            'href="/tokeny/generuj">Generuj token</a>',
        ):
            assert link in start, link
        home = await client.get("/uprawnienia")
        assert home.headers["location"] == GRANTED
        assert 'href="/uprawnienia" aria-current="page">Uprawnienia</a>' in is_page(await client.get(GRANTED), 200)

    async def test_a_person_without_credentials_manage(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        nip = random_nip()
        await person_web_login(client, nip, random_pesel(), first_name="Olga", last_name="Właścicielka")  # the owner
        employee = random_pesel()
        token = await csrf(client, GRANT)
        await grant_by_form(client, person_form(token, employee, "InvoiceWrite", "InvoiceRead"))
        [permission_id] = [
            item["id"]
            for item in await granted_in(client, await api_owner(client, nip))
            if item["permissionScope"] == "InvoiceWrite"
        ]
        stored = grant_count(components_of(app))

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as other:
            await person_web_login(other, nip, employee)
            start = is_page(await other.get("/"), 200)
            assert '<a href="/uprawnienia">Uprawnienia</a>' in start
            assert '<a href="/tokeny">Tokeny</a>' in start
            assert "Nadaj uprawnienie" not in start
            assert "Uprawnienia nadane" not in start
            assert (await other.get("/uprawnienia")).headers["location"] == RECEIVED

            refused = is_page(await other.get(GRANT), 403)
            assert "Brak uprawnień do nadawania uprawnień" in refused
            assert "„zarządzanie uprawnieniami” (CredentialsManage)" in refused
            other_token = await csrf(other, RECEIVED)
            posted = await other.post(GRANT, data=person_form(other_token, random_pesel()))
            assert "Brak uprawnień do nadawania uprawnień" in is_page(posted, 403)
            assert "Brak dostępu do listy uprawnień nadanych" in is_page(await other.get(GRANTED), 403)
            revoke_path = f"{GRANTED}/{permission_id}/odebranie"
            assert "Brak uprawnień do odbierania uprawnień" in is_page(await other.get(revoke_path), 403)
            posted = await other.post(revoke_path, data={"csrf_token": other_token, "potwierdzenie": "tak"})
            assert "Brak uprawnień do odbierania uprawnień" in is_page(posted, 403)

            own = is_page(await other.get(RECEIVED), 200)
            assert (
                "W tej sesji działasz z uprawnieniami: <strong>Przeglądanie faktur, Wystawianie faktur</strong>" in own
            )
            assert own.count('<td data-label="Otrzymał">Ty</td>') == 2
            assert f'<td data-label="Kontekst">NIP {nip}</td>' in own
            assert 'href="/uprawnienia/nadane"' not in own
            filtered = is_page(await other.get(RECEIVED, params={"uprawnienie": "InvoiceRead"}), 200)
            assert filtered.count('<td data-label="Otrzymał">Ty</td>') == 1
        assert grant_count(components_of(app)) == stored


class TestRevocation:
    async def test_revoke_with_the_confirmation(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        employee = Identity.person_with_pesel(now=NOW)
        assert employee.pesel is not None
        token = await csrf(client, GRANT)
        await grant_by_form(client, person_form(token, employee.pesel, "InvoiceWrite"))
        [item] = await granted_in(client, await api_owner(client, nip))
        path = f"{GRANTED}/{item['id']}/odebranie"

        confirm = is_page(await client.get(path), 200)
        assert "<h1>Odbierz uprawnienie</h1>" in confirm
        assert f"PESEL {employee.pesel}" in confirm
        assert "Odebranego uprawnienia nie da się przywrócić" in confirm
        unconfirmed = is_page(await client.post(path, data={"csrf_token": token}), 400)
        assert "Potwierdź, że chcesz odebrać to uprawnienie." in unconfirmed
        assert len(await granted_in(client, await api_owner(client, nip))) == 1

        reference = operation_reference(await client.post(path, data={"csrf_token": token, "potwierdzenie": "tak"}))
        done = is_page(await client.get(f"/uprawnienia/operacje/{reference}"), 200)
        assert "Uprawnienie zostało odebrane." in done
        assert "Odebranie uprawnienia" in done
        assert await granted_in(client, await api_owner(client, nip)) == []
        assert "W tym kontekście nie nadano jeszcze uprawnień osobom fizycznym." in is_page(
            await client.get(GRANTED), 200
        )
        refused = await start_login(client, employee, context=nip, now=NOW)
        assert (await status_of(client, refused))["status"]["code"] == 415
        again = is_page(await client.get(path), 404)
        assert "Nie znaleziono uprawnienia" in again

    async def test_another_contexts_grant_and_operation(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        stranger = random_nip()
        stranger_token = await api_owner(client, stranger)
        granted = await client.post(
            "/v2/permissions/persons/grants",
            json={
                "subjectIdentifier": {"type": "Pesel", "value": random_pesel()},
                "permissions": ["InvoiceRead"],
                "description": "Cudzy pracownik",
                "subjectDetails": {
                    "subjectDetailsType": "PersonByIdentifier",
                    "personById": {"firstName": "Jan", "lastName": "Obcy"},
                },
            },
            headers=bearer(stranger_token),
        )
        their_operation = granted.json()["referenceNumber"]
        [theirs] = await granted_in(client, stranger_token)

        await web_login(client)
        token = await csrf(client, GRANTED)
        path = f"{GRANTED}/{theirs['id']}/odebranie"
        text = is_page(await client.get(path), 404)
        assert "Nie ma takiego uprawnienia wśród nadanych w tym kontekście" in text
        assert "Nic nie zostało zmienione." in text
        assert "Nic nie zostało zmienione." in is_page(
            await client.post(path, data={"csrf_token": token, "potwierdzenie": "tak"}), 404
        )
        assert "Nie znaleziono operacji" in is_page(await client.get(f"/uprawnienia/operacje/{their_operation}"), 404)
        assert "Jan Obcy" not in is_page(await client.get(GRANTED), 200)
        assert is_page(await client.get(f"{GRANTED}/nie-ma/odebranie"), 400)
        assert [item["id"] for item in await granted_in(client, stranger_token)] == [theirs["id"]]
        assert grant_count(components_of(app)) == 1


class TestFormsAndSessions:
    async def test_forged_csrf_changes_nothing(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        token = await csrf(client, GRANT)
        await grant_by_form(client, person_form(token, random_pesel()))
        [item] = await granted_in(client, await api_owner(client, nip))
        for forged in (None, "", "sfalszowany-token"):
            data = person_form(forged or "", random_pesel())
            if forged is None:
                del data["csrf_token"]
            assert "Formularz wygasł" in is_page(await client.post(GRANT, data=data), 403)
            revoke = await client.post(
                f"{GRANTED}/{item['id']}/odebranie", data={"csrf_token": forged or "", "potwierdzenie": "tak"}
            )
            assert "Nic nie zostało zapisane" in is_page(revoke, 403)
        assert grant_count(components_of(app)) == 1

    async def test_expired_session_stores_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        await web_login(client)
        token = await csrf(client, GRANT)
        clock.advance(timedelta(minutes=21))
        text = is_page(await client.post(GRANT, data=person_form(token, random_pesel())), 401)
        assert "Sesja wygasła" in text
        assert grant_count(components_of(app)) == 0
        assert (await client.get(GRANTED)).headers["location"] == "/"

    async def test_an_expired_session_revokes_nothing(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        nip = await web_login(client)
        token = await csrf(client, GRANT)
        await grant_by_form(client, person_form(token, random_pesel()))
        [item] = await granted_in(client, await api_owner(client, nip))
        clock.advance(timedelta(minutes=21))
        revoke = await client.post(
            f"{GRANTED}/{item['id']}/odebranie", data={"csrf_token": token, "potwierdzenie": "tak"}
        )
        assert "Sesja wygasła" in is_page(revoke, 401)
        assert [granted["id"] for granted in await granted_in(client, await api_owner(client, nip))] == [item["id"]]


class TestListFilters:
    async def test_paging_and_filters(self, client: httpx.AsyncClient) -> None:
        await web_login(client)
        token = await csrf(client, GRANT)
        pesels = [random_pesel() for _ in range(6)]
        for pesel in pesels:
            await grant_by_form(client, person_form(token, pesel, "InvoiceWrite", "InvoiceRead"))
        first = is_page(await client.get(GRANTED), 200)
        assert first.count('data-permission-id="') == 10
        assert "Następna strona" in first
        second = is_page(await client.get(GRANTED, params={"strona": "2"}), 200)
        assert second.count('data-permission-id="') == 2
        assert "Poprzednia strona" in second
        assert "Następna strona" not in second
        twenty = is_page(await client.get(GRANTED, params={"na-stronie": "20"}), 200)
        assert twenty.count('data-permission-id="') == 12

        one = is_page(await client.get(GRANTED, params={"identyfikator": pesels[2]}), 200)
        assert one.count('data-permission-id="') == 2
        assert one.count(f'<span class="serial">PESEL {pesels[2]}</span>') == 2
        reading = is_page(
            await client.get(GRANTED, params={"identyfikator": pesels[2], "uprawnienie": "InvoiceRead"}), 200
        )
        assert reading.count('data-permission-id="') == 1
        assert "Wyczyść filtry" in reading
        inactive = is_page(await client.get(GRANTED, params={"stan": "Inactive"}), 200)
        assert "Żadne uprawnienie nie pasuje do filtrów." in inactive

        wrong = is_page(await client.get(GRANTED, params={"identyfikator": "123", "uprawnienie": "Owner"}), 200)
        assert "Podaj NIP (10 cyfr), PESEL (11 cyfr) albo odcisk palca certyfikatu (64 znaki szesnastkowe)." in wrong
        assert "Wybierz uprawnienie z listy." in wrong
        assert wrong.count('data-permission-id="') == 10  # an unusable filter does not filter
        checksum = is_page(await client.get(GRANTED, params={"identyfikator": "12345678901"}), 200)
        assert "Nieprawidłowy PESEL 12345678901" in checksum
