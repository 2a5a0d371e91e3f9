from __future__ import annotations

import pytest

from ksef_mcu.crypto.errors import PasswordRuleError
from ksef_mcu.crypto.passwords import check_key_password, password_rule_failures

GOOD = "Abcdefgh1234567!"

LENGTH = "Hasło musi mieć od 15 do 32 znaków"
UPPER = "Hasło musi zawierać wielką literę (A–Z)."
LOWER = "Hasło musi zawierać małą literę (a–z)."
DIGIT = "Hasło musi zawierać cyfrę (0–9)."
SPECIAL = "Hasło musi zawierać znak specjalny spośród: !@#$%^&*()-_=+"


@pytest.mark.parametrize(
    "password",
    [GOOD, "Aa1!" + "x" * 11, "Aa1!" + "x" * 28, "ADadADad12!@adadad", "test!@#123TESTaaaa", "Zażółć1=GĘŚLĄjaźń"],
)
def test_accepts(password: str) -> None:
    assert check_key_password(password) == password


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Aa1!" + "x" * 10, [f"{LENGTH} (ma 14)."]),
        ("Aa1!" + "x" * 29, [f"{LENGTH} (ma 33)."]),
        ("abcdefgh1234567!", [UPPER]),
        ("ABCDEFGH1234567!", [LOWER]),
        ("Abcdefghijklmno!", [DIGIT]),
        ("Abcdefgh12345678", [SPECIAL]),
        ("Abcdefgh1234567?", [SPECIAL]),  # `?` is not one of the special characters of the rule
        ("", [f"{LENGTH} (ma 0).", UPPER, LOWER, DIGIT, SPECIAL]),
    ],
)
def test_one_message_per_failed_rule(password: str, expected: list[str]) -> None:
    assert password_rule_failures(password) == expected
    with pytest.raises(PasswordRuleError) as raised:
        check_key_password(password)
    assert list(raised.value.failures) == expected
    assert all(failure in raised.value.message for failure in expected)


@pytest.mark.parametrize("special", list("!@#$%^&*()-_=+"))
def test_each_special_character_counts(special: str) -> None:
    assert password_rule_failures(f"Abcdefgh1234567{special}") == []


def test_polish_capital_alone_is_not_an_upper_case_letter() -> None:
    assert password_rule_failures("żółćabcdefgh12!Ł") == [UPPER]
