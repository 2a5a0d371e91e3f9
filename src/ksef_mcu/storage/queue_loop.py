"""The loop of a durable-queue worker: batches while there is work, then waits for a notice or a poll.

Both of the server's queues (certificate requests, session invoices) are tables that workers claim from
(`FOR UPDATE SKIP LOCKED` on PostgreSQL). What runs a batch is the worker's; when to run the next one is this loop's:

- a full batch → the next one at once (a backlog);
- a batch that did something → wait `window` seconds first, so the requests arriving meanwhile share one claim;
- nothing to do → the idle step (housekeeping), then wait for a wake-up — an in-process `wake()`, a PostgreSQL
  NOTIFY on `channel`, or every `poll` seconds a cheap look for work nobody announced.

A failed batch is logged and retried after `poll`; `stop` ends the loop after the batch in hand.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ksef_mcu.storage.database import Database
from ksef_mcu.storage.notifications import NotificationListener

__all__ = ["BatchProgress", "QueueLoop", "new_worker_id", "wait_any"]


@dataclass(frozen=True)
class BatchProgress:
    """What one batch did: how many items it claimed, and whether it did anything at all (claimed items or finished
    other work, e.g. closed sessions)."""

    claimed: int
    progressed: bool


def new_worker_id() -> str:
    """`host:pid:random` — who holds a claim, in logs and in the queue's rows."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


async def wait_any(first: asyncio.Event, second: asyncio.Event, *, timeout: float) -> bool:
    """Return when either event is set (True) or `timeout` seconds have passed (False)."""
    if first.is_set() or second.is_set():
        return True
    tasks = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
    return bool(done)


class QueueLoop:
    """One worker's loop over its queue (see the module's description). `wake()` is safe from any thread."""

    def __init__(
        self,
        *,
        name: str,
        database: Database,
        channel: str,
        poll: float,
        window: float,
        batch_size: int,
        logger: logging.Logger,
    ) -> None:
        self._name = name
        self._database = database
        self._channel = channel
        self._poll = poll
        self._window = window
        self._batch_size = batch_size
        self._logger = logger
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def wake(self) -> None:
        """Tell the running loop there is new work; a no-op when it is not running."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run(
        self,
        stop: asyncio.Event,
        *,
        batch: Callable[[], Awaitable[BatchProgress]],
        has_work: Callable[[], bool],
        idle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Run `batch` until `stop` is set. `has_work` (run in a thread) is the poll's look for unannounced work;
        `idle` runs when a batch found nothing, before waiting."""
        self._loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        listener: NotificationListener | None = None
        if self._database.dialect == "postgresql":
            listener = NotificationListener(self._database.engine.url.render_as_string(False), self._channel, self.wake)
            listener.start()
        self._logger.info("%s started", self._name)
        try:
            while not stop.is_set():
                wake.clear()  # before the batch: a wake-up during it makes the wait below return at once
                try:
                    progress = await batch()
                except Exception:
                    self._logger.exception("%s: batch failed; retrying", self._name)
                    await wait_any(stop, wake, timeout=self._poll)
                    continue
                if progress.claimed >= self._batch_size:
                    continue  # a backlog: the next batch at once
                if progress.progressed:
                    # Work keeps coming: let a few items gather, so one claim and one store serve several of them.
                    await wait_any(stop, stop, timeout=self._window)
                    continue
                if idle is not None:
                    await idle()
                await self._wait_for_work(stop, wake, has_work)
        finally:
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            self._wake = None
            self._loop = None
            self._logger.info("%s stopped", self._name)

    async def _wait_for_work(self, stop: asyncio.Event, wake: asyncio.Event, has_work: Callable[[], bool]) -> None:
        """Wait for a notice, and look for work nobody told us about every `poll` seconds (a cheap read)."""
        while not stop.is_set():
            if await wait_any(stop, wake, timeout=self._poll):
                if self._window:
                    await wait_any(stop, stop, timeout=self._window)  # woken by an item: its neighbours come too
                return
            try:
                if await asyncio.to_thread(has_work):
                    return
            except Exception:
                self._logger.exception("%s: looking for pending work failed", self._name)
