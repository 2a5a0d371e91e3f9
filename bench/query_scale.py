"""Benchmark: `POST /v2/certificates/query` over 1 000 000 certificates (and their enrollments) in PostgreSQL.

The data is generated with SQL (`generate_series`) into a scratch database created for the run and dropped after it:
9 600 subjects with 100 certificates each, and one heavy subject with 40 000 — the most the official limits let one
NIP request in ten years (300 enrollments per 30 days). Statuses and dates are mixed like a long-running system's:
two thirds Active (some past `validTo`, so Expired), a fifth Revoked, the rest Blocked; both certificate types; request
dates over ten years. Then a real `ksef-mcu serve` answers, for a typical and for the heavy subject, every filter
of the endpoint — none, `certificateSerialNumber`, `name`, `type`, `status` (each value), `expiresAfter`, all
together — and paging (the first page, a page in the middle, the last page) with `pageSize` 50. Each case is asked
`--repeat` times, one request after another over a kept-alive connection, and the script prints p50/p99 latency as
the client sees it (target: p99 < 20 ms), then `EXPLAIN (ANALYZE, BUFFERS)` of the heavy subject's statements.

Run: `.venv/bin/python bench/query_scale.py [--repeat 200] [--postgres-url URL] [--explain]`.
PostgreSQL comes from `--postgres-url` / `KSEF_MCU_BENCH_POSTGRES_URL` (default the local `test` database, beside
which the scratch database is made).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ksef_mcu.identifiers import nip_is_valid
from ksef_mcu.server.migrations import upgrade_database
from ksef_mcu.storage.database import Database
from loadgen import HttpConnection
from support.databases import scratch_postgres_database
from support.login import Identity, login
from support.processes import Serve

TYPICAL_SUBJECTS = 9_600
PER_SUBJECT = 100
HEAVY = 40_000
HEAVY_NIP = "5265877635"
TYPICAL_NIP = next(  # the first typical subject whose number makes a valid NIP (`11` + 8 digits of its number)
    nip for n in range(1, TYPICAL_SUBJECTS + 1) if nip_is_valid(nip := "11" + str(n).zfill(8))
)
NOW = datetime.now(UTC)

GENERATE = """
-- Subject n (0 = the heavy one): NIP '5265877635' or '11' || lpad(n, 8, '0'); certificate i of it.
WITH numbered AS (
    SELECT g AS i,
           CASE WHEN g <= :heavy THEN 0 ELSE 1 + (g - :heavy - 1) / :per_subject END AS subject
    FROM generate_series(1, :total) AS g
), shaped AS (
    SELECT i,
           CASE WHEN subject = 0 THEN :heavy_nip ELSE '11' || lpad(subject::text, 8, '0') END AS nip,
           lpad(upper(to_hex(i::bigint * 7919 + 4096)), 16, '0') AS serial,
           to_char(timestamptz '2016-12-01' + (i % 3650) * interval '1 day', 'YYYYMMDD')
             || '-CE-' || lpad(upper(to_hex(i)), 10, '0') || '-' || lpad(upper(to_hex(i * 31)), 10, '0') || '-'
             || lpad(to_hex(i % 256), 2, '0') AS reference,
           timestamptz '2016-12-01' + (i % 3650) * interval '1 day' + (i % 86400) * interval '1 second' AS requested,
           CASE WHEN i % 2 = 0 THEN 'Authentication' ELSE 'Offline' END AS kind,
           CASE WHEN i % 15 < 10 THEN 'Active' WHEN i % 15 < 13 THEN 'Revoked' ELSE 'Blocked' END AS status
    FROM numbered
)
INSERT INTO {table} ({columns}) SELECT {values} FROM shaped
"""

CERTIFICATE_COLUMNS = {
    "serial_number": "serial",
    "reference_number": "reference",
    "subject_type": "'Nip'",
    "subject_value": "nip",
    "name": "'Certyfikat ' || i",
    "name_folded": "'certyfikat ' || i",
    "certificate_type": "kind",
    "common_name": "'Firma ' || nip",
    "enrollment_data": """'{"commonName": "Firma", "countryName": "PL"}'""",
    "status": "status",
    "valid_from": "requested",
    "valid_to": "requested + interval '2 years'",
    "request_date": "requested",
    "issued_at": "requested + interval '1 second'",
    "revoked_at": "CASE WHEN status = 'Revoked' THEN requested + interval '30 days' END",
    "public_key_sha256": "lpad(to_hex(i), 64, '0')",
    "der": "'\\x3000'::bytea",
}
ENROLLMENT_COLUMNS = {
    "reference_number": "reference",
    "subject_type": "'Nip'",
    "subject_value": "nip",
    "certificate_name": "'Certyfikat ' || i",
    "certificate_type": "kind",
    "csr_der": "'\\x3000'::bytea",
    "public_key_sha256": "lpad(to_hex(i), 64, '0')",
    "enrollment_data": """'{"commonName": "Firma", "countryName": "PL"}'""",
    "request_date": "requested",
    "status_code": "200",
    "serial_number": "serial",
    "attempts": "1",
    "finished_at": "requested + interval '1 second'",
}


def generate(url: str) -> float:
    """Fill the scratch database; returns the seconds it took."""
    started = time.monotonic()
    engine = create_engine(url)
    total = HEAVY + TYPICAL_SUBJECTS * PER_SUBJECT
    parameters = {"heavy": HEAVY, "per_subject": PER_SUBJECT, "total": total, "heavy_nip": HEAVY_NIP}
    with engine.begin() as connection:
        for table, columns in (("certificates", CERTIFICATE_COLUMNS), ("certificate_enrollments", ENROLLMENT_COLUMNS)):
            statement = GENERATE.format(table=table, columns=", ".join(columns), values=", ".join(columns.values()))
            connection.execute(text(statement), parameters)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE certificates"))
        connection.execute(text("VACUUM ANALYZE certificate_enrollments"))
        count = connection.execute(text("SELECT count(*) FROM certificates")).scalar_one()
        assert count == total, count
    engine.dispose()
    return time.monotonic() - started


def cases(serial: str, pages: int) -> dict[str, tuple[dict[str, object], int]]:
    """name → (body, pageOffset)."""
    expires = (NOW + timedelta(days=200)).isoformat()
    return {
        "no filter, first page": ({}, 0),
        "no filter, middle page": ({}, pages // 2),
        "no filter, last page": ({}, max(pages - 1, 0)),
        "certificateSerialNumber": ({"certificateSerialNumber": serial}, 0),
        "name (contains)": ({"name": "kat 12"}, 0),
        "name, not found": ({"name": "zzz"}, 0),
        "type Offline": ({"type": "Offline"}, 0),
        "status Active": ({"status": "Active"}, 0),
        "status Expired": ({"status": "Expired"}, 0),
        "status Revoked": ({"status": "Revoked"}, 0),
        "status Blocked": ({"status": "Blocked"}, 0),
        "expiresAfter": ({"expiresAfter": expires}, 0),
        "all filters": ({"name": "kat", "type": "Authentication", "status": "Active", "expiresAfter": expires}, 0),
        "status Revoked, middle page": ({"status": "Revoked"}, pages // 10),
    }


async def measure(base_url: str, token: str, body: dict[str, object], offset: int, repeat: int) -> list[float]:
    connection = HttpConnection(base_url)
    payload = json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/v2/certificates/query?pageSize=50&pageOffset={offset}"
    timings = []
    try:
        for _ in range(repeat + 5):
            started = time.perf_counter()
            status, answer = await connection.request("POST", path, payload, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == 200, answer[:300]
    finally:
        await connection.close()
    return timings[5:]  # the first few warm the caches of a fresh connection


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def explain(url: str) -> None:
    """EXPLAIN ANALYZE of the statements the heavy subject's cases run (as the repository builds them)."""
    engine = create_engine(url)
    where = "subject_type = 'Nip' AND subject_value = :nip"
    order = "ORDER BY request_date DESC, serial_number DESC"
    statements = {
        "no filter, first page": f"{where} {order} LIMIT 51",
        "no filter, last page": f"{where} {order} LIMIT 51 OFFSET {HEAVY - 50}",
        "name (contains)": f"{where} AND name_folded LIKE '%kat 12%' {order} LIMIT 51",
        "name, not found": f"{where} AND name_folded LIKE '%zzz%' {order} LIMIT 51",
        "status Revoked, middle page": f"{where} AND status = 'Revoked' {order} LIMIT 51 OFFSET {HEAVY // 10}",
        "status Expired": f"{where} AND status = 'Active' AND valid_to < now() {order} LIMIT 51",
        "status Blocked": f"{where} AND status = 'Blocked' {order} LIMIT 51",
    }
    with engine.connect() as connection:
        for name, clause in statements.items():
            plan = connection.execute(
                text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT serial_number FROM certificates WHERE {clause}"),
                {"nip": HEAVY_NIP},
            ).scalars()
            print(f"\n-- {name}")
            for line in plan:
                print(f"   {line}")
    engine.dispose()


async def run(arguments: argparse.Namespace) -> None:
    admin_url = arguments.postgres_url
    with (
        scratch_postgres_database(admin_url, prefix="ksef_mcu_bench_scale") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        database = Database.from_url(url)
        upgrade_database(database)
        database.dispose()
        seconds = generate(url)
        print(f"generated {HEAVY + TYPICAL_SUBJECTS * PER_SUBJECT:,} certificates and enrollments in {seconds:.0f} s")
        settings = {"rate_limits_enabled": "false", "issuance_worker": "false"}
        server = Serve(Path(tmp) / "data", url, **settings)
        try:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
                tokens, serials = {}, {}
                for label, nip in (("typical", TYPICAL_NIP), ("heavy", HEAVY_NIP)):
                    identity = Identity.seal(now=datetime.now(UTC), nip=nip)
                    tokens[label] = (await login(client, identity, context=nip, now=datetime.now(UTC))).access_token
                    probe = await client.post(
                        "/v2/certificates/query?pageSize=10",
                        json={},
                        headers={"Authorization": f"Bearer {tokens[label]}"},
                    )
                    assert probe.status_code == 200, probe.text
                    serials[label] = probe.json()["certificates"][-1]["certificateSerialNumber"]
            worst = 0.0
            print(f"{'case':<32} {'subject':<8} {'p50 ms':>8} {'p99 ms':>8}")
            for label, count in (("typical", PER_SUBJECT), ("heavy", HEAVY)):
                for name, (body, offset) in cases(serials[label], count // 50).items():
                    timings = await measure(server.base_url, tokens[label], body, offset, arguments.repeat)
                    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
                    worst = max(worst, p99)
                    print(f"{name:<32} {label:<8} {p50:8.2f} {p99:8.2f}")
            print(
                f"worst p99: {worst:.2f} ms (target < 20 ms); {arguments.repeat} requests per case; "
                f"load average {os.getloadavg()[0]:.2f}"
            )
            server.stop()
        finally:
            if server.process.poll() is None:
                server.kill()
        if arguments.explain:
            explain(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="requests per case (default 200)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KSEF_MCU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the heavy subject's cases")
    arguments = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    asyncio.run(run(arguments))


if __name__ == "__main__":
    main()
