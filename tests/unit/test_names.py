from __future__ import annotations

import pytest

from ksef_mcu.crypto.errors import CertificateNameError
from ksef_mcu.crypto.names import CertificateNameRule, check_api_certificate_name, check_mcu_certificate_name


class TestMcuRule:
    @pytest.mark.parametrize("name", ["abcde", "a" * 50, "Moj certyfikat-1_A", "12345", "a b c", "----_"])
    def test_accepts(self, name: str) -> None:
        assert check_mcu_certificate_name(name) == name

    @pytest.mark.parametrize(("name", "length"), [("abcd", 4), ("a" * 51, 51), ("", 0)])
    def test_rejects_length(self, name: str, length: int) -> None:
        with pytest.raises(CertificateNameError) as raised:
            check_mcu_certificate_name(name)
        assert raised.value.failures == (f"Nazwa certyfikatu musi mieć od 5 do 50 znaków (ma {length}).",)
        assert raised.value.code is None

    @pytest.mark.parametrize(
        ("name", "shown"),
        [
            ("Zażółć gęślą", "„ż”, „ó”, „ł”, „ć”, „ę”, „ś”, „ą”"),
            ("tab\there", "tabulator"),
            ("nowa\nlinia", "znak nowej linii"),
            ("kropka.crt", "„.”"),
            ("ukośnik/a", "„ś”, „/”"),
        ],
    )
    def test_rejects_characters_and_names_them(self, name: str, shown: str) -> None:
        with pytest.raises(CertificateNameError) as raised:
            check_mcu_certificate_name(name)
        assert raised.value.failures == (
            "Nazwa certyfikatu może zawierać tylko litery bez polskich znaków, cyfry, spacje, „-” i „_” "
            f"(niedozwolone: {shown}).",
        )

    @pytest.mark.parametrize("name", [" abcde", "abcde ", "  abc  "])
    def test_rejects_leading_or_trailing_space(self, name: str) -> None:
        with pytest.raises(CertificateNameError) as raised:
            check_mcu_certificate_name(name)
        assert raised.value.failures[-1].startswith("Nazwa certyfikatu nie może zaczynać się ani kończyć spacją")

    def test_reports_every_broken_rule(self) -> None:
        with pytest.raises(CertificateNameError) as raised:
            check_mcu_certificate_name(" ą")
        assert len(raised.value.failures) == 3
        assert raised.value.message == " ".join(raised.value.failures)


class TestApiRule:
    @pytest.mark.parametrize(
        "name", ["abcde", "a" * 100, "Zażółć gęślą jaźń", " leading", "ŻÓŁW_-", "E2E Test Cert", "Certyfikat-Auth-004"]
    )
    def test_accepts(self, name: str) -> None:
        assert check_api_certificate_name(name) == name

    @pytest.mark.parametrize("name", ["abcd", "a" * 101])
    def test_rejects_length_with_code_21405(self, name: str) -> None:
        with pytest.raises(CertificateNameError) as raised:
            check_api_certificate_name(name)
        assert raised.value.code == 21405
        assert raised.value.failures == (f"Nazwa certyfikatu musi mieć od 5 do 100 znaków (ma {len(name)}).",)

    @pytest.mark.parametrize(("name", "shown"), [("tab\there", "tabulator"), ("Äpfel und", "„Ä”"), ("abc.de", "„.”")])
    def test_rejects_characters(self, name: str, shown: str) -> None:
        with pytest.raises(CertificateNameError) as raised:
            check_api_certificate_name(name)
        assert raised.value.code == 21405
        assert shown in raised.value.message

    def test_trailing_newline_is_not_ignored(self) -> None:
        # A `$`-anchored regex would accept "abcde\n"; the rule must not.
        with pytest.raises(CertificateNameError):
            check_api_certificate_name("abcde\n")


@pytest.mark.parametrize(
    ("name", "guide", "api"),
    [
        ("Certyfikat offline 2026", True, True),
        ("Mój certyfikat", False, True),
        ("  spacje  ", False, True),
        ("x" * 51, False, True),
        ("x" * 101, False, False),
        ("Zły/znak", False, False),
    ],
)
def test_name_rules_by_name(name: str, guide: bool, api: bool) -> None:
    for rule, accepted in ((CertificateNameRule.USER_GUIDE, guide), (CertificateNameRule.API, api)):
        if accepted:
            assert rule.check(name) == name
        else:
            with pytest.raises(CertificateNameError):
                rule.check(name)
