"""Full XAdES logins per second against a running server: challenge → signed AuthTokenRequest → status → redeem.

Run: `.venv/bin/python bench/auth.py [--url URL | --backend sqlite|postgresql|both] [--workers N] [--clients N]
[--logins N] [--client-processes N]`.

Without `--url` the script starts `ksef-mcu serve` itself (rate limits off, a temporary data directory; PostgreSQL in
a temporary database created from `--postgres-url`, `KSEF_MCU_BENCH_POSTGRES_URL` or `KSEF_MCU_TEST_POSTGRES_URL`),
once per backend. With `--url` the server must have rate limits off (`KSEF_MCU_RATE_LIMITS_ENABLED=false`): the
official limit is 60 requests/s per IP on these endpoints.

Each client is its own subject (an EC P-256 self-signed person certificate with its own NIP) logging into its own NIP
context as the owner, so the first status poll must already say 200. Clients run as asyncio tasks spread over
`--client-processes` processes, which share the machine with the server: the figures are for the whole box.
Prints logins/s and the p50/p99 latency of one whole login.

Goal on a 2-core machine: ≥ 150 logins/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.xades import (
    AuthTokenNamespace,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    XadesSigner,
    build_auth_token_request,
)

KSEF_MCU = Path(sys.executable).with_name("ksef-mcu")


def random_nip() -> str:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [random.randint(1, 9)] + [random.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def make_signer(nip: str, now: datetime) -> XadesSigner:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Testowy"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Testowy"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return XadesSigner(key, certificate)


class LoginFailedError(RuntimeError):
    pass


async def one_login(client: httpx.AsyncClient, signer: XadesSigner, nip: str) -> None:
    challenge = await client.post("/v2/auth/challenge")
    if challenge.status_code != 200:
        raise LoginFailedError(f"challenge: HTTP {challenge.status_code}")
    xml = build_auth_token_request(
        challenge.json()["challenge"],
        ContextIdentifier(ContextIdentifierType.NIP, nip),
        SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT,
        namespace=AuthTokenNamespace.V2_0,
    )
    signed = signer.sign(xml, now=datetime.now(UTC))
    started = await client.post("/v2/auth/xades-signature", content=signed, headers={"Content-Type": "application/xml"})
    if started.status_code != 202:
        raise LoginFailedError(f"xades-signature: HTTP {started.status_code} {started.text[:200]}")
    body = started.json()
    authorization = {"Authorization": f"Bearer {body['authenticationToken']['token']}"}
    status = await client.get(f"/v2/auth/{body['referenceNumber']}", headers=authorization)
    if status.status_code != 200 or status.json()["status"]["code"] != 200:
        raise LoginFailedError(f"status: HTTP {status.status_code} {status.text[:200]}")
    redeemed = await client.post("/v2/auth/token/redeem", headers=authorization)
    if redeemed.status_code != 200:
        raise LoginFailedError(f"redeem: HTTP {redeemed.status_code} {redeemed.text[:200]}")


async def client_loop(url: str, clients: int, logins: int, warmup: int) -> tuple[list[float], list[str], float]:
    now = datetime.now(UTC)
    identities = [(make_signer(nip, now), nip) for nip in (random_nip() for _ in range(clients))]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        remaining = warmup

        async def warm(signer: XadesSigner, nip: str) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await one_login(client, signer, nip)

        await asyncio.gather(*(warm(signer, nip) for signer, nip in identities))
        remaining = logins

        async def run(signer: XadesSigner, nip: str) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    await one_login(client, signer, nip)
                except (LoginFailedError, httpx.HTTPError) as error:
                    errors.append(str(error))
                    continue
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(run(signer, nip) for signer, nip in identities))
        elapsed = time.perf_counter() - began
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    def __init__(self, database_url: str, data_dir: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "KSEF_MCU_RATE_LIMITS_ENABLED": "false"}
        command = [
            str(KSEF_MCU),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--database-url",
            database_url,
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def postgres_database(base_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, make_url, text

    base = make_url(base_url)
    name = f"ksef_mcu_bench_{secrets.token_hex(4)}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def drop_postgres_database(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (rate limits off); otherwise the script starts its own")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KSEF_MCU_BENCH_POSTGRES_URL") or os.environ.get("KSEF_MCU_TEST_POSTGRES_URL"),
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes (ksef-mcu serve --workers)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent logins in flight")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--logins", type=int, default=3000)
    args = parser.parse_args()

    print(
        f"{os.cpu_count()} CPUs; {args.clients} concurrent clients in {args.client_processes} processes; "
        f"{args.logins} logins per run"
    )
    if args.url:
        result = measure(args.url, clients=args.clients, logins=args.logins, processes=args.client_processes)
        print(result.report(args.url))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory() as scratch:
            data_dir = Path(scratch) / "data"
            dropped: str | None = None
            if backend == "sqlite":
                database_url = f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}"
            elif not args.postgres_url:
                print("postgresql: skipped (give --postgres-url or KSEF_MCU_BENCH_POSTGRES_URL)")
                continue
            else:
                database_url, dropped = postgres_database(args.postgres_url)
            server = Server(database_url, data_dir, args.workers)
            try:
                result = measure(server.url, clients=args.clients, logins=args.logins, processes=args.client_processes)
            finally:
                server.stop()
                if dropped is not None:
                    drop_postgres_database(args.postgres_url, dropped)
            print(result.report(f"{backend}, {args.workers} server worker(s)"))


if __name__ == "__main__":
    main()
