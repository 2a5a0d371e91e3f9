"""Reference numbers and challenges the server hands out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ksef_mcu.server.reference_numbers import ReferenceKind, is_reference_number, new_reference_number

NOW = datetime(2026, 3, 2, 9, 30, 15, 123000, tzinfo=UTC)
OFFICIAL_CLIENT_REGEX = re.compile(
    r"^(20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])-([0-9A-Z]{2})"
    r"-([0-9A-F]{10})-([0-9A-F]{10})-([0-9A-F]{2})$"
)
CHALLENGE_XSD_PATTERN = re.compile(r"^\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}$")


class TestNewReferenceNumber:
    @pytest.mark.parametrize("kind", list(ReferenceKind))
    def test_has_the_official_shape(self, kind: ReferenceKind) -> None:
        number = new_reference_number(kind, now=NOW)
        assert len(number) == 36
        assert OFFICIAL_CLIENT_REGEX.fullmatch(number)
        assert number.startswith(f"20260302-{kind.value}-")
        assert is_reference_number(number, kind)

    def test_challenge_matches_the_auth_token_request_schema(self) -> None:
        assert CHALLENGE_XSD_PATTERN.fullmatch(new_reference_number(ReferenceKind.CHALLENGE, now=NOW))

    def test_numbers_are_unique(self) -> None:
        numbers = {new_reference_number(ReferenceKind.AUTHENTICATION, now=NOW) for _ in range(2000)}
        assert len(numbers) == 2000

    def test_later_numbers_sort_after_earlier_ones(self) -> None:
        earlier = new_reference_number(ReferenceKind.AUTHENTICATION, now=NOW)
        later = new_reference_number(ReferenceKind.AUTHENTICATION, now=NOW + timedelta(milliseconds=5))
        assert earlier[12:22] < later[12:22]

    def test_date_is_utc(self) -> None:
        late_evening_in_warsaw = datetime(2026, 3, 2, 23, 30, tzinfo=UTC).astimezone()
        assert new_reference_number(ReferenceKind.CHALLENGE, now=late_evening_in_warsaw).startswith("20260302-")


class TestIsReferenceNumber:
    def test_rejects_a_changed_digit(self) -> None:
        number = new_reference_number(ReferenceKind.AUTHENTICATION, now=NOW)
        changed = number[:20] + ("0" if number[20] != "0" else "1") + number[21:]
        assert not is_reference_number(changed)

    def test_rejects_other_kinds_and_shapes(self) -> None:
        number = new_reference_number(ReferenceKind.CHALLENGE, now=NOW)
        assert not is_reference_number(number, ReferenceKind.AUTHENTICATION)
        assert not is_reference_number(number.lower())
        assert not is_reference_number(number + "0")
        assert not is_reference_number("")
