"""The certificates module across subjects and logins: limits that run out and free up (§6 item 10), isolation
between subjects, logging in with issued certificates (§6 item 11), keys certified for someone else, the CA."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.certificates import sha256_fingerprint
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import AuthenticationMethod, Principal
from ksef_mcu.server.certificates.errors import (
    EnrollmentDataUnavailableError,
    EnrollmentNotAllowedError,
    RevocationNotAllowedError,
)
from ksef_mcu.server.certificates.model import CertificateStatus
from ksef_mcu.server.certificates.policy import EnrollmentRequest
from ksef_mcu.server.certificates.repositories.certificates import CertificateRepository
from ksef_mcu.storage.database import Database
from support.certificates import (
    enrollment_data,
    error_of,
    limits_of,
    obtain,
    owner,
    pesel_person,
    query,
    retrieve,
    set_limits,
    submit,
    wait_for_status,
)
from support.login import Identity, bearer, login, start_login, status_of
from support.pki import ec_key, random_nip
from support.server import TEST_START, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


class TestCertificateLimit:
    async def test_exhausting_and_freeing_the_certificate_limit(self, client: httpx.AsyncClient) -> None:
        """§6 item 10: issue until `certificate.remaining == 0`; the next request is 25007; revoking frees a slot."""
        _, token = await owner(client)
        await set_limits(client, token, certificates=3)
        issued = [await obtain(client, token) for _ in range(3)]
        limits = await limits_of(client, token)
        assert limits["certificate"] == {"remaining": 0, "limit": 3}
        assert limits["canRequest"] is False

        data = await enrollment_data(client, token)
        response = await submit(client, token, key=ec_key(), data=data, expected_status=400)
        code, description, _ = error_of(response)
        assert f"{code}: {description}" == "25007: Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów."

        revoked = await client.post(
            f"/v2/certificates/{issued[0].serial_number}/revoke",
            json={"revocationReason": "Superseded"},
            headers=bearer(token),
        )
        assert revoked.status_code == 204
        assert (await limits_of(client, token))["certificate"]["remaining"] == 1
        await obtain(client, token)

    async def test_pending_requests_count_against_the_limit(self, app_factory: Any, settings: Any) -> None:
        """Without a worker the first request stays at 100 and already takes the only slot."""
        async with running(app_factory(settings.model_copy(update={"issuance_worker": False}))) as client:
            _, token = await owner(client)
            await set_limits(client, token, certificates=1)
            data = await enrollment_data(client, token)
            first = (await submit(client, token, key=ec_key(), data=data)).json()["referenceNumber"]
            status = await client.get(f"/v2/certificates/enrollments/{first}", headers=bearer(token))
            assert status.json()["status"] == {"code": 100, "description": "Wniosek przyjęty do realizacji"}
            assert error_of(await submit(client, token, key=ec_key(), data=data, expected_status=400))[0] == 25007

    async def test_enrollment_limit_25006(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        await set_limits(client, token, enrollments=2)
        await obtain(client, token)
        await obtain(client, token)
        assert (await limits_of(client, token))["enrollment"] == {"remaining": 0, "limit": 2}
        data = await enrollment_data(client, token)
        code, description, details = error_of(await submit(client, token, key=ec_key(), data=data, expected_status=400))
        assert (code, description) == (25006, "Osiągnięto limit możliwych do złożenia wniosków certyfikacyjnych.")
        assert "30 dni" in details[0]


class TestIsolation:
    async def test_a_subject_never_sees_or_changes_another_subjects_certificates(
        self, client: httpx.AsyncClient
    ) -> None:
        _, alice = await owner(client)
        _, bob = await owner(client)
        mine = await obtain(client, alice)

        assert (await query(client, bob))["certificates"] == []
        assert (await query(client, bob, {"certificateSerialNumber": mine.serial_number}))["certificates"] == []
        assert await retrieve(client, bob, mine.serial_number) == []
        status = await client.get(f"/v2/certificates/enrollments/{mine.reference_number}", headers=bearer(bob))
        assert error_of(status)[0] == 25005
        revoke = await client.post(f"/v2/certificates/{mine.serial_number}/revoke", headers=bearer(bob))
        assert error_of(revoke)[0] == 25008
        [still] = (await query(client, alice))["certificates"]
        assert still["status"] == "Active"

    async def test_the_same_person_sees_the_same_certificates_in_every_context(self, client: httpx.AsyncClient) -> None:
        person, token, nip = await pesel_person(client)
        issued = await obtain(client, token)
        # The same PESEL gets permissions in a second company and logs in there.
        other = random_nip()
        response = await client.post(
            "/v2/testdata/permissions",
            json={
                "contextIdentifier": {"type": "Nip", "value": other},
                "authorizedIdentifier": {"type": "Pesel", "value": person.pesel},
                "permissions": [{"permissionType": "CredentialsManage", "description": "administrator"}],
            },
        )
        assert response.status_code == 200, response.text
        elsewhere = await login(client, person, context=other, now=NOW)
        [listed] = (await query(client, elsewhere.access_token))["certificates"]
        assert listed["certificateSerialNumber"] == issued.serial_number
        assert listed["subjectIdentifier"] == {"type": "Pesel", "value": person.pesel}
        assert nip != other
        revoke = await client.post(
            f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(elsewhere.access_token)
        )
        assert revoke.status_code == 204

    async def test_a_company_owner_does_not_see_its_employees_certificates(self, client: httpx.AsyncClient) -> None:
        _, employee_token, nip = await pesel_person(client)
        await obtain(client, employee_token)
        company = Identity.seal(now=NOW, nip=nip)
        company_token = (await login(client, company, context=nip, now=NOW)).access_token
        assert (await query(client, company_token))["certificates"] == []


class TestLoginWithIssuedCertificates:
    async def test_authentication_certificate_logs_in(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        """§6 item 11: seal → ECDSA CSR → certificate → XAdES with it → status 200 → tokens."""
        seal, token = await owner(client, seal=True)
        issued = await obtain(client, token)
        [before] = (await query(client, token))["certificates"]
        assert "lastUseDate" not in before

        clock.advance(timedelta(minutes=5))
        started = await start_login(client, issued.identity(), context=seal.nip or "", now=clock.now())
        status = await status_of(client, started)
        assert status["status"]["code"] == 200, status
        assert status["authenticationMethod"] == "InternalCertificate"
        assert status["authenticationMethodInfo"]["code"] == "xades.ksef-certificate"
        redeemed = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
        assert redeemed.status_code == 200
        new_token = redeemed.json()["accessToken"]["token"]

        [after] = (await query(client, new_token))["certificates"]
        assert after["lastUseDate"].startswith("2026-03-02T09:35:00")
        # The data for the next CSR is the original enrollment data (no " (uwierzytelnienie)" suffix).
        data = await enrollment_data(client, new_token)
        assert data == await enrollment_data(client, token)
        again = await obtain(client, new_token, data=data)
        assert again.serial_number != issued.serial_number

    async def test_rsa_authentication_certificate_of_a_pesel_person(self, client: httpx.AsyncClient) -> None:
        from support.pki import rsa_key

        person, token, nip = await pesel_person(client)
        issued = await obtain(client, token, key=rsa_key())
        tokens = await login(client, issued.identity(), context=nip, now=NOW)
        [listed] = (await query(client, tokens.access_token))["certificates"]
        assert listed["subjectIdentifier"] == {"type": "Pesel", "value": person.pesel}

    async def _refused(
        self, client: httpx.AsyncClient, identity: Identity, context: str, *, at: object = None
    ) -> list[str]:
        started = await start_login(client, identity, context=context, now=at or NOW)  # type: ignore[arg-type]
        status = await status_of(client, started)
        assert status["status"]["code"] == 460, status
        assert (
            status["status"]["description"] == "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu"
        )
        details: list[str] = status["status"]["details"]
        return details

    async def test_offline_certificate_cannot_log_in(self, client: httpx.AsyncClient) -> None:
        seal, token = await owner(client, seal=True)
        issued = await obtain(client, token, certificate_type="Offline")
        assert await self._refused(client, issued.identity(), seal.nip or "") == ["Niepoprawny certyfikat."]
        [listed] = (await query(client, token))["certificates"]
        assert "lastUseDate" not in listed

    async def test_revoked_certificate_cannot_log_in(self, client: httpx.AsyncClient) -> None:
        seal, token = await owner(client, seal=True)
        issued = await obtain(client, token)
        await client.post(f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(token))
        assert await self._refused(client, issued.identity(), seal.nip or "") == ["Certyfikat odwołany."]

    async def test_blocked_certificate_cannot_log_in(self, client: httpx.AsyncClient, database: Database) -> None:
        seal, token = await owner(client, seal=True)
        issued = await obtain(client, token)
        with database.write() as connection:
            CertificateRepository(connection).set_status(issued.serial_number, CertificateStatus.BLOCKED, now=NOW)
        assert await self._refused(client, issued.identity(), seal.nip or "") == ["Certyfikat zawieszony."]
        crl = x509.load_der_x509_crl((await client.get("/ca/crl")).content)
        entry = crl.get_revoked_certificate_by_serial_number(issued.certificate.serial_number)
        assert entry is not None
        assert (
            entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.certificate_hold
        )

    @pytest.mark.parametrize("when", ["expired", "not-yet-valid"])
    async def test_certificate_outside_its_validity_is_status_460(
        self, client: httpx.AsyncClient, clock: ManualClock, when: str
    ) -> None:
        """Our certificates outside their validity end the login with 460 "Nieważny certyfikat.", as in KSeF."""
        seal, token = await owner(client, seal=True)
        if when == "expired":
            issued = await obtain(client, token)
            clock.advance(timedelta(days=732))
        else:
            issued = await obtain(client, token, valid_from=(NOW + timedelta(days=1)).isoformat())
        started = await start_login(client, issued.identity(), context=seal.nip or "", now=clock.now())
        assert (await status_of(client, started))["status"] == {
            "code": 460,
            "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
            "details": ["Nieważny certyfikat."],
        }

    async def test_fingerprint_subject_is_carried_into_the_certificate(self, client: httpx.AsyncClient) -> None:
        """A certificate requested by someone identified by fingerprint logs in as that fingerprint."""
        foreigner = Identity.foreigner(now=NOW)
        context = random_nip()
        response = await client.post(
            "/v2/testdata/permissions",
            json={
                "contextIdentifier": {"type": "Nip", "value": context},
                "authorizedIdentifier": {"type": "Fingerprint", "value": foreigner.fingerprint},
                "permissions": [{"permissionType": "InvoiceRead", "description": "odczyt faktur"}],
            },
        )
        assert response.status_code == 200, response.text
        tokens = await login(client, foreigner, context=context, now=NOW, by_fingerprint=True)
        limits = await limits_of(client, tokens.access_token)
        assert limits["certificate"]["limit"] == 6
        issued = await obtain(client, tokens.access_token)
        assert sha256_fingerprint(issued.certificate) != foreigner.fingerprint
        # Its subject names no NIP or PESEL, so it logs in by fingerprint; the registry supplies the real subject.
        again = await login(client, issued.identity(), context=context, now=NOW, by_fingerprint=True)
        [listed] = (await query(client, again.access_token))["certificates"]
        assert listed["subjectIdentifier"] == {"type": "Fingerprint", "value": foreigner.fingerprint}


class TestPublicKeys:
    async def test_a_key_certified_for_another_subject_is_rejected_at_issuance(self, client: httpx.AsyncClient) -> None:
        _, alice = await owner(client)
        _, bob = await owner(client)
        key = ec_key()
        await obtain(client, alice, key=key)
        reference = (await submit(client, bob, key=key, data=await enrollment_data(client, bob))).json()[
            "referenceNumber"
        ]
        status = await wait_for_status(client, bob, reference)
        assert status["status"] == {
            "code": 400,
            "description": "Wniosek odrzucony",
            "details": ["Klucz publiczny został już certyfikowany przez inny podmiot."],
        }
        assert "certificateSerialNumber" not in status

    async def test_the_same_subject_may_reuse_its_key(self, client: httpx.AsyncClient) -> None:
        _, token = await owner(client)
        key = ec_key()
        first = await obtain(client, token, key=key)
        second = await obtain(client, token, key=key, certificate_type="Offline")
        assert first.serial_number != second.serial_number


class TestCa:
    async def test_certificate_chain(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/ca/certificate")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-pem-file"
        issuing, root = x509.load_pem_x509_certificates(response.content)
        assert issuing.issuer == root.subject
        assert root.issuer == root.subject

    async def test_crl_is_signed_and_renumbered_on_revocation(self, client: httpx.AsyncClient) -> None:
        issuing = x509.load_pem_x509_certificates((await client.get("/ca/certificate")).content)[0]
        first = await client.get("/ca/crl")
        assert first.headers["content-type"] == "application/pkix-crl"
        before = x509.load_der_x509_crl(first.content)
        assert before.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
        number = before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert (await client.get("/ca/crl")).content == first.content  # served from storage, not re-signed

        _, token = await owner(client)
        issued = await obtain(client, token)
        await client.post(f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(token))
        after = x509.load_der_x509_crl((await client.get("/ca/crl")).content)
        assert after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number + 1
        assert after.get_revoked_certificate_by_serial_number(issued.certificate.serial_number) is not None

    async def test_stale_crl_is_re_signed(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        before = x509.load_der_x509_crl((await client.get("/ca/crl")).content)
        clock.advance(timedelta(days=4))
        after = x509.load_der_x509_crl((await client.get("/ca/crl")).content)
        assert after.last_update_utc == clock.now()
        assert after.next_update_utc == clock.now() + timedelta(days=7)
        number = before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number + 1

    async def test_issued_certificates_point_to_the_crl(self, client: httpx.AsyncClient, settings: object) -> None:
        _, token = await owner(client)
        issued = await obtain(client, token)
        points = issued.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert [name.value for point in points for name in point.full_name or ()] == ["http://127.0.0.1:8000/ca/crl"]

    async def test_strict_mode_trusts_certificates_issued_here(self, app_factory: Any, settings: Any) -> None:
        from ksef_mcu.server.settings import ServerMode

        async with running(app_factory(settings)) as sandbox:
            seal, token = await owner(sandbox, seal=True)
            issued = await obtain(sandbox, token)
        strict = settings.model_copy(update={"mode": ServerMode.STRICT})
        async with running(app_factory(strict)) as client:
            tokens = await login(client, issued.identity(), context=seal.nip or "", now=NOW)
            assert (await limits_of(client, tokens.access_token))["certificate"]["remaining"] == 99
            refused = await start_login(client, seal, context=seal.nip or "", now=NOW)
            assert (await status_of(client, refused))["status"]["code"] == 460
            assert (await client.post("/v2/testdata/limits/subject/certificate", json={})).status_code == 404


class TestTokenLogins:
    """After a KSeF-token login (no certificate) the certificate operations answer as the official API does."""

    def _principal(self) -> Principal:
        return Principal(
            reference_number="20260302-AU-0000000000-0000000000-00",
            context=ContextIdentifier(ContextIdentifierType.NIP, random_nip()),
            subject=SubjectIdentifier(SubjectIdentifierType.NIP, random_nip()),
            authentication_method=AuthenticationMethod.TOKEN,
        )

    async def test_25001_25002_and_403(self, app: Any, client: httpx.AsyncClient) -> None:
        services = app.state.components
        principal = self._principal()
        with pytest.raises(EnrollmentDataUnavailableError) as data_error:
            services.enrollment.enrollment_data(principal)
        assert data_error.value.code == 25001
        request = EnrollmentRequest("Certyfikat", "Authentication", create_csr(ec_key(), _any_data()))  # type: ignore[arg-type]
        with pytest.raises(EnrollmentNotAllowedError) as submit_error:
            services.enrollment.submit(principal, request)
        assert submit_error.value.code == 25002
        with pytest.raises(RevocationNotAllowedError) as revoke_error:
            services.certificates.revoke(principal, "0123456789ABCDEF", None)
        assert revoke_error.value.reason_code == "auth-method-not-allowed"


def _any_data() -> object:
    from ksef_mcu.crypto.csr import EnrollmentData

    return EnrollmentData(common_name="Jan", country_name="PL")
