"""Checks of the caller's input against the API's rules, done before anything is sent.

Each check raises `KsefInvalidInputError` with a Polish message naming the rule, so a mistake is reported by the
client instead of as a bare 400 `21405` from KSeF.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.crypto.errors import CertificateNameError
from ksef_mcu.crypto.names import CertificateNameRule

__all__ = [
    "QUERY_PAGE_SIZE_MAX",
    "QUERY_PAGE_SIZE_MIN",
    "RETRIEVE_MAX_SERIALS",
    "SESSIONS_PAGE_SIZE_MAX",
    "SESSIONS_PAGE_SIZE_MIN",
    "normalize_serial_number",
    "parse_name_rule",
    "require_aware",
    "validate_certificate_name",
    "validate_page_size",
    "validate_reference_number",
    "validate_timeout",
]

_SERIAL_NUMBER = re.compile(r"^[0-9A-F]{16}$")
# KSeF reference numbers are 36 characters (`20251010-EH-1B6C9EB000-4B15D3AEB9-89`); only the length and the
# alphabet are checked, which keeps them safe inside a URL path without guessing the server's numbering.
_REFERENCE_NUMBER = re.compile(r"^[0-9A-Za-z-]{36}$")

RETRIEVE_MAX_SERIALS = 10
QUERY_PAGE_SIZE_MIN = 10
QUERY_PAGE_SIZE_MAX = 50
SESSIONS_PAGE_SIZE_MIN = 10
SESSIONS_PAGE_SIZE_MAX = 100


def validate_certificate_name(name: str, rule: CertificateNameRule = CertificateNameRule.API) -> str:
    """`name` if it follows `rule`: by default what the API accepts (5–100 characters: letters incl. Polish, digits,
    space, `-`, `_`); `CertificateNameRule.USER_GUIDE` is the stricter rule of the MCU screens and the CLI
    (5–50 characters, ASCII letters only, no space at either end), which `CertificatesApi.enroll` applies by default.
    """
    if not isinstance(name, str):
        raise KsefInvalidInputError("Nazwa certyfikatu musi być tekstem.", field="certificate_name")
    try:
        return rule.check(name)
    except CertificateNameError as error:
        raise KsefInvalidInputError(error.message, field="certificate_name") from error


def parse_name_rule(rule: CertificateNameRule | str) -> CertificateNameRule:
    """The certificate-name rule named by `rule` (`"user-guide"` or `"api"`). Raises `KsefInvalidInputError`."""
    try:
        return CertificateNameRule(rule)
    except ValueError:
        allowed = ", ".join(member.value for member in CertificateNameRule)
        raise KsefInvalidInputError(
            f"Nieznana reguła nazwy certyfikatu: {rule!r}. Dozwolone: {allowed}.", field="name_rule"
        ) from None


def normalize_serial_number(serial_number: str) -> str:
    """A KSeF certificate serial (16 hex digits) in its canonical upper-case form; surrounding spaces are dropped."""
    text = serial_number.strip().upper() if isinstance(serial_number, str) else ""
    if not _SERIAL_NUMBER.fullmatch(text):
        raise KsefInvalidInputError(
            f"Nieprawidłowy numer seryjny certyfikatu: {serial_number!r} (oczekiwano 16 cyfr szesnastkowych).",
            field="serial_number",
        )
    return text


def validate_reference_number(reference_number: str) -> str:
    """`reference_number` if it looks like a KSeF reference number (36 characters: digits, letters, `-`)."""
    text = reference_number.strip() if isinstance(reference_number, str) else ""
    if not _REFERENCE_NUMBER.fullmatch(text):
        raise KsefInvalidInputError(
            f"Nieprawidłowy numer referencyjny: {reference_number!r} (oczekiwano 36 znaków, "
            "np. 20251010-EH-1B6C9EB000-4B15D3AEB9-89).",
            field="reference_number",
        )
    return text


def require_aware(moment: datetime, *, field: str) -> datetime:
    """`moment` in UTC; a naive datetime is refused because KSeF needs an explicit time zone."""
    if not isinstance(moment, datetime):
        raise KsefInvalidInputError(f"Pole {field} musi być datą z godziną.", field=field)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise KsefInvalidInputError(
            f"Data w polu {field} musi mieć strefę czasową (np. 2026-01-31T12:00:00+01:00).", field=field
        )
    return moment.astimezone(UTC)


def validate_page_size(page_size: int, *, minimum: int, maximum: int) -> int:
    """`page_size` if it is an integer within the endpoint's limits."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not minimum <= page_size <= maximum:
        raise KsefInvalidInputError(
            f"Rozmiar strony musi być liczbą od {minimum} do {maximum} (podano {page_size!r}).", field="page_size"
        )
    return page_size


def validate_timeout(timeout: float, *, field: str = "timeout") -> float:
    """`timeout` in seconds if it is a positive, finite number."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < float("inf"):
        raise KsefInvalidInputError(f"Limit czasu musi być dodatnią liczbą sekund (podano {timeout!r}).", field=field)
    return float(timeout)
