"""The installation's master key: it seals the private keys' passwords (AES-256-GCM) and derives the cookie secret.

The key is 32 random bytes in `<data dir>/master.key` (0600, created on first run), or the Base64/hex value of
`KSEF_MCU_INVOICING_SECRET` (at least 32 bytes) when set — then nothing is written. A sealed value is
`b"v1" || nonce(12) || ciphertext+tag`, bound to what it seals (`purpose`, e.g. the certificate's fingerprint) as
associated data, so a sealed password cannot be moved to another record. Nothing here is ever logged.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ksef_mcu.storage.files import ensure_private_directory, write_new_file

__all__ = ["MASTER_KEY_FILE", "SECRET_VARIABLE", "MasterKey", "VaultError"]

MASTER_KEY_FILE = "master.key"
SECRET_VARIABLE = "KSEF_MCU_INVOICING_SECRET"  # noqa: S105 - the variable's name
_VERSION = b"v1"
_NONCE = 12


class VaultError(Exception):
    """The master key is unusable, or a sealed value does not open with it (damaged, or another installation's)."""


def _decode_secret(text: str) -> bytes:
    value = text.strip()
    for decode in (bytes.fromhex, lambda v: base64.b64decode(v, validate=True), base64.urlsafe_b64decode):
        try:
            raw = decode(value)
        except (ValueError, binascii.Error):
            continue
        if len(raw) >= 32:
            return raw
    raise VaultError(f"{SECRET_VARIABLE} musi zawierać co najmniej 32 bajty (hex lub Base64).")


class MasterKey:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise VaultError("Klucz główny musi mieć co najmniej 32 bajty.")
        self._aes = AESGCM(hashlib.sha256(b"ksef-mcu invoicing seal\0" + key).digest())
        self._key = key

    @classmethod
    def load_or_create(cls, data_dir: Path, environ: dict[str, str] | None = None) -> MasterKey:
        """The installation's key: from `KSEF_MCU_INVOICING_SECRET`, else `master.key` (created 0600 if missing)."""
        variables = os.environ if environ is None else environ
        if variables.get(SECRET_VARIABLE):
            return cls(_decode_secret(variables[SECRET_VARIABLE]))
        path = data_dir / MASTER_KEY_FILE
        if not path.exists():
            ensure_private_directory(data_dir)
            with contextlib.suppress(FileExistsError):  # another process created it meanwhile
                write_new_file(path, secrets.token_bytes(32).hex().encode() + b"\n", mode=0o600)
        try:
            return cls(bytes.fromhex(path.read_text().strip()))
        except ValueError as error:
            raise VaultError(f"Plik {path} nie zawiera klucza głównego.") from error

    def seal(self, plain: bytes, purpose: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return _VERSION + nonce + self._aes.encrypt(nonce, plain, purpose.encode())

    def open(self, sealed: bytes, purpose: str) -> bytes:
        if not sealed.startswith(_VERSION) or len(sealed) < len(_VERSION) + _NONCE + 16:
            raise VaultError("Zapisana wartość jest uszkodzona.")
        nonce = sealed[len(_VERSION) : len(_VERSION) + _NONCE]
        try:
            return self._aes.decrypt(nonce, sealed[len(_VERSION) + _NONCE :], purpose.encode())
        except InvalidTag as error:
            raise VaultError(
                "Nie da się odczytać zapisanego hasła: inny klucz główny instalacji albo uszkodzone dane."
            ) from error

    def derive(self, purpose: str) -> bytes:
        """A secret for `purpose` (e.g. the session cookies), stable for this installation."""
        return hmac.new(self._key, b"ksef-mcu invoicing\0" + purpose.encode(), hashlib.sha256).digest()
