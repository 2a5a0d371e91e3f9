"""Tampering with signed structures: which bytes count, and the check that a change is refused."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509

from ksef_mcu.crypto.csr import EnrollmentData, check_csr
from ksef_mcu.crypto.errors import CsrError


def csr_signed_and_signature_positions(der: bytes) -> list[int]:
    """Offsets of a DER CSR's CertificationRequestInfo and of its signature value.

    Not the signature BIT STRING's unused-bits octet: cryptography tolerates a change there because the signature
    bytes stay the same (an encoding malleability, not a change to anything signed).
    """
    request = x509.load_der_x509_csr(der)
    tbs_start = der.index(request.tbs_certrequest_bytes)
    signature_start = der.rindex(request.signature)
    return [*range(tbs_start, tbs_start + len(request.tbs_certrequest_bytes)), *range(signature_start, len(der))]


def assert_csr_tampering_is_refused(der: bytes, data: EnrollmentData, position: int, flip: int) -> None:
    """`der` passes `check_csr` against `data`; with the byte at `position` XOR `flip` it raises CsrError."""
    check_csr(base64.b64encode(der).decode(), data)
    tampered = bytearray(der)
    tampered[position] ^= flip
    with pytest.raises(CsrError):
        check_csr(base64.b64encode(bytes(tampered)).decode(), data)
