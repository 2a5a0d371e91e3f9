from __future__ import annotations

import base64
import shutil
import subprocess
import textwrap
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from pyasn1.codec.der import decoder, encoder
from pyasn1_alt_modules import rfc2986, rfc4055

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER
from ksef_mcu.crypto.csr import (
    UNIQUE_IDENTIFIER,
    EnrollmentData,
    build_subject_name,
    check_csr,
    create_csr,
    inspect_csr,
    inspect_csr_der,
)
from ksef_mcu.crypto.errors import CsrError, EnrollmentDataError, UnsupportedKeyError
from ksef_mcu.crypto.keys import KeyKind, generate_private_key, public_key_sha256_fingerprint

PERSON = EnrollmentData(
    common_name="Anna Testowa",
    country_name="PL",
    given_name="Anna",
    surname="Testowa",
    serial_number="TINPL-5265877635",
)
SEAL = EnrollmentData.from_api(
    {
        "commonName": "RÓŻA GREEN POWER SP. Z O.O.",
        "countryName": "PL",
        "organizationName": "RÓŻA GREEN POWER SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ",
        "organizationIdentifier": "VATPL-6381853612 NTRPL-0001040934 BR:PL-525516467",
    }
)
ALL_FIELDS = EnrollmentData(
    common_name="Firma Kowalski Certyfikat",
    country_name="PL",
    given_name="Jan",
    surname="Kowalski",
    serial_number="ABC123456789",
    unique_identifier="d9d22724-4696-460c-9e5e-b9e3aafb0af3",
    organization_name="Firma Kowalski Sp. z o.o.",
    organization_identifier="7762811692",
)
EC_KEY = generate_private_key(KeyKind.EC_P256)
RSA_KEY = generate_private_key(KeyKind.RSA_2048)
SEND_BASE64 = "Wyślij CSR jako Base64 formatu DER w jednej linii, bez nagłówków PEM i bez znaków końca linii."


def _raw_csr(
    key: Any,
    attributes: list[x509.NameAttribute],
    algorithm: hashes.HashAlgorithm | None = None,
    **sign: Any,
) -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .sign(key, algorithm if algorithm is not None else hashes.SHA256(), **sign)
    )
    return base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()


def _attributes(data: EnrollmentData, *, reverse: bool = False) -> list[x509.NameAttribute]:
    attributes = [x509.NameAttribute(oid, value) for oid, value in data.attributes()]
    return attributes[::-1] if reverse else attributes


def _code(text: str, expected: EnrollmentData = PERSON) -> CsrError:
    with pytest.raises(CsrError) as raised:
        check_csr(text, expected)
    return raised.value


class TestEnrollmentData:
    def test_from_api_with_nulls_and_empty_strings(self) -> None:
        data = EnrollmentData.from_api(
            {
                "commonName": "Anna Testowa",
                "countryName": "PL",
                "givenName": "Anna",
                "surname": "Testowa",
                "serialNumber": "TINPL-5265877635",
                "uniqueIdentifier": None,
                "organizationName": "",
                "organizationIdentifier": None,
                "somethingNew": 1,
            }
        )
        assert data == PERSON
        assert data.to_api()["organizationName"] is None
        assert EnrollmentData.from_api(data.to_api()) == data

    def test_given_name_list(self) -> None:
        assert (
            EnrollmentData.from_api({"commonName": "A", "countryName": "PL", "givenName": ["Anna"]}).given_name
            == "Anna"
        )
        assert (
            EnrollmentData.from_api({"commonName": "A", "countryName": "PL", "givenNames": ["Jo"]}).given_name == "Jo"
        )
        with pytest.raises(EnrollmentDataError, match="kilka wartości"):
            EnrollmentData.from_api({"commonName": "A", "countryName": "PL", "givenName": ["Anna", "Maria"]})

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"countryName": "PL"}, "commonName"),
            ({"commonName": "X", "countryName": None}, "countryName"),
            ({"commonName": "", "countryName": ""}, "commonName, countryName"),
            ({"commonName": 5, "countryName": "PL"}, "„commonName” musi być tekstem"),
            ([], "obiektem JSON"),
        ],
    )
    def test_from_api_rejects(self, payload: Any, message: str) -> None:
        with pytest.raises(EnrollmentDataError, match=message):
            EnrollmentData.from_api(payload)


class TestSubjectName:
    def test_order_and_string_types(self) -> None:
        name = build_subject_name(ALL_FIELDS)
        assert [attribute.oid for attribute in name] == [
            NameOID.COMMON_NAME,
            NameOID.SURNAME,
            NameOID.GIVEN_NAME,
            NameOID.ORGANIZATION_NAME,
            ORGANIZATION_IDENTIFIER,
            NameOID.COUNTRY_NAME,
            NameOID.SERIAL_NUMBER,
            UNIQUE_IDENTIFIER,
        ]
        types = {attribute.oid.dotted_string: attribute._type for attribute in name}
        assert types["2.5.4.6"] is _ASN1Type.PrintableString
        assert types["2.5.4.5"] is _ASN1Type.PrintableString
        assert all(types[oid] is _ASN1Type.UTF8String for oid in types if oid not in ("2.5.4.6", "2.5.4.5"))
        assert all(len(rdn) == 1 for rdn in name.rdns)

    def test_polish_letters_are_utf8(self) -> None:
        name = build_subject_name(SEAL)
        (common_name,) = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert common_name._type is _ASN1Type.UTF8String
        assert common_name.value == "RÓŻA GREEN POWER SP. Z O.O."

    def test_serial_number_outside_printable_string_falls_back_to_utf8(self) -> None:
        name = build_subject_name(EnrollmentData("X", "PL", serial_number="NIP_ŁÓDŹ"))
        (serial,) = name.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        assert serial._type is _ASN1Type.UTF8String

    def test_long_polish_common_name_is_kept(self) -> None:
        # 45 characters but 75 UTF-8 bytes: within X.520's 64-character bound for commonName.
        common_name = "Żółć" * 7 + "ĄĘŚĆŃ ŹŻŁÓ ąęśćń źżłó"
        data = EnrollmentData(common_name, "PL")
        text = create_csr(EC_KEY, data)
        assert check_csr(text, data).subject == {("2.5.4.3", common_name), ("2.5.4.6", "PL")}

    def test_bad_country(self) -> None:
        with pytest.raises(EnrollmentDataError, match="countryName"):
            build_subject_name(EnrollmentData("X", "POL"))


class TestCreate:
    @pytest.mark.parametrize(
        ("key", "padding", "algorithm"),
        [
            (EC_KEY, "pkcs1", "ecdsa-with-SHA256"),
            (RSA_KEY, "pkcs1", "sha256WithRSAEncryption"),
            (RSA_KEY, "pss", "RSASSA-PSS (SHA-256)"),
        ],
    )
    def test_round_trip(self, key: Any, padding: Any, algorithm: str) -> None:
        for data in (PERSON, SEAL, ALL_FIELDS):
            text = create_csr(key, data, rsa_padding=padding)
            assert "\n" not in text
            assert text == base64.b64encode(base64.b64decode(text)).decode()
            info = check_csr(text, data)
            assert info.signature_algorithm == algorithm
            assert info.spki_sha256 == public_key_sha256_fingerprint(key)
            assert info.subject == {(oid.dotted_string, value) for oid, value in data.attributes()}

    def test_pss_parameters_are_sha256_mgf1_salt_32(self) -> None:
        der = base64.b64decode(create_csr(RSA_KEY, PERSON, rsa_padding="pss"))
        request, _ = decoder.decode(der, asn1Spec=rfc2986.CertificationRequest())
        parameters, _ = decoder.decode(
            bytes(request["signatureAlgorithm"]["parameters"]), asn1Spec=rfc4055.RSASSA_PSS_params()
        )
        assert parameters["hashAlgorithm"]["algorithm"] == rfc4055.id_sha256
        assert parameters["maskGenAlgorithm"]["algorithm"] == rfc4055.id_mgf1
        assert int(parameters["saltLength"]) == 32

    def test_ecdsa_algorithm_identifier_has_no_parameters_and_attributes_are_empty(self) -> None:
        der = base64.b64decode(create_csr(EC_KEY, PERSON))
        request, _ = decoder.decode(der, asn1Spec=rfc2986.CertificationRequest())
        assert not request["signatureAlgorithm"]["parameters"].isValue
        assert len(request["certificationRequestInfo"]["attributes"]) == 0

    def test_unsupported_key(self) -> None:
        with pytest.raises(UnsupportedKeyError):
            create_csr(ec.generate_private_key(ec.SECP384R1()), PERSON)  # type: ignore[arg-type]

    @pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
    @pytest.mark.parametrize(("key", "padding"), [(EC_KEY, "pkcs1"), (RSA_KEY, "pkcs1"), (RSA_KEY, "pss")])
    def test_openssl_verifies(self, key: Any, padding: Any) -> None:
        der = base64.b64decode(create_csr(key, SEAL, rsa_padding=padding))
        result = subprocess.run(
            ["openssl", "req", "-inform", "DER", "-verify", "-noout", "-nameopt", "utf8", "-subject"],
            input=der,
            capture_output=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "RÓŻA GREEN POWER" in result.stdout.decode()


class TestFormat25004:
    def test_pem_is_refused_with_advice(self) -> None:
        der = base64.b64decode(create_csr(EC_KEY, PERSON))
        pem = x509.load_der_x509_csr(der).public_bytes(serialization.Encoding.PEM).decode()
        error = _code(pem)
        assert error.code == 25004
        assert error.description == "Niepoprawny format CSR lub niepoprawny podpis CSR."
        assert "PEM" in error.details[0]
        assert error.details[-1] == SEND_BASE64

    @pytest.mark.parametrize(
        ("transform", "detail"),
        [
            (lambda text: "\r\n".join(textwrap.wrap(text, 64)), "znaki końca linii"),
            (lambda text: "\n".join(textwrap.wrap(text, 76)), "znaki końca linii"),
            (lambda text: text + "\n", "znaki końca linii"),
            (lambda text: " " + text, "spacje"),
            (lambda text: text[:20] + "\t" + text[20:], "białe znaki"),
            (lambda text: text + "=", "Base64"),
            (lambda text: text[:-1], "Base64"),
            (lambda text: text.replace("+", "-").replace("/", "_"), "Base64"),
            (lambda text: "", "pusty"),
        ],
    )
    def test_not_strict_base64(self, transform: Any, detail: str) -> None:
        text = create_csr(RSA_KEY, PERSON)
        assert "+" in text or "/" in text or transform(text) != text
        error = _code(transform(text))
        assert error.code == 25004
        assert detail in error.details[0]
        assert SEND_BASE64 in error.message

    def test_not_a_csr(self) -> None:
        error = _code(base64.b64encode(b"\x30\x03\x02\x01\x00").decode())
        assert error.code == 25004
        assert "PKCS#10" in error.message

    def test_certificate_instead_of_csr(self) -> None:
        import datetime as dt

        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(EC_KEY.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now)
            .sign(EC_KEY, hashes.SHA256())
        )
        assert _code(base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()).code == 25004

    def test_bad_self_signature(self) -> None:
        der = bytearray(base64.b64decode(create_csr(EC_KEY, PERSON)))
        der[-5] ^= 0x01
        error = _code(base64.b64encode(bytes(der)).decode())
        assert error.code == 25004
        assert "Podpis CSR jest nieprawidłowy" in error.message

    def test_subject_swapped_after_signing(self) -> None:
        other = create_csr(EC_KEY, EnrollmentData("Anna Testowb", "PL"))
        original = create_csr(EC_KEY, EnrollmentData("Anna Testowa", "PL"))
        forged = base64.b64decode(original).replace(b"Anna Testowa", b"Anna Testowb")
        assert forged != base64.b64decode(other)
        assert _code(base64.b64encode(forged).decode(), EnrollmentData("Anna Testowb", "PL")).code == 25004

    def test_version_other_than_v1(self) -> None:
        der = bytearray(base64.b64decode(create_csr(EC_KEY, PERSON)))
        der[der.index(b"\x02\x01\x00") + 2] = 1
        error = _code(base64.b64encode(bytes(der)).decode())
        assert error.code == 25004
        assert "wersja" in error.message


class TestKey25010:
    @pytest.mark.parametrize(
        ("key", "shown"),
        [
            (rsa.generate_private_key(65537, 1024), "RSA 1024"),
            (rsa.generate_private_key(65537, 3072), "RSA 3072"),
            (ec.generate_private_key(ec.SECP384R1()), "secp384r1"),
            (ed25519.Ed25519PrivateKey.generate(), "Ed25519"),
        ],
    )
    def test_unsupported_keys(self, key: Any, shown: str) -> None:
        algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        request = x509.CertificateSigningRequestBuilder().subject_name(build_subject_name(PERSON)).sign(key, algorithm)
        error = _code(base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode())
        assert error.code == 25010
        assert error.description == "Nieprawidłowy typ lub długość klucza."
        assert shown in error.message


class TestSignatureAlgorithm25011:
    @pytest.mark.parametrize("key", [EC_KEY, RSA_KEY])
    def test_sha224_is_not_allowed(self, key: Any) -> None:
        error = _code(_raw_csr(key, _attributes(PERSON), hashes.SHA224()))
        assert error.code == 25011
        assert error.description == "Nieprawidłowy algorytm podpisu CSR."

    @pytest.mark.parametrize(
        ("key", "algorithm", "name"),
        [
            (EC_KEY, hashes.SHA384(), "ecdsa-with-SHA384"),
            (EC_KEY, hashes.SHA512(), "ecdsa-with-SHA512"),
            (RSA_KEY, hashes.SHA384(), "sha384WithRSAEncryption"),
            (RSA_KEY, hashes.SHA512(), "sha512WithRSAEncryption"),
        ],
    )
    def test_other_allowed_hashes(self, key: Any, algorithm: hashes.HashAlgorithm, name: str) -> None:
        assert check_csr(_raw_csr(key, _attributes(PERSON), algorithm), PERSON).signature_algorithm == name

    @pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
    @pytest.mark.parametrize(("key", "name"), [(EC_KEY, "ecdsa-with-SHA1"), (RSA_KEY, "sha1WithRSAEncryption")])
    def test_sha1_is_allowed(self, key: Any, name: str, tmp_path: Any) -> None:
        # cryptography refuses to sign with SHA-1, so OpenSSL makes this CSR.
        key_file = tmp_path / "key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        made = subprocess.run(
            [
                "openssl",
                "req",
                "-new",
                "-sha1",
                "-key",
                str(key_file),
                "-subj",
                "/CN=Anna Testowa/C=PL",
                "-outform",
                "DER",
            ],
            capture_output=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        info = check_csr(base64.b64encode(made.stdout).decode(), EnrollmentData("Anna Testowa", "PL"))
        assert info.signature_algorithm == name

    def test_algorithm_that_does_not_fit_the_key(self) -> None:
        # An EC CSR whose outer signatureAlgorithm claims sha256WithRSAEncryption.
        der = base64.b64decode(create_csr(EC_KEY, PERSON))
        request, _ = decoder.decode(der, asn1Spec=rfc2986.CertificationRequest())
        request["signatureAlgorithm"]["algorithm"] = rfc4055.sha256WithRSAEncryption
        forged = base64.b64encode(encoder.encode(request)).decode()
        error = _code(forged)
        assert error.code == 25011
        assert "nie pasuje do klucza EC" in error.message


class TestSubject25003:
    def test_order_and_string_type_do_not_matter(self) -> None:
        # The Java client's order and UTF8String for everything: accepted like the C# order.
        java_order = [
            NameOID.COMMON_NAME,
            NameOID.SURNAME,
            NameOID.ORGANIZATION_NAME,
            ORGANIZATION_IDENTIFIER,
            NameOID.COUNTRY_NAME,
            NameOID.SERIAL_NUMBER,
            UNIQUE_IDENTIFIER,
            NameOID.GIVEN_NAME,
        ]
        values = dict(ALL_FIELDS.attributes())
        attributes = [x509.NameAttribute(oid, values[oid], _type=_ASN1Type.UTF8String) for oid in java_order]
        assert check_csr(_raw_csr(EC_KEY, attributes), ALL_FIELDS).subject_attributes[0] == (
            "2.5.4.3",
            "Firma Kowalski Certyfikat",
        )
        assert check_csr(_raw_csr(RSA_KEY, _attributes(ALL_FIELDS, reverse=True)), ALL_FIELDS)

    def test_missing_attribute(self) -> None:
        attributes = [a for a in _attributes(PERSON) if a.oid != NameOID.GIVEN_NAME]
        error = _code(_raw_csr(EC_KEY, attributes))
        assert error.code == 25003
        assert error.description == "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym."
        assert "Brakuje w CSR: givenName='Anna'." in error.details

    def test_extra_attribute(self) -> None:
        attributes = [*_attributes(PERSON), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firma")]
        error = _code(_raw_csr(EC_KEY, attributes))
        assert error.code == 25003
        assert "Nadmiarowe lub zmienione w CSR: organizationName='Firma'." in error.details

    def test_changed_value(self) -> None:
        attributes = [
            x509.NameAttribute(a.oid, "TINPL-1111111111") if a.oid == NameOID.SERIAL_NUMBER else a
            for a in _attributes(PERSON)
        ]
        error = _code(_raw_csr(EC_KEY, attributes))
        assert error.code == 25003
        assert "serialNumber='TINPL-5265877635'" in error.details[0]
        assert "serialNumber='TINPL-1111111111'" in error.details[1]

    def test_repeated_attribute(self) -> None:
        attributes = [*_attributes(PERSON), x509.NameAttribute(NameOID.GIVEN_NAME, "Anna")]
        assert _code(_raw_csr(EC_KEY, attributes)).code == 25003

    def test_case_matters(self) -> None:
        attributes = [
            x509.NameAttribute(a.oid, "anna testowa") if a.oid == NameOID.COMMON_NAME else a
            for a in _attributes(PERSON)
        ]
        assert _code(_raw_csr(EC_KEY, attributes)).code == 25003

    def test_multi_valued_rdn_is_compared_by_its_attributes(self) -> None:
        attributes = _attributes(PERSON)
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.RelativeDistinguishedName(attributes[:2]),
                        *(x509.RelativeDistinguishedName([a]) for a in attributes[2:]),
                    ]
                )
            )
            .sign(EC_KEY, hashes.SHA256())
        )
        text = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
        assert check_csr(text, PERSON).subject == {(a.oid.dotted_string, a.value) for a in attributes}


def test_inspect_der_and_text_agree() -> None:
    text = create_csr(EC_KEY, SEAL)
    assert inspect_csr(text) == inspect_csr_der(base64.b64decode(text))
    assert inspect_csr(text).key_kind is KeyKind.EC_P256
