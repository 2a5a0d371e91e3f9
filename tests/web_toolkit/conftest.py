"""The toolkit's test application, reached in-process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ksef_mcu.clock import ManualClock
from support.server import TEST_START
from web_toolkit.app import ToolkitApp, build_app


@pytest.fixture
def toolkit() -> ToolkitApp:
    return build_app(ManualClock(TEST_START))


@pytest.fixture
async def web(toolkit: ToolkitApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=toolkit.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
