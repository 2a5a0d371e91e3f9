"""Benchmark of the public KOD II verification page and of KOD II signing — the two figures of offline invoicing.

1. Verifications per second of `GET /qr/certificate/…` on a real `ksef-mcu serve` process (SQLite, rate limits off,
   access log off): an owner logs in, obtains an Offline certificate from our CA, signs `--links` different KOD II
   links with `OfflineQrSigner`; then `--clients` concurrent clients (kept-alive HTTP/1.1, the tiny codec of
   bench/loadgen.py, so the client costs little of the shared CPU) open them, as JSON (`Accept: application/json`)
   and as the HTML page. Every answer is checked (JSON `verified: true`, the page's "Weryfikacja pozytywna"). Each
   verification is one database read (certificate row, grants, context rules) and one ECDSA P-256 verification.
   Prints verifications/s, p50/p99 latency and the server's CPU per verification. Goal: ≥ 500 verifications/s.
2. KOD II signing per link, from bench/crypto.py (`OfflineQrSigner` beside ksef-client 0.20.0 when installed, and
   the raw signature). Goal: ≤ 0.06 ms per EC link (≥ 15 000 links/s on one core).

Run: `.venv/bin/python bench/qr_pages.py [--clients 16] [--links 5000] [--api-processes 1] [--sign-links 5000]`.
Figures taken while other work runs on the machine are noisy: the CPU pressure is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.crypto.csr import EnrollmentData, create_csr
from ksef_mcu.crypto.keys import KeyKind, generate_private_key
from ksef_mcu.crypto.qr import InvoiceHash, OfflineQrSigner
from ksef_mcu.crypto.xades import (
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    build_auth_token_request,
)
from ksef_mcu.identifiers import generate_random_nip

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent / "tests"))
from auth import cpu_pressure  # noqa: E402 - after the path set-up
from crypto import kod2_throughput  # noqa: E402
from issuance import SERVER_SETTINGS, process_cpu_seconds  # noqa: E402
from loadgen import HttpConnection, person_signer  # noqa: E402
from support.processes import Serve  # noqa: E402

GOAL_VERIFICATIONS = 500.0


@dataclass
class Run:
    verifications: int
    seconds: float
    latencies: list[float]
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.verifications / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def offline_links(base_url: str, count: int) -> list[str]:
    """`count` KOD II links (paths) of different invoices, signed with a fresh Offline certificate of a new owner."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        nip, now = generate_random_nip(), datetime.now(UTC)
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        request = build_auth_token_request(
            challenge, ContextIdentifier(ContextIdentifierType.NIP, nip), SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
        )
        started = await client.post(
            "/v2/auth/xades-signature",
            content=person_signer(nip, now).sign(request, now=now - timedelta(seconds=5)),
            headers={"Content-Type": "application/xml"},
        )
        started.raise_for_status()
        authentication = started.json()["authenticationToken"]["token"]
        redeemed = await client.post("/v2/auth/token/redeem", headers={"Authorization": f"Bearer {authentication}"})
        redeemed.raise_for_status()
        bearer = {"Authorization": f"Bearer {redeemed.json()['accessToken']['token']}"}
        data = EnrollmentData.from_api((await client.get("/v2/certificates/enrollments/data", headers=bearer)).json())
        key = ec.generate_private_key(ec.SECP256R1())
        body = {"certificateName": "Faktury offline", "certificateType": "Offline", "csr": create_csr(key, data)}
        reference = (await client.post("/v2/certificates/enrollments", json=body, headers=bearer)).json()[
            "referenceNumber"
        ]
        while (status := (await client.get(f"/v2/certificates/enrollments/{reference}", headers=bearer)).json())[
            "status"
        ]["code"] == 100:
            await asyncio.sleep(0.05)
        serial = status["certificateSerialNumber"]
        answer = await client.post(
            "/v2/certificates/retrieve", json={"certificateSerialNumbers": [serial]}, headers=bearer
        )
        certificate = x509.load_der_x509_certificate(base64.b64decode(answer.json()["certificates"][0]["certificate"]))
    signer = OfflineQrSigner(f"{base_url}/qr", context_type="Nip", context_value=nip, certificate=certificate, key=key)
    return [
        signer.link(nip, InvoiceHash.of(f"<Faktura>{index}</Faktura>".encode())).removeprefix(base_url)
        for index in range(count)
    ]


async def client_loop(base_url: str, paths: list[str], accept: str, latencies: list[float]) -> None:
    connection = HttpConnection(base_url)
    try:
        for path in paths:
            started = time.perf_counter()
            status, body = await connection.request("GET", path, headers={"Accept": accept})
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{status} {body[:300]!r}")
            if accept == "application/json":
                if json.loads(body)["verified"] is not True:
                    raise RuntimeError(f"not verified: {body[:600]!r}")
            elif b"Weryfikacja pozytywna." not in body:
                raise RuntimeError(f"not verified: {body[:600]!r}")
    finally:
        await connection.close()


async def load(base_url: str, paths: list[str], clients: int, accept: str, server_cpu: Callable[[], float]) -> Run:
    shares = [paths[index::clients] for index in range(clients)]
    await asyncio.gather(*(client_loop(base_url, share[:5], accept, []) for share in shares))  # warm-up
    latencies: list[float] = []
    cpu_before = server_cpu()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(base_url, share, accept, latencies) for share in shares))
    seconds = time.perf_counter() - started
    return Run(len(latencies), seconds, latencies, server_cpu() - cpu_before)


def pages(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="ksef-mcu-bench-qr-"))
    data_dir = directory / "data"
    extra = ["--log-level", "warning"]
    if args.api_processes > 1:
        extra += ["--workers", str(args.api_processes)]
    server = Serve(data_dir, f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}", *extra, **SERVER_SETTINGS)
    try:
        paths = asyncio.run(offline_links(server.base_url, args.links))
        print(
            f"KOD II verification page: `ksef-mcu serve` ({args.api_processes} API process(es), SQLite), "
            f"{args.clients} concurrent clients, {args.links} different links; {cpu_pressure()}"
        )
        print(f"{'answer':<6}  {'verif./s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  {'server CPU ms/verif.':>21}  goal")
        for label, accept in (("JSON", "application/json"), ("HTML", "text/html")):
            run = asyncio.run(
                load(server.base_url, paths, args.clients, accept, lambda: process_cpu_seconds(server.process.pid))
            )
            verdict = "ok" if run.rate >= GOAL_VERIFICATIONS else "MISSED"
            print(
                f"{label:<6}  {run.rate:9.0f}  {run.percentile(0.5):7.2f}  {run.percentile(0.99):7.2f}  "
                f"{run.server_cpu / run.verifications * 1000:21.3f}  ≥ {GOAL_VERIFICATIONS:.0f}/s {verdict}"
            )
    finally:
        server.terminate()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--links", type=int, default=5000, help="verifications per answer format (default 5000)")
    parser.add_argument("--api-processes", type=int, default=1)
    parser.add_argument("--sign-links", type=int, default=5000, help="KOD II links per signing batch")
    parser.add_argument("--pages-only", action="store_true")
    parser.add_argument("--signing-only", action="store_true")
    args = parser.parse_args()
    if not args.signing_only:
        pages(args)
    if not args.pages_only:
        keys = {kind: generate_private_key(kind) for kind in (KeyKind.EC_P256, KeyKind.RSA_2048)}
        kod2_throughput(keys, args.sign_links)
        print("Goal: ≤ 0.06 ms per EC link (≥ 15 000 links/s on one core).")


if __name__ == "__main__":
    main()
