"""50 simultaneous enrollments at a limit boundary never get past the limit (SQLite and PostgreSQL).

The requests run concurrently: the app's synchronous routes execute in its thread pool, each in its own
transaction, so the only thing that keeps the count right is the registration authority's per-subject lock.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conftest import TEST_START
from ksef_mcu.crypto.csr import create_csr
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
