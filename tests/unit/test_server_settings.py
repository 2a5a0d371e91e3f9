from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from ksef_mcu.server.settings import ServerSettings


@pytest.mark.parametrize(
    ("text", "expected"),
    [("900", timedelta(seconds=900)), (" 0.5 ", timedelta(milliseconds=500)), ("PT15M", timedelta(minutes=15))],
)
def test_durations_from_the_environment_are_seconds_or_iso_8601(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: timedelta
) -> None:
    monkeypatch.setenv("KSEF_MCU_ACCESS_TOKEN_LIFETIME", text)
    assert ServerSettings().access_token_lifetime == expected


def test_a_duration_that_is_neither_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_MCU_ACCESS_TOKEN_LIFETIME", "15 minut")
    with pytest.raises(ValidationError, match="access_token_lifetime"):
        ServerSettings()
