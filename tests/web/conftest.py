"""Browser fixtures: one headless Chromium per test process (each pytest-xdist worker), a fresh context per test."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from support.browser import PLAYWRIGHT_LOOP, Harness, RequestRecorder, launch_chromium, static_site

if TYPE_CHECKING:
    from ksef_mcu.server.keys import ServerKeys


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Browser tests get Playwright's event loop; every other test runs with no loop registered (see PlaywrightLoop)."""
    if "playwright" not in getattr(item, "fixturenames", ()):
        return (yield)
    PLAYWRIGHT_LOOP.restore()
    try:
        return (yield)
    finally:
        PLAYWRIGHT_LOOP.park()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver
        PLAYWRIGHT_LOOP.restore()  # the session may end in a test that does not use the browser


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright)
    yield browser
    PLAYWRIGHT_LOOP.restore()
    browser.close()


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """Base URL of the static site serving our modules and the test harness."""
    with static_site() as url:
        yield url


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def recorder(context: BrowserContext) -> RequestRecorder:
    """Records every request of the test's browser context from the start."""
    return RequestRecorder().attach(context)


@pytest.fixture
def harness(context: BrowserContext, recorder: RequestRecorder, site: str) -> Iterator[Harness]:
    """The harness page, loaded under the screens' CSP with every module; fails the test on any console error."""
    page = context.new_page()
    loaded = Harness(page)
    page.on("console", lambda message: loaded.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: loaded.console_errors.append(str(error)))
    page.goto(f"{site}/harness/index.html")
    page.wait_for_function("document.documentElement.dataset.ready === 'yes'", timeout=10_000)
    yield loaded
    assert not loaded.console_errors, loaded.console_errors


# --- the MCU screens on a live server ---------------------------------------------------------------------------------

from support.screens_browser import McuServer, OffsetClock, mcu_server  # noqa: E402


@pytest.fixture(scope="module")
def mcu(database_url: str, server_keys: ServerKeys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McuServer]:
    """One live MCU server per test module (and database backend), on the session's database, with a clock the
    tests can move forward."""
    with mcu_server(database_url, server_keys, tmp_path_factory.mktemp("mcu"), clock=OffsetClock()) as server:
        yield server


@pytest.fixture
def screen(context: BrowserContext, recorder: RequestRecorder) -> Iterator[Page]:
    """A page of the test's context; fails the test on a script error or a CSP violation (a page answering 4xx,
    e.g. a form sent back with its errors, is reported by Chromium as "Failed to load resource" and allowed)."""
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    assert not problems, problems
