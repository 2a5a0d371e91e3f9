"""Sending an ended enrollment again with the same key: only where the same key can still succeed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import Principal, SubjectDetails
from ksef_mcu.server.auth.tokens import TokenKind
from ksef_mcu.server.certificates.errors import EnrollmentNotFoundError
from ksef_mcu.server.certificates.model import (
    CERTIFICATE_LIMIT_DETAIL,
    KEY_ALREADY_CERTIFIED_DETAIL,
    EnrollmentStatus,
    EnrollmentStatusCode,
)
from ksef_mcu.server.certificates.policy import EnrollmentRequest, same_key_may_succeed
from ksef_mcu.server.certificates.repositories.enrollments import EnrollmentRepository
from ksef_mcu.server.errors import InputValidationError
from support.pki import ec_key, random_nip

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def owner(components: Any) -> Principal:
    nip = random_nip()
    details = SubjectDetails(
        identifier=SubjectIdentifier(SubjectIdentifierType.NIP, nip),
        common_name="Firma Testowa",
        country_name="PL",
        organization_name="Firma Testowa",
        organization_identifier=f"VATPL-{nip}",
    )
    started = components.authentication.start_test_login(
        ContextIdentifier(ContextIdentifierType.NIP, nip), details, client_ip="127.0.0.1"
    )
    access = components.authentication.redeem(started.authentication_token.token).access_token.token
    principal: Principal = components.tokens.verify(
        access, kinds=(TokenKind.ACCESS,), now=components.clock.now()
    ).principal()
    return principal


def submitted(components: Any, principal: Principal) -> str:
    csr = create_csr(ec_key(), components.enrollment.enrollment_data(principal))
    request = EnrollmentRequest("Moj certyfikat", KsefCertificateType.OFFLINE, csr)
    return str(components.enrollment.submit(principal, request).reference_number)


def end(components: Any, reference: str, status: EnrollmentStatus) -> None:
    with components.database.write() as connection:
        assert EnrollmentRepository(connection).finish(reference, status, now=components.clock.now())


@pytest.mark.parametrize(
    ("status", "may"),
    [
        (EnrollmentStatus(EnrollmentStatusCode.REJECTED, (CERTIFICATE_LIMIT_DETAIL,)), True),
        (EnrollmentStatus(EnrollmentStatusCode.FAILED), True),
        (EnrollmentStatus(EnrollmentStatusCode.CANCELLED), True),
        (EnrollmentStatus(EnrollmentStatusCode.REJECTED, (KEY_ALREADY_CERTIFIED_DETAIL,)), False),
        (EnrollmentStatus(EnrollmentStatusCode.ACCEPTED), False),
        (EnrollmentStatus(EnrollmentStatusCode.ISSUED), False),
    ],
)
def test_same_key_may_succeed(status: EnrollmentStatus, may: bool) -> None:
    assert same_key_may_succeed(status) is may


async def test_resubmit_after_the_limit_rejection(app: FastAPI) -> None:
    components: Any = app.state.components
    principal = owner(components)
    first = submitted(components, principal)
    end(components, first, EnrollmentStatus(EnrollmentStatusCode.REJECTED, (CERTIFICATE_LIMIT_DETAIL,)))
    again = components.enrollment.resubmit(principal, first).reference_number
    assert again != first
    with components.database.read() as connection:
        old = EnrollmentRepository(connection).get(first)
        new = EnrollmentRepository(connection).get(again)
    assert new.status.code is EnrollmentStatusCode.ACCEPTED
    assert (new.csr_der, new.certificate_name, new.certificate_type) == (
        old.csr_der,
        old.certificate_name,
        KsefCertificateType.OFFLINE,
    )


async def test_no_resubmit_where_the_key_cannot_succeed(app: FastAPI) -> None:
    components: Any = app.state.components
    principal = owner(components)
    first = submitted(components, principal)
    with pytest.raises(InputValidationError, match="nie można wysłać ponownie"):
        components.enrollment.resubmit(principal, first)  # still waiting
    end(components, first, EnrollmentStatus(EnrollmentStatusCode.REJECTED, (KEY_ALREADY_CERTIFIED_DETAIL,)))
    with pytest.raises(InputValidationError, match="nie można wysłać ponownie"):
        components.enrollment.resubmit(principal, first)


async def test_no_resubmit_of_another_subjects_request(app: FastAPI) -> None:
    components: Any = app.state.components
    first = submitted(components, owner(components))
    end(components, first, EnrollmentStatus(EnrollmentStatusCode.FAILED))
    with pytest.raises(EnrollmentNotFoundError):
        components.enrollment.resubmit(owner(components), first)
