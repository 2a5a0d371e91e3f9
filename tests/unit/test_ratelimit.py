"""Sliding-window rate limits (limity-api.md)."""

from __future__ import annotations

import pytest

from ksef_mcu.server.errors import TooManyRequestsError
from ksef_mcu.server.http.ratelimit import RateLimiter
from ksef_mcu.server.settings import RateLimit, default_rate_limits


def limiter(**limits: RateLimit) -> RateLimiter:
    return RateLimiter({**default_rate_limits(), **limits})


def hit_many(rate_limiter: RateLimiter, group: str, key: str, count: int, *, at: float) -> None:
    for _ in range(count):
        rate_limiter.hit(group, key, now=at)


class TestWindows:
    def test_public_endpoints_allow_60_per_second(self) -> None:
        rate_limiter = limiter()
        hit_many(rate_limiter, "public", "ip", 60, at=1000.0)
        with pytest.raises(TooManyRequestsError) as raised:
            rate_limiter.hit("public", "ip", now=1000.5)
        assert raised.value.retry_after == 1
        assert raised.value.detail == "Przekroczono limit 60 żądań na sekundę. Spróbuj ponownie po 1 sekundzie."
        rate_limiter.hit("public", "ip", now=1001.01)  # the first second has slid out

    def test_other_group_checks_minute_and_hour_windows_too(self) -> None:
        rate_limiter = limiter()
        for second in range(30):  # 30 requests in 30 s: below 10/s, at 30/min
            rate_limiter.hit("other", "ctx", now=100.0 + second)
        with pytest.raises(TooManyRequestsError) as raised:
            rate_limiter.hit("other", "ctx", now=130.0)
        assert "30 żądań na minutę" in raised.value.detail
        # The oldest of those 30 requests (t=100) leaves the minute window at t=160.
        assert raised.value.retry_after == 30
        rate_limiter.hit("other", "ctx", now=160.5)

    def test_hour_window(self) -> None:
        rate_limiter = limiter()
        for minute in range(120):
            rate_limiter.hit("other", "ctx", now=minute * 30.0)  # 2 per minute, 120 within the hour
        with pytest.raises(TooManyRequestsError) as raised:
            rate_limiter.hit("other", "ctx", now=3599.0)
        assert "120 żądań na godzinę" in raised.value.detail
        assert raised.value.retry_after == 1

    def test_refused_requests_do_not_count(self) -> None:
        rate_limiter = limiter(public=RateLimit(per_second=2))
        hit_many(rate_limiter, "public", "ip", 2, at=10.0)
        for _ in range(5):
            with pytest.raises(TooManyRequestsError):
                rate_limiter.hit("public", "ip", now=10.2)
        rate_limiter.hit("public", "ip", now=11.05)

    def test_keys_count_separately(self) -> None:
        rate_limiter = limiter(public=RateLimit(per_second=1))
        rate_limiter.hit("public", ("endpoint-a", "1.2.3.4"), now=5.0)
        rate_limiter.hit("public", ("endpoint-b", "1.2.3.4"), now=5.0)
        rate_limiter.hit("public", ("endpoint-a", "5.6.7.8"), now=5.0)
        with pytest.raises(TooManyRequestsError):
            rate_limiter.hit("public", ("endpoint-a", "1.2.3.4"), now=5.0)

    def test_switched_off(self) -> None:
        rate_limiter = RateLimiter(default_rate_limits(), enabled=False)
        hit_many(rate_limiter, "public", "ip", 1000, at=1.0)

    def test_unknown_group_uses_the_default_limits(self) -> None:
        rate_limiter = limiter()
        hit_many(rate_limiter, "certificates", "ctx", 10, at=1.0)
        with pytest.raises(TooManyRequestsError):
            rate_limiter.hit("certificates", "ctx", now=1.0)


@pytest.mark.parametrize(
    ("limit", "words"),
    [(1, "1 żądanie"), (2, "2 żądania"), (4, "4 żądania"), (5, "5 żądań"), (12, "12 żądań"), (22, "22 żądania")],
)
def test_polish_plurals(limit: int, words: str) -> None:
    rate_limiter = limiter(public=RateLimit(per_minute=limit))
    hit_many(rate_limiter, "public", "ip", limit, at=0.0)
    with pytest.raises(TooManyRequestsError) as raised:
        rate_limiter.hit("public", "ip", now=1.0)
    assert f"limit {words} na minutę" in raised.value.detail
    assert raised.value.detail.endswith("po 59 sekundach.")
