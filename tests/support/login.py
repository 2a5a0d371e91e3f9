"""Logging in to the server under test: identities (key + certificate) and the challenge → XAdES → status → redeem
flow, for in-process clients (httpx ASGI transport) and real servers alike."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from ksef_mcu.crypto.certificates import sha256_fingerprint
from ksef_mcu.crypto.xades import (
    AllowedIps,
    AuthTokenNamespace,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    XadesSigner,
    build_auth_token_request,
)
from support.pki import (
    PrivateKey,
    ec_key,
    foreign_certificate,
    person_certificate,
    random_nip,
    random_pesel,
    rsa_key,
    seal_certificate,
)


@dataclass(frozen=True)
class Identity:
    """Someone who can sign an AuthTokenRequest."""

    key: PrivateKey
    certificate: Any
    signer: XadesSigner
    nip: str | None = None
    pesel: str | None = None

    @property
    def fingerprint(self) -> str:
        return sha256_fingerprint(self.certificate)

    @classmethod
    def _make(cls, key: PrivateKey, certificate: Any, **ids: str | None) -> Identity:
        return cls(key, certificate, XadesSigner(key, certificate), **ids)

    @classmethod
    def person_with_nip(cls, *, now: datetime, nip: str | None = None, rsa: bool = False, **options: Any) -> Identity:
        nip = nip or random_nip()
        key = rsa_key() if rsa else ec_key()
        return cls._make(key, person_certificate(key, now=now, serial_number=f"TINPL-{nip}", **options), nip=nip)

    @classmethod
    def person_with_pesel(
        cls, *, now: datetime, pesel: str | None = None, rsa: bool = False, **options: Any
    ) -> Identity:
        pesel = pesel or random_pesel()
        key = rsa_key() if rsa else ec_key()
        return cls._make(key, person_certificate(key, now=now, serial_number=f"PNOPL-{pesel}", **options), pesel=pesel)

    @classmethod
    def seal(cls, *, now: datetime, nip: str | None = None, rsa: bool = False, **options: Any) -> Identity:
        nip = nip or random_nip()
        key = rsa_key() if rsa else ec_key()
        return cls._make(key, seal_certificate(key, now=now, nip=nip, **options), nip=nip)

    @classmethod
    def foreigner(cls, *, now: datetime, rsa: bool = False) -> Identity:
        key = rsa_key() if rsa else ec_key()
        return cls._make(key, foreign_certificate(key, now=now))


def signed_request(
    identity: Identity,
    challenge: str,
    *,
    context: str,
    now: datetime,
    context_type: str = "Nip",
    namespace: str = "2.1",
    by_fingerprint: bool = False,
    allowed_ips: AllowedIps | None = None,
) -> bytes:
    subject_type = (
        SubjectIdentifierTypeXml.CERTIFICATE_FINGERPRINT
        if by_fingerprint
        else SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
    )
    xml = build_auth_token_request(
        challenge,
        ContextIdentifier(ContextIdentifierType(context_type), context),
        subject_type,
        allowed_ips=allowed_ips,
        namespace=AuthTokenNamespace(namespace),
    )
    return identity.signer.sign(xml, now=now - timedelta(seconds=random.randint(0, 60)))


@dataclass(frozen=True)
class Started:
    reference_number: str
    authentication_token: str


@dataclass(frozen=True)
class Tokens:
    reference_number: str
    authentication_token: str
    access_token: str
    refresh_token: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def start_login(
    client: httpx.AsyncClient,
    identity: Identity,
    *,
    context: str,
    now: datetime,
    verify_chain: bool | None = None,
    **options: Any,
) -> Started:
    """Challenge and signed AuthTokenRequest; asserts the 202."""
    challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
    params = {} if verify_chain is None else {"verifyCertificateChain": str(verify_chain).lower()}
    response = await client.post(
        "/v2/auth/xades-signature",
        content=signed_request(identity, challenge, context=context, now=now, **options),
        headers={"Content-Type": "application/xml"},
        params=params,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    return Started(body["referenceNumber"], body["authenticationToken"]["token"])


async def status_of(client: httpx.AsyncClient, started: Started) -> dict[str, Any]:
    response = await client.get(f"/v2/auth/{started.reference_number}", headers=bearer(started.authentication_token))
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


async def login(
    client: httpx.AsyncClient, identity: Identity, *, context: str, now: datetime, **options: Any
) -> Tokens:
    """The whole flow; asserts that the first status poll already says 200 and that redemption works."""
    started = await start_login(client, identity, context=context, now=now, **options)
    status = await status_of(client, started)
    assert status["status"]["code"] == 200, status
    response = await client.post("/v2/auth/token/redeem", headers=bearer(started.authentication_token))
    assert response.status_code == 200, response.text
    body = response.json()
    return Tokens(
        started.reference_number,
        started.authentication_token,
        body["accessToken"]["token"],
        body["refreshToken"]["token"],
    )
