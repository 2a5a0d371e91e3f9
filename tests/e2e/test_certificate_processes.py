"""The certificates module in real processes: a server killed with SIGKILL during a burst of enrollments and started
again loses nothing and duplicates nothing; several API processes and separate `ksef-mcu worker` processes share one
database; a worker drains on SIGTERM."""

from __future__ import annotations

import asyncio
import base64
import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from sqlalchemy import func, select

from ksef_mcu.crypto.csr import EnrollmentData, create_csr
from ksef_mcu.server.certificates.model import EnrollmentStatusCode
from ksef_mcu.server.certificates.tables import certificate_enrollments, certificate_serials, certificates
from ksef_mcu.storage.database import Database
from support.login import Identity, bearer, login
from support.pki import ec_key
from support.processes import Serve, Worker

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

FAST = {
    "rate_limits_enabled": "false",
    "issuance_claim_lease": "PT2S",
    "issuance_poll_interval": "PT0.2S",
    "certificate_limits": '{"Nip": {"maxEnrollments": 100000, "maxCertificates": 100000}}',
}


async def owner_token(client: httpx.AsyncClient) -> tuple[str, EnrollmentData]:
    identity = Identity.seal(now=datetime.now(UTC))
    tokens = await login(client, identity, context=identity.nip or "", now=datetime.now(UTC))
    data = (await client.get("/v2/certificates/enrollments/data", headers=bearer(tokens.access_token))).json()
    return tokens.access_token, EnrollmentData.from_api(data)


def enrollment_body(data: EnrollmentData, index: int) -> dict[str, str]:
    return {
        "certificateName": f"Seria {index:04d}",
        "certificateType": "Authentication",
        "csr": create_csr(ec_key(), data),
    }


async def wait_until_final(
    client: httpx.AsyncClient, token: str, references: list[str], *, timeout: float = 90
) -> dict[str, dict]:  # type: ignore[type-arg]
    """Poll every reference until none is at status 100; return the final bodies."""
    final: dict[str, dict] = {}  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + timeout
    pending = list(references)
    while pending:
        assert asyncio.get_running_loop().time() < deadline, f"{len(pending)} requests still at status 100"
        still = []
        for reference in pending:
            response = await client.get(f"/v2/certificates/enrollments/{reference}", headers=bearer(token))
            assert response.status_code == 200, response.text
            body = response.json()
            if body["status"]["code"] == 100:
                still.append(reference)
            else:
                final[reference] = body
        pending = still
        if pending:
            await asyncio.sleep(0.2)
    return final


def database_facts(url: str) -> dict[str, object]:
    database = Database.from_url(url)
    try:
        with database.read() as connection:
            pending = connection.execute(
                select(func.count()).where(certificate_enrollments.c.status_code == int(EnrollmentStatusCode.ACCEPTED))
            ).scalar_one()
            issued = connection.execute(
                select(certificate_enrollments.c.reference_number, certificate_enrollments.c.serial_number).where(
                    certificate_enrollments.c.status_code == int(EnrollmentStatusCode.ISSUED)
                )
            ).all()
            stored = connection.execute(select(certificates.c.serial_number, certificates.c.reference_number)).all()
            reserved = connection.execute(select(func.count()).select_from(certificate_serials)).scalar_one()
    finally:
        database.dispose()
    return {"pending": pending, "issued": issued, "stored": stored, "reserved": reserved}


async def test_sigkill_during_a_burst_loses_and_duplicates_nothing(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    server = Serve(data_dir, database_url, **FAST)
    accepted: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            token, data = await owner_token(client)
            bodies = [enrollment_body(data, index) for index in range(400)]
            killed = asyncio.Event()

            async def sender(offset: int) -> None:
                for body in bodies[offset::16]:
                    if killed.is_set():
                        return
                    try:
                        response = await client.post("/v2/certificates/enrollments", json=body, headers=bearer(token))
                    except httpx.TransportError:
                        return  # the server is gone: this request's fate is unknown to us, the database knows
                    assert response.status_code == 202, response.text
                    accepted.append(response.json()["referenceNumber"])
                    if len(accepted) == 150 and not killed.is_set():
                        killed.set()
                        server.kill()

            await asyncio.gather(*(sender(offset) for offset in range(16)))
        assert server.process.returncode == -signal.SIGKILL
    finally:
        if server.process.poll() is None:
            server.kill()
    before_restart = database_facts(database_url)

    restarted = Serve(data_dir, database_url, **FAST)
    try:
        async with httpx.AsyncClient(base_url=restarted.base_url, timeout=30) as client:
            final = await wait_until_final(client, token, accepted)  # the access token survives: same keys
            assert {body["status"]["code"] for body in final.values()} == {200}
            serials = [body["certificateSerialNumber"] for body in final.values()]
            assert len(set(serials)) == len(serials)
            for start in range(0, len(serials), 10):
                chunk = serials[start : start + 10]
                response = await client.post(
                    "/v2/certificates/retrieve", json={"certificateSerialNumbers": chunk}, headers=bearer(token)
                )
                items = response.json()["certificates"]
                assert [item["certificateSerialNumber"] for item in items] == chunk
                for item in items:
                    certificate = x509.load_der_x509_certificate(base64.b64decode(item["certificate"]))
                    assert f"{certificate.serial_number:016X}" == item["certificateSerialNumber"]
        # Every request the database holds (also those whose 202 was lost with the connection) is final.
        deadline = asyncio.get_running_loop().time() + 60
        while (facts := database_facts(database_url))["pending"]:
            assert asyncio.get_running_loop().time() < deadline, facts["pending"]
            await asyncio.sleep(0.2)
        issued = dict(facts["issued"])  # type: ignore[call-overload]
        stored = dict(facts["stored"])  # type: ignore[call-overload]
        assert len(stored) == len(issued)  # one certificate per issued request, none without a request
        assert {issued[reference] for reference in stored.values()} == set(stored)
        assert set(accepted) <= set(issued)
        assert facts["reserved"] >= len(stored)  # type: ignore[operator]
    finally:
        restarted.terminate()
    print(  # the interesting numbers, visible with -s
        f"\n{len(accepted)} accepted before SIGKILL; at the kill {before_restart['pending']} were pending; "
        f"{len(stored)} issued in the end; {facts['reserved'] - len(stored)} reserved serials never signed"  # type: ignore[operator]
    )


async def test_api_processes_and_separate_workers_share_one_database(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    api_only = {**FAST, "issuance_worker": "false"}
    servers = [Serve(data_dir, database_url, **api_only), Serve(data_dir, database_url, **api_only)]
    workers = [Worker(data_dir, database_url, "one", **FAST), Worker(data_dir, database_url, "two", **FAST)]
    try:
        async with (
            httpx.AsyncClient(base_url=servers[0].base_url, timeout=30) as first,
            httpx.AsyncClient(base_url=servers[1].base_url, timeout=30) as second,
        ):
            token, data = await owner_token(first)
            references = []
            for index in range(60):
                client = first if index % 2 == 0 else second
                response = await client.post(
                    "/v2/certificates/enrollments", json=enrollment_body(data, index), headers=bearer(token)
                )
                assert response.status_code == 202, response.text
                references.append(response.json()["referenceNumber"])
            final = await wait_until_final(second, token, references)
            assert {body["status"]["code"] for body in final.values()} == {200}
            serial = final[references[0]]["certificateSerialNumber"]

            # Revoked through one API process, the CRL of the other lists it.
            assert (await first.post(f"/v2/certificates/{serial}/revoke", headers=bearer(token))).status_code == 204
            crl = x509.load_der_x509_crl((await second.get("/ca/crl")).content)
            assert crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None
            # Both API processes and both workers use the one CA kept in the shared data directory.
            assert (await first.get("/ca/certificate")).content == (await second.get("/ca/certificate")).content

            # Work is shared between the workers (neither did everything).
            logs = [worker.output() for worker in workers]
        for worker in workers:
            assert worker.terminate() == 0, worker.output()
            assert "issuance worker" in worker.output()
            assert "stopped" in worker.output()
            assert "Traceback" not in worker.output()
        del logs
    finally:
        for process in [*servers, *workers]:
            if process.process.poll() is None:
                process.terminate()
