"""The composition root: one place builds every service, and the seams it promises (docs/server.md) take effect."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection

from ksef_mcu.identifiers import ContextIdentifier, SubjectIdentifier
from ksef_mcu.server.auth.hooks import Standing
from ksef_mcu.server.auth.model import ContextPermissions, Permission
from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.server.testdata.permissions import TestDataPermissionResolver
from support.login import Identity, login, start_login, status_of
from support.server import TEST_START, running
from support.tokens import claims

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


class EveryoneMayRead:
    """A permissions resolver that lets any subject read invoices in any context."""

    def __init__(self) -> None:
        self.asked: list[tuple[ContextIdentifier, SubjectIdentifier]] = []

    def standing(
        self, connection: Connection, context: ContextIdentifier, subject: SubjectIdentifier, *, complete: bool = True
    ) -> Standing:
        self.asked.append((context, subject))
        return Standing(deceased=False, permissions=ContextPermissions((Permission.INVOICE_READ,)))


class NobodyMay:
    def standing(
        self, connection: Connection, context: ContextIdentifier, subject: SubjectIdentifier, *, complete: bool = True
    ) -> Standing:
        return Standing(deceased=False, permissions=None)


class ReplacesPermissions:
    """A module doing what docs/server.md promises a permissions module can do."""

    name = "permissions"

    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        components.permissions = self.resolver


def test_every_service_is_built_once_and_shared(app: FastAPI) -> None:
    components: ServerComponents = app.state.components
    assert isinstance(components.permissions, TestDataPermissionResolver)
    assert components.login_hooks.certificate_authorities == [components.certificates]
    assert all(anchor in components.trust.anchors() for anchor in components.authority.trust_anchors())
    assert components.issuance is not None


async def test_a_resolver_installed_by_a_module_decides_logins(app_factory: Any, settings: ServerSettings) -> None:
    resolver = EveryoneMayRead()
    app = app_factory(settings, modules=[ReplacesPermissions(resolver)])
    owner, stranger = Identity.person_with_nip(now=NOW), Identity.person_with_nip(now=NOW)
    async with running(app) as client:
        # Under the test-data rules the stranger holds nothing in the owner's context; under this resolver it reads.
        tokens = await login(client, stranger, context=owner.nip or "", now=NOW)
    assert json.loads(claims(tokens.access_token)["per"]) == ["InvoiceRead"]
    assert resolver.asked  # asked at login and again when the tokens were redeemed


async def test_replacing_components_permissions_at_run_time_takes_effect(client: Any, app: FastAPI) -> None:
    owner = Identity.person_with_nip(now=NOW)
    await login(client, owner, context=owner.nip or "", now=NOW)  # the owner rule of the test data
    app.state.components.permissions = NobodyMay()
    started = await start_login(client, owner, context=owner.nip or "", now=NOW)
    assert (await status_of(client, started))["status"]["code"] == 415
