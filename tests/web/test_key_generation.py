""" "Generuj" in Chromium: the key pair, the `.key` file and the CSR made by our browser modules, checked by our Python
loader and CSR rules and by OpenSSL."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser

from ksef_mcu.crypto import pkcs8
from ksef_mcu.crypto.csr import EnrollmentData, build_subject_name, check_csr, create_csr
from ksef_mcu.crypto.errors import CsrError
from ksef_mcu.crypto.keys import KeyKind, load_private_key, pem_blocks, public_key_sha256_fingerprint
from support.browser import BrowserError, Harness
from support.tampering import assert_csr_tampering_is_refused, csr_signed_and_signature_positions

PASSWORD = "Zażółć-gęślą-1A"  # satisfies the MCU rule, with Polish letters

PERSON = {
    "commonName": "Zażółć Gęślą-Jaźń",
    "countryName": "PL",
    "givenName": "Zażółć",
    "surname": "Gęślą-Jaźń",
    "serialNumber": "PNOPL-88102341294",
    "uniqueIdentifier": None,
    "organizationName": None,
    "organizationIdentifier": None,
}
SEAL = {
    "commonName": "Przedsiębiorstwo Żółwik sp. z o.o.",
    "countryName": "PL",
    "organizationName": "Przedsiębiorstwo Żółwik sp. z o.o.",
    "organizationIdentifier": "VATPL-5265877635",
}
EVERY_FIELD = {
    "commonName": "Łukasz Źdźbło (ÓŚĆ)",
    "countryName": "PL",
    "givenName": ["Łukasz"],
    "surname": "Źdźbło",
    "serialNumber": "TINPL_5265877635 ż",  # does not fit PrintableString: written as UTF8String, as in Python
    "uniqueIdentifier": "a1b2c3-ünique",
    "organizationName": 'Spółka "Żółw" & <Syn>',
    "organizationIdentifier": "VATPL-5265877635",
    "unknownFutureField": "ignored",
}
ENROLLMENT_DATA = {"person": PERSON, "seal": SEAL, "every-field": EVERY_FIELD}


def generate(harness: Harness, kind: str, data: dict[str, Any], password: str = PASSWORD) -> dict[str, str]:
    result: dict[str, str] = harness.run(
        "return await k.enroll.generateKeyAndCsr({kind: arg.kind, password: arg.password, enrollmentData: arg.data})",
        {"kind": kind, "password": password, "data": data},
    )
    return result


def _openssl(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl command is needed by these tests (Debian package openssl)"
    return subprocess.run([openssl, *arguments], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("kind", [KeyKind.EC_P256, KeyKind.RSA_2048])
def test_key_file_opens_with_our_loader_and_openssl(harness: Harness, kind: KeyKind, tmp_path: Path) -> None:
    made = generate(harness, kind.value, PERSON)
    assert made["kind"] == kind.value
    key_file = made["keyFile"].encode("ascii")
    assert key_file.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert key_file.endswith(b"\n-----END ENCRYPTED PRIVATE KEY-----\n")
    assert all(len(line) <= 64 for line in key_file.splitlines())

    key = load_private_key(key_file, PASSWORD)
    assert isinstance(key, ec.EllipticCurvePrivateKey if kind is KeyKind.EC_P256 else rsa.RSAPrivateKey)
    assert public_key_sha256_fingerprint(key) == made["publicKeySha256"]

    (tmp_path / "browser.key").write_bytes(key_file)
    opened = _openssl("pkey", "-in", "browser.key", "-passin", f"pass:{PASSWORD}", "-pubout", cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    spki = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert opened.stdout.encode() == spki
    refused = _openssl("pkey", "-in", "browser.key", "-passin", "pass:" + PASSWORD[:-1] + "B", "-noout", cwd=tmp_path)
    assert refused.returncode != 0


@pytest.mark.parametrize("kind", [KeyKind.EC_P256, KeyKind.RSA_2048])
def test_key_file_has_the_mcu_encryption_parameters(harness: Harness, kind: KeyKind, tmp_path: Path) -> None:
    first, second = generate(harness, kind.value, SEAL), generate(harness, kind.value, SEAL)
    (tmp_path / "browser.key").write_text(first["keyFile"])
    parsed = _openssl("asn1parse", "-in", "browser.key", cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    for expected in (":PBES2", ":PBKDF2", ":0186A0", ":hmacWithSHA256", ":aes-256-cbc"):
        assert expected in parsed.stdout

    parameters = [
        pkcs8.read_pbes2_parameters(pem_blocks(made["keyFile"].encode())[0].der)[0] for made in (first, second)
    ]
    for found in parameters:
        assert (found.prf, found.iterations, found.cipher) == ("hmacWithSHA256", 100_000, "aes-256-cbc")
        assert len(found.salt) == 16
        assert len(found.iv) == 16
    assert parameters[0].salt != parameters[1].salt
    assert parameters[0].iv != parameters[1].iv
    assert first["publicKeySha256"] != second["publicKeySha256"]


def test_ec_key_file_is_the_size_of_the_mcu_one(harness: Harness) -> None:
    """The real MCU key file holds 144 bytes of ciphertext: WebCrypto's P-256 PKCS#8 (138 bytes) padded."""
    made = generate(harness, "ec-p256", PERSON)
    der = pem_blocks(made["keyFile"].encode())[0].der
    assert len(pkcs8.read_pbes2_parameters(der)[1]) == 144


@pytest.mark.parametrize("data_name", sorted(ENROLLMENT_DATA))
@pytest.mark.parametrize("kind", [KeyKind.EC_P256, KeyKind.RSA_2048])
def test_csr_passes_the_servers_checks_against_the_enrollment_data(
    harness: Harness, kind: KeyKind, data_name: str
) -> None:
    data = ENROLLMENT_DATA[data_name]
    made = generate(harness, kind.value, data)
    expected = EnrollmentData.from_api(data)
    info = check_csr(made["csr"], expected)
    assert info.key_kind is kind
    assert info.signature_algorithm == ("ecdsa-with-SHA256" if kind is KeyKind.EC_P256 else "sha256WithRSAEncryption")
    assert info.spki_sha256 == made["publicKeySha256"]

    # Byte for byte the subject our Python builder writes: attribute order, string types, Polish letters.
    request = x509.load_der_x509_csr(base64.b64decode(made["csr"]))
    assert request.subject.public_bytes() == build_subject_name(expected).public_bytes()
    assert len(request.attributes) == 0
    assert list(request.extensions) == []


@pytest.mark.parametrize("kind", [KeyKind.EC_P256, KeyKind.RSA_2048])
def test_csr_is_what_our_python_code_builds_for_the_same_key(harness: Harness, kind: KeyKind) -> None:
    made = generate(harness, kind.value, EVERY_FIELD)
    key = load_private_key(made["keyFile"].encode(), PASSWORD)
    python_csr = create_csr(key, EnrollmentData.from_api(EVERY_FIELD))
    browser = x509.load_der_x509_csr(base64.b64decode(made["csr"]))
    python = x509.load_der_x509_csr(base64.b64decode(python_csr))
    assert browser.tbs_certrequest_bytes == python.tbs_certrequest_bytes
    if kind is KeyKind.RSA_2048:  # PKCS#1 v1.5 is deterministic: the whole request is identical
        assert made["csr"] == python_csr


def test_csr_for_other_data_is_refused_with_25003(harness: Harness) -> None:
    made = generate(harness, "ec-p256", {**PERSON, "surname": "Gęślą-Jaźn"})  # one letter differs
    with pytest.raises(CsrError) as caught:
        check_csr(made["csr"], EnrollmentData.from_api(PERSON))
    assert caught.value.code == 25003


@pytest.fixture(scope="module")
def browser_csr_der(chromium: Browser, site: str) -> bytes:
    """One browser-made EC CSR for the tamper property (made once: Chromium is the slow part)."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{site}/harness/index.html")
    page.wait_for_function("document.documentElement.dataset.ready === 'yes'")
    made = generate(Harness(page), "ec-p256", EVERY_FIELD)
    context.close()
    return base64.b64decode(made["csr"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_tampered_byte_of_a_browser_csr_is_refused(browser_csr_der: bytes, index: int, flip: int) -> None:
    positions = csr_signed_and_signature_positions(browser_csr_der)
    assert_csr_tampering_is_refused(
        browser_csr_der, EnrollmentData.from_api(EVERY_FIELD), positions[index % len(positions)], flip
    )


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Krótkie1!", "od 15 do 32 znaków (ma 9)"),
        ("bez-wielkich-liter-1", "wielką literę"),
        ("Bez-Cyfr-I-Tak-Dalej", "cyfrę"),
        ("BezZnakowSpecjalnych12", "znak specjalny"),
    ],
)
def test_generation_refuses_passwords_that_break_the_mcu_rule(harness: Harness, password: str, broken: str) -> None:
    with pytest.raises(BrowserError) as caught:
        generate(harness, "ec-p256", PERSON, password)
    assert caught.value.code == "password-rule"
    assert broken in caught.value.message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"countryName": "PL"}, "Brak wymaganych pól w danych do wniosku: commonName."),
        ({"commonName": "Jan", "countryName": "POL"}, "Nieprawidłowa wartość atrybutu countryName: 'POL'."),
        ({"commonName": "Jan", "countryName": "PL", "surname": 7}, "Pole „surname” musi być tekstem."),
        (
            {"commonName": "Jan", "countryName": "PL", "givenName": ["Jan", "Maria"]},
            "Pole „givenName” zawiera kilka wartości; obsługujemy jedno imię.",
        ),
        (["not", "an", "object"], "Dane do wniosku muszą być obiektem JSON."),
    ],
)
def test_unusable_enrollment_data_is_refused_like_python_refuses_it(harness: Harness, data: Any, message: str) -> None:
    with pytest.raises(BrowserError) as caught:
        generate(harness, "ec-p256", data)
    assert caught.value.code == "enrollment-data"
    assert caught.value.message == message


def test_generated_key_file_downloads_under_the_certificate_name(harness: Harness, tmp_path: Path) -> None:
    made = generate(harness, "ec-p256", PERSON)
    with harness.page.expect_download() as download_info:
        harness.run(
            "k.download.saveTextFile(arg.name, arg.text)", {"name": "Moj certyfikat.key", "text": made["keyFile"]}
        )
    download = download_info.value
    assert download.suggested_filename == "Moj certyfikat.key"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.read_text() == made["keyFile"]
    assert public_key_sha256_fingerprint(load_private_key(target.read_bytes(), PASSWORD)) == made["publicKeySha256"]
