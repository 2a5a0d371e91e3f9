"""Values signed with HMAC-SHA256: the session cookie, and state a page hands back to the server.

`SignedSerializer(secret, purpose)` turns a JSON object into `<base64url JSON>.<base64url MAC>` and back. The key is
derived from the secret and the purpose, so a value signed for one purpose (a session cookie) is never accepted for
another (a login in progress). Signing protects integrity, not secrecy: signed values are readable by whoever holds
them, so they carry nothing the holder may not see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_SIGNED_LENGTH", "SignedSerializer"]

MAX_SIGNED_LENGTH = 16_384
"""Longer input is refused before any work (a cookie is at most 4 KiB; a form field carrying state a few KiB)."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text) or not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedSerializer:
    """JSON objects signed with a key derived from `secret` for one `purpose`."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes long")
        self._key = hmac.new(secret, b"ksef-mcu web signing key\x00" + purpose.encode("utf-8"), hashlib.sha256).digest()

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()

    def dumps(self, payload: Mapping[str, Any]) -> str:
        """The signed form of `payload` (a JSON object): URL- and cookie-safe ASCII."""
        body = _b64encode(json.dumps(dict(payload), separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        return f"{body}.{_b64encode(self._mac(body))}"

    def loads(self, token: str) -> dict[str, Any] | None:
        """The payload of a value this serializer signed; None when it is malformed, too long or tampered with."""
        if not isinstance(token, str) or len(token) > MAX_SIGNED_LENGTH:
            return None
        body, dot, signature = token.partition(".")
        if not dot:
            return None
        # The MAC is compared in its encoded form: base64url's last character carries unused bits, so comparing
        # decoded bytes would accept several spellings of one signature, and a signed value must have exactly one.
        if not token.isascii() or not hmac.compare_digest(signature, _b64encode(self._mac(body))):
            return None
        try:
            payload = json.loads(_b64decode(body).decode("utf-8"))
        except (ValueError, UnicodeError, binascii.Error):
            return None
        return payload if isinstance(payload, dict) else None
