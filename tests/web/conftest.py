"""Browser fixtures: one headless Chromium per test process (each pytest-xdist worker), a fresh context per test."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from support.browser import PLAYWRIGHT_LOOP, Harness, RequestRecorder, launch_chromium, static_site


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
