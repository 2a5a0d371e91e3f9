"""The public KOD II verification page (`/qr/certificate/…`): every check of `kody-qr.md` made on its own, with real
certificates from our CA, real signatures and the real grants; HTML for people, JSON for machines; malformed links
answered with a Polish page or a JSON error, never a 500."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.qr import (
    InvoiceHash,
    OfflineQrSigner,
    base64url,
    build_invoice_link,
    build_offline_qr_link,
    parse_offline_qr_link,
    sign_offline_qr_link,
    unsigned_offline_qr_link,
)
from ksef_mcu.identifiers import internal_id_check_digit
from support.certificates import NOW, Issued, obtain, owner, pesel_person
from support.login import bearer
from support.pki import ec_key, random_nip, rsa_key

pytestmark = pytest.mark.anyio

BASE = "http://127.0.0.1:8000/qr"
"""Our QR base URL with the default public URL: what `ksef-mcu qr … --env local` prints for `ksef-mcu serve`."""
INVOICE = b"<Faktura>KOD II</Faktura>"
JSON = {"Accept": "application/json"}
CHECKS = [
    "certificateExists",
    "certificateType",
    "certificateActive",
    "certificateValidity",
    "signature",
    "issuerPermission",
    "contextMatchesSeller",
]


def link_for(issued: Issued, *, context: str, seller: str, context_type: str = "Nip", base: str = BASE) -> str:
    """A KOD II link signed with `issued`'s key whatever its type (the crypto layer's own checks left out)."""
    unsigned = unsigned_offline_qr_link(
        base,
        context_type=context_type,
        context_value=context,
        seller_nip=seller,
        certificate_serial=issued.serial_number,
        invoice=INVOICE,
    )
    return sign_offline_qr_link(unsigned, issued.key)


async def verify(client: httpx.AsyncClient, link: str) -> dict[str, Any]:
    assert link.startswith(BASE + "/certificate/")
    response = await client.get(link.removeprefix("http://127.0.0.1:8000"), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert [check["name"] for check in body["checks"]] == CHECKS
    return body


def results(body: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["result"] for check in body["checks"]}


def only_failed(body: dict[str, Any], *names: str) -> None:
    """Exactly `names` failed, everything else passed, and the verdict is negative."""
    outcome = results(body)
    assert {name for name, result in outcome.items() if result != "passed"} == set(names), body["checks"]
    assert all(outcome[name] == "failed" for name in names)
    assert body["verified"] is False


async def offline_owner(client: httpx.AsyncClient, **options: Any) -> tuple[str, str, Issued]:
    identity, token = await owner(client)
    issued = await obtain(client, token, certificate_type="Offline", name="Certyfikat offline", **options)
    assert identity.nip is not None
    return identity.nip, token, issued


class TestGenuine:
    async def test_an_owners_offline_certificate_verifies(self, client: httpx.AsyncClient) -> None:
        nip, _, issued = await offline_owner(client)
        link = build_offline_qr_link(
            BASE,
            context_type="Nip",
            context_value=nip,
            seller_nip=nip,
            invoice=INVOICE,
            certificate=issued.certificate,
            key=issued.key,
            now=NOW,
        )
        body = await verify(client, link)
        assert body["verified"] is True
        assert set(results(body).values()) == {"passed"}
        assert body["link"] == link
        assert body["sellerNip"] == nip
        assert body["contextIdentifier"] == {"type": "Nip", "value": nip}
        assert body["certificateSerialNumber"] == issued.serial_number
        assert body["invoiceHash"] == InvoiceHash.of(INVOICE).base64url
        assert body["certificate"]["certificateType"] == "Offline"
        assert body["certificate"]["status"] == "Active"
        assert body["certificate"]["subjectNip"] == nip

    async def test_the_bulk_signer_rsa_and_der_signatures_verify(self, client: httpx.AsyncClient) -> None:
        identity, token = await owner(client)
        nip = identity.nip
        assert nip is not None
        issued = await obtain(client, token, key=rsa_key(), certificate_type="Offline")
        signer = OfflineQrSigner(
            BASE, context_type="Nip", context_value=nip, certificate=issued.certificate, key=issued.key
        )
        assert (await verify(client, signer.link(nip, INVOICE)))["verified"] is True
        ec_issued = await obtain(client, token, certificate_type="Offline")
        der = OfflineQrSigner(
            BASE,
            context_type="Nip",
            context_value=nip,
            certificate=ec_issued.certificate,
            key=ec_issued.key,
            ecdsa_encoding="der",  # type: ignore[arg-type]
        ).link(nip, INVOICE)
        assert (await verify(client, der))["verified"] is True

    async def test_a_person_with_invoice_write_granted_verifies(self, client: httpx.AsyncClient) -> None:
        """`kody-qr.md` example 2: an accountant (PESEL) issues in a company's context for that company."""
        person, token, _ = await pesel_person(client)
        issued = await obtain(client, token, certificate_type="Offline")
        company, other = random_nip(), random_nip()
        for context, permission in ((company, "InvoiceWrite"), (other, "CredentialsManage")):
            response = await client.post(
                "/v2/testdata/permissions",
                json={
                    "contextIdentifier": {"type": "Nip", "value": context},
                    "authorizedIdentifier": {"type": "Pesel", "value": person.pesel},
                    "permissions": [{"permissionType": permission, "description": "księgowa"}],
                },
            )
            assert response.status_code == 200, response.text
        body = await verify(client, link_for(issued, context=company, seller=company))
        assert body["verified"] is True, body["checks"]
        assert body["certificate"]["subjectIdentifierType"] == "Pesel"
        assert body["certificate"]["subjectNip"] is None  # a PESEL is never shown
        assert person.pesel not in str(body)
        # The same person where they may manage credentials but not issue invoices.
        refused = await verify(client, link_for(issued, context=other, seller=other))
        only_failed(refused, "issuerPermission")
        [check] = [c for c in refused["checks"] if c["name"] == "issuerPermission"]
        assert "nie ma uprawnienia InvoiceWrite" in check["detail"]
        assert "CredentialsManage" in check["detail"]

    async def test_html_page_for_people(self, client: httpx.AsyncClient) -> None:
        nip, _, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip)
        response = await client.get(link.removeprefix("http://127.0.0.1:8000"), headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        page = response.text
        assert '<html lang="pl">' in page
        assert "Weryfikacja pozytywna." in page
        assert page.count('data-result="passed"') == len(CHECKS)
        assert "<script>" not in page
        assert " style=" not in page
        # Browsers send `*/*` too: the page, not JSON.
        browser = await client.get(
            link.removeprefix("http://127.0.0.1:8000"), headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        )
        assert browser.headers["content-type"].startswith("text/html")

    async def test_a_link_opened_through_another_host_name_of_the_server(self, client: httpx.AsyncClient) -> None:
        """The signature covers the host: a link made for the address the visitor used verifies there too."""
        nip, _, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip, base="http://testserver/qr")
        response = await client.get(link.removeprefix("http://testserver"), headers=JSON)
        assert response.json()["verified"] is True


class TestEachCheckFailsOnItsOwn:
    async def test_an_authentication_certificate(self, client: httpx.AsyncClient) -> None:
        identity, token = await owner(client)
        issued = await obtain(client, token)  # Authentication (Type 1)
        assert identity.nip is not None
        body = await verify(client, link_for(issued, context=identity.nip, seller=identity.nip))
        only_failed(body, "certificateType")
        assert body["certificate"]["certificateType"] == "Authentication"

    async def test_a_revoked_certificate(self, client: httpx.AsyncClient) -> None:
        nip, token, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip)
        assert (await verify(client, link))["verified"] is True
        response = await client.post(f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(token))
        assert response.status_code == 204, response.text
        body = await verify(client, link)  # the same link, a moment later: revocation takes effect at once
        only_failed(body, "certificateActive")
        assert body["certificate"]["status"] == "Revoked"

    async def test_a_blocked_certificate(self, client: httpx.AsyncClient, app: Any) -> None:
        nip, _, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip)
        app.state.components.certificates.set_blocked(issued.serial_number, blocked=True)
        only_failed(await verify(client, link), "certificateActive")
        app.state.components.certificates.set_blocked(issued.serial_number, blocked=False)
        assert (await verify(client, link))["verified"] is True

    async def test_expired_and_not_yet_valid(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        nip, _, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip)
        clock.set(issued.certificate.not_valid_after_utc + timedelta(seconds=1))
        expired = await verify(client, link)
        only_failed(expired, "certificateValidity")
        assert expired["certificate"]["status"] == "Expired"
        clock.set(issued.certificate.not_valid_before_utc - timedelta(seconds=1))
        only_failed(await verify(client, link), "certificateValidity")

    async def test_a_future_dated_certificate_is_not_yet_valid(self, client: httpx.AsyncClient) -> None:
        later = (NOW + timedelta(days=3)).isoformat()
        nip, _, issued = await offline_owner(client, valid_from=later)
        body = await verify(client, link_for(issued, context=nip, seller=nip))
        only_failed(body, "certificateValidity")
        [check] = [c for c in body["checks"] if c["name"] == "certificateValidity"]
        assert "nie jest jeszcze ważny" in check["detail"]

    async def test_tampered_links(self, client: httpx.AsyncClient) -> None:
        nip, _, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip)
        parsed = parse_offline_qr_link(link)
        other_hash = base64url(InvoiceHash.of(b"<Faktura>inna</Faktura>").digest)
        signature = base64url(parsed.signature)
        # Another invoice's hash under the same signature: only the signature fails.
        changed = link.replace(parsed.invoice_hash.base64url, other_hash)
        only_failed(await verify(client, changed), "signature")
        # A signature made by another key: fails.
        forged = sign_offline_qr_link(parsed.unsigned_link, ec_key())
        only_failed(await verify(client, forged), "signature")
        # The signature of another link.
        other = link_for(issued, context=nip, seller=nip).rsplit("/", 1)[1]
        assert other != signature
        other_link = link_for(issued, context=nip, seller=nip)
        swapped = other_link.replace(parse_offline_qr_link(other_link).invoice_hash.base64url, other_hash)
        only_failed(await verify(client, swapped), "signature")
        # Another seller in a signed link: the signature fails, and the context does not match that seller.
        seller = random_nip()
        only_failed(
            await verify(client, link.replace(f"/{nip}/{nip}/", f"/{nip}/{seller}/")),
            "signature",
            "contextMatchesSeller",
        )

    async def test_no_invoice_write_in_the_context(self, client: httpx.AsyncClient) -> None:
        _, _, issued = await offline_owner(client)
        stranger = random_nip()
        body = await verify(client, link_for(issued, context=stranger, seller=stranger))
        only_failed(body, "issuerPermission")
        [check] = [c for c in body["checks"] if c["name"] == "issuerPermission"]
        assert "nie ma żadnych uprawnień" in check["detail"]

    async def test_context_not_the_sellers_until_the_seller_authorizes_it(self, client: httpx.AsyncClient) -> None:
        nip, _, issued = await offline_owner(client)
        seller_identity, seller_token = await owner(client)
        seller = seller_identity.nip
        assert seller is not None
        link = link_for(issued, context=nip, seller=seller)
        body = await verify(client, link)
        only_failed(body, "contextMatchesSeller")
        # Self-invoicing: the seller authorizes the context's company to issue invoices in its name.
        response = await client.post(
            "/v2/permissions/authorizations/grants",
            json={
                "subjectIdentifier": {"type": "Nip", "value": nip},
                "permission": "SelfInvoicing",
                "description": "Samofakturowanie",
                "subjectDetails": {"fullName": "Nabywca samofakturujący"},
            },
            headers=bearer(seller_token),
        )
        assert response.status_code == 202, response.text
        body = await verify(client, link)
        assert body["verified"] is True, body["checks"]
        [check] = [c for c in body["checks"] if c["name"] == "contextMatchesSeller"]
        assert "SelfInvoicing" in check["detail"]

    async def test_a_vat_group_and_its_member(self, client: httpx.AsyncClient) -> None:
        """The group's context may invoice for a member of the group (test data's subjects), not for a stranger."""
        group, _, issued = await offline_owner(client)
        member = random_nip()
        response = await client.post(
            "/v2/testdata/subject",
            json={
                "subjectNip": group,
                "subjectType": "VatGroup",
                "description": "Grupa VAT",
                "subunits": [{"subjectNip": member, "description": "członek grupy"}],
            },
        )
        assert response.status_code == 200, response.text
        body = await verify(client, link_for(issued, context=group, seller=member))
        assert body["verified"] is True, body["checks"]
        [check] = [c for c in body["checks"] if c["name"] == "contextMatchesSeller"]
        assert "jednej grupy" in check["detail"]
        only_failed(await verify(client, link_for(issued, context=group, seller=random_nip())), "contextMatchesSeller")

    async def test_an_internal_identifier_of_the_seller_matches_it(self, client: httpx.AsyncClient) -> None:
        nip, _, issued = await offline_owner(client)
        internal_id = f"{nip}-0001{internal_id_check_digit(nip + '0001')}"
        body = await verify(client, link_for(issued, context=internal_id, seller=nip, context_type="InternalId"))
        # The owner of the NIP holds nothing in a subunit's context until granted: only the permission fails.
        only_failed(body, "issuerPermission")

    async def test_an_unknown_serial(self, client: httpx.AsyncClient) -> None:
        nip = random_nip()
        unsigned = unsigned_offline_qr_link(
            BASE,
            context_type="Nip",
            context_value=nip,
            seller_nip=nip,
            certificate_serial="0123456789ABCDEF",
            invoice=INVOICE,
        )
        body = await verify(client, sign_offline_qr_link(unsigned, ec_key()))
        outcome = results(body)
        assert outcome["certificateExists"] == "failed"
        assert outcome["contextMatchesSeller"] == "passed"
        assert {outcome[name] for name in CHECKS[1:6]} == {"notChecked"}
        assert body["verified"] is False
        assert body["certificate"] is None
        page = await client.get(
            sign_offline_qr_link(unsigned, ec_key()).removeprefix("http://127.0.0.1:8000"), headers={"Accept": "*/*"}
        )
        assert "Weryfikacja negatywna." in page.text
        assert page.text.count('data-result="notChecked"') == 5


class TestMalformedLinks:
    @pytest.mark.parametrize(
        ("path", "reason"),
        [
            ("/qr/certificate/Nip/5265877635", "segmentach"),
            ("/qr/certificate/Foo/5265877635/5265877635/0123456789ABCDEF/{hash}/AAAA", "Nieznany typ kontekstu"),
            ("/qr/certificate/Nip/5265877636/5265877635/0123456789ABCDEF/{hash}/AAAA", "identyfikator kontekstu"),
            ("/qr/certificate/Nip/5265877635/1234567890/0123456789ABCDEF/{hash}/AAAA", "NIP sprzedawcy"),
            ("/qr/certificate/Nip/5265877635/5265877635/01234/{hash}/AAAA", "numer seryjny"),
            ("/qr/certificate/Nip/5265877635/5265877635/0123456789ABCDEF/abc/AAAA", "32 bajty"),
            ("/qr/certificate/Nip/5265877635/5265877635/0123456789ABCDEF/{hash}/AA=A", "podpis"),
            ("/qr/certificate/Nip/5265877635/5265877635/0123456789ABCDEF/{hash}/AAB", "niekanoniczne"),
        ],
    )
    async def test_a_clear_polish_answer_never_a_500(self, client: httpx.AsyncClient, path: str, reason: str) -> None:
        path = path.replace("{hash}", InvoiceHash.of(INVOICE).base64url)
        as_json = await client.get(path, headers=JSON)
        assert as_json.status_code == 400
        error = as_json.json()["error"]
        assert error["title"] == "Nieprawidłowy link weryfikacyjny"
        assert reason in error["message"]
        page = await client.get(path)
        assert page.status_code == 400
        assert page.headers["content-type"].startswith("text/html")
        assert "Nieprawidłowy link weryfikacyjny" in page.text
        assert '<a class="button" href="/qr">Sprawdź inny link</a>' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]

    async def test_unknown_qr_paths_and_methods(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/qr/cokolwiek")
        assert page.status_code == 404
        assert "Nie ma takiego linku weryfikacyjnego" in page.text
        as_json = await client.get("/qr/cokolwiek", headers=JSON)
        assert as_json.status_code == 404
        assert as_json.json()["error"]["status"] == 404
        post = await client.post("/qr/certificate/Nip/5265877635")
        assert post.status_code == 405
        assert post.headers["content-type"].startswith("text/html")

    async def test_bad_escapes_are_pages(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/qr/certificate/Nip/%00/x")
        assert page.status_code == 400
        assert page.headers["content-type"].startswith("text/html")


async def test_a_login_is_never_needed(client: httpx.AsyncClient) -> None:
    nip, _, issued = await offline_owner(client)
    link = link_for(issued, context=nip, seller=nip)
    # No token, no cookie: the verification page answers anyone.
    fresh = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with fresh:
        response = await fresh.get(link.removeprefix("http://127.0.0.1:8000"), headers=JSON)
    assert response.json()["verified"] is True
    assert "set-cookie" not in response.headers


class TestInvoiceCode:
    """KOD I: `/qr/invoice/{NIP}/{DD-MM-YYYY}/{hash}` answers whether our KSeF holds the invoice, and its number.
    (The invoice is stored the way the sessions worker stores an accepted one; the end-to-end test in
    tests/e2e uploads it through the API.)"""

    NUMBER = "5265877635-20261202-0100001AF629-11"
    CONTENT = b"<Faktura>KOD I</Faktura>"

    def _store(self, database: Any) -> None:
        from ksef_mcu.server.sessions.repositories.invoices import AcceptedInvoice, InvoiceRepository

        with database.write() as connection:
            InvoiceRepository(connection).add(
                AcceptedInvoice(
                    ksef_number=self.NUMBER,
                    seller_nip="5265877635",
                    invoice_kind="VAT",
                    invoice_number="FV/1/2026",
                    issue_date=date(2026, 12, 1),
                    sha256=InvoiceHash.of(self.CONTENT).digest,
                    size=len(self.CONTENT),
                    form_system_code="FA (3)",
                    context_type="Nip",
                    context_value="5265877635",
                    session_reference="20261202-SO-0000000001-0000000001-01",
                    invoice_reference="20261202-EE-0000000001-0000000001-01",
                    invoicing_date=NOW,
                    acquisition_date=NOW,
                    invoicing_mode="Offline",
                    content=self.CONTENT,
                )
            )

    async def test_found_with_its_ksef_number(self, client: httpx.AsyncClient, database: Any) -> None:
        self._store(database)
        link = build_invoice_link(BASE, "5265877635", date(2026, 12, 1), self.CONTENT)
        path = link.removeprefix("http://127.0.0.1:8000")
        assert path == f"/qr/invoice/5265877635/01-12-2026/{InvoiceHash.of(self.CONTENT).base64url}"
        body = (await client.get(path, headers=JSON)).json()
        assert body == {
            "kind": "invoice",
            "found": True,
            "ksefNumber": self.NUMBER,
            "checkedAt": body["checkedAt"],
            "link": link,
            "sellerNip": "5265877635",
            "issueDate": "2026-12-01",
            "invoiceHash": InvoiceHash.of(self.CONTENT).base64url,
        }
        page = await client.get(path)
        assert page.status_code == 200
        assert "Faktura jest w KSeF." in page.text
        assert self.NUMBER in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]

    @pytest.mark.parametrize(
        ("nip", "day", "content"),
        [
            ("5265877635", date(2026, 12, 2), CONTENT),  # another issue date
            ("1111111111", date(2026, 12, 1), CONTENT),  # another seller
            ("5265877635", date(2026, 12, 1), b"<Faktura>KOD I, zmieniona</Faktura>"),  # the file was changed
        ],
    )
    async def test_not_found(
        self, client: httpx.AsyncClient, database: Any, nip: str, day: date, content: bytes
    ) -> None:
        self._store(database)
        path = build_invoice_link(BASE, nip, day, content).removeprefix("http://127.0.0.1:8000")
        body = (await client.get(path, headers=JSON)).json()
        assert body["found"] is False
        assert body["ksefNumber"] is None
        page = await client.get(path)
        assert page.status_code == 200
        assert "Nie znaleziono faktury w KSeF." in page.text

    @pytest.mark.parametrize(
        ("path", "reason"),
        [
            ("/qr/invoice/5265877635/31-02-2026/{hash}", "Nieprawidłowa data wystawienia"),
            ("/qr/invoice/5265877635/2026-12-01/{hash}", "DD-MM-RRRR"),
            ("/qr/invoice/5265877636/01-12-2026/{hash}", "NIP sprzedawcy"),
            ("/qr/invoice/5265877635/01-12-2026", "segmentach"),
            ("/qr/invoice/5265877635/01-12-2026/{hash}/x", "segmentach"),
        ],
    )
    async def test_malformed(self, client: httpx.AsyncClient, path: str, reason: str) -> None:
        path = path.replace("{hash}", InvoiceHash.of(self.CONTENT).base64url)
        response = await client.get(path, headers=JSON)
        assert response.status_code == 400
        assert reason in response.json()["error"]["message"]
        page = await client.get(path)
        assert page.status_code == 400
        assert "Nieprawidłowy link weryfikacyjny" in page.text


async def test_the_public_rate_limit_answers_in_the_callers_format(app_factory: Any, settings: Any) -> None:
    """The pages count in the `public` group per client IP; over it: 429 with `Retry-After`, as a page or JSON."""
    from ksef_mcu.server.settings import RateLimit
    from support.server import running

    limited = app_factory(
        settings.model_copy(update={"rate_limits_enabled": True, "rate_limits": {"public": RateLimit(per_second=2)}})
    )
    path = build_invoice_link(BASE, "5265877635", date(2026, 12, 1), b"x").removeprefix("http://127.0.0.1:8000")
    async with running(limited) as client:
        assert (await client.get(path, headers=JSON)).status_code == 200
        assert (await client.get(path)).status_code == 200
        refused = await client.get(path, headers=JSON)
        assert refused.status_code == 429
        assert refused.json()["error"]["status"] == 429
        assert int(refused.headers["retry-after"]) >= 1
        page = await client.get(path)
        assert page.status_code == 429
        assert "Zbyt wiele żądań" in page.text


class TestStartPage:
    async def test_what_the_codes_check_and_a_field_for_a_link(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/qr")
        assert page.status_code == 200
        assert "Weryfikacja kodów QR faktur" in page.text
        assert '<label class="field__label" for="link">Link z kodu QR</label>' in page.text
        assert 'action="/qr/sprawdz"' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]

    async def test_a_pasted_link_of_this_server_opens_its_page(self, client: httpx.AsyncClient) -> None:
        nip, _, issued = await offline_owner(client)
        link = link_for(issued, context=nip, seller=nip)
        response = await client.get("/qr/sprawdz", params={"link": f"  {link} "})
        assert response.status_code == 303
        assert response.headers["location"] == link.removeprefix("http://127.0.0.1:8000")
        kod1 = build_invoice_link(BASE, nip, date(2026, 12, 1), INVOICE)
        response = await client.get("/qr/sprawdz", params={"link": kod1})
        assert response.headers["location"] == kod1.removeprefix("http://127.0.0.1:8000")
        # The scheme does not matter (a proxy may have ended TLS); the host and path do.
        response = await client.get("/qr/sprawdz", params={"link": "https" + kod1.removeprefix("http")})
        assert response.headers["location"] == kod1.removeprefix("http://127.0.0.1:8000")
        # As the visitor reached the server (another host name of it).
        seen = link_for(issued, context=nip, seller=nip, base="http://testserver/qr")
        response = await client.get("/qr/sprawdz", params={"link": seen})
        assert response.headers["location"] == seen.removeprefix("http://testserver")

    @pytest.mark.parametrize(
        ("link", "reason"),
        [
            ("https://qr.ksef.mf.gov.pl/invoice/5265877635/01-12-2026/abc", "otwórz bezpośrednio"),
            ("", "link musi zaczynać się od"),
            (f"{BASE}/invoice/5265877635/31-12-2026x/abc", "Nieprawidłowa data"),
            (f"{BASE}/certificate/Nip/5265877635", "segmentach"),
        ],
    )
    async def test_anything_else_is_explained(self, client: httpx.AsyncClient, link: str, reason: str) -> None:
        page = await client.get("/qr/sprawdz", params={"link": link})
        assert page.status_code == 400
        assert "Nieprawidłowy link weryfikacyjny" in page.text
        assert reason in page.text
        as_json = await client.get("/qr/sprawdz", params={"link": link}, headers=JSON)
        assert reason in as_json.json()["error"]["message"]
