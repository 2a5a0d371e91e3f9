"""Continuation tokens: what a page hands out comes back as the same position; anything else is 21418."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_mcu.server.continuation import decode_continuation, decode_keyset, encode_continuation, encode_keyset
from ksef_mcu.server.errors import InvalidContinuationTokenError

moments = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))


@given(moments, st.text())
def test_keyset_round_trip(moment: datetime, reference: str) -> None:
    assert decode_keyset(encode_keyset(moment, reference)) == (moment, reference)


@given(st.integers(min_value=0))
def test_position_round_trip(position: int) -> None:
    assert decode_continuation(encode_continuation(position)) == position


def token_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64 at all!",
        "ąę",
        base64.urlsafe_b64encode(b"{not json").decode(),
        token_of(["2026-03-02T09:30:00+00:00"]),
        token_of(["2026-03-02T09:30:00+00:00", "ref", "extra"]),
        token_of(["2026-03-02T09:30:00", "ref"]),  # no time zone: it cannot be compared with stored moments
        token_of(["yesterday", "ref"]),
        token_of(["2026-03-02T09:30:00+00:00", 7]),
        token_of({"after": "ref"}),
    ],
)
def test_a_token_that_is_not_a_keyset_is_21418(token: str) -> None:
    with pytest.raises(InvalidContinuationTokenError) as raised:
        decode_keyset(token)
    assert raised.value.code == 21418
    assert raised.value.description == "Przekazany token kontynuacji ma nieprawidłowy format."
