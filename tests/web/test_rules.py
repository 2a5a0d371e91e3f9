"""The screens' live validation (rules.js) says exactly what crypto/passwords.py and crypto/names.py say."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.errors import CertificateNameError
from ksef_mcu.crypto.names import check_mcu_certificate_name
from ksef_mcu.crypto.passwords import password_rule_failures
from support.browser import Harness

_CHECK_ALL = """
  return arg.map((text) => [k.rules.passwordRuleFailures(text), k.rules.certificateNameFailures(text)]);
"""


def name_failures(name: str) -> list[str]:
    try:
        check_mcu_certificate_name(name)
    except CertificateNameError as error:
        return list(error.failures)
    return []


def assert_same_verdicts(harness: Harness, texts: list[str]) -> None:
    browser = harness.run(_CHECK_ALL, texts)
    for text, (password, name) in zip(texts, browser, strict=True):
        assert password == password_rule_failures(text), text
        assert name == name_failures(text), text


EXAMPLES = [
    "",
    "Abcdefghijk1!xy",  # exactly 15, valid
    "Abcdefghijk1!x",  # 14
    "A" * 16 + "a1!" + "b" * 13,  # 32, valid
    "A" * 16 + "a1!" + "b" * 14,  # 33
    "ŻÓŁĆżółć12345!!",  # Polish letters are not A–Z / a–z
    "abcdefghijklmn1!",
    "ABCDEFGHIJKLMN1!",
    "Abcdefghijklmno!",
    "Abcdefghijklmno1",
    "Abcdefghijklm1~",  # "~" is not one of the special characters
    "Abcdefghij 1+=-_",
    "Mój certyfikat",
    "Moj certyfikat",
    " Moj certyfikat",
    "Moj certyfikat ",
    "Moj\tcertyfikat\n",
    "Moj\u00a0cert\r",
    "cert\u200b\u0000\U0001f600ok",  # zero-width space, NUL, an emoji (one character, two UTF-16 units)
    "😀😀😀😀",
    "a" * 51,
    "abcd",
    "Certyfikat_do-KSeF 2026",
    "zła/nazwa:pliku?*",
    "x" * 50,
    "\ud800lone",  # a lone surrogate: one character in Python, one in JavaScript
]


def test_known_cases_give_identical_messages(harness: Harness) -> None:
    assert_same_verdicts(harness, EXAMPLES)


def test_messages_are_the_guides_wording(harness: Harness) -> None:
    password, name = harness.run(_CHECK_ALL, ["Mój!"])[0]
    assert password == ["Hasło musi mieć od 15 do 32 znaków (ma 4).", "Hasło musi zawierać cyfrę (0–9)."]
    assert name == [
        "Nazwa certyfikatu musi mieć od 5 do 50 znaków (ma 4).",
        "Nazwa certyfikatu może zawierać tylko litery bez polskich znaków, cyfry, spacje, „-” i „_” "
        "(niedozwolone: „ó”, „!”).",
    ]
    assert harness.run("return [k.rules.passwordRepeatFailure('a', 'b'), k.rules.passwordRepeatFailure('a', 'a')]") == [
        "Hasła nie są zgodne.",
        None,
    ]


# Characters whose general category Python 3.11 (Unicode 14) knows; newer assignments would differ only in how an
# unassigned character is shown ("U+XXXX" vs the character itself).
_texts = st.text(st.characters(blacklist_categories=("Cn",)), max_size=40) | st.text(
    st.sampled_from("aZ09 -_!@#$%^&*()=+ąĘ\t\u00a0~"), max_size=40
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_texts, min_size=1, max_size=25))
def test_any_text_gets_identical_verdicts(harness: Harness, texts: list[str]) -> None:
    assert_same_verdicts(harness, texts)


@pytest.mark.parametrize("constant", ["PASSWORD_SPECIAL_CHARACTERS"])
def test_special_characters_are_pythons(harness: Harness, constant: str) -> None:
    from ksef_mcu.crypto import passwords

    assert harness.run(f"return k.rules.{constant}") == getattr(passwords, constant)
