"""The MCU rule for the password that encrypts a private-key file.

15–32 characters with at least one upper-case letter (A–Z), one lower-case letter (a–z), one digit (0–9) and one
special character from `!@#$%^&*()-_=+`. Other characters are allowed. The password cannot be recovered, so the
rule is checked before the key file is written.
"""

from __future__ import annotations

from ksef_mcu.crypto.errors import PasswordRuleError

__all__ = [
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "PASSWORD_SPECIAL_CHARACTERS",
    "check_key_password",
    "password_rule_failures",
]

PASSWORD_MIN_LENGTH = 15
PASSWORD_MAX_LENGTH = 32
PASSWORD_SPECIAL_CHARACTERS = "!@#$%^&*()-_=+"  # noqa: S105 - the rule's character class, not a password

_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_SPECIAL = frozenset(PASSWORD_SPECIAL_CHARACTERS)


def password_rule_failures(password: str) -> list[str]:
    """One Polish sentence per rule `password` breaks; empty when it satisfies the rule."""
    failures: list[str] = []
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        failures.append(
            f"Hasło musi mieć od {PASSWORD_MIN_LENGTH} do {PASSWORD_MAX_LENGTH} znaków (ma {len(password)})."
        )
    if _UPPER.isdisjoint(password):
        failures.append("Hasło musi zawierać wielką literę (A–Z).")
    if _LOWER.isdisjoint(password):
        failures.append("Hasło musi zawierać małą literę (a–z).")
    if _DIGITS.isdisjoint(password):
        failures.append("Hasło musi zawierać cyfrę (0–9).")
    if _SPECIAL.isdisjoint(password):
        failures.append(f"Hasło musi zawierać znak specjalny spośród: {PASSWORD_SPECIAL_CHARACTERS}")
    return failures


def check_key_password(password: str) -> str:
    """Return `password` unchanged if it satisfies the MCU rule, else raise `PasswordRuleError` listing each failure."""
    if failures := password_rule_failures(password):
        raise PasswordRuleError(failures)
    return password
