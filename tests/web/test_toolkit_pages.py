"""The toolkit's layout and form helpers in Chromium: CSP-clean, focus on the first error, 375 px without
horizontal scrolling, a skip link for keyboards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from ksef_mcu.clock import ManualClock
from support.live_server import serve_in_thread
from support.server import TEST_START
from web_toolkit.app import build_app


@pytest.fixture(scope="module")
def toolkit_url() -> Iterator[str]:
    with serve_in_thread(build_app(ManualClock(TEST_START)).app) as url:
        yield url


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    # A form sent back with errors answers 400, which Chromium reports as "Failed to load resource"; anything else
    # (a CSP violation, a script error) fails the test.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, errors


def test_focus_goes_to_the_first_field_in_error(page: Page, toolkit_url: str) -> None:
    page.goto(f"{toolkit_url}/formularz")
    page.get_by_label("Nazwa", exact=True).fill("A")
    page.get_by_role("button", name="Zapisz").click()
    page.wait_for_selector("[data-error-summary]")
    assert page.evaluate("document.activeElement.id") == "nazwa"
    name = page.get_by_label("Nazwa", exact=True)
    assert name.get_attribute("aria-invalid") == "true"
    # The error message is part of the field's accessible description.
    assert "Nazwa musi mieć od 3 do 20 znaków." in page.evaluate(
        "document.getElementById(document.getElementById('nazwa').getAttribute('aria-describedby').split(' ')[1])"
        ".textContent"
    )
    page.get_by_role("link", name="Wybierz cel.").click()
    assert page.evaluate("document.activeElement.name") == "cel"


def test_keyboard_skip_link(page: Page, toolkit_url: str) -> None:
    page.goto(f"{toolkit_url}/formularz")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Przejdź do treści"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#tresc"


def test_375_pixels_wide_without_horizontal_scrolling(context: BrowserContext, toolkit_url: str) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    for path in ("/formularz", "/nie-ma-takiej", "/"):
        page.goto(f"{toolkit_url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
