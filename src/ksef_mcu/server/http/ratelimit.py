"""Request rate limits, as `limity/limity-api.md` describes them.

- Each endpoint has its own counters; requests are counted per (context, client IP) on endpoints that need an access
  token and per client IP on public ones.
- Three sliding windows (the last second, minute and hour) are checked together; the first exceeded one answers 429
  with `Retry-After` = seconds until that window admits a request again. Refused requests are not counted.
- Limits come from settings (`KSEF_MCU_RATE_LIMITS`, per group); `KSEF_MCU_RATE_LIMITS_ENABLED=false` switches them off.

Counters live in this process's memory: with several API processes (`ksef-mcu serve --workers N`, or several hosts)
each process counts on its own, so the effective limit is up to N times the configured one.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Hashable, Mapping

from ksef_mcu.server.errors import TooManyRequestsError
from ksef_mcu.server.settings import RateLimit

_WINDOWS = (("per_second", 1.0, "sekundę"), ("per_minute", 60.0, "minutę"), ("per_hour", 3600.0, "godzinę"))
_SWEEP_EVERY = 10_000


def _requests_word(count: int) -> str:
    if count == 1:
        return "żądanie"
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return "żądania"
    return "żądań"


def _seconds_phrase(seconds: int) -> str:
    return f"po {seconds} sekundzie" if seconds == 1 else f"po {seconds} sekundach"


class RateLimiter:
    """Sliding-window counters keyed by (group, endpoint, context, IP). Thread-safe."""

    def __init__(self, limits: Mapping[str, RateLimit], *, enabled: bool = True) -> None:
        self._limits = dict(limits)
        self.enabled = enabled
        self._hits: dict[Hashable, list[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def limit_for(self, group: str) -> RateLimit:
        return self._limits.get(group) or self._limits["other"]

    def hit(self, group: str, key: Hashable, *, now: float) -> None:
        """Count one request at `now` (seconds); raises `TooManyRequestsError` if a window is full."""
        if not self.enabled:
            return
        limit = self.limit_for(group)
        horizon = max(window for field, window, _ in _WINDOWS if getattr(limit, field) is not None)
        with self._lock:
            self._calls += 1
            if self._calls % _SWEEP_EVERY == 0:
                self._sweep(now)
            hits = self._hits.setdefault((group, key), [])
            del hits[: bisect.bisect_right(hits, now - horizon)]
            for field, window, unit in _WINDOWS:
                allowed = getattr(limit, field)
                if allowed is None:
                    continue
                in_window = len(hits) - bisect.bisect_right(hits, now - window)
                if in_window >= allowed:
                    # The window admits a request again when the allowed-th newest hit leaves it.
                    retry_after = max(1, math.ceil(hits[-allowed] + window - now))
                    raise TooManyRequestsError(
                        f"Przekroczono limit {allowed} {_requests_word(allowed)} na {unit}. "
                        f"Spróbuj ponownie {_seconds_phrase(retry_after)}.",
                        retry_after=retry_after,
                    )
            hits.append(now)

    def _sweep(self, now: float) -> None:
        stale = [key for key, hits in self._hits.items() if not hits or hits[-1] < now - 3600.0]
        for key in stale:
            del self._hits[key]
