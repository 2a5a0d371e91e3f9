"""The CA core: the issued-certificate profile, sign-once tokens, the checks before and after signing, CRLs, and the
CA hierarchy kept in the key store."""

from __future__ import annotations

import dataclasses
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from ksef_mcu.crypto.certificates import (
    ORGANIZATION_IDENTIFIER,
    KsefCertificateType,
    certificate_serial,
    classify_certificate,
)
from ksef_mcu.crypto.csr import UNIQUE_IDENTIFIER, EnrollmentData
from ksef_mcu.server.certificates.ca import (
    ISSUING_KEY_NAME,
    ROOT_KEY_NAME,
    CertificateAuthority,
    open_certificate_authority,
)
from ksef_mcu.server.certificates.issuer import (
    MAX_SERIAL,
    IssuanceError,
    IssuanceRequest,
    Issuer,
    RevokedEntry,
    build_issuing_certificate,
    build_root_certificate,
    issued_common_name,
)
from ksef_mcu.server.certificates.policy import validity_period
from ksef_mcu.server.keys import KeyStore, KeyStoreError
from support.pki import ec_key, rsa_key

NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
CRL_URL = "http://127.0.0.1:8000/ca/crl"
PERSON = EnrollmentData(
    common_name="Anna Testowa",
    country_name="PL",
    given_name="Anna",
    surname="Testowa",
    serial_number="TINPL-5265877635",
)
SEAL = EnrollmentData(
    common_name="5265877635",
    country_name="PL",
    organization_name="Beta",
    organization_identifier="VATPL-5265877635",
    unique_identifier="d9d22724-4696-460c-9e5e-b9e3aafb0af3",
)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    store = KeyStore(tmp_path_factory.mktemp("ca") / "keys", "passphrase-for-the-ca-tests")
    return open_certificate_authority(store, now=NOW - timedelta(days=1), crl_url=CRL_URL)


@pytest.fixture
def issuer(authority: CertificateAuthority) -> Issuer:
    return authority.issuer


def _request(**changes: object) -> IssuanceRequest:
    not_before, not_after = validity_period(None, issued_at=NOW)
    fields: dict[str, object] = {
        "serial_number": 0x01F20A5D352AE590,
        "subject": PERSON,
        "certificate_type": KsefCertificateType.AUTHENTICATION,
        "public_key": ec_key().public_key(),
        "not_before": not_before,
        "not_after": not_after,
    }
    fields.update(changes)
    return IssuanceRequest(**fields)  # type: ignore[arg-type]


def _issue(issuer: Issuer, **changes: object) -> x509.Certificate:
    return issuer.issue(issuer.prepare(_request(**changes)))


class TestProfile:
    def test_authentication_certificate(self, issuer: Issuer) -> None:
        certificate = _issue(issuer)
        assert certificate.version is x509.Version.v3
        assert certificate_serial(certificate) == "01F20A5D352AE590"
        assert certificate.issuer == issuer.certificate.subject
        assert certificate.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
        assert key_usage.critical
        assert key_usage.value.digital_signature
        assert not key_usage.value.content_commitment
        assert classify_certificate(certificate) is KsefCertificateType.AUTHENTICATION

    def test_offline_certificate(self, issuer: Issuer) -> None:
        certificate = _issue(issuer, certificate_type=KsefCertificateType.OFFLINE)
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
        assert key_usage.critical
        assert key_usage.value.content_commitment
        assert not key_usage.value.digital_signature
        assert classify_certificate(certificate) is KsefCertificateType.OFFLINE

    def test_common_extensions(self, issuer: Issuer) -> None:
        certificate = _issue(issuer, public_key=rsa_key().public_key())
        extensions = certificate.extensions
        constraints = extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical
        assert constraints.value.ca is False
        assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value == (
            x509.SubjectKeyIdentifier.from_public_key(certificate.public_key())  # type: ignore[arg-type]
        )
        aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ca_ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert aki.key_identifier == ca_ski.digest
        points = extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert [name.value for point in points for name in point.full_name or ()] == [CRL_URL]
        assert {extension.oid for extension in extensions} == {
            ExtensionOID.BASIC_CONSTRAINTS,
            ExtensionOID.KEY_USAGE,
            ExtensionOID.SUBJECT_KEY_IDENTIFIER,
            ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
            ExtensionOID.CRL_DISTRIBUTION_POINTS,
        }

    def test_person_subject_order_types_and_suffix(self, issuer: Issuer) -> None:
        subject = _issue(issuer).subject
        assert [(a.oid, a.value) for a in subject] == [
            (NameOID.COUNTRY_NAME, "PL"),
            (NameOID.SERIAL_NUMBER, "TINPL-5265877635"),
            (NameOID.SURNAME, "Testowa"),
            (NameOID.GIVEN_NAME, "Anna"),
            (NameOID.COMMON_NAME, "Anna Testowa (uwierzytelnienie)"),
        ]
        types = {a.oid: a._type for a in subject}
        assert types[NameOID.COUNTRY_NAME] is _ASN1Type.PrintableString
        assert types[NameOID.SERIAL_NUMBER] is _ASN1Type.PrintableString
        assert types[NameOID.COMMON_NAME] is _ASN1Type.UTF8String

    def test_seal_subject_like_the_real_ksef_certificate(self, issuer: Issuer) -> None:
        subject = _issue(issuer, subject=SEAL, certificate_type=KsefCertificateType.OFFLINE).subject
        assert [(a.oid, a.value) for a in subject] == [
            (NameOID.COUNTRY_NAME, "PL"),
            (ORGANIZATION_IDENTIFIER, "VATPL-5265877635"),
            (NameOID.ORGANIZATION_NAME, "Beta"),
            (UNIQUE_IDENTIFIER, "d9d22724-4696-460c-9e5e-b9e3aafb0af3"),
            (NameOID.COMMON_NAME, "5265877635 (offline)"),
        ]

    def test_long_common_name_is_shortened_to_64_characters(self) -> None:
        name = issued_common_name("Ż" * 64, KsefCertificateType.AUTHENTICATION)
        assert len(name) == 64
        assert name.endswith("… (uwierzytelnienie)")
        assert issued_common_name("x" * 45, KsefCertificateType.AUTHENTICATION) == "x" * 45 + " (uwierzytelnienie)"

    def test_validity_is_what_was_asked(self, issuer: Issuer) -> None:
        certificate = _issue(issuer)
        assert certificate.not_valid_before_utc == NOW
        assert certificate.not_valid_after_utc == datetime(2028, 3, 2, 9, 30, 15, tzinfo=UTC)

    def test_chain_verifies(self, issuer: Issuer, authority: CertificateAuthority) -> None:
        certificate = _issue(issuer)
        certificate.verify_directly_issued_by(authority.issuing_certificate)
        authority.issuing_certificate.verify_directly_issued_by(authority.root_certificate)


class TestSignOnce:
    def test_a_prepared_certificate_is_signed_once(self, issuer: Issuer) -> None:
        prepared = issuer.prepare(_request())
        issuer.issue(prepared)
        with pytest.raises(IssuanceError, match="already issued"):
            issuer.issue(prepared)

    def test_a_discarded_certificate_is_never_signed(self, issuer: Issuer) -> None:
        prepared = issuer.prepare(_request())
        issuer.discard(prepared)
        with pytest.raises(IssuanceError):
            issuer.issue(prepared)

    def test_a_forged_token_is_refused(self, issuer: Issuer) -> None:
        prepared = issuer.prepare(_request())
        with pytest.raises(IssuanceError):
            issuer.issue(dataclasses.replace(prepared, token=prepared.token + 10_000))

    def test_a_tampered_request_does_not_pass_the_check_after_signing(self, issuer: Issuer) -> None:
        prepared = issuer.prepare(_request())
        tampered = dataclasses.replace(prepared, request=dataclasses.replace(prepared.request, serial_number=7))
        with pytest.raises(IssuanceError, match="differs from the prepared one"):
            issuer.issue(tampered)


class TestChecksBeforeSigning:
    @pytest.mark.parametrize("serial", [0, -1, MAX_SERIAL + 1])
    def test_serial_out_of_range(self, issuer: Issuer, serial: int) -> None:
        with pytest.raises(IssuanceError, match="63-bit"):
            issuer.prepare(_request(serial_number=serial))

    def test_fractional_seconds(self, issuer: Issuer) -> None:
        with pytest.raises(IssuanceError, match="whole seconds"):
            issuer.prepare(_request(not_before=NOW + timedelta(microseconds=5)))

    def test_inverted_validity(self, issuer: Issuer) -> None:
        with pytest.raises(IssuanceError, match="precede"):
            issuer.prepare(_request(not_before=NOW, not_after=NOW))

    def test_outliving_the_ca(self, issuer: Issuer) -> None:
        with pytest.raises(IssuanceError, match="outlive"):
            issuer.prepare(_request(not_after=issuer.certificate.not_valid_after_utc + timedelta(seconds=1)))

    def test_starting_before_the_ca(self, issuer: Issuer) -> None:
        with pytest.raises(IssuanceError, match="start before"):
            issuer.prepare(_request(not_before=issuer.certificate.not_valid_before_utc - timedelta(seconds=1)))

    def test_unsupported_key(self, issuer: Issuer) -> None:
        with pytest.raises(IssuanceError, match="public key"):
            issuer.prepare(_request(public_key=ec.generate_private_key(ec.SECP384R1()).public_key()))

    def test_key_not_matching_the_ca_certificate(self, authority: CertificateAuthority) -> None:
        with pytest.raises(IssuanceError, match="does not match"):
            Issuer(ec_key(), authority.issuing_certificate, crl_url=CRL_URL)


class TestCrl:
    def test_lists_revoked_serials_with_reasons(self, issuer: Issuer) -> None:
        entries = [
            RevokedEntry(0x0102030405060708, NOW, x509.ReasonFlags.key_compromise),
            RevokedEntry(0x1111111111111111, NOW - timedelta(hours=1), x509.ReasonFlags.superseded),
            RevokedEntry(0x2222222222222222, NOW - timedelta(hours=2), None),
        ]
        crl = issuer.sign_crl(entries, number=7, this_update=NOW, next_update=NOW + timedelta(days=7))
        assert crl.is_signature_valid(issuer.certificate.public_key())  # type: ignore[arg-type]
        assert crl.issuer == issuer.certificate.subject
        assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
        assert crl.last_update_utc == NOW
        assert crl.next_update_utc == NOW + timedelta(days=7)
        compromised = crl.get_revoked_certificate_by_serial_number(0x0102030405060708)
        assert compromised is not None
        assert compromised.extensions.get_extension_for_class(x509.CRLReason).value.reason is (
            x509.ReasonFlags.key_compromise
        )
        unspecified = crl.get_revoked_certificate_by_serial_number(0x2222222222222222)
        assert unspecified is not None
        assert len(unspecified.extensions) == 0  # RFC 5280: no reasonCode rather than "unspecified"
        assert crl.get_revoked_certificate_by_serial_number(0x3333333333333333) is None

    def test_empty_crl(self, issuer: Issuer) -> None:
        crl = issuer.sign_crl([], number=1, this_update=NOW, next_update=NOW + timedelta(days=7))
        assert len(crl) == 0


class TestHierarchy:
    def test_created_once_then_loaded(self, tmp_path: Path) -> None:
        store = KeyStore(tmp_path / "keys", "passphrase-for-the-ca-tests")
        first = open_certificate_authority(store, now=NOW, crl_url=CRL_URL)
        second = open_certificate_authority(
            KeyStore(tmp_path / "keys", "passphrase-for-the-ca-tests"), now=NOW + timedelta(days=1), crl_url=CRL_URL
        )
        assert first.root_certificate == second.root_certificate
        assert first.issuing_certificate == second.issuing_certificate
        for name in (ROOT_KEY_NAME, ISSUING_KEY_NAME):
            key_file = store.key_path(name)
            assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
            assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600

    def test_ca_certificates(self, authority: CertificateAuthority) -> None:
        root, issuing = authority.root_certificate, authority.issuing_certificate
        assert root.subject == root.issuer
        root_constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
        assert root_constraints.critical
        assert root_constraints.value.ca
        issuing_constraints = issuing.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert (issuing_constraints.ca, issuing_constraints.path_length) == (True, 0)
        for certificate in (root, issuing):
            assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
            assert certificate.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
            usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
            assert (usage.key_cert_sign, usage.crl_sign, usage.digital_signature) == (True, True, False)
        pem = authority.chain_pem()
        assert x509.load_pem_x509_certificates(pem) == [issuing, root]

    def test_wrong_passphrase(self, tmp_path: Path) -> None:
        open_certificate_authority(KeyStore(tmp_path / "keys", "passphrase-for-the-ca-tests"), now=NOW, crl_url=CRL_URL)
        with pytest.raises(KeyStoreError, match="wrong passphrase"):
            open_certificate_authority(KeyStore(tmp_path / "keys", "another-passphrase-xx"), now=NOW, crl_url=CRL_URL)

    def test_issuing_certificate_from_another_root_is_refused(self, tmp_path: Path) -> None:
        store = KeyStore(tmp_path / "keys", "passphrase-for-the-ca-tests")
        open_certificate_authority(store, now=NOW, crl_url=CRL_URL)
        stranger_key = ec_key()
        stranger_root = build_root_certificate(stranger_key, now=NOW)
        issuing_key = store.load_key(ISSUING_KEY_NAME)
        assert isinstance(issuing_key, ec.EllipticCurvePrivateKey)
        forged = build_issuing_certificate(
            issuing_key.public_key(), root_key=stranger_key, root_certificate=stranger_root, now=NOW
        )
        store.certificate_path(ISSUING_KEY_NAME).write_bytes(forged.public_bytes(serialization.Encoding.PEM))
        with pytest.raises(KeyStoreError, match="not issued by the root"):
            open_certificate_authority(store, now=NOW, crl_url=CRL_URL)

    def test_issuing_certificate_is_renewed_before_issued_certificates_could_outlive_it(self, tmp_path: Path) -> None:
        store = KeyStore(tmp_path / "keys", "passphrase-for-the-ca-tests")
        first = open_certificate_authority(store, now=NOW, crl_url=CRL_URL)
        later = NOW + timedelta(days=365 * 8)
        renewed = open_certificate_authority(store, now=later, crl_url=CRL_URL)
        assert renewed.issuing_certificate != first.issuing_certificate
        assert renewed.issuing_certificate.public_key() == first.issuing_certificate.public_key()
        assert renewed.issuing_certificate.not_valid_after_utc > later + timedelta(days=365 * 2 + 90)
