"""The durable-queue workers' loop: backlog at once, a window after progress, idle step, wake-ups, failures, stop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from ksef_mcu.storage.database import Database
from ksef_mcu.storage.queue_loop import BatchProgress, QueueLoop, new_worker_id

pytestmark = pytest.mark.anyio

LOGGER = logging.getLogger("test.queue_loop")


def make_loop(tmp_path: Path, *, poll: float = 30.0, window: float = 0.0) -> tuple[QueueLoop, Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    loop = QueueLoop(
        name="test worker", database=database, channel="unused", poll=poll, window=window, batch_size=10, logger=LOGGER
    )
    return loop, database


async def test_a_backlog_runs_at_once_then_idles_until_woken(tmp_path: Path) -> None:
    queue, database = make_loop(tmp_path)
    results = [BatchProgress(10, True), BatchProgress(10, True), BatchProgress(3, True), BatchProgress(0, False)]
    calls: list[str] = []
    stop = asyncio.Event()

    async def batch() -> BatchProgress:
        calls.append("batch")
        if results:
            return results.pop(0)
        stop.set()
        return BatchProgress(0, False)

    async def idle() -> None:
        calls.append("idle")

    try:
        task = asyncio.create_task(queue.run(stop, batch=batch, has_work=lambda: False, idle=idle))
        for _ in range(100):
            if calls.count("idle") == 1:
                break
            await asyncio.sleep(0.01)
        # Two full batches and one partial ran without waiting for the 30 s poll; then the idle step, then it waits.
        assert calls == ["batch", "batch", "batch", "batch", "idle"]
        await asyncio.sleep(0.05)
        assert calls.count("batch") == 4  # nothing runs until told
        queue.wake()
        await asyncio.wait_for(task, timeout=5)
        assert calls.count("batch") == 5
    finally:
        database.dispose()


async def test_the_poll_finds_unannounced_work_and_a_failed_batch_is_retried(tmp_path: Path) -> None:
    queue, database = make_loop(tmp_path, poll=0.02)
    stop = asyncio.Event()
    outcomes: list[object] = [RuntimeError("database away"), BatchProgress(0, False), BatchProgress(1, True)]
    seen: list[str] = []

    async def batch() -> BatchProgress:
        outcome = outcomes.pop(0) if outcomes else None
        if outcome is None:
            stop.set()
            return BatchProgress(0, False)
        if isinstance(outcome, Exception):
            seen.append("failed")
            raise outcome
        seen.append(f"claimed {outcome.claimed}")  # type: ignore[attr-defined]
        return outcome  # type: ignore[return-value]

    looks = iter([False, True])

    try:
        await asyncio.wait_for(queue.run(stop, batch=batch, has_work=lambda: next(looks, True)), timeout=5)
    finally:
        database.dispose()
    assert seen == ["failed", "claimed 0", "claimed 1"]


def test_worker_ids_name_the_host_and_process_and_differ() -> None:
    first, second = new_worker_id(), new_worker_id()
    assert first != second
    assert first.split(":")[1] == second.split(":")[1]
