"""Self-signed test login certificates (the official test tools' shapes) and the NIP/PESEL checks behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import (
    ORGANIZATION_IDENTIFIER,
    SubjectIdentifier,
    SubjectIdentifierType,
    read_subject_identifier,
)
from ksef_mcu.crypto.errors import IdentifierError, UnsupportedKeyError
from ksef_mcu.crypto.keys import KeyKind, generate_private_key
from ksef_mcu.crypto.self_signed import (
    SELF_SIGNED_BACKDATE,
    SELF_SIGNED_LIFETIME,
    TestSubject,
    build_self_signed_certificate,
    check_nip,
    check_pesel,
    generate_random_nip,
    nip_is_valid,
    pesel_is_valid,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


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


class TestCertificates:
    def _check_common(self, certificate: x509.Certificate, key: object) -> None:
        assert certificate.issuer == certificate.subject
        assert len(certificate.extensions) == 0  # like the official test tools: no extensions at all
        assert certificate.not_valid_before_utc == NOW - SELF_SIGNED_BACKDATE
        assert certificate.not_valid_after_utc == NOW + SELF_SIGNED_LIFETIME
        public_key = certificate.public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                padding.PKCS1v15(),
                certificate.signature_hash_algorithm,  # type: ignore[arg-type]
            )
        else:
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            public_key.verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                ec.ECDSA(certificate.signature_hash_algorithm),  # type: ignore[arg-type]
            )

    def test_person_by_nip(self) -> None:
        key = generate_private_key()
        certificate = build_self_signed_certificate(key, TestSubject.person_by_nip("5265877635"), now=NOW)
        self._check_common(certificate, key)
        subject = certificate.subject
        assert [attribute.oid for attribute in subject] == [
            NameOID.GIVEN_NAME,
            NameOID.SURNAME,
            NameOID.SERIAL_NUMBER,
            NameOID.COMMON_NAME,
            NameOID.COUNTRY_NAME,
        ]
        assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "TINPL-5265877635"
        assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Jan Testowy"
        assert read_subject_identifier(certificate) == SubjectIdentifier(SubjectIdentifierType.NIP, "5265877635")

    def test_person_by_pesel_with_polish_names(self) -> None:
        key = generate_private_key(KeyKind.RSA_2048)
        subject = TestSubject.person_by_pesel("44051401359", given_name="Paweł", surname="Żółć")
        certificate = build_self_signed_certificate(key, subject, now=NOW)
        self._check_common(certificate, key)
        assert certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "PNOPL-44051401359"
        assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Paweł Żółć"
        assert read_subject_identifier(certificate) == SubjectIdentifier(SubjectIdentifierType.PESEL, "44051401359")

    def test_seal(self) -> None:
        key = generate_private_key()
        certificate = build_self_signed_certificate(key, TestSubject.seal("7980332920", organization="ACME"), now=NOW)
        self._check_common(certificate, key)
        subject = certificate.subject
        assert subject.get_attributes_for_oid(ORGANIZATION_IDENTIFIER)[0].value == "VATPL-7980332920"
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ACME"
        assert not subject.get_attributes_for_oid(NameOID.GIVEN_NAME)  # a seal carries no person attributes
        assert read_subject_identifier(certificate) == SubjectIdentifier(SubjectIdentifierType.NIP, "7980332920")

    def test_random_serials(self) -> None:
        key = generate_private_key()
        subject = TestSubject.seal("7980332920")
        serials = {build_self_signed_certificate(key, subject, now=NOW).serial_number for _ in range(5)}
        assert len(serials) == 5

    @pytest.mark.parametrize("bad", ["Firma, S.A.", "A;B", " spacja", "", "x" * 65, 'Cudzy"slow'])
    def test_name_parts_that_would_break_a_dn_are_refused(self, bad: str) -> None:
        with pytest.raises(IdentifierError, match="Nieprawidłowe pole"):
            TestSubject.seal("7980332920", organization=bad).name()

    def test_identifiers_are_checked_on_construction(self) -> None:
        with pytest.raises(IdentifierError):
            TestSubject.person_by_nip("1111111112")
        with pytest.raises(IdentifierError):
            TestSubject.person_by_pesel("11111111111")

    def test_unsupported_key_and_naive_time(self) -> None:
        with pytest.raises(UnsupportedKeyError):
            build_self_signed_certificate(
                ec.generate_private_key(ec.SECP384R1()),  # type: ignore[arg-type]
                TestSubject.seal("7980332920"),
                now=NOW,
            )
        with pytest.raises(ValueError, match="timezone"):
            build_self_signed_certificate(
                generate_private_key(), TestSubject.seal("7980332920"), now=NOW.replace(tzinfo=None) + timedelta(0)
            )


@pytest.mark.parametrize(
    ("nip", "valid"),
    [("5261040828", True), ("5265877635", True), ("7762811692", True), ("5261040829", False), ("123", False)],
)
def test_nip_check_digit_vectors(nip: str, valid: bool) -> None:
    assert nip_is_valid(nip) is valid
