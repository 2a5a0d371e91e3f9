"""Buttons whose work happens only in the page's script ("Generuj", the "Certyfikat KSeF" "Zaloguj") stay disabled
until that script has attached its handler: a click made while the module is still loading must not send the form
away unsigned or empty. (A CI run timed out waiting for the "Certyfikat KSeF" refusal; an early click that posts the
plain form, answered with "wymaga JavaScriptu", explains it.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from support.screens_browser import McuServer, log_in_for_test


def hold_script(page: Page, name: str) -> list[Route]:
    """Hold every request for the module `name` until the test lets it go; returns the held requests."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(re.compile(rf"/{re.escape(name)}(\?.*)?$"), hold)
    return held


@pytest.mark.parametrize(
    ("path", "script", "button", "log_in"),
    [
        ("/logowanie/certyfikat-ksef", "screen-login-ksef.js", "Zaloguj", False),
        ("/certyfikaty/wniosek", "screen-enroll.js", "Generuj", True),
    ],
    ids=["certyfikat-ksef", "generuj"],
)
def test_the_button_waits_for_its_script(
    mcu: McuServer, screen: Page, path: str, script: str, button: str, log_in: bool
) -> None:
    if log_in:
        log_in_for_test(screen, mcu.url)
    held = hold_script(screen, script)
    # Module scripts run before DOMContentLoaded, so while the module is held the page has only been "committed".
    with screen.expect_request(lambda request: request.url.split("?")[0].endswith(f"/{script}")):
        screen.goto(f"{mcu.url}{path}", wait_until="commit")
    control = screen.get_by_role("button", name=button, exact=True)
    expect(control).to_be_disabled()
    # A click that reaches the disabled button does nothing: nothing is sent, the page stays.
    control.click(force=True)
    assert screen.url == f"{mcu.url}{path}"
    assert held, "the module was not held"
    for route in held:
        route.continue_()
    expect(control).to_be_enabled()
    assert screen.url == f"{mcu.url}{path}"
