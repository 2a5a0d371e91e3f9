"""The certificates module as a `ServerModule`: opens the CA, adds the routes, the login hook, the trust anchors and
(unless switched off) the in-process issuance worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from ksef_mcu.server.api.routes_certificates import (
    CertificateServices,
    ca_router,
    certificates_router,
    limits_router,
    testdata_limits_router,
)
from ksef_mcu.server.certificates.service import CertificateService
from ksef_mcu.server.components import ServerComponents
from ksef_mcu.server.enrollment.ca import CertificateAuthority, open_certificate_authority
from ksef_mcu.server.enrollment.service import EnrollmentService
from ksef_mcu.server.enrollment.worker import IssuanceWorker
from ksef_mcu.server.settings import ServerMode

if TYPE_CHECKING:
    from fastapi import FastAPI

API_PREFIX = "/v2"


class CertificatesModule:
    """KSeF certificates: enrollment, the issuing CA, query/retrieve/revoke, CRL, login with issued certificates."""

    name = "certificates"

    def __init__(self, *, run_worker: bool | None = None) -> None:
        self._run_worker = run_worker
        self.services: CertificateServices | None = None
        self.worker: IssuanceWorker | None = None

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        settings = components.settings
        authority: CertificateAuthority = open_certificate_authority(
            components.keys.store, now=components.clock.now(), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
        enrollment = EnrollmentService(settings=settings, database=components.database, clock=components.clock)
        certificates = CertificateService(
            settings=settings, database=components.database, clock=components.clock, authority=authority
        )
        self.services = CertificateServices(enrollment, certificates, authority)
        app.state.certificates = self.services

        components.authentication.certificate_authorities.append(certificates)
        components.trust.add_provider(authority)

        v2 = APIRouter(prefix=API_PREFIX)
        v2.include_router(certificates_router)
        v2.include_router(limits_router)
        if settings.mode is ServerMode.SANDBOX:
            v2.include_router(testdata_limits_router)
        app.include_router(v2)
        app.include_router(ca_router)

        run_worker = settings.issuance_worker if self._run_worker is None else self._run_worker
        if run_worker:
            worker = IssuanceWorker(
                settings=settings, database=components.database, clock=components.clock, issuer=authority.issuer
            )
            enrollment.set_notifier(worker.wake)
            components.lifecycle.add_worker("issuance", worker.run)
            self.worker = worker
