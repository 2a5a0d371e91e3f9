"""Logging in with a KSeF token, as a client does: challenge, `{token}|{timestampMs}` encrypted under the server's
`KsefTokenEncryption` certificate, `POST /v2/auth/ksef-token`, status, redemption."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from cryptography import x509

from ksef_mcu.crypto.encryption import EcTokenLayout, encrypt_ksef_token
from support.login import Started, Tokens, bearer


async def token_encryption_key(client: httpx.AsyncClient) -> tuple[x509.Certificate, str]:
    """The server's `KsefTokenEncryption` certificate and its `publicKeyId`."""
    response = await client.get("/v2/security/public-key-certificates")
    [entry] = [e for e in response.json() if "KsefTokenEncryption" in e["usage"]]
    certificate = x509.load_der_x509_certificate(base64.b64decode(entry["certificate"]))
    return certificate, entry["publicKeyId"]


async def start_token_login(
    client: httpx.AsyncClient,
    token: str,
    *,
    context: str,
    context_type: str = "Nip",
    timestamp_shift_ms: int = 0,
    public_key_id: str | None = None,
    ec_layout: EcTokenLayout = EcTokenLayout.JAVA,
    **body: Any,
) -> Started:
    challenge = (await client.post("/v2/auth/challenge")).json()
    certificate, key_id = await token_encryption_key(client)
    encrypted = encrypt_ksef_token(
        token, challenge["timestampMs"] + timestamp_shift_ms, certificate, ec_layout=ec_layout
    )
    response = await client.post(
        "/v2/auth/ksef-token",
        json={
            "challenge": challenge["challenge"],
            "contextIdentifier": {"type": context_type, "value": context},
            "encryptedToken": base64.b64encode(encrypted).decode("ascii"),
            "publicKeyId": public_key_id or key_id,
            **body,
        },
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    return Started(answer["referenceNumber"], answer["authenticationToken"]["token"])


async def token_login(client: httpx.AsyncClient, token: str, *, context: str) -> Tokens:
    started = await start_token_login(client, token, context=context)
    status = await client.get(f"/v2/auth/{started.reference_number}", headers=bearer(started.authentication_token))
    assert status.json()["status"]["code"] == 200, status.text
    redeemed = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
    assert redeemed.status_code == 200, redeemed.text
    body = redeemed.json()
    return Tokens(
        started.reference_number,
        started.authentication_token,
        body["accessToken"]["token"],
        body["refreshToken"]["token"],
    )
