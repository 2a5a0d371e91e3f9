"""The server's UPO signing key and certificate (EC P-256, in the key store as `upo-signing`), and the HMAC that
makes UPO download links usable without a bearer token for a while (KSeF's pre-signed `downloadUrl`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from functools import partial

from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.crypto.keys import KeyKind
from ksef_mcu.crypto.xades.signer import XadesSigner
from ksef_mcu.server.keys import ServerKeys, build_service_certificate

UPO_SIGNING_KEY = "upo-signing"
DOWNLOAD_SECRET_PURPOSE = "upo-download-links"  # noqa: S105 - an HKDF purpose label, not a secret


def open_upo_signer(keys: ServerKeys, *, now: dt.datetime) -> XadesSigner:
    """The XAdES signer of UPOs (key and certificate created on first start, shared by every process)."""
    key = keys.store.load_or_create_key(UPO_SIGNING_KEY, KeyKind.EC_P256)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RuntimeError(f"{keys.store.key_path(UPO_SIGNING_KEY)} is not an EC key")
    certificate = keys.store.load_or_create_certificate(
        UPO_SIGNING_KEY,
        partial(build_service_certificate, key, common_name="ksef-mcu UPO", signing=True, now=now),
        now=now,
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
