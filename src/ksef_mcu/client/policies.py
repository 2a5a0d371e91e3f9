"""How the client retries failed calls and how fast it polls asynchronous operations (all times in seconds).

Which calls are retried: only those that are safe to send twice —
- every `GET` and `DELETE` (reads; deleting a session twice leaves it deleted),
- `POST /auth/challenge` (a spare challenge expires unused after 10 minutes),
- `POST /auth/token/refresh` (the refresh token stays valid; each call only mints a new access token),
- `POST /certificates/query` and `POST /certificates/retrieve` (reads that use POST for their filters).

Never retried: `POST /auth/xades-signature` (each call starts an authentication operation), `POST /auth/token/redeem`
(tokens can be redeemed once), `POST /certificates/enrollments` (each call is a new enrollment, counted against the
limit) and `POST /certificates/{serial}/revoke` (a repeat answers 25009 "already revoked"). For those a 429 raises
`KsefRateLimitError` with `retry_after` and the caller decides.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ksef_mcu.client.errors import KsefInvalidInputError

__all__ = [
    "NO_RETRIES",
    "RETRYABLE_STATUSES",
    "PollPolicy",
    "RetryPolicy",
]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff for idempotent calls.

    A call is sent at most `max_attempts` times in total. It is retried after an HTTP status in `statuses` or a
    transport error (connection refused, timeout). The wait is the server's `Retry-After` when given (a longer
    `Retry-After` than `max_retry_after` is not waited out: the error is raised at once, carrying `retry_after`),
    otherwise `initial_backoff * multiplier ** (retry - 1)` capped at `max_backoff`, with "equal jitter" (a random
    point in the upper half of the interval) unless `jitter` is False.
    """

    max_attempts: int = 4
    initial_backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = RETRYABLE_STATUSES
    jitter: bool = True
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise KsefInvalidInputError("Liczba prób musi wynosić co najmniej 1.", field="max_attempts")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0 or self.multiplier < 1:
            raise KsefInvalidInputError("Parametry ponawiania muszą być nieujemne.", field="retry")

    def backoff(self, retry: int) -> float:
        """The wait before retry number `retry` (1 for the first retry) when the server gave no `Retry-After`."""
        delay = min(self.max_backoff, self.initial_backoff * self.multiplier ** max(0, retry - 1))
        if self.jitter:
            delay = delay / 2 + self.random() * delay / 2
        return delay

    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """The wait before retry number `retry`, or None when the server asks for longer than `max_retry_after`."""
        if retry_after is None:
            return self.backoff(retry)
        return retry_after if retry_after <= self.max_retry_after else None


NO_RETRIES = RetryPolicy(max_attempts=1)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Polling of asynchronous operations: the first wait is `initial_interval`, each next one `multiplier` times
    longer, never more than `max_interval`."""

    initial_interval: float = 0.5
    multiplier: float = 1.5
    max_interval: float = 10.0

    def __post_init__(self) -> None:
        if self.initial_interval <= 0 or self.max_interval < self.initial_interval or self.multiplier < 1:
            raise KsefInvalidInputError("Nieprawidłowe parametry odpytywania o status.", field="poll")

    def interval(self, poll: int) -> float:
        """The wait after poll number `poll` (1 for the first) before the next one."""
        return min(self.max_interval, self.initial_interval * self.multiplier ** max(0, poll - 1))
