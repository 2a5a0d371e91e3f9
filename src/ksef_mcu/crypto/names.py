"""Certificate-name rules: the MCU screen rule and the (more permissive) official API rule.

- MCU screen / CLI (user guide): 5–50 characters; ASCII letters, digits, spaces, `-` and `_`; the name becomes the
  base name of the `.key` and `.crt` files, so it must not start or end with a space either.
- API (`EnrollCertificateRequest.certificateName`): 5–100 characters matching
  `^[a-zA-Z0-9_\\-\\ ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$`; violations are KSeF error 21405.

Lengths count characters (code points), not bytes. `CertificateNameRule` names the two rules for callers that let
their user choose (the client library applies the user guide's rule unless told otherwise).
"""

from __future__ import annotations

import enum

from ksef_mcu.crypto.errors import CertificateNameError

__all__ = [
    "API_NAME_ERROR_CODE",
    "API_NAME_MAX_LENGTH",
    "API_NAME_MIN_LENGTH",
    "MCU_NAME_MAX_LENGTH",
    "MCU_NAME_MIN_LENGTH",
    "CertificateNameRule",
    "check_api_certificate_name",
    "check_mcu_certificate_name",
]

MCU_NAME_MIN_LENGTH = 5
MCU_NAME_MAX_LENGTH = 50
API_NAME_MIN_LENGTH = 5
API_NAME_MAX_LENGTH = 100
API_NAME_ERROR_CODE = 21405

_ASCII_LETTERS_DIGITS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_MCU_ALLOWED = _ASCII_LETTERS_DIGITS | frozenset(" -_")
_API_ALLOWED = _MCU_ALLOWED | frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")

_CHARACTER_NAMES = {
    "\t": "tabulator",
    "\n": "znak nowej linii",
    "\r": "znak powrotu karetki",
    "\u00a0": "twarda spacja",
}


def _describe(characters: list[str]) -> str:
    described: list[str] = []
    for character in characters:
        if character in _CHARACTER_NAMES:
            described.append(_CHARACTER_NAMES[character])
        elif not character.isprintable():
            described.append(f"U+{ord(character):04X}")
        else:
            described.append(f"„{character}”")
    return ", ".join(described)


def _disallowed(name: str, allowed: frozenset[str]) -> list[str]:
    seen: list[str] = []
    for character in name:
        if character not in allowed and character not in seen:
            seen.append(character)
    return seen


def check_mcu_certificate_name(name: str) -> str:
    """Return `name` unchanged if it satisfies the MCU screen rule, else raise `CertificateNameError`.

    The error's `failures` has one Polish sentence per broken rule (length, characters, leading/trailing space).
    """
    failures: list[str] = []
    if not MCU_NAME_MIN_LENGTH <= len(name) <= MCU_NAME_MAX_LENGTH:
        failures.append(
            f"Nazwa certyfikatu musi mieć od {MCU_NAME_MIN_LENGTH} do {MCU_NAME_MAX_LENGTH} znaków (ma {len(name)})."
        )
    if bad := _disallowed(name, _MCU_ALLOWED):
        failures.append(
            "Nazwa certyfikatu może zawierać tylko litery bez polskich znaków, cyfry, spacje, „-” i „_” "
            f"(niedozwolone: {_describe(bad)})."
        )
    if name != name.strip(" "):
        failures.append("Nazwa certyfikatu nie może zaczynać się ani kończyć spacją (jest też nazwą pliku).")
    if failures:
        raise CertificateNameError(failures)
    return name


def check_api_certificate_name(name: str) -> str:
    """Return `name` unchanged if the official API accepts it, else raise `CertificateNameError` (code 21405)."""
    failures: list[str] = []
    if not API_NAME_MIN_LENGTH <= len(name) <= API_NAME_MAX_LENGTH:
        failures.append(
            f"Nazwa certyfikatu musi mieć od {API_NAME_MIN_LENGTH} do {API_NAME_MAX_LENGTH} znaków (ma {len(name)})."
        )
    if bad := _disallowed(name, _API_ALLOWED):
        failures.append(
            "Nazwa certyfikatu może zawierać tylko litery (także polskie), cyfry, spacje, „-” i „_” "
            f"(niedozwolone: {_describe(bad)})."
        )
    if failures:
        raise CertificateNameError(failures, code=API_NAME_ERROR_CODE)
    return name


class CertificateNameRule(enum.StrEnum):
    """Which rule a certificate name must follow."""

    USER_GUIDE = "user-guide"  # the MCU screens and the CLI: 5–50, ASCII letters, digits, spaces, `-`, `_`
    API = "api"  # what the official API accepts: 5–100, Polish letters too

    def check(self, name: str) -> str:
        """Return `name` unchanged if it follows this rule, else raise `CertificateNameError`."""
        if self is CertificateNameRule.USER_GUIDE:
            return check_mcu_certificate_name(name)
        return check_api_certificate_name(name)
