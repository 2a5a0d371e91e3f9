from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_mcu.crypto.errors import SerialNumberError
from ksef_mcu.crypto.serials import format_serial, generate_serial, parse_serial


def test_format_keeps_leading_zeros() -> None:
    assert format_serial(0x01F20A5D352AE590) == "01F20A5D352AE590"
    assert format_serial(1) == "0000000000000001"


def test_format_longer_serial_is_even_length() -> None:
    assert format_serial(0x1_0000_0000_0000_0000) == "010000000000000000"


@given(st.integers(min_value=0, max_value=2**160 - 1))
def test_parse_format_round_trip(serial: int) -> None:
    assert parse_serial(format_serial(serial)) == serial


@pytest.mark.parametrize("text", ["", "0x01", "01F20A5D352AE59G", " 01F2", "01-F2"])
def test_parse_rejects_non_hex(text: str) -> None:
    with pytest.raises(SerialNumberError):
        parse_serial(text)


def test_generated_serial_is_64_bit_positive() -> None:
    serials = {generate_serial() for _ in range(200)}
    assert len(serials) == 200
    assert all(0 < serial < 2**63 for serial in serials)
    assert all(len(format_serial(serial)) == 16 for serial in serials)
