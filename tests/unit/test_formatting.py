"""`ksef_mcu.formatting`: one way to show time — Polish local time with its zone for people, ISO 8601 with the offset
for machines — and the labels shared by the CLI, the web screens and the invoicing app."""

from __future__ import annotations

import datetime as dt

import pytest

from ksef_mcu.formatting import (
    CERTIFICATE_STATUS_LABELS,
    CERTIFICATE_TYPE_LABELS,
    PERMISSION_LABELS,
    TOKEN_STATUS_LABELS,
    format_day,
    format_moment,
    iso_moment,
    plural,
    polish_date,
    start_of_day,
)

WINTER = dt.datetime(2026, 12, 2, 13, 5, 59, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


def test_moments_for_people_carry_the_polish_zone() -> None:
    assert format_moment(WINTER) == "2026-12-02 14:05 CET"
    assert format_moment(SUMMER) == "2026-07-01 14:00 CEST"
    assert format_moment(WINTER.astimezone(dt.timezone(dt.timedelta(hours=-5)))) == "2026-12-02 14:05 CET"


def test_absent_moments() -> None:
    assert format_moment(None) == "—"
    assert format_moment(dt.datetime(1, 1, 1, tzinfo=dt.UTC)) == "—"  # KSeF's "never"


def test_moments_for_machines_are_iso_with_the_offset() -> None:
    assert iso_moment(WINTER) == "2026-12-02T14:05:59+01:00"
    assert iso_moment(SUMMER) == "2026-07-01T14:00:00+02:00"
    assert dt.datetime.fromisoformat(iso_moment(SUMMER)) == SUMMER
    assert iso_moment(dt.datetime(1, 1, 1, tzinfo=dt.UTC)) == "0001-01-01T00:00:00+00:00"  # KSeF's "never", unchanged


def test_polish_calendar_days() -> None:
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # already 2 March in Poland
    assert polish_date(late) == dt.date(2026, 3, 2)
    assert format_day(late) == "2026-03-02"
    midnight = start_of_day(dt.date(2026, 7, 1))
    assert midnight.astimezone(dt.UTC) == dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "certyfikatów"),
        (1, "certyfikat"),
        (2, "certyfikaty"),
        (4, "certyfikaty"),
        (5, "certyfikatów"),
        (11, "certyfikatów"),
        (12, "certyfikatów"),
        (14, "certyfikatów"),
        (22, "certyfikaty"),
        (25, "certyfikatów"),
        (101, "certyfikatów"),
        (104, "certyfikaty"),
    ],
)
def test_polish_plurals(count: int, expected: str) -> None:
    assert plural(count, "certyfikat", "certyfikaty", "certyfikatów") == expected


def test_labels_are_keyed_by_the_api_values() -> None:
    assert CERTIFICATE_STATUS_LABELS["Revoked"] == "Unieważniony"
    assert CERTIFICATE_TYPE_LABELS["Offline"] == "Offline (Typ 2)"


def test_every_permission_and_token_status_of_the_api_has_a_polish_label() -> None:
    from ksef_mcu.server.permissions.schemas import AuthorizationPermissionType, PersonalPermissionType
    from ksef_mcu.server.tokens.model import TOKEN_PERMISSIONS, TokenStatus

    names = {*PersonalPermissionType, *AuthorizationPermissionType, *TOKEN_PERMISSIONS, "Owner"}
    assert {str(name) for name in names} <= set(PERMISSION_LABELS)
    assert {status.value for status in TokenStatus} == set(TOKEN_STATUS_LABELS)
    assert PERMISSION_LABELS["InvoiceWrite"] == "wystawianie faktur"
    assert TOKEN_STATUS_LABELS["Revoked"] == "unieważniony"
