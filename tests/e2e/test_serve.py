"""`ksef-mcu serve` as a real process: XAdES logins of every kind, tokens, sessions, restart with the same keys."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from support.login import Identity, bearer, login, start_login, status_of
from support.pki import random_nip
from support.processes import Serve
from support.tokens import claims

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


async def test_logins_tokens_sessions_and_restart(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    server = Serve(data_dir, database_url)
    now = datetime.now(UTC)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            keys_before = (await client.get("/v2/security/public-key-certificates")).json()

            # Owners: persons and seals, RSA and EC, both AuthTokenRequest namespaces.
            cases = [
                Identity.person_with_nip(now=now, rsa=True),
                Identity.person_with_nip(now=now),
                Identity.seal(now=now, rsa=True),
                Identity.seal(now=now),
            ]
            sessions = []
            for index, identity in enumerate(cases):
                namespace = "2.0" if index % 2 == 0 else "2.1"
                tokens = await login(client, identity, context=identity.nip or "", now=now, namespace=namespace)
                method = claims(tokens.access_token)["aum"]
                assert method == ("QualifiedSeal" if index >= 2 else "QualifiedSignature")
                sessions.append(tokens)

            # A certificate without NIP/PESEL, known by its fingerprint, holding a permission in someone's context.
            owner_nip = random_nip()
            foreigner = Identity.foreigner(now=now, rsa=True)
            grant = {
                "contextIdentifier": {"type": "Nip", "value": owner_nip},
                "authorizedIdentifier": {"type": "Fingerprint", "value": foreigner.fingerprint},
                "permissions": [{"permissionType": "InvoiceWrite", "description": "wystawianie faktur"}],
            }
            assert (await client.post("/v2/testdata/permissions", json=grant)).status_code == 200
            delegate = await login(client, foreigner, context=owner_nip, now=now, by_fingerprint=True)
            assert json.loads(claims(delegate.access_token)["per"]) == ["InvoiceWrite"]

            # Redeem is one-time, refresh works, sessions are listed and revoked.
            first = sessions[0]
            again = await client.post("/v2/auth/token/redeem", headers=bearer(first.authentication_token))
            assert again.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
            refreshed = await client.post("/v2/auth/token/refresh", headers=bearer(first.refresh_token))
            assert refreshed.status_code == 200
            second_login = await login(client, cases[0], context=cases[0].nip or "", now=now)
            listed = await client.get("/v2/auth/sessions", headers=bearer(second_login.access_token))
            references = {item["referenceNumber"] for item in listed.json()["items"]}
            assert references == {first.reference_number, second_login.reference_number}
            revoked = await client.delete(
                f"/v2/auth/sessions/{first.reference_number}", headers=bearer(second_login.access_token)
            )
            assert revoked.status_code == 204
            after = await client.post("/v2/auth/token/refresh", headers=bearer(first.refresh_token))
            assert after.json()["exception"]["exceptionDetailList"][0]["details"] == [
                "Status uwierzytelnienia (425) nie pozwala na odświeżenie tokenu dostępowego."
            ]
            current = await client.delete("/v2/auth/sessions/current", headers=bearer(second_login.refresh_token))
            assert current.status_code == 204
            started = await start_login(client, cases[1], context=random_nip(), now=now)
            assert (await status_of(client, started))["status"]["code"] == 415
        server.stop()
    finally:
        if server.process.poll() is None:
            server.process.kill()

    # The data directory holds the database (SQLite), the keys (encrypted, owner-only) and the generated secret.
    assert stat.S_IMODE((data_dir / "secret").stat().st_mode) == 0o600
    for key_file in (data_dir / "keys").glob("*.key"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    # After a restart the same keys are in use: certificates unchanged, earlier refresh tokens still verify.
    restarted = Serve(data_dir, database_url)
    try:
        async with httpx.AsyncClient(base_url=restarted.base_url, timeout=30) as client:
            assert (await client.get("/v2/security/public-key-certificates")).json() == keys_before
            refreshed = await client.post("/v2/auth/token/refresh", headers=bearer(sessions[1].refresh_token))
            assert refreshed.status_code == 200
        restarted.stop()
    finally:
        if restarted.process.poll() is None:
            restarted.process.kill()


@pytest.mark.interop
def test_peer_python_client_logs_in(tmp_path: Path) -> None:
    """ksef-client (the most complete Python peer, signing with xmlsec and exclusive C14N) against the server."""
    from ksef_client.client import KsefClient
    from ksef_client.config import KsefClientOptions
    from ksef_client.services.workflows import AuthCoordinator

    server = Serve(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'ksef-mcu.sqlite3'}")
    try:
        identity = Identity.person_with_nip(now=datetime.now(UTC), rsa=True)
        key_pem = identity.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        certificate_pem = identity.certificate.public_bytes(serialization.Encoding.PEM).decode()
        with KsefClient(KsefClientOptions(base_url=server.base_url)) as peer:
            result = AuthCoordinator(peer.auth).authenticate_with_xades(
                context_identifier_type="nip",
                context_identifier_value=identity.nip or "",
                subject_identifier_type="certificateSubject",
                certificate_pem=certificate_pem,
                private_key_pem=key_pem,
                verify_certificate_chain=False,
                poll_interval_seconds=0.1,
            )
            assert claims(result.access_token)["civ"] == identity.nip
            refreshed = peer.auth.refresh_access_token(result.refresh_token)
            assert refreshed.access_token.token != result.access_token
        server.stop()
    finally:
        if server.process.poll() is None:
            server.process.kill()


async def test_several_worker_processes(tmp_path: Path) -> None:
    """`--workers 2`: the workers build the app from the exported settings and share one set of keys."""
    data_dir = tmp_path / "data"
    server = Serve(data_dir, f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}", "--workers", "2")
    try:
        now = datetime.now(UTC)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            for _ in range(4):  # connections spread over both workers
                person = Identity.person_with_nip(now=now)
                tokens = await login(client, person, context=person.nip or "", now=now)
                assert (
                    await client.post("/v2/auth/token/refresh", headers=bearer(tokens.refresh_token))
                ).status_code == 200
        server.stop()
    finally:
        if server.process.poll() is None:
            server.process.kill()
    # One set of keys: the server's three, the certificates module's CA (root and issuing) and the sessions
    # module's UPO signing key.
    assert sorted(path.stem for path in (data_dir / "keys").glob("*.key")) == [
        "ca-issuing",
        "ca-root",
        "encryption-ksef-token",
        "encryption-symmetric-key",
        "token-signing",
        "upo-signing",
    ]
