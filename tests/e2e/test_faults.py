"""Faults with real processes, under load (enrollments and logins together): nothing accepted is lost or
duplicated, callers get clear errors while something is away, and everything recovers without manual steps.

- SIGKILL of one of `serve --workers 2`'s API processes and of one of two `ksef-mcu worker`s in the middle of the
  burst (SQLite and PostgreSQL);
- PostgreSQL restarted under load (a private cluster, so nobody else's database is touched);
- the SQLite file's disk full (a small tmpfs), then freed.

Each test prints its counts (docs/deploy.md, "Faults", quotes them). "Accepted" means the caller got 202: such a
request is committed. A request whose answer was lost with a killed process may or may not have been stored; if it
was, it is issued like any other (nothing is stranded at status 100).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from test_certificate_processes import FAST, enrollment_body, owner_token, wait_until_final

from ksef_mcu.crypto.csr import EnrollmentData
from ksef_mcu.server.certificates.model import EnrollmentStatusCode
from ksef_mcu.server.certificates.tables import certificate_enrollments, certificates
from ksef_mcu.storage.database import Database
from support.login import Identity, bearer, login
from support.postgres_cluster import Cluster, private_cluster, why_not_available
from support.processes import Serve, Worker

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

SUBJECTS = 4


@dataclass
class Tally:
    accepted: dict[str, str] = field(default_factory=dict)
    """reference number → the token of its subject"""
    answers: Counter[str] = field(default_factory=Counter)
    logins: Counter[str] = field(default_factory=Counter)
    busy_bodies: list[dict[str, object]] = field(default_factory=list)

    def summary(self) -> str:
        return f"accepted {len(self.accepted)}; answers {dict(self.answers)}; logins {dict(self.logins)}"


async def enroll_until(
    base_url: str, token: str, data: EnrollmentData, tally: Tally, stop: asyncio.Event, prefix: int
) -> None:
    """Send enrollments one after another until `stop`; every answer is 202 or a clear KSeF 503."""
    index = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        while not stop.is_set():
            index += 1
            try:
                response = await client.post(
                    "/v2/certificates/enrollments",
                    json=enrollment_body(data, prefix * 10_000 + index),
                    headers=bearer(token),
                )
            except httpx.TransportError as error:
                tally.answers[f"connection lost ({type(error).__name__})"] += 1
                await asyncio.sleep(0.05)
                continue
            tally.answers[str(response.status_code)] += 1
            if response.status_code == 202:
                tally.accepted[response.json()["referenceNumber"]] = token
            elif response.status_code == 503:
                assert response.headers["retry-after"] in ("1", "5")
                body = response.json()
                assert body["status"]["code"] == 503
                assert "Nic nie zostało zapisane" in body["status"]["details"][0]
                tally.busy_bodies.append(body)
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"unexpected answer {response.status_code}: {response.text}")


async def login_until(base_url: str, tally: Tally, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        while not stop.is_set():
            identity = Identity.person_with_nip(now=datetime.now(UTC))
            try:
                await login(client, identity, context=identity.nip or "", now=datetime.now(UTC))
                tally.logins["ok"] += 1
            except httpx.TransportError:
                tally.logins["connection lost"] += 1
            except (AssertionError, KeyError):  # the login helper asserts each step (a 503 has no challenge)
                tally.logins["refused while the database was away"] += 1
            await asyncio.sleep(0.05)


async def subjects(base_url: str) -> list[tuple[str, EnrollmentData]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return [await owner_token(client) for _ in range(SUBJECTS)]


async def until(condition: object, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def final_check(base_url: str, url: str, tally: Tally) -> dict[str, int]:
    """Every accepted request ends issued, once; nothing is left pending; one certificate per issued request."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        by_token: dict[str, list[str]] = {}
        for reference, token in tally.accepted.items():
            by_token.setdefault(token, []).append(reference)
        for token, references in by_token.items():
            final = await wait_until_final(client, token, references, timeout=180)
            assert {body["status"]["code"] for body in final.values()} == {200}
    database = Database.from_url(url)
    try:
        with database.read() as connection:
            rows = connection.execute(
                select(
                    certificate_enrollments.c.reference_number,
                    certificate_enrollments.c.status_code,
                    certificate_enrollments.c.serial_number,
                )
            ).all()
            stored = connection.execute(select(certificates.c.serial_number, certificates.c.reference_number)).all()
            distinct_serials = connection.execute(
                select(func.count(func.distinct(certificates.c.serial_number)))
            ).scalar_one()
    finally:
        database.dispose()
    status = {row.reference_number: row.status_code for row in rows}
    assert set(tally.accepted) <= set(status), "an accepted request is missing from the database"
    assert all(status[reference] == int(EnrollmentStatusCode.ISSUED) for reference in tally.accepted)
    assert int(EnrollmentStatusCode.ACCEPTED) not in set(status.values()), "a request was left pending"
    issued = {row.reference_number: row.serial_number for row in rows if row.status_code == EnrollmentStatusCode.ISSUED}
    assert sorted(reference for _, reference in stored) == sorted(issued), "certificates ≠ issued requests"
    assert distinct_serials == len(stored) == len(issued)
    assert {serial for serial, _ in stored} == set(issued.values())
    return {"accepted": len(tally.accepted), "in database": len(rows), "issued": len(issued)}


def api_children(supervisor: subprocess.Popen[bytes]) -> list[int]:
    """The uvicorn worker processes under `serve --workers N`'s supervisor."""
    found = subprocess.run(["pgrep", "-P", str(supervisor.pid)], capture_output=True, text=True, check=False)
    children = []
    for pid in map(int, found.stdout.split()):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                children.append(pid)
    return children


async def test_sigkill_of_an_api_process_and_a_worker_mid_burst(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    api_only = {**FAST, "issuance_worker": "false"}
    server = Serve(data_dir, database_url, "--workers", "2", **api_only)
    workers = [Worker(data_dir, database_url, "one", **FAST), Worker(data_dir, database_url, "two", **FAST)]
    tally, stop = Tally(), asyncio.Event()
    try:
        await until(lambda: len(api_children(server.process)) == 2, timeout=60)
        owners = await subjects(server.base_url)
        load = [
            asyncio.ensure_future(enroll_until(server.base_url, token, data, tally, stop, n))
            for n, (token, data) in enumerate(owners)
        ]
        load.append(asyncio.ensure_future(login_until(server.base_url, tally, stop)))
        await until(lambda: len(tally.accepted) >= 80, timeout=120)
        victim = api_children(server.process)[0]
        os.kill(victim, signal.SIGKILL)
        workers[0].kill()
        workers.append(Worker(data_dir, database_url, "three", **FAST))
        await until(lambda: len(tally.accepted) >= 240, timeout=180)
        stop.set()
        await asyncio.gather(*load)
        # uvicorn's supervisor replaced the killed process; the survivors kept answering meanwhile.
        await until(
            lambda: len(api_children(server.process)) == 2 and victim not in api_children(server.process), timeout=60
        )
        counts = await final_check(server.base_url, database_url, tally)
        assert tally.logins["ok"] > 0
        print(f"\nSIGKILL API process + worker ({database_url.split(':', maxsplit=1)[0]}): {counts}; {tally.summary()}")
    finally:
        stop.set()
        for process in [server, *workers]:
            if process.process.poll() is None:
                process.terminate()


async def test_postgresql_restarted_under_load(tmp_path: Path) -> None:
    if reason := why_not_available():
        pytest.skip(reason)
    with private_cluster() as cluster:
        await _restart_under_load(tmp_path, cluster)


async def _restart_under_load(tmp_path: Path, cluster: Cluster) -> None:
    data_dir = tmp_path / "data"
    settings = {**FAST, "issuance_worker": "false", "database_lock_timeout": "PT2S"}
    server = Serve(data_dir, cluster.url, **settings)
    worker = Worker(data_dir, cluster.url, "one", **FAST)
    tally, stop = Tally(), asyncio.Event()
    try:
        owners = await subjects(server.base_url)
        load = [
            asyncio.ensure_future(enroll_until(server.base_url, token, data, tally, stop, n))
            for n, (token, data) in enumerate(owners)
        ]
        load.append(asyncio.ensure_future(login_until(server.base_url, tally, stop)))
        await until(lambda: len(tally.accepted) >= 60, timeout=120)
        await asyncio.to_thread(cluster.restart, down_for=3.0)
        during = Counter(tally.answers)
        accepted_at_restart = len(tally.accepted)
        await until(lambda: len(tally.accepted) >= accepted_at_restart + 120, timeout=180)
        stop.set()
        await asyncio.gather(*load)
        # While it was down the callers were told so (503, KSeF body, Retry-After); no connection was dropped.
        assert during["503"] > 0, tally.summary()
        assert set(tally.answers) <= {"202", "503"}, tally.summary()
        counts = await final_check(server.base_url, cluster.url, tally)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            assert (await client.get("/healthz")).json()["database"] == "ok"
        print(f"\nPostgreSQL restarted under load: {counts}; {tally.summary()}")
    finally:
        stop.set()
        for process in (server, worker):
            if process.process.poll() is None:
                process.terminate()


@contextlib.contextmanager
def small_disk(mount_point: Path, size_mb: int) -> Iterator[Path]:
    mount_point.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(filler: Path) -> Path:
    """Take every free byte of the disk `filler` is on with that file; returns it (delete it to free the space).
    The file exists beforehand: on a busy machine the server may have filled the disk already, and creating a file
    on a full tmpfs fails. Unbuffered, so that the write that finds the disk full raises here and closing the file has
    nothing left to flush (a buffered file raised ENOSPC again when it was closed)."""
    with filler.open("ab", buffering=0) as handle:
        chunk = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                handle.write(chunk)
    return filler


async def test_sqlite_disk_full_and_freed(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    with small_disk(tmp_path / "disk" / "data", 32) as data_dir:
        url = f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}"
        filler = data_dir / "filler"
        filler.touch()
        server = Serve(data_dir, url, **FAST)
        tally, stop = Tally(), asyncio.Event()
        try:
            owners = await subjects(server.base_url)
            load = [
                asyncio.ensure_future(enroll_until(server.base_url, token, data, tally, stop, n))
                for n, (token, data) in enumerate(owners)
            ]
            await until(lambda: len(tally.accepted) >= 40, timeout=120)
            await asyncio.to_thread(fill, filler)
            refused_before = tally.answers["503"]
            await until(lambda: tally.answers["503"] >= refused_before + 20, timeout=60)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
                assert (await client.get("/healthz")).status_code == 200  # reads still work
            full_answers = Counter(tally.answers)
            filler.unlink()
            accepted_when_freed = len(tally.accepted)
            await until(lambda: len(tally.accepted) >= accepted_when_freed + 80, timeout=180)
            stop.set()
            await asyncio.gather(*load)
            assert set(tally.answers) <= {"202", "503"}, tally.summary()
            assert full_answers["503"] > refused_before
            counts = await final_check(server.base_url, url, tally)
            print(f"\nSQLite disk full, then freed: {counts}; {tally.summary()}")
            assert server.terminate(timeout=30) in (0, -signal.SIGTERM)
        finally:
            stop.set()
            if server.process.poll() is None:
                server.kill()
