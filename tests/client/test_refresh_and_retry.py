"""Token refresh (before expiry, once after a 401) and bounded retries (Retry-After, idempotent calls only)."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from cryptography import x509

from ksef_mcu.client import (
    KsefApiError,
    KsefAuthError,
    KsefInvalidInputError,
    KsefNotAuthenticatedError,
    KsefRateLimitError,
    RetryPolicy,
    Token,
    TokenState,
)

from .fakes import (
    LIMITS,
    START,
    FakeClock,
    FakeKsef,
    all_paths,
    bearer,
    legacy_error,
    make_client,
    ok,
    problem,
    tokens,
)

REFRESHED = {"accessToken": {"token": "access-2", "validUntil": "2026-03-02T09:30:00+00:00"}}


# --- refresh ------------------------------------------------------------------------------------------------------


def test_a_valid_access_token_is_used_without_refreshing(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.certificates.limits()
    assert all_paths(fake.requests) == ["GET /certificates/limits"]


def test_access_token_is_refreshed_before_it_expires(fake: FakeKsef, clock: FakeClock) -> None:
    changes: list[TokenState | None] = []
    fake.on("POST", "/auth/token/refresh", ok(REFRESHED))
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    state = tokens(access_in=timedelta(seconds=30))  # inside the 60 s refresh margin
    with make_client(fake, clock, token_state=state, on_tokens_changed=changes.append) as client:
        client.certificates.limits()
        assert client.tokens is not None
        assert client.tokens.access_token.token == "access-2"
        assert client.tokens.refresh_token == state.refresh_token
    refresh, limits = fake.requests
    assert all_paths(fake.requests) == ["POST /auth/token/refresh", "GET /certificates/limits"]
    assert bearer(refresh) == "refresh-1"
    assert refresh.content == b""
    assert bearer(limits) == "access-2"
    assert [change.access_token.token for change in changes if change] == ["access-2"]


def test_refresh_margin_is_configurable(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    state = tokens(access_in=timedelta(seconds=30))
    with make_client(fake, clock, token_state=state, refresh_margin=timedelta(seconds=10)) as client:
        client.certificates.limits()
    assert all_paths(fake.requests) == ["GET /certificates/limits"]


def test_a_401_triggers_exactly_one_refresh_and_one_repeat(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/auth/token/refresh", ok(REFRESHED))
    fake.on("GET", "/certificates/limits", problem(401, detail="Token wygasł."), ok(LIMITS))
    with make_client(fake, clock, token_state=tokens()) as client:
        assert client.certificates.limits().can_request
    assert all_paths(fake.requests) == [
        "GET /certificates/limits",
        "POST /auth/token/refresh",
        "GET /certificates/limits",
    ]
    assert [bearer(request) for request in fake.requests] == ["access-1", "refresh-1", "access-2"]


def test_a_second_401_is_raised_without_another_refresh(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/auth/token/refresh", ok(REFRESHED))
    fake.on("GET", "/certificates/limits", problem(401, detail="Token nieważny."))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefAuthError):
        client.certificates.limits()
    assert all_paths(fake.requests) == [
        "GET /certificates/limits",
        "POST /auth/token/refresh",
        "GET /certificates/limits",
    ]


def test_a_refused_refresh_means_log_in_again(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on(
        "POST",
        "/auth/token/refresh",
        legacy_error((21301, "Brak autoryzacji.", ["Status uwierzytelnienia (425) nie pozwala na odświeżenie."])),
    )
    state = tokens(access_in=timedelta(seconds=5))
    with make_client(fake, clock, token_state=state) as client, pytest.raises(KsefNotAuthenticatedError) as info:
        client.certificates.limits()
    assert isinstance(info.value.__cause__, KsefApiError)
    assert info.value.__cause__.code == 21301
    assert "zaloguj się ponownie" in info.value.message
    assert all_paths(fake.requests) == ["POST /auth/token/refresh"]


def test_without_tokens_nothing_is_sent(fake: FakeKsef, clock: FakeClock) -> None:
    with make_client(fake, clock) as client, pytest.raises(KsefNotAuthenticatedError):
        client.certificates.limits()
    assert fake.requests == []


def test_expired_access_and_refresh_tokens_need_a_new_login(fake: FakeKsef, clock: FakeClock) -> None:
    clock.now = START + timedelta(days=8)
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefNotAuthenticatedError):
        client.certificates.limits()
    assert fake.requests == []


def test_an_access_token_near_expiry_without_refresh_token_is_still_used(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", ok(LIMITS))
    with make_client(fake, clock, token_state=tokens(access_in=timedelta(seconds=20), refresh_in=None)) as client:
        client.certificates.limits()
    assert [bearer(request) for request in fake.requests] == ["access-1"]


def test_explicit_refresh(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/auth/token/refresh", ok(REFRESHED))
    with make_client(fake, clock, token_state=tokens()) as client:
        assert client.auth.refresh().access_token.token == "access-2"


# --- token state --------------------------------------------------------------------------------------------------


def test_token_state_round_trips_through_json_and_hides_secrets() -> None:
    state = tokens()
    restored = TokenState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert "access-1" not in repr(state)
    assert "refresh-1" not in repr(state)
    only_access = TokenState(Token("a", START))
    assert TokenState.from_dict(only_access.to_dict()) == only_access


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 2, "accessToken": "a", "accessTokenValidUntil": "2026-03-02T09:00:00+00:00"},
        {"version": 1},
        {"version": 1, "accessToken": "a", "accessTokenValidUntil": "jutro"},
        {"version": 1, "accessToken": "a", "accessTokenValidUntil": "2026-03-02T09:00:00"},
        {"version": 1, "accessToken": "a", "accessTokenValidUntil": "2026-03-02T09:00:00+00:00", "refreshToken": "r"},
        {"version": 1, "accessToken": "", "accessTokenValidUntil": "2026-03-02T09:00:00+00:00"},
    ],
)
def test_damaged_token_state_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(KsefInvalidInputError):
        TokenState.from_dict(data)


# --- retries ------------------------------------------------------------------------------------------------------


def test_retry_after_is_honoured_on_429(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", problem(429, headers={"Retry-After": "7"}, detail="Za dużo."), ok(LIMITS))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.certificates.limits()
    assert clock.sleeps == [7.0]
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_with_exponential_backoff(fake: FakeKsef, clock: FakeClock, status: int) -> None:
    fake.on("GET", "/certificates/limits", httpx.Response(status), httpx.Response(status), ok(LIMITS))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.certificates.limits()
    assert clock.sleeps == [0.5, 1.0]


def test_retries_are_bounded(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", httpx.Response(503))
    retry = RetryPolicy(max_attempts=3, jitter=False)
    with make_client(fake, clock, token_state=tokens(), retry=retry) as client, pytest.raises(KsefApiError) as info:
        client.certificates.limits()
    assert info.value.http_status == 503
    assert len(fake.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_backoff_is_capped_and_jittered_with_the_injected_random() -> None:
    policy = RetryPolicy(initial_backoff=1.0, multiplier=10.0, max_backoff=5.0, random=lambda: 0.0)
    assert [policy.backoff(retry) for retry in (1, 2, 3)] == [0.5, 2.5, 2.5]
    assert RetryPolicy(random=lambda: 1.0).backoff(1) == 0.5


def test_a_retry_after_longer_than_the_cap_is_not_waited_out(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", problem(429, headers={"Retry-After": "3600"}, detail="Za dużo."))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefRateLimitError) as info:
        client.certificates.limits()
    assert info.value.retry_after == 3600.0
    assert clock.sleeps == []
    assert len(fake.requests) == 1


def test_non_idempotent_calls_are_never_retried(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/certificates/01F20A5D352AE590/revoke", problem(429, headers={"Retry-After": "1"}, detail="x"))
    fake.on("POST", "/auth/xades-signature", httpx.Response(503))
    fake.on("POST", "/auth/token/redeem", httpx.Response(502))
    with make_client(fake, clock, token_state=tokens()) as client:
        with pytest.raises(KsefRateLimitError) as info:
            client.certificates.revoke("01F20A5D352AE590")
        assert info.value.retry_after == 1.0
        with pytest.raises(KsefApiError):
            client.auth.submit_xades_signature(b"<AuthTokenRequest/>")
        with pytest.raises(KsefApiError):
            client.auth.redeem("auth-token")
    assert len(fake.requests) == 3
    assert clock.sleeps == []


def test_safe_posts_are_retried(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/certificates/query", httpx.Response(502), ok({"certificates": [], "hasMore": False}))
    fake.on(
        "POST",
        "/auth/challenge",
        httpx.Response(503),
        ok(
            {
                "challenge": "20250514-CR-226FB7B000-3ACF9BE4C0-10",
                "timestamp": "2025-07-11T12:23:56.0154302+00:00",
                "timestampMs": 1752236636015,
                "clientIp": "127.0.0.1",
            }
        ),
    )
    with make_client(fake, clock, token_state=tokens()) as client:
        assert list(client.certificates.query()) == []
        assert client.auth.challenge().client_ip == "127.0.0.1"
    assert len(fake.requests) == 4


def test_transport_errors_are_retried_for_reads_and_raised_for_writes(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    fake.on("GET", "/certificates/limits", httpx.ConnectError("refused"), ok(LIMITS))
    fake.on("POST", "/certificates/enrollments", httpx.ReadTimeout("slow"))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.certificates.limits()
        assert clock.sleeps == [0.5]
        with pytest.raises(httpx.ReadTimeout):
            client.certificates.enroll("Certyfikat", "Offline", csr)
    assert len(fake.calls("POST", "/certificates/enrollments")) == 1


def test_transport_errors_surface_after_the_last_attempt(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/certificates/limits", httpx.ConnectError("refused"))
    retry = RetryPolicy(max_attempts=2, jitter=False)
    with make_client(fake, clock, token_state=tokens(), retry=retry) as client, pytest.raises(httpx.ConnectError):
        client.certificates.limits()
    assert len(fake.requests) == 2


def test_bad_retry_policies_are_refused() -> None:
    with pytest.raises(KsefInvalidInputError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(KsefInvalidInputError):
        RetryPolicy(initial_backoff=-1)
