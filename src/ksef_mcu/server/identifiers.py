"""KSeF identifiers: reference numbers and challenges, context identifiers, NIP/PESEL/fingerprint formats.

Reference numbers look like the official ones (`20250514-AU-2DFC46C000-3AC6D5877F-D4`): the date, a two-letter type,
ten hex digits of milliseconds since 2020-01-01 (so new numbers sort after old ones and index well), ten random hex
digits and a two-digit CRC check.
"""

from __future__ import annotations

import enum
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

NIP_PATTERN = re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$")
PESEL_PATTERN = re.compile(r"^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$")
INTERNAL_ID_PATTERN = re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}-\d{5}$")
NIP_VAT_UE_PATTERN = re.compile(
    r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}-(ATU\d{8}|BE[01]{1}\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}"
    r"|EE\d{9}|EL\d{9}|ES([A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z])|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}"
    r"|IE(\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z])|IT\d{11}|LT(\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|NL[A-Z0-9+*]{12}"
    r"|PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|XI((\d{9}|\d{12})|(GD|HA)\d{3}))$"
)
PEPPOL_ID_PATTERN = re.compile(r"^P[A-Z]{2}[0-9]{6}$")
FINGERPRINT_PATTERN = re.compile(r"^[0-9A-Fa-f]{64}$")
REFERENCE_NUMBER_PATTERN = re.compile(r"^(\d{8})-([0-9A-Z]{2})-([0-9A-F]{10})-([0-9A-F]{10})-([0-9A-F]{2})$")

_EPOCH_2020_MS = 1_577_836_800_000


class ReferenceKind(enum.StrEnum):
    """Two-letter type codes in reference numbers, as in the official examples."""

    CHALLENGE = "CR"
    AUTHENTICATION = "AU"
    ENROLLMENT = "EH"
    PERMISSION_OPERATION = "EG"
    KSEF_TOKEN = "EC"  # noqa: S105 - a reference-number type code


class ContextIdentifierType(enum.StrEnum):
    """The API's `ContextIdentifier.type` (and the XML `ContextIdentifier` child element names)."""

    NIP = "Nip"
    INTERNAL_ID = "InternalId"
    NIP_VAT_UE = "NipVatUe"
    PEPPOL_ID = "PeppolId"


_CONTEXT_PATTERNS = {
    ContextIdentifierType.NIP: NIP_PATTERN,
    ContextIdentifierType.INTERNAL_ID: INTERNAL_ID_PATTERN,
    ContextIdentifierType.NIP_VAT_UE: NIP_VAT_UE_PATTERN,
    ContextIdentifierType.PEPPOL_ID: PEPPOL_ID_PATTERN,
}


@dataclass(frozen=True, slots=True)
class ContextIdentifier:
    """Whose behalf an authenticated caller acts on: a NIP, an internal id, a NIP-VAT UE pair or a Peppol id."""

    type: ContextIdentifierType
    value: str

    def is_well_formed(self) -> bool:
        return bool(_CONTEXT_PATTERNS[self.type].fullmatch(self.value))

    @property
    def nip(self) -> str | None:
        """The NIP this context belongs to (the NIP itself, or the NIP part of an internal id / NIP-VAT UE pair)."""
        if self.type is ContextIdentifierType.PEPPOL_ID:
            return None
        return self.value.split("-", 1)[0]


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
