"""An offline invoice end to end against a real `ksef-mcu serve` process, on SQLite and PostgreSQL:

the owner obtains an Offline certificate from the server's CA → `ksef-mcu qr offline` / `qr invoice` print KOD II and
KOD I for the invoice file with `KSEF_MCU_API_URL` naming the server → KOD II verifies on the server's page, KOD I does
not find the invoice yet → the client uploads the invoice with `offlineMode` → KOD I shows it with its KSeF number →
the owner revokes the certificate → the same KOD II fails on "not revoked" only; a tampered link fails its signature.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from documents.samples import invoice_xml
from ksef_mcu.cli import app as cli
from ksef_mcu.client import KsefClient, Token, TokenState
from ksef_mcu.crypto.keys import encrypt_private_key
from ksef_mcu.crypto.qr import InvoiceHash
from ksef_mcu.formatting import polish_date
from support.certificates import obtain
from support.login import Identity, bearer, login
from support.processes import Serve

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

PASSWORD = "Offline-Haslo-2026!"
SETTINGS = {"rate_limits_enabled": "false", "issuance_poll_interval": "PT0.2S"}


def qr(*arguments: str, api_url: str, monkeypatch: pytest.MonkeyPatch, config: Path) -> str:
    """`ksef-mcu qr …` as a user runs it with the server configured by `KSEF_MCU_API_URL`; returns the link."""
    monkeypatch.setenv("KSEF_MCU_API_URL", api_url)
    monkeypatch.setenv("KSEF_MCU_CONFIG_DIR", str(config))
    monkeypatch.delenv("KSEF_MCU_ENV", raising=False)
    result = CliRunner().invoke(cli, ["qr", *arguments])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # a sandbox invoice of a sandbox company: nothing to warn about
    return result.stdout.strip()


async def test_offline_invoice_journey(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = Serve(tmp_path / "data", database_url, **SETTINGS)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            now = datetime.now(UTC)
            identity = Identity.person_with_nip(now=now)
            nip = identity.nip
            assert nip is not None
            tokens = await login(http, identity, context=nip, now=now)
            issued = await obtain(http, tokens.access_token, certificate_type="Offline", name="Faktury offline")

            # The files a user has: the certificate, the encrypted key, the invoice.
            (tmp_path / "offline.crt").write_bytes(issued.certificate.public_bytes(Encoding.PEM))
            (tmp_path / "offline.key").write_bytes(encrypt_private_key(issued.key, PASSWORD))
            (tmp_path / "haslo.txt").write_text(PASSWORD)
            issue_date = polish_date(now)
            invoice = invoice_xml(seller_nip=nip, issue_date=issue_date, number="OFF/1/2026")
            (tmp_path / "faktura.xml").write_bytes(invoice)

            files = ["--invoice", str(tmp_path / "faktura.xml")]
            settings = {"api_url": server.base_url, "monkeypatch": monkeypatch, "config": tmp_path / "config"}
            kod2 = qr(
                "offline",
                *files,
                "--cert",
                str(tmp_path / "offline.crt"),
                "--key",
                str(tmp_path / "offline.key"),
                "--password-file",
                str(tmp_path / "haslo.txt"),
                **settings,  # type: ignore[arg-type]
            )
            kod1 = qr("invoice", *files, **settings)  # type: ignore[arg-type]
            # The links point at this very server's /qr pages.
            assert kod2.startswith(f"{server.base_url}/qr/certificate/Nip/{nip}/{nip}/{issued.serial_number}/")
            date_segment = f"{issue_date.day:02d}-{issue_date.month:02d}-{issue_date.year}"
            assert kod1 == f"{server.base_url}/qr/invoice/{nip}/{date_segment}/{InvoiceHash.of(invoice).base64url}"

            json = {"Accept": "application/json"}
            verified = (await http.get(kod2, headers=json)).json()
            assert verified["verified"] is True, verified["checks"]
            page = await http.get(kod2)
            assert "Weryfikacja pozytywna." in page.text
            before = (await http.get(kod1, headers=json)).json()
            assert before["found"] is False

            # Upload the invoice issued offline, through the client (offlineMode keeps the invoice's own date).
            state = TokenState(
                Token(tokens.access_token, now + timedelta(minutes=10)),
                Token(tokens.refresh_token, now + timedelta(days=1)),
            )

            def upload() -> str:
                with KsefClient(base_url=f"{server.base_url}/v2", tokens=state) as client:
                    report = client.sessions.send_invoices([invoice], offline_mode=True)
                [item] = report.invoices
                assert item.status.status.code == 200, item.status
                assert item.ksef_number is not None
                return item.ksef_number

            import anyio.to_thread

            number = await anyio.to_thread.run_sync(upload)
            found = (await http.get(kod1, headers=json)).json()
            assert found["found"] is True
            assert found["ksefNumber"] == number
            shown = await http.get(kod1)
            assert "Faktura jest w KSeF." in shown.text
            assert number in shown.text

            # A tampered KOD II (another invoice's hash under the same signature) fails its signature.
            parts = kod2.split("/")
            parts[-2] = InvoiceHash.of(b"<Faktura>podmieniona</Faktura>").base64url
            tampered = (await http.get("/".join(parts), headers=json)).json()
            assert {c["name"] for c in tampered["checks"] if c["result"] != "passed"} == {"signature"}

            # The owner revokes the Offline certificate: the same KOD II now fails, on that check only.
            revoked = await http.post(
                f"/v2/certificates/{issued.serial_number}/revoke", headers=bearer(tokens.access_token)
            )
            assert revoked.status_code == 204, revoked.text
            after = (await http.get(kod2, headers=json)).json()
            assert after["verified"] is False
            assert {c["name"] for c in after["checks"] if c["result"] != "passed"} == {"certificateActive"}
        server.stop()
    finally:
        server.terminate()
