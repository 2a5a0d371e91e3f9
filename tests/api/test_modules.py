"""How a module plugs in: routes, a login-certificate authority, trust anchors, background workers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from cryptography import x509
from fastapi import APIRouter, FastAPI
from sqlalchemy import Connection, text

from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.hooks import IssuedCertificateVerdict
from ksef_mcu.server.auth.model import CertificateProblem
from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.settings import ServerMode, ServerSettings
from support.login import Identity, login, start_login, status_of
from support.pki import TestCa, ec_key, random_nip
from support.server import TEST_START, running
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


class FakeCertificatesModule:
    """Stands in for the certificates module: its CA's certificates log in as `InternalCertificate`."""

    name = "fake-certificates"

    def __init__(self) -> None:
        self.ca = TestCa.root("Fake KSeF CA", now=NOW)
        self.owners: dict[int, SubjectIdentifier] = {}
        self.problems: dict[int, CertificateProblem] = {}
        self.seen_in_transaction: list[bool] = []
        self.worker_events: list[str] = []

    # LoginCertificateAuthority
    def check_login_certificate(
        self, connection: Connection, certificate: x509.Certificate, *, now: datetime
    ) -> IssuedCertificateVerdict | None:
        if certificate.issuer != self.ca.certificate.subject:
            return None
        self.seen_in_transaction.append(connection.in_transaction())
        connection.execute(text("SELECT 1"))  # it may read and write in the login's unit of work
        return IssuedCertificateVerdict(
            self.owners[certificate.serial_number], self.problems.get(certificate.serial_number)
        )

    # TrustAnchorProvider
    def trust_anchors(self) -> Sequence[x509.Certificate]:
        return [self.ca.certificate]

    async def worker(self, stop: asyncio.Event) -> None:
        self.worker_events.append("started")
        await stop.wait()
        self.worker_events.append("drained")

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        router = APIRouter()

        @router.get("/fake/hello")
        def hello() -> dict[str, str]:
            return {"mode": components.settings.mode.value}

        app.include_router(router, prefix="/v2")
        components.login_hooks.certificate_authorities.append(self)
        components.trust.add_provider(self)
        components.lifecycle.add_worker("fake-issuer", self.worker)

    def issue(self, owner: SubjectIdentifier, *, nip_in_subject: str) -> Identity:
        key = ec_key()
        certificate = self.ca.issue_person(key, now=NOW, serial_number=f"TINPL-{nip_in_subject}")
        self.owners[certificate.serial_number] = owner
        return Identity._make(key, certificate, nip=nip_in_subject)


@pytest.fixture
def module() -> FakeCertificatesModule:
    return FakeCertificatesModule()


def build(app_factory: Any, settings: ServerSettings, module: FakeCertificatesModule, **changes: Any) -> FastAPI:
    app: FastAPI = app_factory(settings.model_copy(update=changes), modules=[module])
    return app


async def test_routes_and_workers(app_factory: Any, settings: ServerSettings, module: FakeCertificatesModule) -> None:
    app = build(app_factory, settings, module)
    async with running(app) as client:
        assert (await client.get("/v2/fake/hello")).json() == {"mode": "sandbox"}
        assert module.worker_events == ["started"]
    assert module.worker_events == ["started", "drained"]


async def test_issued_certificates_log_in_as_internal(
    app_factory: Any, settings: ServerSettings, module: FakeCertificatesModule
) -> None:
    nip = random_nip()
    fingerprint_owner = SubjectIdentifier(SubjectIdentifierType.FINGERPRINT, "AB" * 32)
    internal = module.issue(fingerprint_owner, nip_in_subject=nip)
    app = build(app_factory, settings, module, mode=ServerMode.STRICT)  # our CA is trusted even in strict mode
    async with running(app) as client:
        started = await start_login(client, internal, context=nip, now=NOW)
        status = await status_of(client, started)
        # The owner is whoever the module says (a fingerprint), who holds nothing in this context yet.
        assert status["status"]["code"] == 415
        assert status["authenticationMethod"] == "InternalCertificate"
        assert status["authenticationMethodInfo"]["code"] == "xades.ksef-certificate"
        module.owners[internal.certificate.serial_number] = SubjectIdentifier(SubjectIdentifierType.NIP, nip)
        tokens = await login(client, internal, context=nip, now=NOW)
        assert claims(tokens.access_token)["aum"] == "InternalCertificate"
        assert json.loads(claims(tokens.access_token)["per"]) == ["Owner"]
    assert module.seen_in_transaction
    assert all(module.seen_in_transaction)


@pytest.mark.parametrize(
    "problem", [CertificateProblem.REVOKED, CertificateProblem.INCORRECT, CertificateProblem.INVALID]
)
async def test_refused_by_the_issuing_module(
    app_factory: Any, settings: ServerSettings, module: FakeCertificatesModule, problem: CertificateProblem
) -> None:
    nip = random_nip()
    internal = module.issue(SubjectIdentifier(SubjectIdentifierType.NIP, nip), nip_in_subject=nip)
    module.problems[internal.certificate.serial_number] = problem
    async with running(build(app_factory, settings, module)) as client:
        status = await status_of(client, await start_login(client, internal, context=nip, now=NOW))
    assert status["status"]["code"] == 460
    assert status["status"]["details"] == [problem.value]


async def test_module_trust_anchors_count_for_chain_checks(
    app_factory: Any, settings: ServerSettings, module: FakeCertificatesModule
) -> None:
    """A certificate from the module's CA that the module does not claim still chains to its anchor."""
    nip = random_nip()
    key = ec_key()
    unclaimed = Identity._make(key, module.ca.issue_person(key, now=NOW, serial_number=f"TINPL-{nip}"), nip=nip)
    app = build(app_factory, settings, module, mode=ServerMode.STRICT)
    app.state.components.login_hooks.certificate_authorities.clear()
    async with running(app) as client:
        await login(client, unclaimed, context=nip, now=NOW)


async def test_housekeeping_deletes_expired_challenges(
    app_factory: Any, settings: ServerSettings, database: Any, clock: Any
) -> None:
    from datetime import timedelta

    from sqlalchemy import func, select

    from ksef_mcu.server.auth.repositories.challenges import ChallengeRepository
    from ksef_mcu.server.auth.tables import challenges

    with database.write() as connection:
        repository = ChallengeRepository(connection)
        repository.add(
            "20260301-CR-0000000000-0000000001-00",
            issued_at=NOW - timedelta(hours=3),
            expires_at=NOW - timedelta(hours=2),
            client_ip="::1",
        )
        repository.add(
            "20260302-CR-0000000000-0000000002-00",
            issued_at=NOW,
            expires_at=NOW + timedelta(minutes=10),
            client_ip="::1",
        )
    app: FastAPI = app_factory(settings.model_copy(update={"housekeeping_interval": timedelta(milliseconds=20)}))
    async with running(app):
        for _ in range(100):
            await asyncio.sleep(0.02)
            with database.read() as connection:
                if connection.execute(select(func.count()).select_from(challenges)).scalar_one() == 1:
                    break
    with database.read() as connection:
        remaining = [row.challenge for row in connection.execute(select(challenges.c.challenge))]
    assert remaining == ["20260302-CR-0000000000-0000000002-00"]
