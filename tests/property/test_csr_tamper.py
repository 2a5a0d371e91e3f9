"""A CSR with any signed byte or any signature byte changed is refused with a CsrError (never another exception)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.csr import EnrollmentData, check_csr, create_csr
from ksef_mcu.crypto.errors import CsrError
from ksef_mcu.crypto.keys import KeyKind, generate_private_key
from support.tampering import assert_csr_tampering_is_refused, csr_signed_and_signature_positions

DATA = EnrollmentData(
    common_name="Łukasz Źdźbło",
    country_name="PL",
    given_name="Łukasz",
    surname="Źdźbło",
    serial_number="PNOPL-88102341294",
    unique_identifier="x1",
    organization_name="Spółka",
    organization_identifier="VATPL-5265877635",
)


CSRS = {kind: base64.b64decode(create_csr(generate_private_key(kind), DATA)) for kind in KeyKind}


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(KeyKind)), index=st.integers(min_value=0), flip=st.integers(1, 255))
def test_any_tampered_byte_is_refused(kind: KeyKind, index: int, flip: int) -> None:
    positions = csr_signed_and_signature_positions(CSRS[kind])
    assert_csr_tampering_is_refused(CSRS[kind], DATA, positions[index % len(positions)], flip)


@pytest.mark.parametrize("tag", [0x08, 0x0D, 0x0E, 0x11, 0x1B])
def test_subject_values_of_unknown_string_types_are_25004_not_a_crash(tag: int) -> None:
    """Regression: cryptography raises KeyError/TypeError for these; the check must still answer 25004."""
    der = bytearray(CSRS[KeyKind.EC_P256])
    marker = "Łukasz Źdźbło".encode()
    value_start = der.index(marker)
    der[value_start - 2] = tag  # the UTF8String tag of commonName
    with pytest.raises(CsrError) as caught:
        check_csr(base64.b64encode(bytes(der)).decode(), DATA)
    assert caught.value.code == 25004
