"""Benchmark of certificate issuance: the raw CA signing rate, then end to end over HTTP against real processes.

For every configuration — SQLite and PostgreSQL, each with the worker inside `ksef-mcu serve` and with a separate
`ksef-mcu worker` process, and PostgreSQL with 2 worker processes — it starts the processes (`serve --workers N` with
`--api-processes N`), logs in one subject per client, and lets N concurrent clients each run the user-guide loop —
"Wyślij wniosek o wydanie certyfikatu", then "Odśwież" until the certificate is there:

    POST /v2/certificates/enrollments  →  GET /v2/certificates/enrollments/{ref} every --poll-ms until status 200

It prints certificates issued per second (all clients together, over the timed part), the enrollment→Active latency
(from sending the POST until a poll sees status 200) at p50/p99, HTTP requests per certificate, and the CPU time per
certificate of the server processes, of PostgreSQL and of the load generator during the timed part. The clients
speak HTTP/1.1 over kept-alive asyncio connections with a tiny hand-written codec, so that the client side costs
little of the shared CPU; key pairs and CSRs are made before the clock starts (they happen on the user's machine in
real life).

Run: `.venv/bin/python bench/issuance.py [--clients 50] [--count 2000] [--poll-ms 25] [--api-processes 1]
[--only sqlite|postgresql]`.
PostgreSQL comes from `--postgres-url` / `KSEF_MCU_BENCH_POSTGRES_URL` (default the local `test` database; a
temporary database is created and dropped); without it the PostgreSQL rows are skipped. Rate limits are switched off
and subject limits raised for the run (the official limits would stop a benchmark after 300 requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData, create_csr
from ksef_mcu.crypto.xades import (
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    build_auth_token_request,
)
from ksef_mcu.identifiers import generate_random_nip

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from loadgen import HttpConnection, person_signer
from support.databases import scratch_postgres_database
from support.processes import Serve, Worker

SERVER_SETTINGS = {
    "rate_limits_enabled": "false",
    "certificate_limits": '{"Nip": {"maxEnrollments": 1000000, "maxCertificates": 1000000}}',
}


# --- the CA alone -------------------------------------------------------------------------------------------------


def raw_signing_rate(count: int) -> tuple[float, float]:
    """(prepare+issue per second, bare CertificateBuilder.sign per second) with the issuing CA in a temporary store."""
    from ksef_mcu.server.certificates.ca import open_certificate_authority
    from ksef_mcu.server.certificates.issuer import IssuanceRequest
    from ksef_mcu.server.certificates.policy import validity_period
    from ksef_mcu.server.keys import KeyStore

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as directory:
        authority = open_certificate_authority(
            KeyStore(Path(directory), "bench-passphrase-0123456789"), now=now, crl_url="http://127.0.0.1/ca/crl"
        )
    issuer = authority.issuer
    data = EnrollmentData(common_name="Jan Testowy", country_name="PL", serial_number="TINPL-5265877635")
    keys = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(64)]
    not_before, not_after = validity_period(None, issued_at=now)
    started = time.perf_counter()
    for index in range(count):
        request = IssuanceRequest(
            index + 1, data, KsefCertificateType.AUTHENTICATION, keys[index % 64], not_before, not_after
        )
        issuer.issue(issuer.prepare(request))
    checked = count / (time.perf_counter() - started)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    started = time.perf_counter()
    for index in range(count):
        (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(keys[index % 64])
            .serial_number(index + 1)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .sign(key, hashes.SHA256())
        )
    bare = count / (time.perf_counter() - started)
    return checked, bare


# --- logging in ---------------------------------------------------------------------------------------------------


@dataclass
class Subject:
    token: str
    bodies: list[bytes]


async def log_in(client: httpx.AsyncClient, count: int) -> Subject:
    """A new NIP owner logged into its own context, with `count` ready enrollment request bodies."""
    nip, now = generate_random_nip(), datetime.now(UTC)
    challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
    request = build_auth_token_request(
        challenge, ContextIdentifier(ContextIdentifierType.NIP, nip), SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
    )
    started = await client.post(
        "/v2/auth/xades-signature",
        content=person_signer(nip, now).sign(request, now=now - timedelta(seconds=5)),
        headers={"Content-Type": "application/xml"},
    )
    started.raise_for_status()
    authentication = started.json()["authenticationToken"]["token"]
    redeemed = await client.post("/v2/auth/token/redeem", headers={"Authorization": f"Bearer {authentication}"})
    redeemed.raise_for_status()
    token = redeemed.json()["accessToken"]["token"]
    data_response = await client.get("/v2/certificates/enrollments/data", headers={"Authorization": f"Bearer {token}"})
    data = EnrollmentData.from_api(data_response.json())
    bodies = [
        json.dumps(
            {
                "certificateName": f"Bench {index:05d}",
                "certificateType": "Authentication",
                "csr": create_csr(ec.generate_private_key(ec.SECP256R1()), data),
            }
        ).encode()
        for index in range(count)
    ]
    return Subject(token, bodies)


# --- the load -----------------------------------------------------------------------------------------------------


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every `postgres` process on the machine (the database server's share)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue
        name, _, rest = stat.partition(" (")[2].partition(")")
        if name.startswith("postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its live descendants (uvicorn's worker processes), from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(member, 0.0) for member in tree)


@dataclass
class Result:
    issued: int
    seconds: float
    latencies: list[float]
    requests: int
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    database_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.issued / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def run_client(base_url: str, subject: Subject, poll: float, latencies: list[float], counter: list[int]) -> None:
    connection = HttpConnection(base_url)
    authorization = {"Authorization": f"Bearer {subject.token}"}
    try:
        for body in subject.bodies:
            started = time.perf_counter()
            status, answer = await connection.request(
                "POST",
                "/v2/certificates/enrollments",
                body,
                headers={**authorization, "Content-Type": "application/json"},
            )
            counter[0] += 1
            if status != 202:
                raise RuntimeError(f"enrollment refused: {status} {answer[:300]!r}")
            path = f"/v2/certificates/enrollments/{json.loads(answer)['referenceNumber']}"
            while True:
                await asyncio.sleep(poll)
                status, answer = await connection.request("GET", path, headers=authorization)
                counter[0] += 1
                code = json.loads(answer)["status"]["code"]
                if code == 200:
                    break
                if code != 100:
                    raise RuntimeError(f"enrollment ended with {answer[:300]!r}")
            latencies.append(time.perf_counter() - started)
    finally:
        await connection.close()


async def load(base_url: str, clients: int, count: int, poll: float, *, cpu: Callable[[], float]) -> Result:
    per_client = max(1, count // clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        subjects = []
        for _ in range(clients):
            subjects.append(await log_in(client, per_client + 2))
    # Warm-up (connections, caches, the worker's first batches), then the timed part.
    warm: list[float] = []
    await asyncio.gather(*(run_client(base_url, Subject(s.token, s.bodies[:2]), poll, warm, [0]) for s in subjects))
    latencies: list[float] = []
    counter = [0]
    server_before, database_before, client_before = cpu(), postgres_cpu_seconds(), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(
        *(run_client(base_url, Subject(s.token, s.bodies[2:]), poll, latencies, counter) for s in subjects)
    )
    result = Result(len(latencies), time.perf_counter() - started, latencies, counter[0])
    result.server_cpu = cpu() - server_before
    result.database_cpu = postgres_cpu_seconds() - database_before
    result.client_cpu = time.process_time() - client_before
    return result


# --- configurations -----------------------------------------------------------------------------------------------


def postgres_available(url: str) -> bool:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def measure(database_url: str, *, workers: int, in_process: bool, args: argparse.Namespace) -> Result:
    """Start the processes, run the load, stop them. `in_process`: `serve` issues itself (one worker per API
    process); otherwise `serve` only answers HTTP and `workers` separate `ksef-mcu worker` processes issue."""
    directory = Path(tempfile.mkdtemp(prefix="ksef-mcu-bench-"))
    data_dir = directory / "data"
    extra = ["--log-level", "warning"]  # no access log: it would cost more than the requests
    if args.api_processes > 1:
        extra += ["--workers", str(args.api_processes)]
    processes: list[Serve | Worker] = []
    try:
        server = Serve(data_dir, database_url, *extra, issuance_worker=str(in_process).lower(), **SERVER_SETTINGS)
        processes.append(server)
        for index in range(0 if in_process else workers):
            processes.append(Worker(data_dir, database_url, f"bench-{index}", **SERVER_SETTINGS))

        def server_cpu() -> float:
            return sum(process_cpu_seconds(process.process.pid) for process in processes)

        return asyncio.run(load(server.base_url, args.clients, args.count, args.poll_ms / 1000, cpu=server_cpu))
    finally:
        for process in reversed(processes):
            process.terminate()
        shutil.rmtree(directory, ignore_errors=True)


def report(label: str, result: Result) -> None:
    print(
        f"{label:<58} {result.rate:7.1f} cert/s   p50 {result.percentile(0.50):7.1f} ms   "
        f"p99 {result.percentile(0.99):7.1f} ms   ({result.issued} certificates, "
        f"{result.requests / result.issued:.2f} requests each; CPU per certificate: "
        f"server {1000 * result.server_cpu / result.issued:.1f} ms, "
        f"PostgreSQL {1000 * result.database_cpu / result.issued:.1f} ms, "
        f"clients {1000 * result.client_cpu / result.issued:.1f} ms)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients, one subject each (default 50)")
    parser.add_argument("--count", type=int, default=2000, help="certificates per configuration (default 2000)")
    parser.add_argument("--poll-ms", type=float, default=25.0, help="status poll interval in ms (default 25)")
    parser.add_argument("--api-processes", type=int, default=1, help="`ksef-mcu serve --workers` (default 1)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run just one database")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KSEF_MCU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="an existing PostgreSQL database to create the temporary benchmark database from",
    )
    parser.add_argument("--raw-count", type=int, default=3000, help="signatures for the raw CA rate (default 3000)")
    args = parser.parse_args()

    checked, bare = raw_signing_rate(args.raw_count)
    print(f"machine: {os.cpu_count()} CPUs; clients {args.clients}; poll every {args.poll_ms:g} ms", flush=True)
    print(f"{'raw CA: prepare + sign + check (Issuer)':<58} {checked:7.1f} cert/s", flush=True)
    print(f"{'raw CA: CertificateBuilder.sign alone':<58} {bare:7.1f} cert/s", flush=True)
    api = f"{args.api_processes} API process{'es' if args.api_processes > 1 else ''}"
    if args.only in (None, "sqlite"):
        for in_process in (True, False):
            with tempfile.TemporaryDirectory() as directory:
                url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
                where = "in-process worker" if in_process else "1 worker process"
                report(f"HTTP, SQLite, {api}, {where}", measure(url, workers=1, in_process=in_process, args=args))
    if args.only in (None, "postgresql"):
        if not postgres_available(args.postgres_url):
            print(f"PostgreSQL at {args.postgres_url} is not reachable: skipped")
            return
        for workers in (0, 1, 2):
            with scratch_postgres_database(args.postgres_url, prefix="ksef_mcu_bench") as url:
                where = "in-process worker" if not workers else f"{workers} worker process{'es' if workers > 1 else ''}"
                report(
                    f"HTTP, PostgreSQL, {api}, {where}",
                    measure(url, workers=workers, in_process=not workers, args=args),
                )


if __name__ == "__main__":
    main()
