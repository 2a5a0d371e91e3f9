"""Hypothesis strategies for KSeF identifiers that are real (official format, ASCII digits, check digits)."""

from __future__ import annotations

from hypothesis import strategies as st

from ksef_mcu.identifiers import (
    EU_VAT_NUMBER_FORMATS,
    internal_id_check_digit,
    nip_check_digit,
    nip_is_valid,
)

_digits = st.sampled_from("0123456789")


def real_nips() -> st.SearchStrategy[str]:
    """NIPs with a valid check digit: nine digits that have one, then that digit."""
    return (
        st.text(_digits, min_size=9, max_size=9)
        .map(lambda first_nine: (first_nine, nip_check_digit(first_nine)))
        .filter(lambda drawn: drawn[1] is not None)
        .map(lambda drawn: f"{drawn[0]}{drawn[1]}")
        .filter(nip_is_valid)  # the official pattern: no leading zero, no "00" tax office
    )


def real_internal_ids() -> st.SearchStrategy[str]:
    """`NIP-NNNNN` with the internal id's own check digit."""
    return st.tuples(real_nips(), st.text(_digits, min_size=4, max_size=4)).map(
        lambda drawn: f"{drawn[0]}-{drawn[1]}{internal_id_check_digit(drawn[0] + drawn[1])}"
    )


def real_nip_vat_ues() -> st.SearchStrategy[str]:
    """`NIP-<country><VAT number>` in the country's official format (ASCII digits)."""
    vat_numbers = st.sampled_from(sorted(EU_VAT_NUMBER_FORMATS)).flatmap(
        lambda country: st.from_regex(
            f"(?:{EU_VAT_NUMBER_FORMATS[country]})".replace(r"\d", "[0-9]"), fullmatch=True
        ).map(lambda number: country + number)
    )
    return st.tuples(real_nips(), vat_numbers).map(lambda drawn: f"{drawn[0]}-{drawn[1]}")


def real_contexts() -> st.SearchStrategy[tuple[str, str]]:
    """(context type, value) pairs of every context type."""
    return st.one_of(
        st.tuples(st.just("Nip"), real_nips()),
        st.tuples(st.just("InternalId"), real_internal_ids()),
        st.tuples(st.just("NipVatUe"), real_nip_vat_ues()),
        st.tuples(st.just("PeppolId"), st.from_regex(r"P[A-Z]{2}[0-9]{6}", fullmatch=True)),
    )
