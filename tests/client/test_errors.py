"""Parsing both KSeF error formats, `X-System-Warning` and `Retry-After` (pure functions)."""

from __future__ import annotations

import json

import pytest

from ksef_mcu.client.errors import (
    ApiErrorDetail,
    KsefApiError,
    KsefAuthError,
    KsefForbiddenError,
    KsefGoneError,
    KsefRateLimitError,
    SystemWarning,
    parse_error_response,
    parse_retry_after,
    parse_system_warnings,
)

from .fakes import START


def _parse(status: int, document: object, **kwargs: object) -> KsefApiError:
    return parse_error_response(http_status=status, body=json.dumps(document).encode(), **kwargs)  # type: ignore[arg-type]


def test_legacy_exception_response_keeps_every_error_and_the_service_fields() -> None:
    error = _parse(
        400,
        {
            "exception": {
                "exceptionDetailList": [
                    {
                        "exceptionCode": 21405,
                        "exceptionDescription": "Błąd walidacji danych wejściowych.",
                        "details": ["certificateName: za krótka"],
                    },
                    {"exceptionCode": 25007, "exceptionDescription": "Osiągnięto limit certyfikatów.", "details": None},
                ],
                "referenceNumber": "20251010-EH-1B6C9EB000-4B15D3AEB9-89",
                "serviceCode": "00-abc-00",
                "serviceCtx": "srvABCDA",
                "serviceName": "Undefined",
                "timestamp": "2025-10-11T12:23:56.0154302",
            }
        },
        method="POST",
        url="http://h/v2/certificates/enrollments",
    )
    assert type(error) is KsefApiError
    assert error.http_status == 400
    assert error.code == 21405
    assert error.codes == (21405, 25007)
    assert error.has_code(25007)
    assert not error.has_code(25006)
    assert error.description == "Błąd walidacji danych wejściowych."
    assert error.details == ("certificateName: za krótka",)
    assert error.errors[1] == ApiErrorDetail(25007, "Osiągnięto limit certyfikatów.", ())
    assert error.reference_number == "20251010-EH-1B6C9EB000-4B15D3AEB9-89"
    assert error.service_code == "00-abc-00"
    assert error.service_context == "srvABCDA"
    assert error.timestamp == "2025-10-11T12:23:56.0154302"
    assert error.method == "POST"
    assert "21405: Błąd walidacji danych wejściowych. (certificateName: za krótka)" in error.message
    assert "25007: Osiągnięto limit certyfikatów." in str(error)
    assert "HTTP 400" in str(error)


def test_problem_details_400_lists_each_error() -> None:
    error = _parse(
        400,
        {
            "title": "Bad Request",
            "status": 400,
            "instance": "/v2/certificates/enrollments",
            "detail": "Żądanie jest nieprawidłowe.",
            "errors": [
                {"code": 25003, "description": "Dane CSR nie są zgodne.", "details": ["CN"]},
                {"code": 21405, "description": "Błąd walidacji danych wejściowych."},
            ],
            "timestamp": "2025-07-11T12:23:56.0154302+00:00",
            "traceId": "673843e023c432286660bc0501a3af44",
        },
    )
    assert type(error) is KsefApiError
    assert error.codes == (25003, 21405)
    assert error.details == ("CN",)
    assert error.trace_id == "673843e023c432286660bc0501a3af44"
    assert error.instance == "/v2/certificates/enrollments"
    assert error.title == "Bad Request"
    assert error.detail == "Żądanie jest nieprawidłowe."


def test_problem_details_401_403_410_pick_their_classes() -> None:
    unauthorized = _parse(401, {"title": "Unauthorized", "status": 401, "detail": "Wymagane jest uwierzytelnienie."})
    forbidden = _parse(
        403,
        {
            "title": "Forbidden",
            "status": 403,
            "detail": "Brak wymaganych uprawnień.",
            "reasonCode": "missing-permissions",
            "security": {"requiredAnyOfPermissions": ["InvoiceRead"], "presentPermissions": ["CredentialsRead"]},
        },
    )
    gone = _parse(410, {"title": "Gone", "status": 410, "detail": "Operacja wygasła i nie jest już dostępna."})
    assert isinstance(unauthorized, KsefAuthError)
    assert unauthorized.code is None
    assert unauthorized.description == "Wymagane jest uwierzytelnienie."
    assert isinstance(forbidden, KsefForbiddenError)
    assert forbidden.reason_code == "missing-permissions"
    assert forbidden.security["presentPermissions"] == ["CredentialsRead"]
    assert isinstance(gone, KsefGoneError)
    assert "Operacja wygasła" in gone.message


@pytest.mark.parametrize(
    "document",
    [
        {
            "status": {
                "code": 429,
                "description": "Too Many Requests",
                "details": ["Przekroczono limit 20 żądań na minutę. Spróbuj ponownie po 30 sekundach."],
            }
        },
        {
            "title": "Too Many Requests",
            "status": 429,
            "detail": "Przekroczono limit 20 żądań na minutę. Spróbuj ponownie po 30 sekundach.",
        },
    ],
    ids=["legacy", "problem-details"],
)
def test_429_in_both_formats_carries_retry_after(document: object) -> None:
    error = _parse(429, document, retry_after=30.0)
    assert isinstance(error, KsefRateLimitError)
    assert error.retry_after == 30.0
    assert "Przekroczono limit 20 żądań" in error.message


def test_a_body_that_is_not_json_still_gives_a_typed_error() -> None:
    error = parse_error_response(
        http_status=502, body=b"<html>Bad gateway</html>", content_type="text/html", reason_phrase="Bad Gateway"
    )
    assert type(error) is KsefApiError
    assert error.http_status == 502
    assert error.errors == ()
    assert error.body_excerpt == "<html>Bad gateway</html>"
    assert error.description == "HTTP 502"
    assert "Bad Gateway" in error.message


def test_malformed_error_entries_do_not_break_parsing() -> None:
    error = _parse(400, {"exception": {"exceptionDetailList": [{"exceptionCode": "21405"}, "junk", None]}})
    assert error.errors == (ApiErrorDetail(21405, "", ()),)
    assert _parse(400, [1, 2, 3]).errors == ()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["[sig-001]: Format podpisu niezgodny z akceptowanymi profilami XAdES."],
            [SystemWarning("sig-001", "Format podpisu niezgodny z akceptowanymi profilami XAdES.")],
        ),
        (["[a-1]: pierwsze | [b-2]: drugie"], [SystemWarning("a-1", "pierwsze"), SystemWarning("b-2", "drugie")]),
        (["[a-1]: pierwsze", "[b-2]: drugie"], [SystemWarning("a-1", "pierwsze"), SystemWarning("b-2", "drugie")]),
        (["Zwykly tekst bez kodu"], [SystemWarning(None, "Zwykly tekst bez kodu")]),
        (["", "  "], []),
    ],
)
def test_system_warning_header_is_split_into_warnings(values: list[str], expected: list[SystemWarning]) -> None:
    assert list(parse_system_warnings(values)) == expected


def test_system_warning_renders_in_the_header_form() -> None:
    assert str(SystemWarning("sig-001", "tekst")) == "[sig-001]: tekst"
    assert str(SystemWarning(None, "tekst")) == "tekst"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Mon, 02 Mar 2026 09:00:20 GMT", 20.0),
        ("Mon, 02 Mar 2026 08:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=START) == expected
