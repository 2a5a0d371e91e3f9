"""Following an asynchronous operation (a login, an enrollment, and soon sessions and invoices) to its end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from ksef_mcu.client._core import ClientState, Flow, sleep
from ksef_mcu.client.errors import KsefPollingTimeoutError
from ksef_mcu.client.models.common import StatusInfo

__all__ = ["failure_message", "poll"]

R = TypeVar("R")


def failure_message(head: str, status: StatusInfo) -> str:
    """`head: code description (details)` for an operation that ended with a failure status."""
    text = f"{head}: {status.code} {status.description}"
    return f"{text} ({'; '.join(status.details)})" if status.details else text


def poll(
    state: ClientState,
    fetch: Callable[[], Flow[R]],
    status_of: Callable[[R], StatusInfo],
    *,
    reference_number: str,
    timeout: float,
    on_progress: Callable[[R], None] | None,
    what: str,
) -> Flow[R]:
    """Fetch until the status leaves 1xx, sleeping per `state.poll`; the deadline is measured on the injected clock.

    Raises `KsefPollingTimeoutError` (naming `what`, Polish) when the operation is still in progress at `timeout` s.
    """
    deadline = state.now() + timedelta(seconds=timeout)
    polls = 0
    while True:
        result = yield from fetch()
        polls += 1
        if on_progress is not None:
            on_progress(result)
        status = status_of(result)
        if not status.in_progress:
            return result
        remaining = (deadline - state.now()).total_seconds()
        if remaining <= 0:
            raise KsefPollingTimeoutError(
                f"{what} {reference_number} nadal jest w toku (status {status.code}) po {timeout:g} s; "
                "sprawdź status później.",
                reference_number=reference_number,
                timeout=timeout,
                last_status_code=status.code,
            )
        yield from sleep(min(state.poll.interval(polls), remaining))
