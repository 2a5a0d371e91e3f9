"""Certificate serial numbers in the KSeF text form: upper-case hexadecimal, at least 16 digits."""

from __future__ import annotations

import re
import secrets

from ksef_mcu.crypto.errors import SerialNumberError

__all__ = [
    "format_serial",
    "generate_serial",
    "parse_serial",
]

_SERIAL_TEXT = re.compile(r"^[0-9A-Fa-f]{1,40}$")


def format_serial(serial: int) -> str:
    """Render a serial as KSeF does: upper-case hex, zero-padded to 16 digits (longer serials keep all digits)."""
    if serial < 0:
        raise SerialNumberError("Numer seryjny certyfikatu nie może być ujemny.")
    text = f"{serial:016X}"
    return text if len(text) % 2 == 0 else "0" + text


def parse_serial(text: str) -> int:
    """Parse a hexadecimal serial (any case). Raises `SerialNumberError` for anything else."""
    if not _SERIAL_TEXT.fullmatch(text):
        raise SerialNumberError(f"Nieprawidłowy numer seryjny certyfikatu: {text!r} (oczekiwano cyfr szesnastkowych).")
    return int(text, 16)


def generate_serial() -> int:
    """Return a random, non-zero 64-bit serial (63 random bits: the top bit stays clear so the DER INTEGER is 8 bytes).

    Uniqueness is still enforced by the caller's storage; this only makes collisions improbable.
    """
    while True:
        serial = secrets.randbits(63)
        if serial:
            return serial
