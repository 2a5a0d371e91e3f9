"""Online sessions as a client drives them: the server's SymmetricKeyEncryption key, opening a session with a fresh
AES key, sending encrypted invoices, waiting for their statuses."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography import x509

from ksef_mcu.crypto.encryption import SessionKey, encrypt_invoice, session_encryption
from support.login import bearer

FA3_CODE = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
FA2_CODE = {"systemCode": "FA (2)", "schemaVersion": "1-0E", "value": "FA"}


@dataclass(frozen=True)
class OpenSession:
    reference_number: str
    key: SessionKey
    token: str


async def symmetric_key_certificate(client: httpx.AsyncClient) -> tuple[x509.Certificate, str]:
    response = await client.get("/v2/security/public-key-certificates")
    [entry] = [e for e in response.json() if "SymmetricKeyEncryption" in e["usage"]]
    return x509.load_der_x509_certificate(base64.b64decode(entry["certificate"])), entry["publicKeyId"]


async def open_request(
    client: httpx.AsyncClient, token: str, *, form_code: dict[str, str] | None = None, key: SessionKey | None = None
) -> tuple[httpx.Response, SessionKey]:
    certificate, key_id = await symmetric_key_certificate(client)
    key = key or SessionKey.generate()
    encryption = session_encryption(key, certificate, public_key_id=key_id)
    response = await client.post(
        "/v2/sessions/online",
        json={
            "formCode": form_code or FA3_CODE,
            "encryption": {
                "encryptedSymmetricKey": encryption.encrypted_symmetric_key,
                "initializationVector": encryption.initialization_vector,
                "publicKeyId": encryption.public_key_id,
            },
        },
        headers=bearer(token),
    )
    return response, key


async def open_session(client: httpx.AsyncClient, token: str, **options: Any) -> OpenSession:
    response, key = await open_request(client, token, **options)
    assert response.status_code == 201, response.text
    return OpenSession(response.json()["referenceNumber"], key, token)


def send_body(invoice: bytes, key: SessionKey, **overrides: Any) -> dict[str, Any]:
    encrypted = encrypt_invoice(invoice, key)
    body = {
        "invoiceHash": encrypted.plain.sha256_base64,
        "invoiceSize": encrypted.plain.size,
        "encryptedInvoiceHash": encrypted.encrypted.sha256_base64,
        "encryptedInvoiceSize": encrypted.encrypted.size,
        "encryptedInvoiceContent": encrypted.content_base64,
        "offlineMode": False,
    }
    body.update(overrides)
    return body


def ciphertext_body(content: bytes, plain: bytes) -> dict[str, Any]:
    """A body for `content` (already encrypted, possibly tampered with) declared honestly for the ciphertext."""
    return {
        "invoiceHash": base64.b64encode(hashlib.sha256(plain).digest()).decode(),
        "invoiceSize": len(plain),
        "encryptedInvoiceHash": base64.b64encode(hashlib.sha256(content).digest()).decode(),
        "encryptedInvoiceSize": len(content),
        "encryptedInvoiceContent": base64.b64encode(content).decode(),
    }


async def send(client: httpx.AsyncClient, session: OpenSession, invoice: bytes, **overrides: Any) -> httpx.Response:
    return await client.post(
        f"/v2/sessions/online/{session.reference_number}/invoices",
        json=send_body(invoice, session.key, **overrides),
        headers=bearer(session.token),
    )


async def sent(client: httpx.AsyncClient, session: OpenSession, invoice: bytes, **overrides: Any) -> str:
    response = await send(client, session, invoice, **overrides)
    assert response.status_code == 202, response.text
    reference: str = response.json()["referenceNumber"]
    return reference


async def invoice_status(
    client: httpx.AsyncClient, session: OpenSession, invoice_reference: str, *, timeout: float = 30.0
) -> dict[str, Any]:
    """The invoice's status once it is final (not 100/150)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await client.get(
            f"/v2/sessions/{session.reference_number}/invoices/{invoice_reference}", headers=bearer(session.token)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"]["code"] not in (100, 150):
            return body
        assert loop.time() < deadline, body
        await asyncio.sleep(0.05)


async def session_status(
    client: httpx.AsyncClient, session: OpenSession, *, until_final: bool = True, timeout: float = 30.0
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await client.get(f"/v2/sessions/{session.reference_number}", headers=bearer(session.token))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if not until_final or body["status"]["code"] not in (100, 170):
            return body
        assert loop.time() < deadline, body
        await asyncio.sleep(0.05)
