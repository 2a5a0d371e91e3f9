"""Median time to sign and to verify an AuthTokenRequest (XAdES), RSA-2048 and EC P-256, beside the raw key operation.

Run: `.venv/bin/python bench/xades.py [--runs N]`. Keys, certificates and the signer are made once, outside the timed
region (they are loaded once in real use too); each timed call signs (or verifies) one fresh request.
Targets on a 2-core machine: EC sign ≤ 0.5 ms, EC verify ≤ 1 ms.
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

from ksef_mcu.crypto.xades import (
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    XadesSigner,
    build_auth_token_request,
    verify_auth_token_request,
)

NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.UTC)
CHALLENGE = "20260520-CR-46F7284000-D8D06263E5-C5"


def _certificate(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINPL-5265877635"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def _median_ms(action: Callable[[], object], runs: int) -> float:
    for _ in range(max(10, runs // 20)):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="timed runs per figure (default 2000)")
    runs = parser.parse_args().runs

    request = build_auth_token_request(
        CHALLENGE,
        ContextIdentifier(ContextIdentifierType.NIP, "5265877635"),
        SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT,
    )
    print(f"XAdES AuthTokenRequest, median of {runs} runs (ms)")
    print(f"{'key':<10} {'raw sign':>9} {'raw verify':>11} {'XAdES sign':>11} {'XAdES verify':>13} {'bytes':>6}")
    _bench("EC P-256", ec.generate_private_key(ec.SECP256R1()), request, runs)
    _bench("RSA-2048", rsa.generate_private_key(public_exponent=65537, key_size=2048), request, runs)


def _bench(label: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, request: bytes, runs: int) -> None:
    """Print one row: the raw key operation over the request bytes, then XAdES sign and verify."""
    signer = XadesSigner(key, _certificate(key))
    signed = signer.sign(request, now=NOW)
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_key = key
        rsa_public = key.public_key()
        rsa_signature = rsa_key.sign(request, padding.PKCS1v15(), hashes.SHA256())
        raw_sign: Callable[[], object] = lambda: rsa_key.sign(request, padding.PKCS1v15(), hashes.SHA256())  # noqa: E731
        raw_verify: Callable[[], object] = lambda: rsa_public.verify(  # noqa: E731
            rsa_signature, request, padding.PKCS1v15(), hashes.SHA256()
        )
    else:
        ec_key = key
        ec_public = key.public_key()
        ec_signature = ec_key.sign(request, ec.ECDSA(hashes.SHA256()))
        raw_sign = lambda: ec_key.sign(request, ec.ECDSA(hashes.SHA256()))  # noqa: E731
        raw_verify = lambda: ec_public.verify(ec_signature, request, ec.ECDSA(hashes.SHA256()))  # noqa: E731
    figures = [
        _median_ms(raw_sign, runs),
        _median_ms(raw_verify, runs),
        _median_ms(lambda: signer.sign(request, now=NOW), runs),
        _median_ms(lambda: verify_auth_token_request(signed, now=NOW), runs),
    ]
    cells = " ".join(f"{value:>{width}.3f}" for value, width in zip(figures, (9, 11, 11, 13), strict=True))
    print(f"{label:<10} {cells} {len(signed):>6}")


if __name__ == "__main__":
    main()
