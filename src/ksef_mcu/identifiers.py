"""The KSeF vocabulary of identifiers, defined once: who acts (subjects), on whose behalf (contexts), from where
(allowed IP addresses), and the NIP / PESEL / internal-id / NIP-VAT UE formats and check digits.

Pure and dependency-free: the crypto library, the client, the server and the invoicing application all import it,
and nobody redefines it.

Two levels of checking, because KSeF itself has two:

- *format* (`…_PATTERN`, `ContextIdentifier.is_well_formed`) is what the official schemas and `open-api.json` accept:
  the patterns below are theirs, with XML Schema's `\\d` (any Unicode decimal digit, as the real KSeF reads it). The
  server accepts exactly this from API callers and in signed AuthTokenRequests.
- *validity* (`nip_is_valid`, `pesel_is_valid`, `internal_id_is_valid`, `nip_vat_ue_is_valid`,
  `ContextIdentifier.is_valid`) adds what a real identifier always satisfies: ASCII digits and the check digits. Use
  it for what we produce or a person types (QR links, test certificates, the CLI).
"""

from __future__ import annotations

import enum
import ipaddress
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "CONTEXT_VALUE_PATTERNS",
    "CONTEXT_VALUE_SHAPES",
    "EU_VAT_NUMBER_FORMATS",
    "FINGERPRINT_PATTERN",
    "INTERNAL_ID_PATTERN",
    "NIP_PATTERN",
    "NIP_VAT_UE_PATTERN",
    "PEPPOL_ID_PATTERN",
    "PESEL_PATTERN",
    "AllowedIps",
    "ContextIdentifier",
    "ContextIdentifierType",
    "IdentifierError",
    "SubjectIdentifier",
    "SubjectIdentifierType",
    "SubjectIdentifierTypeXml",
    "check_nip",
    "check_pesel",
    "generate_random_nip",
    "internal_id_check_digit",
    "internal_id_is_valid",
    "nip_check_digit",
    "nip_is_valid",
    "nip_vat_ue_is_valid",
    "peppol_id_is_valid",
    "pesel_is_valid",
]


class IdentifierError(ValueError):
    """An identifier (NIP, PESEL, …) is malformed; `message` is Polish and safe to show to a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- formats (the official schemas' patterns) --------------------------------------------------------------------

_NIP = r"[1-9](?:\d[1-9]|[1-9]\d)\d{7}"

EU_VAT_NUMBER_FORMATS: Mapping[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z]",
    "FI": r"\d{8}",
    "FR": r"[A-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"[A-Z0-9+*]{12}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|(?:GD|HA)\d{3}",
}
"""EU VAT numbers by country prefix, without the prefix (the VIES formats the `TNipVatUE` schema type encodes)."""

# Anchored (`^…$`) because pydantic's `pattern` searches; always apply them with `fullmatch`.
NIP_PATTERN = re.compile(rf"^{_NIP}$")
PESEL_PATTERN = re.compile(r"^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$")
INTERNAL_ID_PATTERN = re.compile(rf"^{_NIP}-\d{{5}}$")
NIP_VAT_UE_PATTERN = re.compile(
    rf"^{_NIP}-(?:" + "|".join(f"{country}(?:{number})" for country, number in EU_VAT_NUMBER_FORMATS.items()) + ")$"
)
PEPPOL_ID_PATTERN = re.compile(r"^P[A-Z]{2}[0-9]{6}$")
FINGERPRINT_PATTERN = re.compile(r"^[0-9A-Fa-f]{64}$")


# --- check digits (what every real identifier satisfies) ---------------------------------------------------------

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_ASCII_DIGITS = re.compile(r"[0-9]+")


def _ascii_digits(text: object, length: int) -> bool:
    return isinstance(text, str) and len(text) == length and _ASCII_DIGITS.fullmatch(text) is not None


def nip_check_digit(first_nine: str) -> int | None:
    """The NIP check digit of nine ASCII digits (weights 6,5,7,2,3,4,5,6,7, mod 11); None when the remainder is 10,
    i.e. no NIP starts with these digits."""
    remainder = sum(int(digit) * weight for digit, weight in zip(first_nine, _NIP_WEIGHTS, strict=True)) % 11
    return None if remainder == 10 else remainder


def nip_is_valid(nip: object) -> bool:
    """True for a real NIP: ten ASCII digits, the official pattern (no leading zero, no `00` tax-office code in
    digits 2–3) and the check digit."""
    if not _ascii_digits(nip, 10) or not NIP_PATTERN.fullmatch(str(nip)):
        return False
    text = str(nip)
    return nip_check_digit(text[:9]) == int(text[9])


def pesel_is_valid(pesel: object) -> bool:
    """True for a real PESEL: eleven ASCII digits, the check digit and a real date of birth (1800–2299)."""
    if not _ascii_digits(pesel, 11):
        return False
    text = str(pesel)
    total = sum(int(digit) * weight for digit, weight in zip(text, _PESEL_WEIGHTS, strict=False))
    if (10 - total % 10) % 10 != int(text[10]):
        return False
    year, month, day = int(text[0:2]), int(text[2:4]), int(text[4:6])
    century = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}.get(month - month % 20)
    if century is None:
        return False
    try:
        date(century + year, month % 20, day)
    except ValueError:
        return False
    return True


def internal_id_check_digit(first_fourteen: str) -> int:
    """The check digit of an internal id: the NIP and the first four suffix digits (14 ASCII digits) weighted
    1,3,1,3,…, summed, mod 10 (`open-api.json`, `POST /permissions/subunits/grants`)."""
    return sum(int(digit) * (1 if index % 2 == 0 else 3) for index, digit in enumerate(first_fourteen)) % 10


def internal_id_is_valid(value: object) -> bool:
    """True for a real internal id `NIP-NNNNN`: a valid NIP, a dash, five ASCII digits, the last one the check
    digit."""
    if not isinstance(value, str) or not INTERNAL_ID_PATTERN.fullmatch(value):
        return False
    nip, _, suffix = value.partition("-")
    if not nip_is_valid(nip) or not _ascii_digits(suffix, 5):
        return False
    return internal_id_check_digit(nip + suffix[:4]) == int(suffix[4])


def nip_vat_ue_is_valid(value: object) -> bool:
    """True for `NIP-<EU VAT number>`: the schema format with a valid NIP in front."""
    if not isinstance(value, str) or not NIP_VAT_UE_PATTERN.fullmatch(value) or not value.isascii():
        return False
    return nip_is_valid(value.partition("-")[0])


def peppol_id_is_valid(value: object) -> bool:
    """True for a Peppol provider id: `P`, two capital letters, six ASCII digits (no check digit exists)."""
    return isinstance(value, str) and PEPPOL_ID_PATTERN.fullmatch(value) is not None


def check_nip(nip: str) -> str:
    """`nip` when it is a real NIP; raises `IdentifierError` with a Polish message saying what is wrong."""
    if not _ascii_digits(nip, 10):
        raise IdentifierError(f"Nieprawidłowy NIP {nip!r}: oczekiwano 10 cyfr (bez kresek).")
    if not NIP_PATTERN.fullmatch(nip):
        raise IdentifierError(f"Nieprawidłowy NIP {nip}: nie może zaczynać się od 0 ani mieć 00 na 2. i 3. pozycji.")
    if not nip_is_valid(nip):
        raise IdentifierError(f"Nieprawidłowy NIP {nip}: cyfra kontrolna się nie zgadza.")
    return nip


def check_pesel(pesel: str) -> str:
    """`pesel` when it is a real PESEL; raises `IdentifierError` with a Polish message saying what is wrong."""
    if not _ascii_digits(pesel, 11):
        raise IdentifierError(f"Nieprawidłowy PESEL {pesel!r}: oczekiwano 11 cyfr.")
    if not pesel_is_valid(pesel):
        raise IdentifierError(f"Nieprawidłowy PESEL {pesel}: cyfra kontrolna albo data urodzenia się nie zgadza.")
    return pesel


def generate_random_nip() -> str:
    """A random real NIP (the official test tools use random NIPs too: TEST data is shared by everybody)."""
    while True:
        first_nine = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(8))
        check_digit = nip_check_digit(first_nine)
        if check_digit is not None and nip_is_valid(first_nine + str(check_digit)):
            return first_nine + str(check_digit)


# --- contexts ----------------------------------------------------------------------------------------------------


class ContextIdentifierType(enum.StrEnum):
    """The API's `ContextIdentifier.type`; the values are also the XML element names in an AuthTokenRequest."""

    NIP = "Nip"
    INTERNAL_ID = "InternalId"
    NIP_VAT_UE = "NipVatUe"
    PEPPOL_ID = "PeppolId"


CONTEXT_VALUE_PATTERNS: Mapping[ContextIdentifierType, re.Pattern[str]] = {
    ContextIdentifierType.NIP: NIP_PATTERN,
    ContextIdentifierType.INTERNAL_ID: INTERNAL_ID_PATTERN,
    ContextIdentifierType.NIP_VAT_UE: NIP_VAT_UE_PATTERN,
    ContextIdentifierType.PEPPOL_ID: PEPPOL_ID_PATTERN,
}
"""The official format of each context type's value."""

CONTEXT_VALUE_SHAPES: Mapping[ContextIdentifierType, str] = {
    ContextIdentifierType.NIP: "10-cyfrowy NIP",
    ContextIdentifierType.INTERNAL_ID: "NIP, '-' i 5 cyfr",
    ContextIdentifierType.NIP_VAT_UE: "NIP, '-' i numer VAT UE z kodem kraju",
    ContextIdentifierType.PEPPOL_ID: "'P', dwie wielkie litery i 6 cyfr",
}
"""What a value of each context type looks like, in Polish (for error messages)."""

_CONTEXT_VALIDATORS = {
    ContextIdentifierType.NIP: nip_is_valid,
    ContextIdentifierType.INTERNAL_ID: internal_id_is_valid,
    ContextIdentifierType.NIP_VAT_UE: nip_vat_ue_is_valid,
    ContextIdentifierType.PEPPOL_ID: peppol_id_is_valid,
}


@dataclass(frozen=True, slots=True)
class ContextIdentifier:
    """On whose behalf an authenticated caller acts: a NIP, an internal id, a NIP-VAT UE pair or a Peppol id,
    e.g. `ContextIdentifier(ContextIdentifierType.NIP, "5265877635")`."""

    type: ContextIdentifierType
    value: str

    def is_well_formed(self) -> bool:
        """Whether the value has the official format of its type (what the API and the schemas accept)."""
        return bool(CONTEXT_VALUE_PATTERNS[self.type].fullmatch(self.value))

    def is_valid(self) -> bool:
        """Whether the value is a real identifier of its type: the format plus ASCII digits and check digits."""
        return bool(_CONTEXT_VALIDATORS[self.type](self.value))

    @property
    def nip(self) -> str | None:
        """The NIP this context belongs to (the NIP itself, or the NIP part of an internal id / NIP-VAT UE pair)."""
        if self.type is ContextIdentifierType.PEPPOL_ID:
            return None
        return self.value.split("-", 1)[0]


# --- subjects ----------------------------------------------------------------------------------------------------


class SubjectIdentifierType(enum.StrEnum):
    """How a KSeF subject is identified; the values are the API's `subjectIdentifier.type`."""

    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"


@dataclass(frozen=True, slots=True)
class SubjectIdentifier:
    """A subject's identity: NIP (10 digits), PESEL (11 digits) or certificate fingerprint (64 upper-case hex)."""

    type: SubjectIdentifierType
    value: str


class SubjectIdentifierTypeXml(enum.StrEnum):
    """`SubjectIdentifierType` of an AuthTokenRequest: how the signer is identified — by the NIP/PESEL in the
    certificate's subject, or by the certificate's fingerprint."""

    CERTIFICATE_SUBJECT = "certificateSubject"
    CERTIFICATE_FINGERPRINT = "certificateFingerprint"


# --- where tokens may be used from -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllowedIps:
    """`AuthorizationPolicy/AllowedIps`: the IPv4 addresses, ranges (`a.b.c.d-e.f.g.h`) and masks (`a.b.c.d/n`)
    the access tokens of an authentication may be used from (up to 10 of each in an AuthTokenRequest).

    An empty `AllowedIps()` is a policy of its own (the element present with no entries: nowhere).
    """

    ip4_addresses: tuple[str, ...] = field(default=())
    ip4_ranges: tuple[str, ...] = field(default=())
    ip4_masks: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # Accept any iterable of strings (lists from JSON) but store tuples, so the value stays hashable and frozen.
        for name in ("ip4_addresses", "ip4_ranges", "ip4_masks"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} must be a sequence of strings, not a string")
            object.__setattr__(self, name, tuple(value))

    def to_json(self) -> dict[str, list[str]]:
        """The stored and `ipp`-claim form."""
        return {
            "ip4Addresses": list(self.ip4_addresses),
            "ip4Ranges": list(self.ip4_ranges),
            "ip4Masks": list(self.ip4_masks),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[str]]) -> AllowedIps:
        return cls(
            tuple(data.get("ip4Addresses", ())), tuple(data.get("ip4Ranges", ())), tuple(data.get("ip4Masks", ()))
        )

    def admits(self, ip: str) -> bool:
        """Whether a request from `ip` is allowed: an IPv4 address listed, inside a range, or inside a mask.
        Unparseable entries never admit anything."""
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            return False
        if ip in self.ip4_addresses:
            return True
        return any(_in_range(address, ip_range) for ip_range in self.ip4_ranges) or any(
            _in_mask(address, mask) for mask in self.ip4_masks
        )


def _in_range(address: ipaddress.IPv4Address, ip_range: str) -> bool:
    first, _, last = ip_range.partition("-")
    try:
        return ipaddress.IPv4Address(first.strip()) <= address <= ipaddress.IPv4Address(last.strip())
    except ValueError:
        return False


def _in_mask(address: ipaddress.IPv4Address, mask: str) -> bool:
    try:
        return address in ipaddress.IPv4Network(mask.strip(), strict=False)
    except ValueError:
        return False
