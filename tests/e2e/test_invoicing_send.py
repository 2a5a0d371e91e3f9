"""Obsługa Faktur sends invoices, end to end with real processes on both databases: `ksef-mcu serve` (our KSeF), the
invoicing CLI `ksef-mcu invoicing send` (online: KSeF numbers, UPOs that verify, the session closed; a refused invoice
with its official error) and `ksef-mcu invoicing serve`, whose offline queue is sent with offlineMode=true by itself
once KSeF answers again — after which KOD I carries the KSeF number."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from documents.samples import invoice_xml
from ksef_mcu.crypto.qr import parse_invoice_link
from ksef_mcu.documents.forms import FA3
from ksef_mcu.documents.upo import verify_upo
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.services import open_invoicing
from ksef_mcu.invoicing.uploads import CertificateUpload
from support import processes
from support.invoicing_setup import PASSWORD, obtain
from support.pki import random_nip
from support.processes import Process, Serve, clean_environment

KSEF_MCU = Path(sys.executable).with_name("ksef-mcu")
FAST = {"rate_limits_enabled": "false", "invoice_claim_lease": "PT2S", "issuance_poll_interval": "PT0.1S"}


def serve_on(port: int, data_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Serve:
    monkeypatch.setattr(processes, "free_port", lambda: port)
    return Serve(data_dir, database_url, **FAST)


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KSEF_MCU), "invoicing", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=clean_environment(),
    )


def test_send_online_and_the_offline_queue(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = processes.free_port()
    api = f"http://127.0.0.1:{port}"
    mcu_dir, faktury = tmp_path / "mcu", tmp_path / "faktury"
    common = ["--data-dir", str(faktury), "--database-url", database_url, "--ksef-url", api]
    nip = random_nip()
    server = serve_on(port, mcu_dir, database_url, monkeypatch)
    invoicing_process: Process | None = None
    try:
        issued = obtain(api, nip)
        setup = open_invoicing(InvoicingConfig(data_dir=faktury, database_url=database_url, ksef_url=f"{api}/v2"))
        try:
            company = setup.accounts.add_company(nip, "Firma Testowa sp. z o.o.")
            for slot, (crt, key) in issued.items():
                upload = CertificateUpload(certificate=crt, key=key, password=PASSWORD)
                setup.settings.add_certificate(company, slot, upload, added_by="test")
        finally:
            setup.close()

        # Online: three good invoices and one of another seller, in one session.
        today = datetime.now(UTC).date()
        files = []
        for index in range(3):
            path = tmp_path / f"faktura-{index}.xml"
            path.write_bytes(invoice_xml(FA3, seller_nip=nip, issue_date=today, number=f"FV/{index}/ONLINE"))
            files.append(str(path))
        stranger = tmp_path / "obca.xml"
        stranger.write_bytes(invoice_xml(FA3, seller_nip=random_nip(), issue_date=today, number="FV/OBCA"))
        upo_dir = tmp_path / "upo"
        result = run("send", *files, str(stranger), "--company", nip, "--upo-dir", str(upo_dir), *common)
        assert result.returncode == 1, result
        lines = result.stdout.splitlines()
        assert re.fullmatch(r"Sesja \S+: zamknięta\.", lines[0]), result.stdout
        numbers = []
        for index in range(3):
            match = re.fullmatch(
                rf"faktura-{index}\.xml: numer KSeF ({nip}-\d{{8}}-[0-9A-F]{{12}}-[0-9A-F]{{2}}), UPO: (\S+)",
                lines[1 + index],
            )
            assert match, result.stdout
            numbers.append(match.group(1))
            upo = Path(match.group(2)).read_bytes()
            verified = verify_upo(upo, now=datetime.now(UTC))
            assert match.group(1) in upo.decode(), verified
        assert lines[4].startswith("obca.xml: odrzucona – 410: "), result.stdout
        assert "wysłano: 4/4" in result.stderr
        assert "przetworzono: 4/4" in result.stderr

        # Offline: KSeF is down when the invoice is issued, so it waits in the queue of a running Obsługa Faktur.
        server.stop()
        invoicing_process = Process(
            ["invoicing", "serve", "--port", str(_port()), *common],
            tmp_path / "invoicing.log",
            clean_environment(invoicing_queue_interval="0.5"),
        )
        app = open_invoicing(InvoicingConfig(data_dir=faktury, database_url=database_url, ksef_url=f"{api}/v2"))
        try:
            company = app.accounts.company(nip)
            data = invoice_xml(FA3, seller_nip=nip, issue_date=today, number="FV/1/OFFLINE")
            offline, _ = app.offline.issue(company, data, issued_by="test")
            assert offline.kod1_label == "OFFLINE"
            deadline = time.monotonic() + 30
            while app.offline.get(company, offline.id).send_message is None:
                assert time.monotonic() < deadline, invoicing_process.output()
                time.sleep(0.2)
            waiting = app.offline.get(company, offline.id)
            assert waiting.status == "queued"
            assert waiting.send_message is not None
            assert waiting.send_message.startswith("Nie można połączyć się z KSeF"), waiting.send_message

            # KSeF answers again: the queue goes out by itself, with offlineMode=true.
            server = serve_on(port, mcu_dir, database_url, monkeypatch)
            deadline = time.monotonic() + 90
            while (current := app.offline.get(company, offline.id)).status == "queued":
                assert time.monotonic() < deadline, invoicing_process.output()
                time.sleep(0.3)
            assert current.status == "sent", current.send_message
            assert current.ksef_number is not None
            assert current.ksef_number.startswith(f"{nip}-")
            assert current.kod1_label == current.ksef_number
            assert current.ksef_number.encode() in current.image(1, "svg")
            assert parse_invoice_link(current.kod1_link).seller_nip == nip
            [sent] = [item for item in app.sending.sent(company) if item.ksef_number == current.ksef_number]
            assert sent.offline_mode
            assert sent.upo is not None
            verify_upo(sent.upo, now=datetime.now(UTC))
        finally:
            app.close()
        assert invoicing_process.terminate(timeout=30) in (0, -15), invoicing_process.output()
        assert "Traceback" not in invoicing_process.output(), invoicing_process.output()
        server.stop()
    finally:
        for process in (invoicing_process, server):
            if process is not None and process.process.poll() is None:
                process.kill()


def _port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
