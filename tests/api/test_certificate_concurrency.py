"""50 simultaneous enrollments at a limit boundary never get past the limit (SQLite and PostgreSQL).

Two races: through HTTP (the app answers on its event loop, so requests of one process take turns), and 50 threads
calling the registration authority at once, each in its own transaction — what several API processes do to one
database. Only the per-subject lock keeps the count right there.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.server.auth.tokens import TokenKind
from ksef_mcu.server.certificates.policy import EnrollmentRequest
from ksef_mcu.server.errors import BadRequestError
from support.certificates import (
    enrollment_data,
    error_of,
    limits_of,
    obtain,
    owner,
    query,
    set_limits,
    wait_for_status,
)
from support.login import bearer
from support.pki import ec_key
from support.server import TEST_START

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START
CONCURRENT = 50


async def burst(client: httpx.AsyncClient, token: str) -> list[httpx.Response]:
    data = await enrollment_data(client, token)
    bodies = [
        {
            "certificateName": f"Wyscig {index:02d}",
            "certificateType": "Authentication",
            "csr": create_csr(ec_key(), data),
        }
        for index in range(CONCURRENT)
    ]
    return list(
        await asyncio.gather(
            *(client.post("/v2/certificates/enrollments", json=body, headers=bearer(token)) for body in bodies)
        )
    )


async def test_certificate_limit_boundary(client: httpx.AsyncClient) -> None:
    _, token = await owner(client)
    await set_limits(client, token, certificates=5)
    for _ in range(3):
        await obtain(client, token)

    responses = await burst(client, token)
    accepted = [r.json()["referenceNumber"] for r in responses if r.status_code == 202]
    refused = [error_of(r)[0] for r in responses if r.status_code != 202]
    assert len(accepted) == 2
    assert refused == [25007] * (CONCURRENT - 2)

    for reference in accepted:
        assert (await wait_for_status(client, token, reference))["status"]["code"] == 200
    assert (await limits_of(client, token))["certificate"] == {"remaining": 0, "limit": 5}
    assert len((await query(client, token, {"status": "Active"}, pageSize=50))["certificates"]) == 5


async def test_enrollment_limit_boundary(client: httpx.AsyncClient) -> None:
    _, token = await owner(client)
    await set_limits(client, token, enrollments=10)
    for _ in range(4):
        await obtain(client, token)

    responses = await burst(client, token)
    accepted = [r.json()["referenceNumber"] for r in responses if r.status_code == 202]
    refused = [error_of(r)[0] for r in responses if r.status_code != 202]
    assert len(accepted) == 6
    assert refused == [25006] * (CONCURRENT - 6)
    for reference in accepted:
        assert (await wait_for_status(client, token, reference))["status"]["code"] == 200
    assert (await limits_of(client, token))["enrollment"] == {"remaining": 0, "limit": 10}
    assert len((await query(client, token, {}, pageSize=50))["certificates"]) == 10


@pytest.mark.parametrize("limit_kind", ["certificates", "enrollments"])
async def test_fifty_threads_at_the_boundary(app: FastAPI, client: httpx.AsyncClient, limit_kind: str) -> None:
    """The same race without the HTTP layer: 50 threads call the registration authority at the same instant, each
    in its own transaction (the app answers requests on one event loop, so this is where several API processes'
    requests really meet)."""
    _, token = await owner(client)
    await set_limits(client, token, **{limit_kind: 5})
    for _ in range(3):
        await obtain(client, token)
    services = app.state.components
    principal = services.tokens.verify(token, kinds=(TokenKind.ACCESS,), now=services.clock.now()).principal()
    data = services.enrollment.enrollment_data(principal)
    requests = [
        EnrollmentRequest(f"Wyscig {index:02d}", KsefCertificateType.AUTHENTICATION, create_csr(ec_key(), data))
        for index in range(CONCURRENT)
    ]
    start = threading.Barrier(CONCURRENT)
    codes: list[int] = []
    lock = threading.Lock()

    def submit(request: EnrollmentRequest) -> None:
        start.wait()
        try:
            services.enrollment.submit(principal, request)
            code = 202
        except BadRequestError as error:
            code = error.code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=submit, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    expected_refusal = 25007 if limit_kind == "certificates" else 25006
    assert sorted(codes) == [202, 202] + [expected_refusal] * (CONCURRENT - 2)
