"""Benchmark of the crypto core: median timings (milliseconds) of the operations users wait for.

KOD II signing is shown next to the raw `cryptography` signature of the same message with the same, already
loaded key, so the overhead of building and encoding the link is visible as a ratio. A second table measures KOD II
throughput for bulk offline invoicing (links per second on one core, from batches of calls): the reusable
`OfflineQrSigner` (invoice hash given, as an invoicing program has it for KOD I anyway; and from the invoice bytes),
the one-call `build_offline_qr_link`, ksef-client 0.20.0's `build_certificate_verification_url` (when installed) and
the raw signature, all in the same run. The machine may be shared, so compare the ratios, not only the absolutes.

Run: `make bench` (or `.venv/bin/python bench/crypto.py [--rounds N] [--links N]`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.csr import EnrollmentData, create_csr
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, encrypt_private_key, generate_private_key, load_private_key
from ksef_mcu.crypto.qr import InvoiceHash, OfflineQrSigner, build_offline_qr_link, parse_offline_qr_link

PASSWORD = "Benchmark!Haslo123"
NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
SUBJECT = EnrollmentData(
    common_name="Anna Testowa",
    country_name="PL",
    given_name="Anna",
    surname="Testowa",
    serial_number="TINPL-5265877635",
)
INVOICE = b"<Faktura>" + b"x" * 20_000 + b"</Faktura>"


def median_ms(operation: Callable[[], object], rounds: int) -> float:
    """Median wall time of `operation` over `rounds` runs (after one warm-up run), in milliseconds."""
    operation()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def offline_certificate(key: PrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench (offline)")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x0123456789ABCDEF)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=730))
        .add_extension(x509.KeyUsage(False, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )


def raw_sign(key: PrivateKey, data: bytes) -> bytes:
    """The bare `cryptography` signature KOD II needs, with nothing around it."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def per_call_ms(operation: Callable[[], object], calls: int, repeats: int = 5) -> float:
    """Median over `repeats` batches of the wall time per call of `calls` back-to-back calls, in milliseconds."""
    operation()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            operation()
        samples.append((time.perf_counter() - started) * 1000 / calls)
    return statistics.median(samples)


BASE = "https://qr-test.ksef.mf.gov.pl"
NIP = "8096529464"


def ksef_client_link(key: PrivateKey, certificate: x509.Certificate) -> Callable[[], object] | None:
    """ksef-client 0.20.0's KOD II link for the same invoice (its API takes the key as PEM and the hash as Base64)."""
    try:
        from ksef_client.config import KsefClientOptions
        from ksef_client.services.verification_link import VerificationLinkService
    except ImportError:
        return None
    from cryptography.hazmat.primitives import serialization

    from ksef_mcu.crypto.certificates import certificate_serial

    service = VerificationLinkService(KsefClientOptions(base_url="https://api-test.ksef.mf.gov.pl", base_qr_url=BASE))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    invoice_hash = InvoiceHash.of(INVOICE).base64
    serial = certificate_serial(certificate)

    def link() -> str:
        return str(
            service.build_certificate_verification_url(
                seller_nip=NIP,
                context_identifier_type="Nip",
                context_identifier_value=NIP,
                certificate_serial=serial,
                invoice_hash=invoice_hash,
                private_key_pem=key_pem,
            )
        )

    return link


def one_call(key: PrivateKey, certificate: x509.Certificate) -> Callable[[], object]:
    """The one-call `build_offline_qr_link` (checks and hashing every time)."""

    def link() -> str:
        return build_offline_qr_link(
            BASE,
            context_type="Nip",
            context_value=NIP,
            seller_nip=NIP,
            invoice=INVOICE,
            certificate=certificate,
            key=key,
            now=NOW,
        )

    return link


def kod2_throughput(keys: dict[KeyKind, PrivateKey], links: int) -> None:
    """KOD II links per second, per key kind, with ratios to the raw signature and to ksef-client."""
    print(f"\nKOD II links/s on one core ({links} links per batch, median of 5 batches; noisy on a shared machine)")
    header = f"{'signer':<46}  {'ms/link':>8}  {'links/s':>8}  {'× raw':>6}  {'ksef-client ÷ this':>18}"
    for kind, key in keys.items():
        certificate = offline_certificate(key)
        signer = OfflineQrSigner(BASE, context_type="Nip", context_value=NIP, certificate=certificate, key=key, now=NOW)
        invoice_hash = InvoiceHash.of(INVOICE)
        data = parse_offline_qr_link(signer.link(NIP, invoice_hash)).signed_data.encode()
        batch = links if kind is KeyKind.EC_P256 else max(100, links // 10)  # RSA signing is ~10× slower
        rows: list[tuple[str, float]] = [
            ("raw cryptography signature (DER)", per_call_ms(lambda key=key, data=data: raw_sign(key, data), batch)),
            ("OfflineQrSigner.link, hash given", per_call_ms(lambda s=signer, h=invoice_hash: s.link(NIP, h), batch)),
            ("OfflineQrSigner.link, 20 kB invoice bytes", per_call_ms(lambda s=signer: s.link(NIP, INVOICE), batch)),
            ("build_offline_qr_link (one call, bytes)", per_call_ms(one_call(key, certificate), batch)),
        ]
        theirs = ksef_client_link(key, certificate)
        if theirs is not None:
            rows.append(("ksef-client 0.20.0, hash given (PEM key)", per_call_ms(theirs, batch)))
        raw = rows[0][1]
        reference = rows[-1][1] if theirs is not None else None
        print(f"\n{kind.label}\n{header}")
        for name, value in rows:
            versus = f"{reference / value:.2f}" if reference is not None else "n/a"
            print(f"{name:<46}  {value:8.4f}  {1000 / value:8.0f}  {value / raw:6.2f}  {versus:>18}")
        if theirs is None:
            print("(ksef-client is not installed: pip install 'ksef-client[xml]==0.20.0' to compare)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="runs per measurement (default 30)")
    parser.add_argument("--links", type=int, default=5000, help="KOD II links per throughput batch (default 5000)")
    arguments = parser.parse_args()
    rounds = arguments.rounds
    rsa_rounds = max(5, rounds // 3)  # RSA key generation is slow and very variable; fewer runs suffice

    rows: list[tuple[str, float, str]] = []
    rows.append(("key generation EC P-256", median_ms(lambda: generate_private_key(KeyKind.EC_P256), rounds), ""))
    rows.append(("key generation RSA 2048", median_ms(lambda: generate_private_key(KeyKind.RSA_2048), rsa_rounds), ""))

    keys = {kind: generate_private_key(kind) for kind in KeyKind}
    for kind, key in keys.items():
        key_file = encrypt_private_key(key, PASSWORD)
        rows.append(
            (f"key file write {kind.label}", median_ms(lambda key=key: encrypt_private_key(key, PASSWORD), rounds), "")
        )
        rows.append(
            (
                f"key file read {kind.label}",
                median_ms(lambda data=key_file: load_private_key(data, PASSWORD), rounds),
                "",
            )
        )
        rows.append(
            (
                f"key file write+read {kind.label}",
                median_ms(lambda key=key: load_private_key(encrypt_private_key(key, PASSWORD), PASSWORD), rounds),
                "PBKDF2 100 000 × 2",
            )
        )
    for kind, key in keys.items():
        rows.append((f"CSR build {kind.label}", median_ms(lambda key=key: create_csr(key, SUBJECT), rounds), ""))

    for kind, key in keys.items():  # keys loaded once, reused for every signature
        certificate = offline_certificate(key)

        def sign_link(key: PrivateKey = key, certificate: x509.Certificate = certificate) -> str:
            return build_offline_qr_link(
                "https://qr-test.ksef.mf.gov.pl",
                context_type="Nip",
                context_value="8096529464",
                seller_nip="8096529464",
                invoice=INVOICE,
                certificate=certificate,
                key=key,
                now=NOW,
            )

        data = parse_offline_qr_link(sign_link()).signed_data.encode()
        ours = median_ms(sign_link, rounds)
        raw = median_ms(lambda key=key, data=data: raw_sign(key, data), rounds)
        rows.append((f"KOD II link {kind.label} (ours)", ours, f"{ours / raw:.1f}× raw"))
        rows.append((f"KOD II raw cryptography sign {kind.label}", raw, ""))

    width = max(len(name) for name, _, _ in rows)
    print(f"{'operation':<{width}}  {'median ms':>10}  note  (rounds: {rounds}, RSA keygen {rsa_rounds})")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:10.3f}  {note}")
    kod2_throughput(keys, arguments.links)


if __name__ == "__main__":
    main()
