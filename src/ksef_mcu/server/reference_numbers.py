"""Reference numbers (and challenges) the server hands out.

Reference numbers look like the official ones (`20250514-AU-2DFC46C000-3AC6D5877F-D4`): the date, a two-letter type,
ten hex digits of milliseconds since 2020-01-01 (so new numbers sort after old ones and index well), ten random hex
digits and a two-digit CRC check.
"""

from __future__ import annotations

import enum
import re
import secrets
import zlib
from datetime import UTC, datetime

REFERENCE_NUMBER_PATTERN = re.compile(r"^(\d{8})-([0-9A-Z]{2})-([0-9A-F]{10})-([0-9A-F]{10})-([0-9A-F]{2})$")

_EPOCH_2020_MS = 1_577_836_800_000


class ReferenceKind(enum.StrEnum):
    """Two-letter type codes in reference numbers, as in the official examples."""

    CHALLENGE = "CR"
    AUTHENTICATION = "AU"
    ENROLLMENT = "EH"
    PERMISSION_OPERATION = "EG"
    KSEF_TOKEN = "EC"  # noqa: S105 - a reference-number type code
    ONLINE_SESSION = "SO"
    SESSION_INVOICE = "EE"
    UPO_PAGE = "EU"


def _format_reference(kind: str, now: datetime, time_part: int, random_part: int) -> str:
    stem = f"{now.astimezone(UTC):%Y%m%d}-{kind}-{time_part:010X}-{random_part:010X}"
    return f"{stem}-{zlib.crc32(stem.encode('ascii')) & 0xFF:02X}"


def new_reference_number(kind: ReferenceKind, *, now: datetime) -> str:
    """A fresh 36-character reference number of the given kind; `now` must be timezone-aware."""
    milliseconds = int(now.timestamp() * 1000) - _EPOCH_2020_MS
    return _format_reference(kind.value, now, milliseconds & 0xFF_FFFF_FFFF, secrets.randbits(40))


def is_reference_number(text: str, kind: ReferenceKind | None = None) -> bool:
    """Whether `text` has the shape of a reference number (of `kind`, when given) with a valid check digit pair."""
    match = REFERENCE_NUMBER_PATTERN.fullmatch(text)
    if match is None or (kind is not None and match.group(2) != kind.value):
        return False
    stem = text[:-3]
    return f"{zlib.crc32(stem.encode('ascii')) & 0xFF:02X}" == match.group(5)
