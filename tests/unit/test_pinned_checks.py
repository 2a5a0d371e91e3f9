"""Checks that once passed with a deliberate bug planted (issue 16, "Tests that let real bugs through"): each case
here fails deterministically on that bug — the CSR subject check ignoring one attribute, serials drawn from 32
random bits."""

from __future__ import annotations

import dataclasses

import pytest

from ksef_mcu.crypto.csr import EnrollmentData, check_csr, create_csr
from ksef_mcu.crypto.errors import CsrError
from ksef_mcu.crypto.serials import generate_serial
from support.pki import ec_key

FULL = EnrollmentData(
    common_name="Jan Kowalski",
    country_name="PL",
    given_name="Jan",
    surname="Kowalski",
    serial_number="TINPL-5265877635",
    unique_identifier="0ab1c2d3",
    organization_name="Kowalski sp. z o.o.",
    organization_identifier="VATPL-5265877635",
)
FIELDS = {
    "common_name": "commonName",
    "country_name": "countryName",
    "given_name": "givenName",
    "surname": "surname",
    "serial_number": "serialNumber",
    "unique_identifier": "uniqueIdentifier",
    "organization_name": "organizationName",
    "organization_identifier": "organizationIdentifier",
}
CHANGED = {
    "common_name": "Jan Nowak",
    "country_name": "DE",
    "given_name": "Janusz",
    "surname": "Nowak",
    "serial_number": "TINPL-0265877635",
    "unique_identifier": "ffff0000",
    "organization_name": "Nowak sp. z o.o.",
    "organization_identifier": "VATPL-0265877635",
}
OPTIONAL = [field for field in FIELDS if field not in ("common_name", "country_name")]

KEY = ec_key()


def refused_naming(csr: str, expected: EnrollmentData, attribute: str) -> None:
    with pytest.raises(CsrError) as raised:
        check_csr(csr, expected)
    assert raised.value.code == 25003
    assert any(attribute + "=" in detail for detail in raised.value.details), raised.value.details


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_changed_attribute_is_refused_by_name(field: str) -> None:
    csr = create_csr(KEY, dataclasses.replace(FULL, **{field: CHANGED[field]}))
    refused_naming(csr, FULL, FIELDS[field])


@pytest.mark.parametrize("field", sorted(OPTIONAL))
def test_a_removed_attribute_is_refused_by_name(field: str) -> None:
    csr = create_csr(KEY, dataclasses.replace(FULL, **{field: None}))
    refused_naming(csr, FULL, FIELDS[field])


@pytest.mark.parametrize("field", sorted(OPTIONAL))
def test_an_added_attribute_is_refused_by_name(field: str) -> None:
    csr = create_csr(KEY, FULL)
    refused_naming(csr, dataclasses.replace(FULL, **{field: None}), FIELDS[field])


def test_the_unchanged_subject_passes() -> None:
    assert check_csr(create_csr(KEY, FULL), FULL) is not None


def test_serials_use_all_63_bits() -> None:
    """Distinct, below 2**63, 16 hex digits — a 32-bit generator passes all of that. Its high bits give it away: over
    400 draws each of bits 32…62 is set in some draw (a miss has probability 2**-400 per bit), and bit 62 in about
    half of them."""
    draws = [generate_serial() for _ in range(400)]
    assert all(0 < serial < 2**63 for serial in draws)
    for bit in range(32, 63):
        assert any(serial >> bit & 1 for serial in draws), f"bit {bit} never set"
    top = sum(serial >> 62 & 1 for serial in draws)
    assert 120 <= top <= 280, top  # binomial(400, 1/2): outside this range with probability < 1e-15
