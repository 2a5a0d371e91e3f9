"""The rejection reasons are data the server renders: every reason has a KSeF code, description and detail."""

from __future__ import annotations

import pytest

from ksef_mcu.crypto.errors import (
    CERTIFICATE_INVALID_STATUS,
    KSEF_EXCEPTION_DESCRIPTIONS,
    XADES_REJECTIONS,
    KsefCryptoError,
    XadesError,
    XadesRejection,
)


def test_every_reason_is_mapped_to_a_documented_ksef_code() -> None:
    assert set(XADES_REJECTIONS) == set(XadesRejection)
    for reason, info in XADES_REJECTIONS.items():
        assert info.code in KSEF_EXCEPTION_DESCRIPTIONS, reason
        assert info.description == KSEF_EXCEPTION_DESCRIPTIONS[info.code]
        assert info.detail.endswith("."), reason


def test_descriptions_are_worded_as_ksef_words_them() -> None:
    assert KSEF_EXCEPTION_DESCRIPTIONS == {
        9101: "Nieprawidłowy dokument.",
        9102: "Brak podpisu.",
        9103: "Przekroczona liczba dozwolonych podpisów.",
        9105: "Nieprawidłowy podpis.",
        21001: "Nieczytelna treść.",
        21115: "Nieprawidłowy certyfikat.",
        21217: "Nieprawidłowe kodowanie znaków.",
        21401: "Dokument nie jest zgodny ze schemą (xsd).",
    }


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (XadesRejection.MALFORMED_XML, 21001),
        (XadesRejection.DTD_FORBIDDEN, 21001),
        (XadesRejection.INVALID_ENCODING, 21217),
        (XadesRejection.SCHEMA_INVALID, 21401),
        (XadesRejection.NO_SIGNATURE, 9102),
        (XadesRejection.TOO_MANY_SIGNATURES, 9103),
        (XadesRejection.SIGNATURE_MISPLACED, 9101),
        (XadesRejection.DIGEST_MISMATCH, 9105),
        (XadesRejection.SIGNATURE_MISMATCH, 9105),
        (XadesRejection.CERTIFICATE_WITHOUT_IDENTIFIER, 21115),
        (XadesRejection.SEAL_WITH_PERSON_ATTRIBUTES, 21115),
    ],
)
def test_codes(reason: XadesRejection, code: int) -> None:
    assert XADES_REJECTIONS[reason].code == code


def test_only_certificate_validity_is_reported_asynchronously() -> None:
    asynchronous = {reason for reason, info in XADES_REJECTIONS.items() if info.auth_status is not None}
    assert asynchronous == {XadesRejection.CERTIFICATE_EXPIRED, XadesRejection.CERTIFICATE_NOT_YET_VALID}
    assert CERTIFICATE_INVALID_STATUS.code == 460
    assert CERTIFICATE_INVALID_STATUS.detail == "Nieważny certyfikat"


def test_error_carries_what_the_server_renders() -> None:
    error = XadesError(
        XadesRejection.DIGEST_MISMATCH, "Nieprawidłowa wartość skrótu dla referencji wskazującej na element ''."
    )
    assert isinstance(error, KsefCryptoError)
    assert isinstance(error, ValueError)
    assert error.code == 9105
    assert error.description == "Nieprawidłowy podpis."
    assert error.details == ("Nieprawidłowa wartość skrótu dla referencji wskazującej na element ''.",)
    assert (
        error.message == "Nieprawidłowy podpis. Nieprawidłowa wartość skrótu dla referencji wskazującej na element ''."
    )
    assert error.auth_status is None
    default = XadesError(XadesRejection.CERTIFICATE_EXPIRED)
    assert default.details == (XADES_REJECTIONS[XadesRejection.CERTIFICATE_EXPIRED].detail,)
    assert default.auth_status is CERTIFICATE_INVALID_STATUS


def test_certificate_without_identifier_tells_the_user_what_to_do() -> None:
    assert "certificateFingerprint" in XADES_REJECTIONS[XadesRejection.CERTIFICATE_WITHOUT_IDENTIFIER].detail
    assert "certificateFingerprint" in XADES_REJECTIONS[XadesRejection.SEAL_WITH_PERSON_ATTRIBUTES].detail


def test_documented_table_is_the_mapping() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "xades.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `") and line.count("|") == 6:
            reason, code, description, detail, status = (cell.strip() for cell in line.strip("|").split("|"))
            rows[reason.strip("`")] = (int(code), description, detail, status)
    expected = {
        reason.value: (
            info.code,
            info.description,
            info.detail,
            f"{info.auth_status.code} {info.auth_status.detail}" if info.auth_status else "",
        )
        for reason, info in XADES_REJECTIONS.items()
    }
    assert rows == expected
