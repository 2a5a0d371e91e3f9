"""KSeF invoice numbers: `NNNNNNNNNN-RRRRMMDD-XXXXXXXXXXXX-CC` (35 characters, `faktury/numer-ksef.md`).

- `NNNNNNNNNN` the seller's NIP (Podmiot1),
- `RRRRMMDD` the day the invoice was accepted for processing,
- `XXXXXXXXXXXX` a 12-digit uppercase hexadecimal technical part (opaque; the issuer keeps it unique),
- `CC` CRC-8 (polynomial 0x07, initial value 0x00, no reflection, no final XOR) of the first 32 characters as ASCII,
  as 2 uppercase hexadecimal digits.

KSeF 2.0 issues only 35-character numbers; the 36-character form (`…-XXXXXX-XXXXXX-CC`) belongs to KSeF 1.0 and is
refused here with its own message.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Final

from ksef_mcu.documents.errors import KsefNumberError
from ksef_mcu.identifiers import NIP_PATTERN

KSEF_NUMBER_LENGTH: Final = 35
TECHNICAL_PART_MAX: Final = 0xFFFF_FFFF_FFFF
"""The largest technical part (12 hexadecimal digits)."""

# open-api.json `KsefNumber` (35-character form): the NIP part follows the official NIP pattern (`identifiers`), ASCII.
_SHAPE = re.compile(
    "(" + NIP_PATTERN.pattern.strip("^$") + r")-(\d{4})(\d{2})(\d{2})-([0-9A-F]{12})-([0-9A-F]{2})", re.ASCII
)
_LEGACY_SHAPE = re.compile(r"\d{10}-\d{8}-[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{2}", re.ASCII)
_NIP = re.compile(NIP_PATTERN.pattern, re.ASCII)
_EXAMPLE = "5265877635-20250826-0100001AF629-AF"


def _crc8_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_CRC8_TABLE: Final = _crc8_table()


def crc8(data: bytes) -> int:
    """CRC-8 as KSeF computes it (polynomial 0x07, initial value 0x00, no reflection, no final XOR)."""
    crc = 0
    table = _CRC8_TABLE
    for byte in data:
        crc = table[crc ^ byte]
    return crc


def checksum(data_part: str) -> str:
    """The 2-character checksum of the first 32 characters of a KSeF number (`NIP-RRRRMMDD-XXXXXXXXXXXX`)."""
    return f"{crc8(data_part.encode('ascii')):02X}"


@dataclass(frozen=True, slots=True)
class KsefNumber:
    """A valid KSeF invoice number; `str(number)` is its 35-character text."""

    seller_nip: str
    accepted_on: dt.date
    technical_part: str

    def __post_init__(self) -> None:
        if not isinstance(self.seller_nip, str) or not _NIP.fullmatch(self.seller_nip):
            raise KsefNumberError(
                f"Nieprawidłowy NIP sprzedawcy w numerze KSeF: {self.seller_nip!r} (oczekiwano 10 cyfr, "
                "bez zer na pierwszej pozycji i na pozycjach 2–3 jednocześnie)."
            )
        if not isinstance(self.accepted_on, dt.date) or isinstance(self.accepted_on, dt.datetime):
            raise KsefNumberError("Data przyjęcia faktury w numerze KSeF musi być datą (bez godziny).")
        if self.accepted_on.year < 2020:
            raise KsefNumberError("Data przyjęcia faktury w numerze KSeF nie może być wcześniejsza niż rok 2020.")
        if not isinstance(self.technical_part, str) or not re.fullmatch(r"[0-9A-F]{12}", self.technical_part):
            raise KsefNumberError(
                f"Nieprawidłowa część techniczna numeru KSeF: {self.technical_part!r} "
                "(oczekiwano 12 wielkich cyfr szesnastkowych)."
            )

    @property
    def data_part(self) -> str:
        """The first 32 characters, over which the checksum is computed."""
        return f"{self.seller_nip}-{self.accepted_on:%Y%m%d}-{self.technical_part}"

    @property
    def checksum(self) -> str:
        """The CRC-8 checksum (2 uppercase hexadecimal digits)."""
        return checksum(self.data_part)

    def __str__(self) -> str:
        data = self.data_part
        return f"{data}-{checksum(data)}"


def build_ksef_number(seller_nip: str, accepted_on: dt.date, technical_part: int | str) -> KsefNumber:
    """A KSeF number for an invoice of `seller_nip` accepted on `accepted_on` (the day in Polish time).

    `technical_part` is an integer 0…`TECHNICAL_PART_MAX` or its 12 hexadecimal digits; the caller keeps it unique
    (see `random_technical_part`). Raises `KsefNumberError` for bad input.
    """
    if isinstance(technical_part, bool):
        raise KsefNumberError("Część techniczna numeru KSeF musi być liczbą lub 12 cyframi szesnastkowymi.")
    if isinstance(technical_part, int):
        if not 0 <= technical_part <= TECHNICAL_PART_MAX:
            raise KsefNumberError("Część techniczna numeru KSeF musi mieścić się w 12 cyfrach szesnastkowych.")
        technical_part = f"{technical_part:012X}"
    return KsefNumber(seller_nip, accepted_on, technical_part)


def random_technical_part() -> int:
    """A random 48-bit technical part (the caller still checks uniqueness, e.g. with a database constraint)."""
    return secrets.randbits(48)


def parse_ksef_number(text: str) -> KsefNumber:
    """Parse and validate a KSeF number (shape, calendar date, CRC-8). Raises `KsefNumberError` saying what is wrong."""
    if not isinstance(text, str):
        raise KsefNumberError("Numer KSeF musi być tekstem.")
    if len(text) != KSEF_NUMBER_LENGTH:
        if _LEGACY_SHAPE.fullmatch(text):
            raise KsefNumberError(
                f"{text!r} to 36-znakowy numer KSeF 1.0; KSeF 2.0 nadaje wyłącznie numery 35-znakowe (np. {_EXAMPLE})."
            )
        raise KsefNumberError(
            f"Numer KSeF ma {len(text)} znaków; wymagane jest dokładnie {KSEF_NUMBER_LENGTH} "
            f"(NIP-RRRRMMDD-XXXXXXXXXXXX-CC, np. {_EXAMPLE})."
        )
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise KsefNumberError(
            f"Nieprawidłowy numer KSeF: {text!r} (oczekiwano NIP-RRRRMMDD-XXXXXXXXXXXX-CC: 10 cyfr NIP, data, "
            f"12 i 2 wielkie cyfry szesnastkowe, np. {_EXAMPLE})."
        )
    nip, year, month, day, technical, given = match.groups()
    try:
        accepted_on = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise KsefNumberError(f"Numer KSeF {text!r} zawiera nieistniejącą datę {year}-{month}-{day}.") from None
    number = KsefNumber(nip, accepted_on, technical)
    expected = number.checksum
    if given != expected:
        raise KsefNumberError(
            f"Nieprawidłowa suma kontrolna numeru KSeF {text!r}: jest {given}, powinna być {expected} (CRC-8)."
        )
    return number


def is_valid_ksef_number(text: str) -> bool:
    """Whether `text` is a valid 35-character KSeF number (never raises)."""
    try:
        parse_ksef_number(text)
    except KsefNumberError:
        return False
    return True
