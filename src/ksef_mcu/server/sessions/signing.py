"""The server's UPO signing key and certificate (EC P-256, in the key store as `upo-signing`), and the HMAC that
makes UPO download links usable without a bearer token for a while (KSeF's pre-signed `downloadUrl`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from functools import partial

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.keys import KeyKind
from ksef_mcu.crypto.xades.signer import XadesSigner
from ksef_mcu.server.keys import CERTIFICATE_LIFETIME, ServerKeys

UPO_SIGNING_KEY = "upo-signing"
DOWNLOAD_SECRET_PURPOSE = "upo-download-links"  # noqa: S105 - an HKDF purpose label, not a secret


def _build_certificate(key: ec.EllipticCurvePrivateKey, *, now: dt.datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ksef-mcu"),
            x509.NameAttribute(NameOID.COMMON_NAME, "ksef-mcu UPO"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def open_upo_signer(keys: ServerKeys, *, now: dt.datetime) -> XadesSigner:
    """The XAdES signer of UPOs (key and certificate created on first start, shared by every process)."""
    key = keys.store.load_or_create_key(UPO_SIGNING_KEY, KeyKind.EC_P256)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RuntimeError(f"{keys.store.key_path(UPO_SIGNING_KEY)} is not an EC key")
    certificate = keys.store.load_or_create_certificate(
        UPO_SIGNING_KEY, partial(_build_certificate, key, now=now), now=now
    )
    return XadesSigner(key, certificate)


class DownloadLinks:
    """Signs and checks `…?expires=<unix>&signature=<hex>` on UPO download paths."""

    def __init__(self, secret: bytes, *, lifetime: dt.timedelta = dt.timedelta(days=3)) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def _mac(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, *, now: dt.datetime) -> tuple[str, dt.datetime]:
        """(`path?expires=…&signature=…`, its expiry)."""
        expires_at = (now + self.lifetime).replace(microsecond=0)
        expires = int(expires_at.timestamp())
        return f"{path}?expires={expires}&signature={self._mac(path, expires)}", expires_at

    def valid(self, path: str, expires: int, signature: str, *, now: dt.datetime) -> bool:
        if expires < now.timestamp():
            return False
        return hmac.compare_digest(self._mac(path, expires), signature)
