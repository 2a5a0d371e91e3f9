"""Obsługa Faktur in tests with real processes: `ksef-mcu invoicing serve` (`InvoicingServe`) and a Type 1 + Type 2
certificate obtained from our KSeF through the client (`obtain`), as `Slot` → (PEM certificate, encrypted key)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ksef_mcu.client import CertificateCredentials, ContextIdentifier, ContextIdentifierType, KsefClient
from ksef_mcu.crypto.csr import create_csr
from ksef_mcu.crypto.keys import encrypt_private_key
from ksef_mcu.crypto.self_signed import TestSubject, build_self_signed_certificate
from ksef_mcu.invoicing.model import Slot
from support.pki import ec_key
from support.processes import Process, clean_environment, free_port

PASSWORD = "Haslo-Do-Klucza-2026"


def obtain(base_url: str, nip: str) -> dict[Slot, tuple[bytes, bytes]]:
    """A Type 1 and a Type 2 certificate for `nip` from our KSeF (login with a self-signed seal, as on TEST)."""
    login_key = ec_key()
    seal = build_self_signed_certificate(login_key, TestSubject.seal(nip), now=datetime.now(UTC))
    credentials = CertificateCredentials.from_key_and_certificate(login_key, seal)
    issued: dict[Slot, tuple[bytes, bytes]] = {}
    with KsefClient("local", base_url=base_url) as client:
        client.auth.login_with_certificate(credentials, ContextIdentifier(ContextIdentifierType.NIP, nip))
        data = client.certificates.enrollment_data().to_enrollment_data()
        for slot, kind in ((Slot.AUTHENTICATION, "Authentication"), (Slot.OFFLINE, "Offline")):
            key = ec_key()
            serial = client.certificates.enroll(f"Faktury {kind}", kind, create_csr(key, data)).wait().serial_number
            [certificate] = client.certificates.retrieve([serial])
            issued[slot] = (
                certificate.pem.encode() if isinstance(certificate.pem, str) else certificate.pem,
                encrypt_private_key(key, PASSWORD),
            )
    return issued


class InvoicingServe(Process):
    """`ksef-mcu invoicing serve` on a free port, its own SQLite in `data_dir`; waits until it answers."""

    def __init__(self, data_dir: Path, ksef_url: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        arguments = ["invoicing", "serve", "--port", str(self.port), "--data-dir", str(data_dir)]
        arguments += ["--ksef-url", ksef_url]
        environment = clean_environment(invoicing_queue_interval="3600")  # the queue is sent by hand here
        super().__init__(arguments, data_dir.parent / f"invoicing-{self.port}.log", environment)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                httpx.get(f"{self.base_url}/logowanie", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"Obsługa Faktur did not start:\n{self.output()}")
