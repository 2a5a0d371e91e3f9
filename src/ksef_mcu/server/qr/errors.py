"""What the QR pages refuse: a link that is not a KOD I / KOD II link at all (its details say why, in Polish)."""

from __future__ import annotations

from ksef_mcu.server.errors import InputValidationError


class InvalidQrLinkError(InputValidationError):
    """400: the path is not a well-formed KOD I / KOD II link (wrong segments, NIP, date, hash, serial, signature)."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(reason)
        self.what = what
        self.reason = reason
