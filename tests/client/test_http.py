"""The client over MockTransport: headers, both error formats, X-System-Warning, response validation."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
import pytest

from ksef_mcu.client import (
    NO_RETRIES,
    KsefApiError,
    KsefAuthError,
    KsefClient,
    KsefForbiddenError,
    KsefGoneError,
    KsefInvalidInputError,
    KsefRateLimitError,
    KsefResponseError,
    SystemWarning,
)

from .fakes import LIMITS, FakeClock, FakeKsef, legacy_error, list_item, make_client, ok, problem, tokens


def test_requests_carry_json_accept_user_agent_bearer_and_problem_details_opt_in(
    fake: FakeKsef, clock: FakeClock
) -> None:
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    with make_client(fake, clock, token_state=tokens()) as client:
        limits = client.certificates.limits()
    assert limits.can_request is True
    assert limits.enrollment.remaining == 11
    assert limits.certificate.limit == 6
    [request] = fake.requests
    assert str(request.url) == "http://127.0.0.1:8000/v2/certificates/limits"
    assert request.headers["authorization"] == "Bearer access-1"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-error-format"] == "problem-details"
    assert request.headers["user-agent"].startswith("ksef-mcu/")


def test_legacy_error_format_is_not_opted_in(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    with make_client(fake, clock, token_state=tokens(), error_format="legacy") as client:
        client.certificates.limits()
    assert "x-error-format" not in fake.requests[0].headers


@pytest.mark.parametrize(
    ("reply", "error_class", "code"),
    [
        (legacy_error((21405, "Błąd walidacji danych wejściowych.", ["pageSize"])), KsefApiError, 21405),
        (
            problem(
                400,
                detail="Żądanie jest nieprawidłowe.",
                errors=[{"code": 21405, "description": "Błąd walidacji danych wejściowych."}],
            ),
            KsefApiError,
            21405,
        ),
        (
            problem(
                403,
                detail="Brak dostępu.",
                reasonCode="auth-method-not-allowed",
                security={"authenticationMethodCategory": "Token"},
            ),
            KsefForbiddenError,
            None,
        ),
        (problem(410, detail="Operacja wygasła i nie jest już dostępna."), KsefGoneError, None),
        (problem(429, headers={"Retry-After": "30"}, detail="Przekroczono limit."), KsefRateLimitError, None),
        (
            legacy_error(
                (429, "Too Many Requests", ["Spróbuj ponownie po 30 sekundach."]),
                status=429,
                headers={"Retry-After": "30"},
            ),
            KsefRateLimitError,
            429,
        ),
    ],
    ids=["legacy-400", "problem-400", "problem-403", "problem-410", "problem-429", "legacy-429"],
)
def test_each_error_format_raises_its_typed_error(
    fake: FakeKsef, clock: FakeClock, reply: httpx.Response, error_class: type[KsefApiError], code: int | None
) -> None:
    fake.on("GET", "/certificates/limits", reply)
    with make_client(fake, clock, token_state=tokens(), retry=NO_RETRIES) as client, pytest.raises(error_class) as info:
        client.certificates.limits()
    error = info.value
    assert type(error) is error_class
    assert error.http_status == reply.status_code
    assert error.code == code
    assert error.method == "GET"
    assert error.url == "http://127.0.0.1:8000/v2/certificates/limits"
    if isinstance(error, KsefRateLimitError):
        assert error.retry_after == 30.0
    if isinstance(error, KsefForbiddenError):
        assert error.reason_code == "auth-method-not-allowed"
        assert error.security == {"authenticationMethodCategory": "Token"}


def test_401_without_a_refresh_token_raises_auth_error(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", problem(401, detail="Wymagane jest uwierzytelnienie."))
    with make_client(fake, clock, token_state=tokens(refresh_in=None)) as client, pytest.raises(KsefAuthError) as info:
        client.certificates.limits()
    assert info.value.description == "Wymagane jest uwierzytelnienie."
    assert len(fake.requests) == 1


def test_system_warnings_reach_the_handler_the_model_and_the_error(fake: FakeKsef, clock: FakeClock) -> None:
    seen: list[tuple[Sequence[SystemWarning], str, str]] = []
    header = {"X-System-Warning": "[sig-001]: Format podpisu niezgodny | [x-2]: Drugie"}
    fake.on("GET", "/certificates/limits", ok(LIMITS, headers=header))
    fake.on("POST", "/certificates/query", problem(400, headers=header, detail="zle", errors=[]))
    with make_client(
        fake,
        clock,
        token_state=tokens(),
        on_system_warning=lambda warnings, method, path: seen.append((warnings, method, path)),
    ) as client:
        limits = client.certificates.limits()
        with pytest.raises(KsefApiError) as info:
            client.certificates.query_page()
    expected = (SystemWarning("sig-001", "Format podpisu niezgodny"), SystemWarning("x-2", "Drugie"))
    assert limits.system_warnings == expected
    assert info.value.warnings == expected
    assert [(tuple(warnings), method, path) for warnings, method, path in seen] == [
        (expected, "GET", "/certificates/limits"),
        (expected, "POST", "/certificates/query"),
    ]


def test_system_warnings_are_logged_without_a_handler(
    fake: FakeKsef, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.on("GET", "/security/public-key-certificates", ok([], headers={"X-System-Warning": "[w-1]: Uwaga"}))
    with caplog.at_level(logging.WARNING, logger="ksef_mcu.client"), make_client(fake, clock) as client:
        assert client.security.public_key_certificates() == []
    assert "[w-1]: Uwaga" in caplog.text
    assert "/security/public-key-certificates" in caplog.text


def test_a_success_body_that_breaks_the_contract_raises_response_error(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", ok({"canRequest": True, "enrollment": {"remaining": 1}}))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefResponseError) as info:
        client.certificates.limits()
    assert any(problem.startswith("enrollment.limit") for problem in info.value.problems)
    assert any(problem.startswith("certificate") for problem in info.value.problems)
    assert "/certificates/limits" in info.value.message


def test_a_serial_that_is_not_16_upper_hex_is_refused_in_responses(fake: FakeKsef, clock: FakeClock) -> None:
    page = {"certificates": [list_item("01f20a5d352ae590")], "hasMore": False}
    fake.on("POST", "/certificates/query", ok(page))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefResponseError) as info:
        client.certificates.query_page()
    assert "certificateSerialNumber" in info.value.message


def test_unknown_fields_are_ignored_and_dates_are_utc(fake: FakeKsef, clock: FakeClock) -> None:
    item = list_item(
        "01F20A5D352AE590",
        somethingNew={"nested": True},
        validFrom="2025-08-24T16:15:22.0154302+02:00",
        requestDate="2025-08-24T14:15:22",
        lastUseDate=None,
    )
    fake.on("POST", "/certificates/query", ok({"certificates": [item], "hasMore": False, "extra": 1}))
    with make_client(fake, clock, token_state=tokens()) as client:
        [certificate] = client.certificates.query_page().certificates
    assert certificate.valid_from.isoformat() == "2025-08-24T14:15:22.015430+00:00"
    assert certificate.request_date.isoformat() == "2025-08-24T14:15:22+00:00"
    assert certificate.last_use_date is None
    assert certificate.subject_identifier.value == "5265877635"


def test_an_invalid_json_success_body_raises_response_error(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", httpx.Response(200, content=b"<html/>"))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefResponseError):
        client.certificates.limits()


def test_environments_pick_their_base_urls_and_base_url_overrides() -> None:
    assert KsefClient().base_url == "http://127.0.0.1:8000/v2"
    assert KsefClient("test").base_url == "https://api-test.ksef.mf.gov.pl/v2"
    assert KsefClient("DEMO").base_url == "https://api-demo.ksef.mf.gov.pl/v2"
    assert KsefClient("prod").base_url == "https://api.ksef.mf.gov.pl/v2"
    assert KsefClient(base_url="http://localhost:9000/").base_url == "http://localhost:9000/v2"
    assert KsefClient(base_url="https://example.test/v2").base_url == "https://example.test/v2"


def test_request_reaches_other_endpoints_with_the_same_machinery(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/testdata/subject", httpx.Response(503), httpx.Response(503), ok({}))
    fake.on("GET", "/limits/subject", httpx.Response(502), ok({"certificate": {"maxCertificates": 6}}))
    with make_client(fake, clock, token_state=tokens()) as client:
        with pytest.raises(KsefApiError):  # a POST is not retried unless the caller says it is safe
            client.request("POST", "/testdata/subject", json={"subjectNip": "5265877635"}, authenticated=False)
        created = client.request("post", "/testdata/subject", json={}, authenticated=False, idempotent=True)
        limits = client.request("GET", "/limits/subject")
        with pytest.raises(KsefInvalidInputError):
            client.request("GET", "../admin")
    assert created.status_code == 200
    assert limits.json() == {"certificate": {"maxCertificates": 6}}
    posts = fake.calls("POST", "/testdata/subject")
    assert len(posts) == 3
    assert "authorization" not in posts[0].headers
    assert fake.calls("GET")[-1].headers["authorization"] == "Bearer access-1"
