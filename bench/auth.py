"""Full XAdES logins per second against a running server: challenge → signed AuthTokenRequest → status → redeem.

Run: `.venv/bin/python bench/auth.py [--url URL | --backend sqlite|postgresql|both] [--workers N]... [--clients N]
[--logins N] [--client-processes N]`.

Without `--url` the script starts `ksef-mcu serve` itself (rate limits off, a temporary data directory; PostgreSQL in
a temporary database created beside `--postgres-url` / `KSEF_MCU_BENCH_POSTGRES_URL`, default the local `test`
database), once per backend and number of server processes (`--workers`, default 1 and 2).
With `--url` the server must have rate limits off (`KSEF_MCU_RATE_LIMITS_ENABLED=false`): the official limit is
60 requests/s per IP on these endpoints.

The load generator is a minimal keep-alive HTTP/1.1 client on asyncio streams (httpx costs milliseconds of CPU
per request, which would measure the client). Each client is its own subject (an EC P-256 self-signed person
certificate with its own NIP) logging into its own NIP context as the owner, so the first status poll must already
say 200. Clients run as asyncio tasks spread over `--client-processes` processes, which share the machine with the
server: the figures are for the whole box.
Prints logins/s and the p50/p99 latency of one whole login.

Goal on a 2-core machine: ≥ 150 logins/s. The script prints the machine's CPU pressure (`/proc/pressure/cpu`) beside
the figures: on a shared machine other work takes CPU from both the server and the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ksef_mcu.crypto.xades import (
    AuthTokenNamespace,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    XadesSigner,
    build_auth_token_request,
)
from ksef_mcu.identifiers import generate_random_nip

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from loadgen import HttpConnection, person_signer
from support.databases import scratch_postgres_database
from support.processes import Serve


class LoginFailedError(RuntimeError):
    pass


async def one_login(connection: HttpConnection, signer: XadesSigner, nip: str) -> None:
    status, body = await connection.request("POST", "/v2/auth/challenge")
    if status != 200:
        raise LoginFailedError(f"challenge: HTTP {status}")
    xml = build_auth_token_request(
        json.loads(body)["challenge"],
        ContextIdentifier(ContextIdentifierType.NIP, nip),
        SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT,
        namespace=AuthTokenNamespace.V2_0,
    )
    signed = signer.sign(xml, now=datetime.now(UTC))
    status, body = await connection.request(
        "POST", "/v2/auth/xades-signature", signed, headers={"Content-Type": "application/xml"}
    )
    if status != 202:
        raise LoginFailedError(f"xades-signature: HTTP {status} {body[:200]!r}")
    started = json.loads(body)
    authorization = {"Authorization": f"Bearer {started['authenticationToken']['token']}"}
    status, body = await connection.request("GET", f"/v2/auth/{started['referenceNumber']}", headers=authorization)
    if status != 200 or json.loads(body)["status"]["code"] != 200:
        raise LoginFailedError(f"status: HTTP {status} {body[:200]!r}")
    status, body = await connection.request("POST", "/v2/auth/token/redeem", headers=authorization)
    if status != 200:
        raise LoginFailedError(f"redeem: HTTP {status} {body[:200]!r}")


async def client_loop(url: str, clients: int, logins: int, warmup: int) -> tuple[list[float], list[str], float]:
    now = datetime.now(UTC)
    identities = [(person_signer(nip, now), nip) for nip in (generate_random_nip() for _ in range(clients))]
    connections = [HttpConnection(url) for _ in identities]
    latencies: list[float] = []
    errors: list[str] = []
    remaining = warmup

    async def warm(connection: HttpConnection, signer: XadesSigner, nip: str) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            try:
                await one_login(connection, signer, nip)
            except (LoginFailedError, OSError, asyncio.IncompleteReadError) as error:
                errors.append(f"warm-up: {error}")

    async def run(connection: HttpConnection, signer: XadesSigner, nip: str) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                await one_login(connection, signer, nip)
            except (LoginFailedError, OSError, asyncio.IncompleteReadError) as error:
                errors.append(str(error))
                continue
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(warm(c, s, n) for c, (s, n) in zip(connections, identities, strict=True)))
    remaining = logins
    began = time.perf_counter()
    await asyncio.gather(*(run(c, s, n) for c, (s, n) in zip(connections, identities, strict=True)))
    elapsed = time.perf_counter() - began
    for connection in connections:
        await connection.close()
    return latencies, errors, elapsed


def _client_process(url: str, clients: int, logins: int, warmup: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put(asyncio.run(client_loop(url, clients, logins, warmup)))


@dataclass
class Result:
    logins: int
    errors: list[str]
    elapsed: float
    latencies: list[float]

    def report(self, label: str) -> str:
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")
        rate = self.logins / self.elapsed if self.elapsed else 0.0
        line = f"{label:<44} {rate:8.1f} logins/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   errors {len(self.errors)}"
        if self.errors:
            line += f"\n    first error: {self.errors[0]}"
        return line


def measure(url: str, *, clients: int, logins: int, processes: int) -> Result:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    share = [logins // processes + (1 if i < logins % processes else 0) for i in range(processes)]
    workers = [
        context.Process(target=_client_process, args=(url, n, k, max(n, 20), queue))
        for n, k in zip(per_process, share, strict=True)
    ]
    for worker in workers:
        worker.start()
    outcomes = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [latency for outcome in outcomes for latency in outcome[0]]
    errors = [error for outcome in outcomes for error in outcome[1]]
    elapsed = max(outcome[2] for outcome in outcomes)
    return Result(len(latencies), errors, elapsed, latencies)


# --- starting a server ----------------------------------------------------------------------------------------------


def cpu_pressure() -> str:
    """Linux PSI: the share of the last 60 s in which runnable tasks waited for a CPU (other work on the machine)."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return "CPU pressure unknown"
    fields = dict(item.split("=") for item in line.split()[1:])
    return f"CPU pressure {fields.get('avg60', '?')}% (60 s average)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (rate limits off); otherwise the script starts its own")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KSEF_MCU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    # Defaults: one and two server processes (two is the best configuration on the 2-core development machine;
    # more processes than cores only add contention, and SQLite writers of several processes queue on one lock).
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="server processes (ksef-mcu serve --workers); repeat to measure several (default: 1 and 2)",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent logins in flight")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--logins", type=int, default=3000)
    args = parser.parse_args()

    print(
        f"{os.cpu_count()} CPUs; {args.clients} concurrent clients in {args.client_processes} processes; "
        f"{args.logins} logins per run; {cpu_pressure()}"
    )
    if args.url:
        result = measure(args.url, clients=args.clients, logins=args.logins, processes=args.client_processes)
        print(result.report(args.url))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend, workers in [(b, w) for b in backends for w in (args.workers or [1, 2])]:
        if backend == "postgresql" and not args.postgres_url:
            print("postgresql: skipped (give --postgres-url or KSEF_MCU_BENCH_POSTGRES_URL)")
            continue
        with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
            data_dir = Path(scratch) / "data"
            if backend == "sqlite":
                database_url = f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}"
            else:
                database_url = stack.enter_context(
                    scratch_postgres_database(args.postgres_url, prefix="ksef_mcu_bench")
                )
            server = Serve(
                data_dir, database_url, "--workers", str(workers), "--log-level", "warning", rate_limits_enabled="false"
            )
            try:
                result = measure(
                    server.base_url, clients=args.clients, logins=args.logins, processes=args.client_processes
                )
            finally:
                server.terminate()
            print(result.report(f"{backend}, {workers} server worker(s)") + f"   [{cpu_pressure()}]")


if __name__ == "__main__":
    main()
