"""A transaction stuck elsewhere never freezes the API (SQLite and PostgreSQL).

Another transaction — what a worker stopped inside its claim (SIGSTOP, a debugger, a VM pause) leaves behind — holds
a subject's row lock (PostgreSQL) or the writer lock (SQLite, as another process would). A request that needs that
lock waits in a worker thread, never on the event loop, and only for `database_lock_timeout`: then it is answered 503
in the KSeF format with `Retry-After`, and nothing of it is stored. Meanwhile every other request is answered at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.app import create_app
from ksef_mcu.server.certificates.repositories.subject_limits import SubjectLimitRepository
from ksef_mcu.server.keys import ServerKeys
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database
from support.certificates import enrollment_data, owner
from support.login import bearer
from support.pki import ec_key
from support.server import TEST_START, running

pytestmark = [pytest.mark.anyio, pytest.mark.db]

LOCK_TIMEOUT = timedelta(seconds=3)
PROMPT = 1.0
"""Seconds within which requests that do not need the held lock are answered."""


@contextmanager
def row_locked(database: Database, nip: str) -> Iterator[None]:
    """Hold `nip`'s subject row (PostgreSQL: its row lock; SQLite: the writer lock) in another thread until the block
    ends — a transaction that neither commits nor dies."""
    acquired, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with database.write() as connection:
                subject = SubjectIdentifier(SubjectIdentifierType.NIP, nip)
                SubjectLimitRepository(connection).lock_subject(subject, now=TEST_START)
                acquired.set()
                release.wait(30)
        except BaseException as error:
            failure.append(error)
            acquired.set()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert acquired.wait(10)
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        holder.join(10)


async def timed(call: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call  # type: ignore[misc]
    return response, time.monotonic() - started


@pytest.fixture
async def short_wait_client(
    database: Database, database_url: str, server_keys: ServerKeys, clock: ManualClock, tmp_path: Path
) -> object:
    """An app on its own connections (like another process) whose lock waits end after `LOCK_TIMEOUT`."""
    own = Database.from_url(database_url, busy_timeout=LOCK_TIMEOUT, lock_timeout=LOCK_TIMEOUT)
    settings = ServerSettings(
        data_dir=tmp_path, database_url=database_url, rate_limits_enabled=False, database_lock_timeout=LOCK_TIMEOUT
    )
    app = create_app(settings, clock=clock, keys=server_keys, database=own)
    try:
        async with running(app) as client:
            yield client
    finally:
        own.dispose()


async def test_a_held_lock_stalls_only_the_request_that_needs_it(
    short_wait_client: httpx.AsyncClient, database: Database, db_backend: str
) -> None:
    client = short_wait_client
    stuck_identity, stuck_token = await owner(client)
    _, other_token = await owner(client)
    stuck_csr = create_csr(ec_key(), await enrollment_data(client, stuck_token))
    other_csr = create_csr(ec_key(), await enrollment_data(client, other_token))
    assert stuck_identity.nip is not None

    def enroll(token: str, csr: str, name: str) -> asyncio.Task[httpx.Response]:
        body = {"certificateName": name, "certificateType": "Authentication", "csr": csr}
        return asyncio.ensure_future(client.post("/v2/certificates/enrollments", json=body, headers=bearer(token)))

    with row_locked(database, stuck_identity.nip):
        started = time.monotonic()
        stuck = enroll(stuck_token, stuck_csr, "Zablokowany")
        await asyncio.sleep(0.2)  # the stuck request is now waiting for the lock
        others = [
            timed(client.get("/healthz")),
            timed(client.post("/v2/certificates/query", json={}, headers=bearer(other_token))),
            timed(client.get("/v2/certificates/limits", headers=bearer(other_token))),
        ]
        if db_backend == "postgresql":
            # Only the subject's row is held: other subjects enroll and anyone starts a login.
            others += [timed(client.post("/v2/auth/challenge")), timed(enroll(other_token, other_csr, "Inny podmiot"))]
        answered = await asyncio.gather(*others)
        for response, elapsed in answered:
            assert response.status_code in (200, 202), response.text
            assert elapsed < PROMPT, (response.request.url, elapsed)
        assert not stuck.done(), "the request needing the lock must still be waiting"
        response = await stuck
        waited = time.monotonic() - started

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["status"]["code"] == 503
    assert "Nic nie zostało zapisane" in response.json()["status"]["details"][0]
    assert LOCK_TIMEOUT.total_seconds() - 0.5 <= waited < LOCK_TIMEOUT.total_seconds() + 5
    # Nothing of the refused request was stored: once the lock is gone, the subject's usage is what it was.
    limits = await client.get("/v2/certificates/limits", headers=bearer(stuck_token))
    assert limits.json()["enrollment"]["remaining"] == limits.json()["enrollment"]["limit"]


async def test_busy_answer_in_problem_details(
    short_wait_client: httpx.AsyncClient, database: Database, db_backend: str
) -> None:
    client = short_wait_client
    identity, token = await owner(client)
    csr = create_csr(ec_key(), await enrollment_data(client, token))
    assert identity.nip is not None
    with row_locked(database, identity.nip):
        response = await client.post(
            "/v2/certificates/enrollments",
            json={"certificateName": "Zablokowany", "certificateType": "Authentication", "csr": csr},
            headers={**bearer(token), "X-Error-Format": "problem-details"},
        )
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert len(body["traceId"]) == 32


async def test_sqlite_writer_outside_the_queue(
    short_wait_client: httpx.AsyncClient, database_url: str, db_backend: str
) -> None:
    """Another tool (the sqlite3 shell, a backup script) holding SQLite's write lock without our writer queue: the
    event loop does not wait in SQLite's busy handler either."""
    if db_backend != "sqlite":
        pytest.skip("SQLite's own write lock")
    import sqlite3

    from ksef_mcu.storage.database import sqlite_path

    client = short_wait_client
    _, token = await owner(client)
    csr = create_csr(ec_key(), await enrollment_data(client, token))
    path = sqlite_path(database_url)
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        body = {"certificateName": "Zablokowany", "certificateType": "Authentication", "csr": csr}
        stuck = asyncio.ensure_future(client.post("/v2/certificates/enrollments", json=body, headers=bearer(token)))
        await asyncio.sleep(0.2)
        health, elapsed = await timed(client.get("/healthz"))
        assert health.status_code == 200
        assert elapsed < PROMPT
        assert not stuck.done()
        response = await stuck
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
