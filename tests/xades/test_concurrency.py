"""Signing and verification share no state: many threads at once get the same answers as one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades import XadesSigner, verify_auth_token_request

from .pki import NOW, ec_key, make_certificate, rsa_key
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
