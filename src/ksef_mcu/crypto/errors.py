"""The crypto error tree.

Every error carries a user-facing Polish `message`. Errors that correspond to a KSeF API error also carry the
numeric KSeF `code` so the server can render them and the client can recognise them.
"""

from __future__ import annotations


class KsefCryptoError(ValueError):
    """Root of every error raised by `ksef_mcu.crypto`.

    `message` is Polish and safe to show to a person; it never contains key material.
    """

    code: int | None = None

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class SerialNumberError(KsefCryptoError):
    """A certificate serial number is not 16 (or more) hexadecimal digits."""


class CertificateError(KsefCryptoError):
    """A certificate cannot be read or is not usable for the requested purpose."""
