"""What the auth domain gives the web screens: the sandbox's test login ("Profil Zaufany") and `is_active`, which
lets a cookie session end the moment the user logs out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import AuthenticationMethod, AuthStatusCode, SubjectDetails
from ksef_mcu.server.errors import ForbiddenError
from ksef_mcu.server.settings import ServerMode, ServerSettings
from support.login import bearer
from support.pki import random_nip, random_pesel
from support.server import running

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def company(nip: str) -> SubjectDetails:
    return SubjectDetails(
        identifier=SubjectIdentifier(SubjectIdentifierType.NIP, nip),
        common_name="Firma Testowa",
        country_name="PL",
        organization_name="Firma Testowa",
        organization_identifier=f"VATPL-{nip}",
    )


def nip_context(nip: str) -> ContextIdentifier:
    return ContextIdentifier(ContextIdentifierType.NIP, nip)


async def test_test_login_of_an_owner_succeeds_as_trusted_profile(app: FastAPI) -> None:
    components: Any = app.state.components
    nip = random_nip()
    started = components.authentication.start_test_login(nip_context(nip), company(nip), client_ip="127.0.0.1")
    record = components.authentication.status(started.reference_number, started.authentication_token.token)
    assert record.status.code is AuthStatusCode.SUCCEEDED
    assert record.authentication_method is AuthenticationMethod.TRUSTED_PROFILE
    assert record.certificate_der is None
    redeemed = components.authentication.redeem(started.authentication_token.token)
    async with running(app) as client:
        # The tokens work like any others: the CSR data come from the declared details.
        data = await client.get("/v2/certificates/enrollments/data", headers=bearer(redeemed.access_token.token))
        assert data.status_code == 200, data.text
        assert data.json()["organizationIdentifier"] == f"VATPL-{nip}"
        status = await client.get(
            f"/v2/auth/{started.reference_number}", headers=bearer(started.authentication_token.token)
        )
        assert status.json()["authenticationMethodInfo"]["displayName"] == "Profil Zaufany"


async def test_test_login_without_permissions_is_415(app: FastAPI) -> None:
    components: Any = app.state.components
    person = SubjectDetails(
        identifier=SubjectIdentifier(SubjectIdentifierType.PESEL, random_pesel()),
        given_names=("Jan",),
        surname="Kowalski",
        common_name="Jan Kowalski",
        country_name="PL",
    )
    started = components.authentication.start_test_login(nip_context(random_nip()), person, client_ip="127.0.0.1")
    record = components.authentication.status(started.reference_number, started.authentication_token.token)
    assert record.status.code is AuthStatusCode.NO_PERMISSIONS


async def test_no_test_login_in_strict_mode(app_factory: Any, settings: ServerSettings) -> None:
    strict = app_factory(settings.model_copy(update={"mode": ServerMode.STRICT}))
    nip = random_nip()
    with pytest.raises(ForbiddenError, match="tylko w trybie sandbox"):
        strict.state.components.authentication.start_test_login(nip_context(nip), company(nip), client_ip="1.2.3.4")


async def test_is_active_until_the_session_is_ended(app: FastAPI, client: httpx.AsyncClient) -> None:
    components: Any = app.state.components
    nip = random_nip()
    started = components.authentication.start_test_login(nip_context(nip), company(nip), client_ip="127.0.0.1")
    assert components.authentication.is_active(started.reference_number)
    redeemed = components.authentication.redeem(started.authentication_token.token)
    response = await client.delete("/v2/auth/sessions/current", headers=bearer(redeemed.access_token.token))
    assert response.status_code == 204
    assert not components.authentication.is_active(started.reference_number)
    assert not components.authentication.is_active("20260302-AU-0000000000-0000000000-00")
    failed = components.authentication.start_test_login(nip_context(random_nip()), company(nip), client_ip="127.0.0.1")
    assert not components.authentication.is_active(failed.reference_number)  # 415: never stood
