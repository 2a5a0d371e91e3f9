"""Benchmark of online sessions: invoices/s accepted and processed (to a KSeF number), and the send-to-number latency,
over HTTP against a real `ksef-mcu serve`, on SQLite and PostgreSQL.

For each database four runs: all invoices through one session and through 4 parallel sessions, each with the worker
inside `ksef-mcu serve` and with a separate `ksef-mcu worker` process. `--concurrency` senders in all (shared between
the sessions) send FA(3) invoices encrypted as a client does (AES-256-CBC under the session's key; the invoices and
their encryption are made before the clock starts), while a poller per session reads
`GET /sessions/{ref}/invoices` every `--poll-ms` from the first page that still has an invoice without a KSeF number
(reusing the continuation tokens of pages already done), and notes when each invoice first shows status 200.

Printed: accepted/s (first send → last 202), processed/s (first send → last invoice numbered), p50/p99 latency from
the 202 of an invoice to the poll that first sees its KSeF number (so the figure includes up to one poll interval and
one page read),
and the machine's load (`uptime`).

By default the senders go as fast as the server accepts (saturation: where acceptance outruns processing, the backlog
and so the latency grow with `--count`). `--rate R` paces them to R invoices/s in all (an open-loop load, as a busy
invoicing program at a steady rate), which shows the latency at a given throughput, e.g. the goal's 200/s.

Run: `.venv/bin/python bench/invoices.py [--count 2000] [--concurrency 8] [--poll-ms 50] [--rate R]
[--only sqlite|postgresql]`.
PostgreSQL comes from `--postgres-url` / `KSEF_MCU_BENCH_POSTGRES_URL` (default the local `test` database; a temporary
database is created and dropped). Rate limits are switched off for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from documents.samples import invoice_xml
from loadgen import HttpConnection
from support.databases import scratch_postgres_database
from support.login import Identity, login
from support.processes import Serve, Worker
from support.sessions import OpenSession, open_session, send_body

SERVER_SETTINGS = {"rate_limits_enabled": "false"}
PAGE = 10  # the smallest page: a poll reads little beyond the invoices it is waiting for


class Pacer:
    """Hands out send times `1/rate` apart to every sender together (no pacing when `rate` is 0)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1 / rate if rate > 0 else 0.0
        self._next: float | None = None

    async def wait(self) -> None:
        if not self._interval:
            return
        now = time.perf_counter()
        slot = now if self._next is None else self._next
        self._next = max(slot, now - 1.0) + self._interval  # a sender that fell behind catches up, one second at most
        if slot > now:
            await asyncio.sleep(slot - now)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(
    base_url: str, *, count: int, sessions: int, concurrency: int, poll_ms: int, rate: float = 0.0
) -> dict[str, float]:
    concurrency = max(1, concurrency // sessions)  # senders per session: the same load whatever the sessions
    pacer = Pacer(rate)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(max_connections=64)) as client:
        identity = Identity.person_with_nip(now=datetime.now(UTC))
        nip = identity.nip or ""
        token = (await login(client, identity, context=nip, now=datetime.now(UTC))).access_token
        opened = [await open_session(client, token) for _ in range(sessions)]
        today = datetime.now(ZoneInfo("Europe/Warsaw")).date()
        per_session = count // sessions
        payloads: dict[str, list[bytes]] = {
            session.reference_number: [
                json.dumps(
                    send_body(invoice_xml(seller_nip=nip, issue_date=today, number=f"B/{index}/{n}"), session.key)
                ).encode()
                for n in range(per_session)
            ]
            for index, session in enumerate(opened)
        }
        accepted_at: dict[str, float] = {}
        sessions_by_reference: dict[str, str] = {}
        numbered_at: dict[str, float] = {}
        total = per_session * sessions
        done = asyncio.Event()

        authorization = {"Authorization": f"Bearer {token}"}
        json_headers = {**authorization, "Content-Type": "application/json"}

        async def sender(session: OpenSession, offset: int) -> None:
            connection = HttpConnection(base_url)
            path = f"/v2/sessions/online/{session.reference_number}/invoices"
            try:
                for body in payloads[session.reference_number][offset::concurrency]:
                    await pacer.wait()
                    status, answer = await connection.request("POST", path, body, headers=json_headers)
                    if status != 202:
                        raise RuntimeError(f"invoice refused: {status} {answer[:300]!r}")
                    reference = json.loads(answer)["referenceNumber"]
                    sessions_by_reference[reference] = session.reference_number
                    accepted_at[reference] = time.perf_counter()
            finally:
                await connection.close()

        async def poller(session: OpenSession) -> None:
            """Reads the session's invoice list from the first page that still has an invoice without a KSeF number
            (continuation tokens of pages already done are reused), every `poll_ms`: invoices are numbered roughly in
            the order they came, so a round reads a page or two."""
            connection = HttpConnection(base_url)
            base = f"/v2/sessions/{session.reference_number}/invoices?pageSize={PAGE}"
            cursor: str | None = None
            try:
                while not done.is_set():
                    token = cursor
                    while True:
                        headers = dict(authorization)
                        if token:
                            headers["x-continuation-token"] = token
                        _, answer = await connection.request("GET", base, headers=headers)
                        page = json.loads(answer)
                        seen = time.perf_counter()
                        complete = True
                        for item in page["invoices"]:
                            code = item["status"]["code"]
                            if code in (100, 150):
                                complete = False
                            elif item["referenceNumber"] not in numbered_at:
                                if code != 200:
                                    raise RuntimeError(f"invoice not numbered: {item!r}")
                                numbered_at[item["referenceNumber"]] = seen
                        following = page.get("continuationToken")
                        if not complete or not following:
                            break
                        if len(page["invoices"]) == PAGE and token == cursor:
                            cursor = following
                        token = following
                    if len(numbered_at) >= total:
                        done.set()
                        return
                    await asyncio.sleep(poll_ms / 1000)
            finally:
                await connection.close()

        start = time.perf_counter()
        pollers = [asyncio.create_task(poller(session)) for session in opened]
        await asyncio.gather(*(sender(session, offset) for session in opened for offset in range(concurrency)))
        sent_end = max(accepted_at.values())
        await asyncio.wait_for(done.wait(), timeout=600)
        for task in pollers:
            await task
        latencies = [numbered_at[reference] - accepted_at[reference] for reference in accepted_at]
        return {
            "count": float(total),
            "accepted": total / (sent_end - start),
            "processed": total / (max(numbered_at.values()) - start),
            "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--poll-ms", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.0, help="offered invoices/s in all (default: unpaced)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KSEF_MCU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    arguments = parser.parse_args()
    print(f"load before: {subprocess.run(['uptime'], capture_output=True, text=True, check=False).stdout.strip()}")
    print(f"offered load: {f'{arguments.rate:g} invoices/s' if arguments.rate else 'as fast as accepted'}")
    print(
        f"{'database':<11} {'worker':<10} {'sessions':>8} {'invoices':>8} {'accepted/s':>11} {'processed/s':>12} "
        f"{'p50 s':>7} {'p99 s':>7}"
    )
    for database in ("sqlite", "postgresql"):
        if arguments.only and arguments.only != database:
            continue
        for sessions, worker_process in ((1, False), (4, False), (1, True), (4, True)):
            directory = Path(tempfile.mkdtemp(prefix="bench-invoices-"))
            try:
                data_dir = directory / "data"
                if database == "sqlite":
                    figures = _one(
                        f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}",
                        data_dir,
                        arguments,
                        sessions,
                        worker_process=worker_process,
                    )
                else:
                    try:
                        with scratch_postgres_database(arguments.postgres_url, prefix="bench_invoices") as url:
                            figures = _one(url, data_dir, arguments, sessions, worker_process=worker_process)
                    except Exception as error:
                        print(f"postgresql  skipped: {error}")
                        break
                where = "process" if worker_process else "in serve"
                print(
                    f"{database:<11} {where:<10} {sessions:>8} {int(figures['count']):>8} {figures['accepted']:>11.1f} "
                    f"{figures['processed']:>12.1f} {figures['p50']:>7.3f} {figures['p99']:>7.3f}"
                )
            finally:
                shutil.rmtree(directory, ignore_errors=True)
    print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True, check=False).stdout.strip()}")


def _one(
    url: str, data_dir: Path, arguments: argparse.Namespace, sessions: int, *, worker_process: bool
) -> dict[str, float]:
    settings = {**SERVER_SETTINGS, "issuance_worker": "false"} if worker_process else SERVER_SETTINGS
    server = Serve(data_dir, url, **settings)
    worker = Worker(data_dir, url, "bench", **SERVER_SETTINGS) if worker_process else None
    try:
        return asyncio.run(
            run(
                server.base_url,
                count=arguments.count,
                sessions=sessions,
                concurrency=arguments.concurrency,
                poll_ms=arguments.poll_ms,
                rate=arguments.rate,
            )
        )
    finally:
        server.terminate()
        if worker is not None:
            worker.terminate()


if __name__ == "__main__":
    main()
