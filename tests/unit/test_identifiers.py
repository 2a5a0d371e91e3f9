"""The KSeF identifier vocabulary: formats, check digits, contexts and IP policies (`ksef_mcu.identifiers`)."""

from __future__ import annotations

import pytest

from ksef_mcu.identifiers import (
    INTERNAL_ID_PATTERN,
    NIP_PATTERN,
    AllowedIps,
    ContextIdentifier,
    ContextIdentifierType,
    IdentifierError,
    check_nip,
    check_pesel,
    generate_random_nip,
    internal_id_check_digit,
    internal_id_is_valid,
    nip_is_valid,
    nip_vat_ue_is_valid,
    pesel_is_valid,
)


class TestIdentifiers:
    @pytest.mark.parametrize("nip", ["5265877635", "7980332920", "8096529464"])
    def test_valid_nips(self, nip: str) -> None:
        assert nip_is_valid(nip)
        assert check_nip(nip) == nip

    @pytest.mark.parametrize(
        ("nip", "reason"),
        [
            ("5265877636", "cyfra kontrolna"),
            ("526587763", "10 cyfr"),
            ("526-587-76-35", "10 cyfr"),
            ("", "10 cyfr"),
            ("1007520068", "00 na 2. i 3. pozycji"),  # check digit right, but no tax office 00
            ("0123456789", "zaczynać się od 0"),
        ],
    )
    def test_invalid_nips(self, nip: str, reason: str) -> None:
        assert not nip_is_valid(nip)
        with pytest.raises(IdentifierError, match=reason):
            check_nip(nip)

    def test_a_nip_whose_checksum_is_ten_is_never_valid(self) -> None:
        # 123456789 → 6+10+21+8+15+24+35+48+63 = 230, 230 % 11 = 10: no check digit exists.
        assert not any(nip_is_valid(f"123456789{digit}") for digit in range(10))

    @pytest.mark.parametrize("pesel", ["30112206276", "44051401359", "02270803624"])
    def test_valid_pesels(self, pesel: str) -> None:
        assert pesel_is_valid(pesel)
        assert check_pesel(pesel) == pesel

    @pytest.mark.parametrize(
        "pesel",
        [
            "44051401358",  # check digit
            "44053201356",  # 32nd day
            "4405140135",  # length
            "99133112345",  # month 13
        ],
    )
    def test_invalid_pesels(self, pesel: str) -> None:
        assert not pesel_is_valid(pesel)
        with pytest.raises(IdentifierError):
            check_pesel(pesel)

    def test_random_nips_are_valid_and_varied(self) -> None:
        nips = {generate_random_nip() for _ in range(2000)}
        assert all(nip_is_valid(nip) for nip in nips)
        assert not any(nip[1:3] == "00" for nip in nips)
        assert len(nips) > 1990


@pytest.mark.parametrize(
    ("nip", "valid"),
    [("5261040828", True), ("5265877635", True), ("7762811692", True), ("5261040829", False), ("123", False)],
)
def test_nip_check_digit_vectors(nip: str, valid: bool) -> None:
    assert nip_is_valid(nip) is valid


@pytest.mark.parametrize(
    ("context", "well_formed", "nip"),
    [
        (ContextIdentifier(ContextIdentifierType.NIP, "5265877635"), True, "5265877635"),
        (ContextIdentifier(ContextIdentifierType.NIP, "0265877635"), False, "0265877635"),
        (ContextIdentifier(ContextIdentifierType.INTERNAL_ID, "5265877635-12345"), True, "5265877635"),
        (ContextIdentifier(ContextIdentifierType.NIP_VAT_UE, "5265877635-ATU12345678"), True, "5265877635"),
        (ContextIdentifier(ContextIdentifierType.NIP_VAT_UE, "5265877635-DE12345678"), False, "5265877635"),
        (ContextIdentifier(ContextIdentifierType.PEPPOL_ID, "PPL123456"), True, None),
    ],
)
def test_context_identifiers(context: ContextIdentifier, well_formed: bool, nip: str | None) -> None:
    assert context.is_well_formed() is well_formed
    assert context.nip == nip


class TestFormatAndValidity:
    """Format is what the official schemas accept; validity adds ASCII digits and check digits."""

    def test_the_official_internal_id_example(self) -> None:
        # open-api.json, POST /permissions/subunits/grants: "6824515772-1234" → check digit 3.
        assert internal_id_check_digit("68245157721234") == 3
        assert internal_id_is_valid("6824515772-12343")
        assert not internal_id_is_valid("6824515772-12345")
        assert INTERNAL_ID_PATTERN.fullmatch("6824515772-12345")  # well-formed all the same

    def test_an_internal_id_needs_a_real_nip(self) -> None:
        assert not internal_id_is_valid("6824515773-12343")
        assert not internal_id_is_valid("6824515772-1234")

    def test_nip_vat_ue(self) -> None:
        assert nip_vat_ue_is_valid("5265877635-ATU12345678")
        assert not nip_vat_ue_is_valid("5265877636-ATU12345678")  # the NIP's check digit
        assert not nip_vat_ue_is_valid("5265877635-DE12345678")  # DE numbers have 9 digits
        assert not nip_vat_ue_is_valid("5265877635-PL1234567890")  # not an EU VAT prefix

    def test_unicode_digits_are_well_formed_but_never_valid(self) -> None:
        nip = "52\u06665877635"  # ARABIC-INDIC DIGIT SIX: XML Schema's \\d (and the real KSeF) accepts it
        assert NIP_PATTERN.fullmatch(nip)
        assert ContextIdentifier(ContextIdentifierType.NIP, nip).is_well_formed()
        assert not ContextIdentifier(ContextIdentifierType.NIP, nip).is_valid()
        assert not nip_is_valid(nip)
        with pytest.raises(IdentifierError, match="10 cyfr"):
            check_nip(nip)
        assert not pesel_is_valid("4405140135\u0669")

    @pytest.mark.parametrize(
        ("context", "valid"),
        [
            (ContextIdentifier(ContextIdentifierType.NIP, "5265877635"), True),
            (ContextIdentifier(ContextIdentifierType.NIP, "5265877636"), False),
            (ContextIdentifier(ContextIdentifierType.INTERNAL_ID, "6824515772-12343"), True),
            (ContextIdentifier(ContextIdentifierType.INTERNAL_ID, "5265877635-12345"), False),
            (ContextIdentifier(ContextIdentifierType.NIP_VAT_UE, "5265877635-DE123456789"), True),
            (ContextIdentifier(ContextIdentifierType.PEPPOL_ID, "PPL123456"), True),
            (ContextIdentifier(ContextIdentifierType.PEPPOL_ID, "PPL12345"), False),
        ],
    )
    def test_context_validity(self, context: ContextIdentifier, valid: bool) -> None:
        assert context.is_valid() is valid


class TestAllowedIps:
    POLICY = AllowedIps(
        ip4_addresses=("198.51.100.1",),
        ip4_ranges=("192.0.2.10-192.0.2.20", "not-a-range"),
        ip4_masks=("203.0.113.0/24", "nonsense/99"),
    )

    @pytest.mark.parametrize(
        ("ip", "admitted"),
        [
            ("198.51.100.1", True),
            ("198.51.100.2", False),
            ("192.0.2.10", True),
            ("192.0.2.20", True),
            ("192.0.2.21", False),
            ("203.0.113.255", True),
            ("203.0.114.1", False),
            ("::1", False),
            ("garbage", False),
        ],
    )
    def test_admits(self, ip: str, admitted: bool) -> None:
        assert self.POLICY.admits(ip) is admitted

    def test_an_empty_policy_admits_nobody(self) -> None:
        assert not AllowedIps().admits("127.0.0.1")

    def test_json_round_trip_and_tuples(self) -> None:
        assert AllowedIps.from_json(self.POLICY.to_json()) == self.POLICY
        from_lists = AllowedIps(["1.2.3.4"], [], [])  # type: ignore[arg-type]
        assert from_lists.ip4_addresses == ("1.2.3.4",)
        assert hash(from_lists) == hash(AllowedIps(("1.2.3.4",)))
        with pytest.raises(TypeError):
            AllowedIps("1.2.3.4")  # type: ignore[arg-type]
