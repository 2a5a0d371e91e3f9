"""Per-endpoint rate limits: the endpoints whose official limits differ from the "other" group's have their own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from ksef_mcu.clock import ManualClock
from ksef_mcu.server.settings import ENDPOINT_RATE_LIMIT_GROUPS, ServerSettings, default_rate_limits
from support.certificates import owner
from support.login import bearer
from support.openapi import load_contract
from support.server import running

LIMITS = default_rate_limits()
PUBLIC = {"perSecond": 60}


def official_limits() -> dict[str, dict[str, int]]:
    contract = load_contract()
    if contract is None:
        pytest.skip("the official open-api.json (../shared/ksef-docs) is not here")
    return {
        f"{method.upper()} /v2{path}": operation["x-rate-limits"]
        for path, operations in contract.document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "x-rate-limits" in operation
    }


def as_official(group: str) -> dict[str, int]:
    return LIMITS[group].model_dump(by_alias=True, exclude_none=True)


def served_operations(app: FastAPI) -> set[str]:
    return {
        f"{method} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/v2/")
        for method in route.methods
    }


def test_every_own_group_has_the_official_limits() -> None:
    official = official_limits()
    for endpoint, group in ENDPOINT_RATE_LIMIT_GROUPS.items():
        assert as_official(group) == official[endpoint], endpoint


def test_every_served_operation_with_other_limits_has_its_group(app: FastAPI) -> None:
    official = official_limits()
    other = as_official("other")
    different = {
        endpoint
        for endpoint in served_operations(app)
        if endpoint in official and official[endpoint] not in (other, PUBLIC)
    }
    assert different  # the sessions' endpoints at least
    assert different <= set(ENDPOINT_RATE_LIMIT_GROUPS), different - set(ENDPOINT_RATE_LIMIT_GROUPS)


@pytest.fixture
def limited(app_factory: Any, settings: ServerSettings) -> FastAPI:
    app: FastAPI = app_factory(settings.model_copy(update={"rate_limits_enabled": True}))
    return app


@pytest.mark.anyio
@pytest.mark.db
async def test_session_list_is_limited_by_its_own_group(limited: FastAPI, clock: ManualClock) -> None:
    async with running(limited) as client:
        _, token = await owner(client)
        listing = "/v2/sessions?sessionType=Online"
        statuses = [(await client.get(listing, headers=bearer(token))).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]  # 5 per second, where "other" allows 10
        # another endpoint keeps its own counter and the "other" group's limit
        others = [(await client.get("/v2/tokens", headers=bearer(token))).status_code for _ in range(10)]
        assert others == [200] * 10
