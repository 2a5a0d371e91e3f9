"""Signing and verification share no state: many threads at once get the same answers as one."""

from __future__ import annotations

import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

from cryptography import x509
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades import XadesSigner, verify_auth_token_request

from .pki import NOW, ec_key, make_certificate, person_name, rsa_key
from .styles import CLIENT_STYLES, sign_in_style, unsigned_request


def test_concurrent_sign_and_verify() -> None:
    key = ec_key()
    signer = XadesSigner(key, make_certificate(key))
    documents = [
        sign_in_style(unsigned_request(layout=layout), rsa_key(), make_certificate(rsa_key()), style, NOW)
        for style, layout in CLIENT_STYLES.values()
    ]
    tampered = documents[0].replace(b"5265877635", b"1111111111", 1)

    def work(index: int) -> tuple[str, str]:
        own = signer.sign(unsigned_request(layout="csharp"), now=NOW)
        verify_auth_token_request(own, now=NOW)
        verify_auth_token_request(documents[index % len(documents)], now=NOW)
        try:
            verify_auth_token_request(tampered, now=NOW)
        except XadesError as error:
            return "ok", error.reason.value
        return "ok", "accepted"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(200)))
    assert set(results) == {("ok", XadesRejection.DIGEST_MISMATCH.value)}


def test_concurrent_verification_of_certificates_with_long_names() -> None:
    """KSeF's long Polish names make cryptography warn while parsing; the verifier silences that per call. Many
    threads verifying at once must neither let the warning escape (under pytest it is an error, which the verifier
    would report as an unreadable certificate) nor leave the process-wide warning filters changed."""
    key = ec_key()
    long_name = "PRZEDSIĘBIORSTWO ŻÓŁTE ŹRÓDŁA SPÓŁKA JAWNA (uwierzytelnienie)"
    with tolerate_ksef_quirks():
        subject = x509.Name(
            [
                *person_name(),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, long_name, _validate=False),
            ]
        )
    signer = XadesSigner(key, make_certificate(key, subject))
    documents = [signer.sign(unsigned_request(layout="csharp"), now=NOW) for _ in range(8)]
    before = list(warnings.filters)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so the parsing blocks would overlap
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda index: _outcome(documents[index % len(documents)]), range(400)))
    finally:
        sys.setswitchinterval(switch_interval)
    assert set(results) == {"accepted"}
    assert warnings.filters == before


def _outcome(document: bytes) -> str:
    try:
        verify_auth_token_request(document, now=NOW)
    except XadesError as error:
        return error.reason.value
    return "accepted"
