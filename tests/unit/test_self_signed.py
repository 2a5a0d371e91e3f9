"""Self-signed test login certificates (the official test tools' shapes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER, read_subject_identifier
from ksef_mcu.crypto.errors import UnsupportedKeyError
from ksef_mcu.crypto.keys import KeyKind, generate_private_key
from ksef_mcu.crypto.self_signed import (
    SELF_SIGNED_BACKDATE,
    SELF_SIGNED_LIFETIME,
    TestSubject,
    build_self_signed_certificate,
)
from ksef_mcu.identifiers import IdentifierError, SubjectIdentifier, SubjectIdentifierType

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


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
