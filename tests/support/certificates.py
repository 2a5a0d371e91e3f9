"""Talking to the certificates API in tests: enroll, wait for the certificate, retrieve it, log in with it."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from cryptography import x509

from conftest import TEST_START
from ksef_mcu.crypto.csr import EnrollmentData, create_csr
from ksef_mcu.crypto.xades import XadesSigner
from support.login import Identity, bearer, login
from support.pki import PrivateKey, ec_key, random_nip, random_pesel

NOW = TEST_START


@dataclass(frozen=True)
class Issued:
    """A certificate obtained through the API, with its key."""

    reference_number: str
    serial_number: str
    key: PrivateKey
    certificate: x509.Certificate

    def identity(self) -> Identity:
        """Someone who signs AuthTokenRequests with this certificate."""
        return Identity(self.key, self.certificate, XadesSigner(self.key, self.certificate))


async def enrollment_data(client: httpx.AsyncClient, token: str) -> EnrollmentData:
    response = await client.get("/v2/certificates/enrollments/data", headers=bearer(token))
    assert response.status_code == 200, response.text
    return EnrollmentData.from_api(response.json())


async def submit(
    client: httpx.AsyncClient,
    token: str,
    *,
    key: PrivateKey,
    data: EnrollmentData,
    certificate_type: str = "Authentication",
    name: str = "Certyfikat testowy",
    valid_from: str | None = None,
    rsa_padding: str = "pkcs1",
    expected_status: int = 202,
) -> httpx.Response:
    body: dict[str, Any] = {
        "certificateName": name,
        "certificateType": certificate_type,
        "csr": create_csr(key, data, rsa_padding=rsa_padding),  # type: ignore[arg-type]
    }
    if valid_from is not None:
        body["validFrom"] = valid_from
    response = await client.post("/v2/certificates/enrollments", json=body, headers=bearer(token))
    assert response.status_code == expected_status, response.text
    return response


async def wait_for_status(
    client: httpx.AsyncClient, token: str, reference_number: str, *, timeout: float = 20.0
) -> dict[str, Any]:
    """Poll until the request leaves status 100; return the final status body."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/v2/certificates/enrollments/{reference_number}", headers=bearer(token))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"]["code"] != 100:
            return body
        assert time.monotonic() < deadline, f"{reference_number} still at status 100"
        await asyncio.sleep(0.01)


async def retrieve(client: httpx.AsyncClient, token: str, *serials: str) -> list[dict[str, Any]]:
    response = await client.post(
        "/v2/certificates/retrieve", json={"certificateSerialNumbers": list(serials)}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["certificates"]
    return items


async def obtain(
    client: httpx.AsyncClient,
    token: str,
    *,
    key: PrivateKey | None = None,
    data: EnrollmentData | None = None,
    **options: Any,
) -> Issued:
    """Enroll, wait for status 200, retrieve: the whole user-guide journey."""
    key = key or ec_key()
    data = data or await enrollment_data(client, token)
    reference = (await submit(client, token, key=key, data=data, **options)).json()["referenceNumber"]
    status = await wait_for_status(client, token, reference)
    assert status["status"]["code"] == 200, status
    serial = status["certificateSerialNumber"]
    [item] = await retrieve(client, token, serial)
    return Issued(reference, serial, key, x509.load_der_x509_certificate(base64.b64decode(item["certificate"])))


async def query(
    client: httpx.AsyncClient, token: str, body: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    response = await client.post("/v2/certificates/query", json=body, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def iso(moment: datetime) -> str:
    return moment.isoformat()


# --- subjects and answers ---


async def owner(client: httpx.AsyncClient, *, seal: bool = False) -> tuple[Identity, str]:
    """A fresh NIP owner logged into its own context: (identity, access token)."""
    identity = Identity.seal(now=NOW) if seal else Identity.person_with_nip(now=NOW)
    tokens = await login(client, identity, context=identity.nip or "", now=NOW)
    return identity, tokens.access_token


async def pesel_person(client: httpx.AsyncClient) -> tuple[Identity, str, str]:
    """A PESEL person bound to a NIP (test data), logged in there: (identity, access token, nip)."""
    nip, pesel = random_nip(), random_pesel()
    response = await client.post(
        "/v2/testdata/person", json={"nip": nip, "pesel": pesel, "isBailiff": False, "description": "Osoba testowa"}
    )
    assert response.status_code == 200, response.text
    identity = Identity.person_with_pesel(now=NOW, pesel=pesel)
    tokens = await login(client, identity, context=nip, now=NOW)
    return identity, tokens.access_token, nip


async def set_limits(client: httpx.AsyncClient, token: str, **limits: int) -> None:
    body: dict[str, Any] = {"subjectIdentifierType": "Nip"}
    if "enrollments" in limits:
        body["enrollment"] = {"maxEnrollments": limits["enrollments"]}
    if "certificates" in limits:
        body["certificate"] = {"maxCertificates": limits["certificates"]}
    response = await client.post("/v2/testdata/limits/subject/certificate", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text


def error_of(response: httpx.Response) -> tuple[int, str, list[str]]:
    assert response.status_code == 400, response.text
    [detail] = response.json()["exception"]["exceptionDetailList"]
    return detail["exceptionCode"], detail["exceptionDescription"], detail["details"] or []


async def limits_of(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get("/v2/certificates/limits", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def owner_at(client: httpx.AsyncClient, now: datetime, *, nip: str | None) -> tuple[Identity, str]:
    """The owner of `nip` logging in at `now` with a fresh self-signed certificate."""
    identity = Identity.person_with_nip(now=now, nip=nip)
    tokens = await login(client, identity, context=identity.nip or "", now=now)
    return identity, tokens.access_token
