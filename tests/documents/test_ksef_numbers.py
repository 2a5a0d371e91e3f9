"""KSeF numbers: the documentation's vectors, real numbers from the official UPO examples, round trips, and every
malformed number refused with its own message."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_mcu.documents.errors import KsefNumberError
from ksef_mcu.documents.ksef_numbers import (
    KsefNumber,
    build_ksef_number,
    checksum,
    crc8,
    is_valid_ksef_number,
    parse_ksef_number,
    random_technical_part,
)

# faktury/numer-ksef.md (example) and ksef-api-digest.md §5.6 (second vector, verified against the C# validator);
# the KOD I label of the official C# QR test.
DOCUMENTED = [
    "5265877635-20250826-0100001AF629-AF",
    "5265877635-20250626-010080DD2B5E-26",
    "5265877635-20250729-01004014E040-00",
]


def _reference_crc8(data: bytes) -> int:
    """The bit-by-bit loop of the documentation (digest §5.6), independent of the table-driven implementation."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@pytest.mark.parametrize("number", DOCUMENTED)
def test_documented_vectors(number: str) -> None:
    parsed = parse_ksef_number(number)
    assert str(parsed) == number
    assert parsed.checksum == number[-2:]
    assert parsed.seller_nip == number[:10]
    assert is_valid_ksef_number(number)


def test_numer_ksef_md_example_from_the_docs_snapshot(ksef_docs: Path) -> None:
    text = (ksef_docs / "faktury" / "numer-ksef.md").read_text(encoding="utf-8")
    examples = re.findall(r"\b\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}\b", text)
    assert examples, "numer-ksef.md has no example number any more"
    for example in examples:
        assert str(parse_ksef_number(example)) == example


def test_numbers_in_the_official_upo_examples_are_valid(ksef_docs: Path) -> None:
    examples = ksef_docs / "faktury" / "upo" / "przyklady"
    numbers = {
        number
        for path in examples.rglob("*.xml")
        for number in re.findall(r"<NumerKSeFDokumentu>([^<]+)<", Path(path).read_text(encoding="utf-8"))
    }
    assert len(numbers) >= 3
    for number in numbers:
        assert str(parse_ksef_number(number)) == number


def test_crc8_parameters() -> None:
    assert crc8(b"") == 0
    assert crc8(b"123456789") == 0xF4  # the CRC-8/SMBUS check value (poly 0x07, init 0, no reflection, no xor-out)
    assert checksum("5265877635-20250826-0100001AF629") == "AF"


@given(st.binary(max_size=64))
def test_crc8_matches_the_documented_loop(data: bytes) -> None:
    assert crc8(data) == _reference_crc8(data)


nips = st.from_regex(r"[1-9]([0-9][1-9]|[1-9][0-9])[0-9]{7}", fullmatch=True)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(9999, 12, 31))
technical = st.integers(0, 0xFFFF_FFFF_FFFF)


@given(nip=nips, day=dates, part=technical)
def test_build_parse_round_trip(nip: str, day: dt.date, part: int) -> None:
    number = build_ksef_number(nip, day, part)
    text = str(number)
    assert len(text) == 35
    assert re.fullmatch(r"\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}", text)
    assert parse_ksef_number(text) == number
    assert build_ksef_number(nip, day, f"{part:012X}") == number


@given(
    nip=nips, day=dates, part=technical, position=st.integers(0, 34), replacement=st.sampled_from("0123456789ABCDEF")
)
def test_any_changed_character_is_refused(nip: str, day: dt.date, part: int, position: int, replacement: str) -> None:
    text = str(build_ksef_number(nip, day, part))
    if text[position] == "-" or text[position] == replacement:
        return
    changed = text[:position] + replacement + text[position + 1 :]
    # A single substituted character always changes the CRC-8 of the data part (CRC detects every single-byte error),
    # and a changed checksum no longer matches; the shape or the date may also break first.
    assert not is_valid_ksef_number(changed)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("5265877635-20250826-0100001AF629-AE", "suma kontrolna"),
        ("5265877635-20250826-0100001af629-AF", "Nieprawidłowy numer KSeF"),
        ("5265877635-20250231-0100001AF629-AF", "nieistniejącą datę"),
        ("5265877635-20191231-0100001AF629-AF", "2020"),
        ("0265877635-20250826-0100001AF629-AF", "Nieprawidłowy numer KSeF"),
        ("5265877635-20250826-0100001AF629", "ma 32 znaków"),
        ("5265877635-20250826-0100001AF629-AF ", "ma 36 znaków"),
        ("5265877635-20250826-010000-1AF629-AF", "KSeF 1.0"),
        ("5265877635_20250826_0100001AF629_AF", "Nieprawidłowy numer KSeF"),
        ("٥265877635-20250826-0100001AF629-AF", "Nieprawidłowy numer KSeF"),
    ],
)
def test_malformed_numbers(text: str, fragment: str) -> None:
    with pytest.raises(KsefNumberError) as caught:
        parse_ksef_number(text)
    assert fragment in caught.value.message
    assert not is_valid_ksef_number(text)


def test_parse_refuses_non_text() -> None:
    with pytest.raises(KsefNumberError, match="tekstem"):
        parse_ksef_number(5265877635)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nip", "day", "part", "fragment"),
    [
        ("526587763", dt.date(2026, 1, 1), 1, "NIP"),
        ("5265877635", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1, "bez godziny"),
        ("5265877635", dt.date(2019, 12, 31), 1, "2020"),
        ("5265877635", dt.date(2026, 1, 1), -1, "12 cyfrach"),
        ("5265877635", dt.date(2026, 1, 1), 0x1_0000_0000_0000, "12 cyfrach"),
        ("5265877635", dt.date(2026, 1, 1), "0100001af629", "12 wielkich"),
        ("5265877635", dt.date(2026, 1, 1), True, "liczbą"),
    ],
)
def test_build_refuses_bad_parts(nip: str, day: dt.date, part: int | str, fragment: str) -> None:
    with pytest.raises(KsefNumberError) as caught:
        build_ksef_number(nip, day, part)
    assert fragment in caught.value.message


def test_random_technical_part_is_48_bit_and_varies() -> None:
    parts = {random_technical_part() for _ in range(50)}
    assert len(parts) > 45
    assert all(0 <= part <= 0xFFFF_FFFF_FFFF for part in parts)
    number = build_ksef_number("5265877635", dt.date(2026, 5, 1), random_technical_part())
    assert isinstance(number, KsefNumber)
    assert str(number).startswith("5265877635-20260501-")
