"""The registration policy, one rule at a time (pure functions: no clock, no database)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData, build_subject_name, create_csr
from ksef_mcu.crypto.keys import KeyKind
from ksef_mcu.identifiers import SubjectIdentifierType
from ksef_mcu.server.certificates.errors import (
    CertificateLimitReachedError,
    CsrRejectedError,
    EnrollmentLimitReachedError,
)
from ksef_mcu.server.certificates.model import CertificateLimits, LimitUsage, SubjectLimits
from ksef_mcu.server.certificates.policy import (
    DEFAULT_LIMITS,
    EnrollmentRequest,
    add_years,
    can_request,
    check_certificate_limit,
    check_certificate_name,
    check_enrollment,
    check_enrollment_limit,
    check_limits,
    check_requested_valid_from,
    effective_limits,
    validity_period,
)
from ksef_mcu.server.errors import InputValidationError
from support.pki import ec_key, rsa_key

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
PERSON = EnrollmentData(
    common_name="Anna Testowa",
    country_name="PL",
    given_name="Anna",
    surname="Testowa",
    serial_number="TINPL-5265877635",
)
WINDOW = timedelta(days=30)


def _request(**changes: object) -> EnrollmentRequest:
    fields: dict[str, object] = {
        "certificate_name": "Certyfikat-Auth-004",
        "certificate_type": KsefCertificateType.AUTHENTICATION,
        "csr": create_csr(ec_key(), PERSON),
        "valid_from": None,
    }
    fields.update(changes)
    return EnrollmentRequest(**fields)  # type: ignore[arg-type]


def _raw_csr(key: ec.EllipticCurvePrivateKey, algorithm: hashes.HashAlgorithm) -> str:
    request = x509.CertificateSigningRequestBuilder().subject_name(build_subject_name(PERSON)).sign(key, algorithm)
    return base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()


class TestCertificateName:
    @pytest.mark.parametrize("name", ["Certyfikat-Auth-004", "abcde", "Zażółć gęślą jaźń", "a_b-c d", "x" * 100])
    def test_accepted(self, name: str) -> None:
        assert check_certificate_name(name) == name

    @pytest.mark.parametrize(
        ("name", "fragment"),
        [
            ("abcd", "od 5 do 100 znaków (ma 4)"),
            ("x" * 101, "(ma 101)"),
            ("Cert/1234", "„/”"),
            ("Cert\t1234", "tabulator"),
            ("Certyfikat€", "„€”"),
        ],
    )
    def test_refused_with_21405_naming_the_rule(self, name: str, fragment: str) -> None:
        with pytest.raises(InputValidationError) as caught:
            check_certificate_name(name)
        assert caught.value.code == 21405
        assert all(detail.startswith("certificateName: ") for detail in caught.value.details)
        assert fragment in " ".join(caught.value.details)


class TestRequestedValidFrom:
    def test_omitted(self) -> None:
        assert check_requested_valid_from(None, now=NOW) is None

    @pytest.mark.parametrize("ago", [timedelta(days=1), timedelta(hours=3), timedelta(days=400)])
    def test_past_values_are_accepted(self, ago: timedelta) -> None:
        assert check_requested_valid_from(NOW - ago, now=NOW) == (NOW - ago).replace(microsecond=0)

    def test_future_up_to_90_days(self) -> None:
        limit = NOW + timedelta(days=90)
        assert check_requested_valid_from(limit, now=NOW) == limit.replace(microsecond=0)

    def test_more_than_90_days_ahead_is_21405(self) -> None:
        with pytest.raises(InputValidationError) as caught:
            check_requested_valid_from(NOW + timedelta(days=90, seconds=1), now=NOW)
        assert caught.value.code == 21405
        assert caught.value.details[0].startswith("validFrom: ")
        assert "90 dni" in caught.value.details[0]

    def test_other_offset_is_converted_to_utc(self) -> None:
        warsaw = datetime(2026, 4, 22, 10, 57, 27, 123456, tzinfo=timezone(timedelta(hours=2)))
        assert check_requested_valid_from(warsaw, now=NOW) == datetime(2026, 4, 22, 8, 57, 27, tzinfo=UTC)

    def test_value_without_offset_is_utc(self) -> None:
        # The Java client sends LocalDateTime.now().minusHours(3) without an offset; KSeF reads it as UTC.
        naive = datetime(2026, 3, 2, 6, 30, 15)
        assert check_requested_valid_from(naive, now=NOW) == datetime(2026, 3, 2, 6, 30, 15, tzinfo=UTC)


class TestValidityPeriod:
    def test_starts_at_issuance_without_a_request(self) -> None:
        assert validity_period(None, issued_at=NOW) == (
            datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC),
            datetime(2028, 3, 2, 9, 30, 15, tzinfo=UTC),
        )

    def test_past_request_starts_at_issuance(self) -> None:
        start, _ = validity_period(NOW - timedelta(days=1), issued_at=NOW)
        assert start == NOW.replace(microsecond=0)

    def test_future_request_is_honoured(self) -> None:
        requested = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
        assert validity_period(requested, issued_at=NOW) == (requested, datetime(2028, 4, 1, tzinfo=UTC))

    def test_exactly_two_years_to_the_second(self) -> None:
        start, end = validity_period(None, issued_at=NOW)
        assert (end.year - start.year, end.month, end.day, end.time()) == (2, start.month, start.day, start.time())

    def test_leap_day(self) -> None:
        assert add_years(datetime(2028, 2, 29, 12, tzinfo=UTC), 2) == datetime(2030, 2, 28, 12, tzinfo=UTC)


class TestCheckEnrollment:
    def test_accepts_ec_and_rsa_for_both_types(self) -> None:
        for key in (ec_key(), rsa_key()):
            for certificate_type in KsefCertificateType:
                checked = check_enrollment(
                    _request(csr=create_csr(key, PERSON), certificate_type=certificate_type), PERSON, now=NOW
                )
                assert checked.certificate_type is certificate_type
                assert checked.csr.key_kind in (KeyKind.EC_P256, KeyKind.RSA_2048)

    def test_rsa_pss_csr(self) -> None:
        checked = check_enrollment(_request(csr=create_csr(rsa_key(), PERSON, rsa_padding="pss")), PERSON, now=NOW)
        assert checked.csr.signature_algorithm == "RSASSA-PSS (SHA-256)"

    def test_name_is_checked_first(self) -> None:
        with pytest.raises(InputValidationError):
            check_enrollment(_request(certificate_name="abc", csr="not a csr"), PERSON, now=NOW)

    def test_valid_from_before_the_csr(self) -> None:
        with pytest.raises(InputValidationError):
            check_enrollment(_request(valid_from=NOW + timedelta(days=91), csr="not a csr"), PERSON, now=NOW)

    def test_subject_mismatch_is_25003(self) -> None:
        other = EnrollmentData(common_name="Jan Nowak", country_name="PL", serial_number="TINPL-5265877635")
        with pytest.raises(CsrRejectedError) as caught:
            check_enrollment(_request(csr=create_csr(ec_key(), other)), PERSON, now=NOW)
        assert caught.value.code == 25003
        assert caught.value.description == "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym."

    def test_pem_is_25004(self) -> None:
        der = base64.b64decode(create_csr(ec_key(), PERSON))
        pem = (
            "-----BEGIN CERTIFICATE REQUEST-----\n"
            + base64.encodebytes(der).decode()
            + "-----END CERTIFICATE REQUEST-----"
        )
        with pytest.raises(CsrRejectedError) as caught:
            check_enrollment(_request(csr=pem), PERSON, now=NOW)
        assert caught.value.code == 25004

    def test_line_breaks_are_25004(self) -> None:
        text = create_csr(ec_key(), PERSON)
        with pytest.raises(CsrRejectedError) as caught:
            check_enrollment(_request(csr=text[:64] + "\r\n" + text[64:]), PERSON, now=NOW)
        assert caught.value.code == 25004
        assert any("końca linii" in detail for detail in caught.value.details)

    def test_p384_key_is_25010(self) -> None:
        text = _raw_csr(ec.generate_private_key(ec.SECP384R1()), hashes.SHA256())
        with pytest.raises(CsrRejectedError) as caught:
            check_enrollment(_request(csr=text), PERSON, now=NOW)
        assert caught.value.code == 25010

    def test_sha224_signature_is_25011(self) -> None:
        text = _raw_csr(ec_key(), hashes.SHA224())
        with pytest.raises(CsrRejectedError) as caught:
            check_enrollment(_request(csr=text), PERSON, now=NOW)
        assert caught.value.code == 25011


class TestLimits:
    def test_official_defaults(self) -> None:
        assert DEFAULT_LIMITS[SubjectIdentifierType.NIP] == CertificateLimits(300, 100)
        assert DEFAULT_LIMITS[SubjectIdentifierType.PESEL] == CertificateLimits(12, 6)
        assert DEFAULT_LIMITS[SubjectIdentifierType.FINGERPRINT] == CertificateLimits(12, 6)

    def test_override_replaces_only_what_it_sets(self) -> None:
        limits = effective_limits(SubjectIdentifierType.PESEL, override=SubjectLimits(max_certificates=2))
        assert limits == CertificateLimits(max_enrollments=12, max_certificates=2)
        limits = effective_limits(SubjectIdentifierType.NIP, override=SubjectLimits(max_enrollments=0))
        assert limits == CertificateLimits(max_enrollments=0, max_certificates=100)

    def test_configured_defaults(self) -> None:
        defaults = {**DEFAULT_LIMITS, SubjectIdentifierType.NIP: CertificateLimits(5, 3)}
        assert effective_limits(SubjectIdentifierType.NIP, defaults=defaults) == CertificateLimits(5, 3)

    def test_below_both_limits(self) -> None:
        limits, usage = CertificateLimits(12, 6), LimitUsage(enrollments=11, certificates=5)
        check_limits(limits, usage, window=WINDOW)
        assert can_request(limits, usage)

    def test_enrollment_limit_is_25006(self) -> None:
        limits, usage = CertificateLimits(12, 6), LimitUsage(enrollments=12, certificates=0)
        with pytest.raises(EnrollmentLimitReachedError) as caught:
            check_enrollment_limit(limits, usage, window=WINDOW)
        assert caught.value.code == 25006
        assert "30 dni" in caught.value.details[0]
        assert not can_request(limits, usage)

    def test_certificate_limit_is_25007_with_the_official_description(self) -> None:
        limits, usage = CertificateLimits(12, 6), LimitUsage(enrollments=3, certificates=6)
        with pytest.raises(CertificateLimitReachedError) as caught:
            check_certificate_limit(limits, usage)
        assert caught.value.code == 25007
        assert caught.value.description == "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów."
        assert not can_request(limits, usage)

    def test_enrollment_limit_is_reported_first(self) -> None:
        with pytest.raises(EnrollmentLimitReachedError):
            check_limits(CertificateLimits(1, 1), LimitUsage(1, 1), window=WINDOW)
