"""Signed values: what is signed comes back unchanged; any change to the text is refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_mcu.web.signing import MAX_SIGNED_LENGTH, SignedSerializer

SERIALIZER = SignedSerializer(b"0123456789abcdef0123456789abcdef", "test")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)
payloads = st.dictionaries(st.text(), json_values, max_size=6)


@given(payloads)
def test_round_trip(payload: dict[str, Any]) -> None:
    assert SERIALIZER.loads(SERIALIZER.dumps(payload)) == payload


@given(payloads, st.data())
def test_any_change_is_refused(payload: dict[str, Any], data: st.DataObject) -> None:
    token = SERIALIZER.dumps(payload)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCabc019-_.=").filter(lambda c: c != token[position]))
    tampered = token[:position] + replacement + token[position + 1 :]
    assert SERIALIZER.loads(tampered) is None


def test_the_signature_has_one_spelling() -> None:
    # 32 MAC bytes take 43 base64url characters; the last one carries two unused bits, so flipping them changes the
    # text but not the decoded bytes. Such a respelling is a changed value and is refused.
    token = SERIALIZER.dumps({"a": 1})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    respelled = token[:-1] + alphabet[last ^ 0b01]
    assert SERIALIZER.loads(respelled) is None
    assert SERIALIZER.loads(token) == {"a": 1}


def test_purpose_separates_keys() -> None:
    other = SignedSerializer(b"0123456789abcdef0123456789abcdef", "another purpose")
    assert other.loads(SERIALIZER.dumps({"a": 1})) is None


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b", "ą.ę", "x" * (MAX_SIGNED_LENGTH + 1)])
def test_garbage_is_refused(token: str) -> None:
    assert SERIALIZER.loads(token) is None


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        SignedSerializer(b"short", "x")
