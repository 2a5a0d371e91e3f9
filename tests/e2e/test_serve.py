"""`ksef-mcu serve` as a real process: XAdES logins of every kind, tokens, sessions, restart with the same keys."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import temporary_database
from support.login import Identity, bearer, login, start_login, status_of
from support.pki import random_nip
from support.tokens import claims

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

KSEF_MCU = Path(sys.executable).with_name("ksef-mcu")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One `ksef-mcu serve` process."""

    def __init__(self, data_dir: Path, database_url: str, *extra: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"
        command = [
            str(KSEF_MCU),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--database-url",
            database_url,
            *extra,
        ]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KSEF_MCU_")}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> None:
        """SIGTERM, then check that the app shut down cleanly (uvicorn re-raises the signal after draining)."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        log = self.log.read_text()
        assert code in (0, -signal.SIGTERM), log
        assert "Application shutdown complete." in log, log
        assert "Traceback" not in log, log


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.db)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql" and not os.environ.get("KSEF_MCU_TEST_POSTGRES_URL"):
        pytest.skip("KSEF_MCU_TEST_POSTGRES_URL is not set: the PostgreSQL run of the end-to-end test is skipped")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'ksef-mcu.sqlite3'}"
        return
    with temporary_database(request.param, tmp_path) as url:
        yield url


async def test_logins_tokens_sessions_and_restart(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    server = Server(data_dir, database_url)
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
    restarted = Server(data_dir, database_url)
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

    server = Server(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'ksef-mcu.sqlite3'}")
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
