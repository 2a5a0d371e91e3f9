"""The MCU screens over HTTP (in-process): sessions and their cookie, CSRF, hostile input (forged forms, another
subject's serial, a tampered CSR, an expired session), validation messages, HTML error pages beside an unchanged
/v2, downloads, the offline API documentation."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from fastapi import FastAPI

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.server.settings import ServerMode, ServerSettings
from support.certificates import enrollment_data, obtain, owner_at, set_limits
from support.login import Identity, bearer
from support.pki import ec_key, random_nip
from support.screens import COOKIE, csrf, csrf_of, enrollment_count, is_page, web_login
from support.server import TEST_START, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


def components_of(app: FastAPI) -> Any:
    return app.state.components


async def api_owner(client: httpx.AsyncClient, nip: str) -> str:
    """An access token of `nip`'s owner through /v2 (to set up certificates the screens then show)."""
    _, token = await owner_at(client, NOW, nip=nip)
    return token


class TestStartAndSession:
    async def test_start_page_offers_every_login(self, client: httpx.AsyncClient) -> None:
        text = is_page(await client.get("/"), 200)
        for name in ("Profil Zaufany", "Certyfikat kwalifikowany", "Odcisk palca certyfikatu kwalifikowanego"):
            assert f">{name}</a>" in text
        assert ">Certyfikat KSeF</a>" in text
        assert '<a href="mailto:kontakt@localhost">Skontaktuj się z nami</a>' in text

    async def test_strict_mode_has_no_test_login(self, app_factory: Any, settings: ServerSettings) -> None:
        async with running(app_factory(settings.model_copy(update={"mode": ServerMode.STRICT}))) as client:
            assert "Profil Zaufany" not in is_page(await client.get("/"), 200)
            text = is_page(await client.get("/logowanie/profil-zaufany"), 400)
            assert "nie jest dostępne na tym serwerze (tryb ścisły)" in text

    async def test_cookie_flags_and_rotation_at_login(self, client: httpx.AsyncClient) -> None:
        first = await client.get("/logowanie/profil-zaufany")
        cookie = first.headers["set-cookie"]
        assert [part.strip() for part in cookie.split(";")[1:]] == ["Path=/", "HttpOnly", "SameSite=Strict"]
        before, token = client.cookies[COOKIE], csrf_of(first)
        await web_login(client)
        assert client.cookies[COOKIE] != before
        assert csrf_of(await client.get("/")) != token
        assert len(client.cookies[COOKIE]) < 3800  # a cookie must stay under the browsers' 4 KiB

    async def test_secure_cookie_over_https_and_when_forced(
        self, app: FastAPI, app_factory: Any, settings: ServerSettings
    ) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as secure:
            assert "Secure" in (await secure.get("/")).headers["set-cookie"]
        forced = app_factory(settings.model_copy(update={"web_secure_cookies": True}))
        async with running(forced) as plain:
            assert "Secure" in (await plain.get("/")).headers["set-cookie"]

    async def test_screens_send_the_csp_and_v2_is_unchanged(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/")
        assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self';")
        assert page.headers["x-frame-options"] == "DENY"
        api = await client.post("/v2/auth/challenge")
        assert api.status_code == 200
        for header in ("content-security-policy", "set-cookie", "x-frame-options"):
            assert header not in api.headers
        missing = await client.get("/v2/no-such-endpoint")
        assert missing.headers["content-type"] == "application/problem+json"
        health = await client.get("/healthz")
        assert health.json()["status"] == "ok"
        assert "set-cookie" not in health.headers

    async def test_pages_need_a_login(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/certyfikaty/lista")
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        assert "Zaloguj się, aby przejść dalej." in (await client.get("/")).text

    async def test_logout_ends_the_session_also_for_a_copied_cookie(self, client: httpx.AsyncClient) -> None:
        await web_login(client)
        copied = client.cookies[COOKIE]
        assert is_page(await client.get("/certyfikaty/lista"), 200)
        out = await client.post("/wyloguj", data={"csrf_token": await csrf(client)})
        assert out.status_code == 303
        assert "Wylogowano" in (await client.get("/")).text
        client.cookies.set(COOKIE, copied)
        text = is_page(await client.get("/certyfikaty/lista"), 401)
        assert "Sesja została zakończona" in text

    async def test_idle_session_expires(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        await web_login(client)
        await csrf(client, "/certyfikaty/wniosek")
        clock.advance(timedelta(minutes=21))
        text = is_page(await client.get("/certyfikaty/lista"), 401)
        assert "Sesja wygasła" in text
        assert "Zaloguj się ponownie" in text

    async def test_expired_session_stores_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        await web_login(client)
        token = await csrf(client, "/certyfikaty/wniosek")
        clock.advance(timedelta(minutes=21))
        data = {"csrf_token": token, "nazwa": "Moj certyfikat", "csr": "MIIB", "przeznaczenie": "Authentication"}
        text = is_page(await client.post("/certyfikaty/wniosek", data=data), 401)
        assert "Nic nie zostało zapisane" in text
        assert enrollment_count(components_of(app)) == 0

    async def test_activity_keeps_the_session_past_the_access_token_lifetime(
        self, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        await web_login(client)
        for _ in range(8):  # 8 × 5 minutes: the 15-minute access token is refreshed on the way
            clock.advance(timedelta(minutes=5))
            assert is_page(await client.get("/certyfikaty/lista"), 200)


class TestCsrfAndHostileInput:
    async def test_forged_csrf_is_refused_and_nothing_stored(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        await web_login(client)
        for token in (None, "", "sfalszowany-token"):
            data = {"nazwa": "Moj certyfikat", "csr": "MIIB", "przeznaczenie": "Authentication"}
            if token is not None:
                data["csrf_token"] = token
            text = is_page(await client.post("/certyfikaty/wniosek", data=data), 403)
            assert "Formularz wygasł" in text
            assert "Nic nie zostało zapisane" in text
        assert enrollment_count(components_of(app)) == 0

    async def test_csrf_of_another_session_is_refused(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            foreign = await csrf(other, "/logowanie/profil-zaufany")
        await web_login(client)
        logout = await client.post("/wyloguj", data={"csrf_token": foreign})
        assert logout.status_code == 403
        assert is_page(await client.get("/certyfikaty/lista"), 200)  # still logged in

    async def test_tampered_csr_is_refused_and_nothing_stored(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        token = await csrf(client, "/certyfikaty/wniosek")
        api_token = await api_owner(client, nip)
        der = bytearray(base64.b64decode(create_csr(ec_key(), await enrollment_data(client, api_token))))
        der[-5] ^= 0x01  # a byte of the signature
        data = {
            "csrf_token": token,
            "nazwa": "Moj certyfikat",
            "csr": base64.b64encode(bytes(der)).decode(),
            "przeznaczenie": "Authentication",
        }
        text = is_page(await client.post("/certyfikaty/wniosek", data=data), 400)
        assert "Serwer nie przyjął wniosku" in text
        assert "Niepoprawny format CSR lub niepoprawny podpis CSR." in text
        assert "Nic nie zostało zapisane" in text
        assert enrollment_count(components_of(app)) == 0

    async def test_another_subjects_serial_in_forms(self, client: httpx.AsyncClient) -> None:
        stranger = await api_owner(client, random_nip())
        theirs = await obtain(client, stranger)
        await web_login(client)
        token = await csrf(client, "/certyfikaty/lista")
        download = await client.post(
            "/certyfikaty/lista/pobierz", data={"csrf_token": token, "certyfikat": theirs.serial_number}
        )
        text = is_page(download, 400)
        assert f"Nie znaleziono certyfikatu o numerze {theirs.serial_number} wśród Twoich certyfikatów." in text
        form = await client.get(f"/certyfikaty/{theirs.serial_number}/uniewaznienie")
        assert "Nie znaleziono" in is_page(form, 404)
        revoke = await client.post(
            f"/certyfikaty/{theirs.serial_number}/uniewaznienie",
            data={"csrf_token": token, "powod": "KeyCompromise", "potwierdzenie": "tak"},
        )
        assert "Nic nie zostało zmienione" in is_page(revoke, 404)
        listed = await client.post("/v2/certificates/query", json={}, headers=bearer(stranger))
        assert [item["status"] for item in listed.json()["certificates"]] == ["Active"]

    async def test_eleven_serials_are_refused(self, client: httpx.AsyncClient) -> None:
        await web_login(client)
        token = await csrf(client, "/certyfikaty/lista")
        serials = [f"{index:016X}" for index in range(11)]
        response = await client.post("/certyfikaty/lista/pobierz", data={"csrf_token": token, "certyfikat": serials})
        text = is_page(response, 400)
        assert "Zaznaczono 11 certyfikatów — naraz można pobrać od 1 do 10." in text
        nothing = await client.post("/certyfikaty/lista/pobierz", data={"csrf_token": token})
        assert "Zaznacz co najmniej jeden certyfikat do pobrania." in is_page(nothing, 400)


class TestValidation:
    async def test_enrollment_form_messages(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        await web_login(client)
        token = await csrf(client, "/certyfikaty/wniosek")
        data = {"csrf_token": token, "nazwa": "Zły", "csr": "", "przeznaczenie": "", "wazny-od": "2026-06-10"}
        text = is_page(await client.post("/certyfikaty/wniosek", data=data), 400)
        assert "Nazwa certyfikatu musi mieć od 5 do 50 znaków (ma 3)." in text
        assert "Nazwa certyfikatu może zawierać tylko litery bez polskich znaków" in text
        assert "Najpierw wygeneruj klucz i wniosek przyciskiem „Generuj”." in text
        assert "Wybierz przeznaczenie certyfikatu." in text
        assert "Certyfikat może zaczynać ważność najpóźniej 90 dni od dziś (2026-05-31)." in text
        past = {**data, "wazny-od": "2026-03-01"}
        assert "Data nie może być wcześniejsza niż dziś (2026-03-02)." in is_page(
            await client.post("/certyfikaty/wniosek", data=past), 400
        )
        assert "Podaj datę w formacie RRRR-MM-DD." in is_page(
            await client.post("/certyfikaty/wniosek", data={**data, "wazny-od": "jutro"}), 400
        )

    async def test_list_filter_messages(self, client: httpx.AsyncClient) -> None:
        await web_login(client)
        text = is_page(await client.get("/certyfikaty/lista", params={"numer": "XYZ", "wygasa-po": "wczoraj"}), 200)
        assert "Numer seryjny to 16 znaków szesnastkowych (0–9, A–F)." in text
        assert "Podaj datę w formacie RRRR-MM-DD." in text

    async def test_test_login_messages(self, client: httpx.AsyncClient) -> None:
        token = await csrf(client, "/logowanie/profil-zaufany")
        data = {
            "csrf_token": token,
            "rodzaj": "pesel",
            "nip": "1234567890",
            "pesel": "123",
            "imie": "",
            "nazwisko": "X1",
        }
        text = is_page(await client.post("/logowanie/profil-zaufany", data=data), 400)
        assert "Nieprawidłowy NIP 1234567890: cyfra kontrolna się nie zgadza." in text
        assert "Nieprawidłowy PESEL &#39;123&#39;: oczekiwano 11 cyfr." in text
        assert "Podaj imię." in text
        assert "Pole „nazwisko” może zawierać tylko litery" in text
        assert "Potwierdź, że podane dane są fikcyjne" in text

    async def test_revoke_needs_the_confirmation(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        mine = await obtain(client, await api_owner(client, nip))
        token = await csrf(client, "/certyfikaty/lista")
        path = f"/certyfikaty/{mine.serial_number}/uniewaznienie"
        text = is_page(await client.post(path, data={"csrf_token": token, "powod": "Superseded"}), 400)
        assert "Potwierdź, że rozumiesz, iż unieważnienia nie można cofnąć." in text
        assert "Aktywny" in is_page(await client.get("/certyfikaty/lista"), 200)
        done = await client.post(path, data={"csrf_token": token, "powod": "Superseded", "potwierdzenie": "tak"})
        assert done.status_code == 303
        listed = is_page(await client.get("/certyfikaty/lista"), 200)
        assert f"Certyfikat Certyfikat testowy ({mine.serial_number}) został unieważniony." in listed
        assert "Unieważniony" in listed


class TestPagesForPeople:
    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("GET", "/certyfikaty/nie-ma-takiej/strony/wcale", 404),
            ("DELETE", "/certyfikaty/lista", 405),
            ("GET", "/certyfikaty/wnioski/za-krotki", 400),
            ("GET", "/logowanie/nie-ma", 404),
            ("GET", "/uprawnienia/nie-ma/takiej/strony", 404),
            ("DELETE", "/uprawnienia/nadaj", 405),
            ("GET", "/uprawnienia/operacje/za-krotki", 400),
            ("GET", "/tokeny/nie-ma/takiej/strony", 404),
            ("PUT", "/tokeny/generuj", 405),
            ("GET", "/static/js/nie-ma.js", 404),
        ],
    )
    async def test_errors_are_polish_pages(
        self, client: httpx.AsyncClient, method: str, path: str, status: int
    ) -> None:
        await web_login(client)
        text = is_page(await client.request(method, path), status)
        assert 'id="error-title"' in text
        assert "Wyloguj" in text or path.startswith("/static")

    async def test_too_large_an_upload_is_a_413_page(self, client: httpx.AsyncClient) -> None:
        token = await csrf(client, "/logowanie/certyfikat-kwalifikowany")
        files = {"podpisany": ("duzy.xml", b"<a/>" * 300_000, "application/xml")}
        response = await client.post("/logowanie/certyfikat-kwalifikowany", data={"csrf_token": token}, files=files)
        text = is_page(response, 413)
        assert "Najwyższy dopuszczalny rozmiar to 1,0 MB." in text

    async def test_another_subjects_request_status(self, client: httpx.AsyncClient) -> None:
        stranger = await api_owner(client, random_nip())
        theirs = await obtain(client, stranger)
        await web_login(client)
        assert "Nie znaleziono" in is_page(await client.get(f"/certyfikaty/wnioski/{theirs.reference_number}"), 404)

    async def test_offline_api_documentation(self, client: httpx.AsyncClient) -> None:
        for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
            page = is_page(await client.get(path), 200)
            csp = (await client.get(path)).headers["content-security-policy"]
            assert "script-src 'self';" in csp
            assert "cdn" not in page.lower()
            src = re.search(rf'src="(/static/api-docs/{re.escape(asset)}\?v=[0-9a-f]+)"', page)
            assert src, page
            script = await client.get(src.group(1))
            assert script.status_code == 200
            assert script.headers["content-type"] == "text/javascript; charset=utf-8"
            assert len(script.content) > 500_000
            assert 'data-openapi="/openapi.json"' in page
            assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []


class TestLoginsOverHttp:
    async def test_qualified_certificate_and_fingerprint(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        person = Identity.person_with_nip(now=NOW)
        token = await csrf(client, "/logowanie/certyfikat-kwalifikowany")
        document = await client.post(
            "/logowanie/certyfikat-kwalifikowany/dokument",
            data={"csrf_token": token, "kontekst-typ": "Nip", "kontekst": person.nip},
        )
        assert document.status_code == 200
        assert document.headers["content-disposition"] == 'attachment; filename="AuthTokenRequest.xml"'
        signed = person.signer.sign(document.content, now=NOW)
        response = await client.post(
            "/logowanie/certyfikat-kwalifikowany",
            data={"csrf_token": token},
            files={"podpisany": ("AuthTokenRequest.xml", signed, "application/xml")},
        )
        assert response.status_code == 303, response.text
        start = is_page(await client.get("/"), 200)
        assert f"NIP {person.nip}" in start
        assert "Podpis kwalifikowany" in start

    async def test_a_document_used_twice_or_unsigned_is_explained(self, client: httpx.AsyncClient) -> None:
        person = Identity.person_with_nip(now=NOW)
        token = await csrf(client, "/logowanie/certyfikat-kwalifikowany")
        fields = {"csrf_token": token, "kontekst-typ": "Nip", "kontekst": person.nip}
        document = (await client.post("/logowanie/certyfikat-kwalifikowany/dokument", data=fields)).content
        unsigned = await client.post(
            "/logowanie/certyfikat-kwalifikowany", data={"csrf_token": token}, files={"podpisany": ("a.xml", document)}
        )
        assert "Nie można zalogować się tym dokumentem" in is_page(unsigned, 400)
        signed = person.signer.sign(document, now=NOW)
        files = {"podpisany": ("a.xml", signed)}
        assert (
            await client.post("/logowanie/certyfikat-kwalifikowany", data={"csrf_token": token}, files=files)
        ).status_code == 303
        token = await csrf(client, "/logowanie/certyfikat-kwalifikowany")
        again = await client.post("/logowanie/certyfikat-kwalifikowany", data={"csrf_token": token}, files=files)
        assert "zostało już wykorzystane" in is_page(again, 400)

    async def test_bad_context_is_a_field_message(self, client: httpx.AsyncClient) -> None:
        token = await csrf(client, "/logowanie/odcisk-palca")
        response = await client.post(
            "/logowanie/odcisk-palca/dokument", data={"csrf_token": token, "kontekst-typ": "Nip", "kontekst": "123"}
        )
        text = is_page(response, 400)
        assert "Nieprawidłowy NIP: oczekiwano 10-cyfrowy NIP, z poprawną cyfrą kontrolną." in text
        assert 'aria-invalid="true"' in text

    async def test_limit_dialog(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        await set_limits(client, await api_owner(client, nip), certificates=0)
        text = is_page(await client.get("/certyfikaty/wniosek"), 200)
        assert 'role="alertdialog"' in text
        assert "Wnioskowanie o certyfikat" in text
        assert "Osiągnięto limit" in text
        assert "Wyczerpałeś limit certyfikatów: masz 0 z 0 dozwolonych" in text

    async def test_download_one_pem_or_a_zip(self, client: httpx.AsyncClient) -> None:
        nip = await web_login(client)
        api = await api_owner(client, nip)
        first = await obtain(client, api, name="Pierwszy certyfikat")
        second = await obtain(client, api, name="Drugi certyfikat", certificate_type="Offline")
        token = await csrf(client, "/certyfikaty/lista")
        one = await client.post(
            "/certyfikaty/lista/pobierz", data={"csrf_token": token, "certyfikat": first.serial_number}
        )
        assert one.status_code == 200
        assert "Pierwszy certyfikat.crt" in one.headers["content-disposition"]
        assert x509.load_pem_x509_certificate(one.content) == first.certificate
        both = await client.post(
            "/certyfikaty/lista/pobierz",
            data={"csrf_token": token, "certyfikat": [first.serial_number, second.serial_number.lower()]},
        )
        assert both.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(both.content)) as archive:
            assert sorted(archive.namelist()) == ["Drugi certyfikat.crt", "Pierwszy certyfikat.crt"]
            assert x509.load_pem_x509_certificate(archive.read("Drugi certyfikat.crt")) == second.certificate
