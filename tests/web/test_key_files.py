"""Key files in Chromium: the browser encrypts exactly as our Python code does, and opens the `.key` files our Python
code, OpenSSL and the official clients write — with a clear Polish error for everything it cannot open."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.der import decoder, encoder
from pyasn1_alt_modules import rfc5958, rfc8018

from ksef_mcu.crypto import pkcs8
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.keys import encrypt_private_key, pem_encode
from support.browser import BrowserError, Harness, b64, unb64

PASSWORD = "Tajne-Hasło-2026!"
PROBE = b"probe: the key opened in the browser signs this"

_LOAD_AND_SIGN = """
  const { privateKey, kind } = await k.keyfile.loadPrivateKey(k.pem.fromBase64(arg.file), arg.password);
  const signature = await k.keys.sign(privateKey, k.pem.fromBase64(arg.probe));
  return { kind, extractable: privateKey.extractable, signature: k.pem.toBase64(signature) };
"""


def open_in_browser(harness: Harness, file: bytes, password: str = PASSWORD) -> tuple[str, bytes]:
    """Load `file` in the browser and sign PROBE with it; (kind, signature) — the key must be non-extractable."""
    result = harness.run(_LOAD_AND_SIGN, {"file": b64(file), "password": password, "probe": b64(PROBE)})
    assert result["extractable"] is False
    return result["kind"], unb64(result["signature"])


def assert_signed_by(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey, signature: bytes) -> None:
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, PROBE, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert len(signature) == 64  # raw r||s
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        public_key.verify(der, PROBE, ec.ECDSA(hashes.SHA256()))


def refusal(harness: Harness, file: bytes, password: str = PASSWORD) -> BrowserError:
    with pytest.raises(BrowserError) as caught:
        open_in_browser(harness, file, password)
    return caught.value


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pkcs8(key: Any) -> bytes:
    der: bytes = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return der


# --- writing: the browser's .key is our Python writer's, byte for byte ---------------------------------------------


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_browser_encryption_equals_python_with_the_same_salt_and_iv(
    harness: Harness, key_name: str, request: pytest.FixtureRequest
) -> None:
    info = _pkcs8(request.getfixturevalue(key_name))
    salt, iv = bytes(range(16)), bytes(range(16, 32))
    browser = harness.run(
        """const options = { salt: k.pem.fromBase64(arg.salt), iv: k.pem.fromBase64(arg.iv) };
           const made = await k.pkcs8.encryptPrivateKeyInfo(k.pem.fromBase64(arg.info), arg.password, options);
           return k.pem.toBase64(made);""",
        {"info": b64(info), "password": PASSWORD, "salt": b64(salt), "iv": b64(iv)},
    )
    assert unb64(browser) == pkcs8.encrypt_private_key_info(info, PASSWORD, salt=salt, iv=iv)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(min_size=0, max_size=300),
    password=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
    salt=st.binary(min_size=1, max_size=32),
    iv=st.binary(min_size=16, max_size=16),
    iterations=st.integers(min_value=1, max_value=3000),
)
def test_pbes2_round_trips_between_browser_and_python(
    harness: Harness, data: bytes, password: str, salt: bytes, iv: bytes, iterations: int
) -> None:
    expected = pkcs8.encrypt_private_key_info(data, password, iterations=iterations, salt=salt, iv=iv)
    result = harness.run(
        """const options = {
             salt: k.pem.fromBase64(arg.salt), iv: k.pem.fromBase64(arg.iv), iterations: arg.iterations };
           const made = await k.pkcs8.encryptPrivateKeyInfo(k.pem.fromBase64(arg.data), arg.password, options);
           const opened = await k.pkcs8.decryptPrivateKeyInfo(k.pem.fromBase64(arg.expected), arg.password);
           const parameters = k.pkcs8.readPbes2Parameters(made);
           return { made: k.pem.toBase64(made), opened: k.pem.toBase64(opened), iterations: parameters.iterations };""",
        {
            "data": b64(data),
            "password": password,
            "salt": b64(salt),
            "iv": b64(iv),
            "iterations": iterations,
            "expected": b64(expected),
        },
    )
    assert unb64(result["made"]) == expected
    assert unb64(result["opened"]) == data
    assert result["iterations"] == iterations
    assert pkcs8.decrypt_private_key_info(unb64(result["made"]), password) == data


def test_empty_password_is_refused_when_encrypting(harness: Harness, ec_key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(BrowserError) as caught:
        harness.run(
            "await k.pkcs8.encryptPrivateKeyInfo(k.pem.fromBase64(arg), '')",
            b64(_pkcs8(ec_key)),
        )
    assert caught.value.code == "password-required"
    assert caught.value.message == "Hasło do klucza prywatnego nie może być puste."


# --- reading: our files, OpenSSL's, the official clients' ------------------------------------------------------------


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_key_files_written_by_our_python_code_open(
    harness: Harness, key_name: str, request: pytest.FixtureRequest
) -> None:
    key = request.getfixturevalue(key_name)
    kind, signature = open_in_browser(harness, encrypt_private_key(key, PASSWORD))
    assert kind == ("ec-p256" if key_name == "ec_key" else "rsa-2048")
    assert_signed_by(key.public_key(), signature)


def _openssl(*arguments: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl command is needed by these tests (Debian package openssl)"
    made = subprocess.run([openssl, *arguments], cwd=cwd, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr


def _openssl_file(key: Any, tmp_path: Path, *arguments: str) -> bytes:
    (tmp_path / "plain.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    _openssl(*arguments, "-in", "plain.pem", "-passout", f"pass:{PASSWORD}", "-out", "made", cwd=tmp_path)
    return (tmp_path / "made").read_bytes()


OPENSSL_FORMS = {
    # The MCU / Aplikacja Podatnika parameters (official-clients.md §7), written by OpenSSL.
    "mcu-parameters": ("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256", "-iter", "100000"),
    "openssl-default": ("pkcs8", "-topk8"),
    "sha1-aes128": ("pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1", "-iter", "2048"),
    "sha384-aes256": ("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA384", "-iter", "1000"),
    "sha512-aes256-der": ("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512", "-outform", "DER"),
    "unencrypted-pkcs8": ("pkcs8", "-topk8", "-nocrypt"),
    "traditional": ("pkey", "-traditional"),  # SEC1 `EC PRIVATE KEY` / PKCS#1 `RSA PRIVATE KEY`
}


@pytest.mark.parametrize("form", sorted(OPENSSL_FORMS))
@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_key_files_written_by_openssl_open(
    harness: Harness, key_name: str, form: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    key = request.getfixturevalue(key_name)
    kind, signature = open_in_browser(harness, _openssl_file(key, tmp_path, *OPENSSL_FORMS[form]))
    assert kind == ("ec-p256" if key_name == "ec_key" else "rsa-2048")
    assert_signed_by(key.public_key(), signature)


@pytest.mark.parametrize("format_", [serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8])
@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_base64_der_without_armour_opens_like_the_csharp_client_writes_it(
    harness: Harness, key_name: str, format_: serialization.PrivateFormat, request: pytest.FixtureRequest
) -> None:
    key = request.getfixturevalue(key_name)
    der = key.private_bytes(serialization.Encoding.DER, format_, serialization.NoEncryption())
    _, signature = open_in_browser(harness, base64.b64encode(der), password="")
    assert_signed_by(key.public_key(), signature)


def test_official_csharp_rsa_key_opens_and_matches_its_certificate(
    harness: Harness, official_vectors: dict[str, Any]
) -> None:
    vector = official_vectors["kod2_docs_rsa_pss"]
    with tolerate_ksef_quirks():
        certificate = x509.load_der_x509_certificate(base64.b64decode(vector["certificate_der_base64"]))
        public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    kind, signature = open_in_browser(harness, vector["private_key_pkcs1_der_base64"].encode(), password="")
    assert kind == "rsa-2048"
    assert_signed_by(public_key, signature)


def test_official_key_file_parameters_are_the_ones_we_write(
    harness: Harness, ec_key: ec.EllipticCurvePrivateKey, official_vectors: dict[str, Any]
) -> None:
    """The taxpayer app's `.key` (Java client sample): PBES2, hmacWithSHA256, 100 000 iterations, aes-256-cbc."""
    sample = official_vectors["taxpayer_app_encrypted_key_params"]
    made = harness.run(
        "const enrollmentData = { commonName: 'Jan', countryName: 'PL' };"
        "return await k.enroll.generateKeyAndCsr({ password: arg, enrollmentData });",
        PASSWORD,
    )
    assert made["keyFile"].startswith(f"-----BEGIN {sample['pem_label']}-----")
    der = base64.b64decode("".join(made["keyFile"].splitlines()[1:-1]))
    parameters = harness.run(
        "const p = k.pkcs8.readPbes2Parameters(k.pem.fromBase64(arg)); delete p.ciphertext; "
        "return { ...p, salt: p.salt.length, iv: p.iv.length };",
        b64(der),
    )
    assert f"PRF {parameters['prf']}" in sample["kdf"]
    assert f"iterations {parameters['iterations']}" in sample["kdf"]
    assert "salt 16 bytes" in sample["kdf"]
    assert parameters["salt"] == 16
    assert sample["cipher"].startswith(parameters["cipher"])
    assert parameters["iv"] == 16
    assert "P-256" in sample["inner_key"]


# --- refusals --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_wrong_password_is_a_clear_error(harness: Harness, key_name: str, request: pytest.FixtureRequest) -> None:
    file = encrypt_private_key(request.getfixturevalue(key_name), PASSWORD)
    error = refusal(harness, file, PASSWORD + "x")
    assert (error.code, error.message) == ("wrong-password", "Nieprawidłowe hasło do klucza prywatnego.")
    error = refusal(harness, file, "")
    assert (error.code, error.message) == ("password-required", "Klucz prywatny jest zaszyfrowany — podaj hasło.")


def test_valid_padding_around_garbage_is_a_wrong_password(harness: Harness) -> None:
    """What a wrong password gives about once in 256 tries: the padding checks out, the plaintext is no key."""
    file = pem_encode(
        "ENCRYPTED PRIVATE KEY", pkcs8.encrypt_private_key_info(b"\x30\x03not a key", PASSWORD, iterations=10)
    )
    assert refusal(harness, file).code == "wrong-password"


def _reencoded_with_iterations(file_der: bytes, iterations: int) -> bytes:
    info, _ = decoder.decode(file_der, asn1Spec=rfc5958.EncryptedPrivateKeyInfo())
    parameters, _ = decoder.decode(bytes(info["encryptionAlgorithm"]["parameters"]), asn1Spec=rfc8018.PBES2_params())
    kdf, _ = decoder.decode(bytes(parameters["keyDerivationFunc"]["parameters"]), asn1Spec=rfc8018.PBKDF2_params())
    kdf["iterationCount"] = iterations
    parameters["keyDerivationFunc"]["parameters"] = encoder.encode(kdf)
    info["encryptionAlgorithm"]["parameters"] = encoder.encode(parameters)
    return bytes(encoder.encode(info))


def test_absurd_iteration_counts_are_refused_before_any_work(harness: Harness) -> None:
    der = _reencoded_with_iterations(pkcs8.encrypt_private_key_info(b"x" * 40, PASSWORD, iterations=1), 10_000_001)
    error = refusal(harness, pem_encode("ENCRYPTED PRIVATE KEY", der))
    assert error.code == "unsupported-key-encryption"
    assert error.message == "Plik klucza żąda 10000001 iteracji PBKDF2 (dopuszczamy najwyżej 10000000)."


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (("pkcs8", "-topk8", "-v2", "aes-192-cbc"), "aes-192-cbc"),
        (("pkcs8", "-topk8", "-v2", "des3"), "des-ede3-cbc"),
        (("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA224"), "hmacWithSHA224"),
        (("pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES"), "PBES1 lub PKCS#12"),
    ],
    ids=["aes-192", "3des", "sha224", "pbes1"],
)
def test_encryption_schemes_the_browser_lacks_are_named(
    harness: Harness, ec_key: ec.EllipticCurvePrivateKey, tmp_path: Path, arguments: tuple[str, ...], named: str
) -> None:
    error = refusal(harness, _openssl_file(ec_key, tmp_path, *arguments))
    assert error.code == "unsupported-key-encryption"
    assert named in error.message
    assert "openssl pkcs8 -topk8 -v2 aes-256-cbc" in error.message


def test_legacy_openssl_encrypted_pem_is_refused_with_advice(
    harness: Harness, ec_key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    error = refusal(harness, _openssl_file(ec_key, tmp_path, "ec", "-aes256"))
    assert error.code == "unsupported-key-encryption"
    assert "Proc-Type" in error.message


def _certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    import datetime as dt

    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Jan")])
    now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_files_that_are_not_private_keys_are_named(harness: Harness, ec_key: ec.EllipticCurvePrivateKey) -> None:
    from cryptography.x509.oid import NameOID

    certificate = _certificate(ec_key)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jan")]))
        .sign(ec_key, hashes.SHA256())
    )
    spki = ec_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    p12 = pkcs12.serialize_key_and_certificates(b"k", ec_key, certificate, None, serialization.NoEncryption())
    cases = {
        certificate.public_bytes(serialization.Encoding.PEM): "Plik zawiera certyfikat, a nie klucz prywatny.",
        certificate.public_bytes(serialization.Encoding.DER): "Plik zawiera certyfikat, a nie klucz prywatny.",
        csr.public_bytes(
            serialization.Encoding.PEM
        ): "Plik zawiera wniosek certyfikacyjny (CSR), a nie klucz prywatny.",
        spki: "Plik zawiera klucz publiczny, a nie prywatny.",
        p12: "Pliki PKCS#12 (.p12/.pfx) nie są obsługiwane w przeglądarce; wybierz plik .key z kluczem prywatnym.",
        b"to nie jest klucz": "Nie rozpoznano klucza prywatnego. Obsługiwane formaty: PKCS#8 (PEM/DER, także "
        "zaszyfrowany), PKCS#1 i SEC1.",
        b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n": "Uszkodzony blok PEM (niepoprawne "
        "kodowanie Base64).",
    }
    for file, message in cases.items():
        error = refusal(harness, file)
        assert (error.code, error.message) == ("not-a-key", message), file[:40]


@pytest.mark.parametrize(
    ("key", "described"),
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=1024), "RSA 1024 bitów"),
        (ec.generate_private_key(ec.SECP384R1()), "EC na krzywej secp384r1"),
        (ed25519.Ed25519PrivateKey.generate(), "algorytm 1.3.101.112"),
    ],
    ids=["rsa-1024", "p-384", "ed25519"],
)
def test_keys_ksef_does_not_accept_are_refused(harness: Harness, key: Any, described: str) -> None:
    error = refusal(harness, pem_encode("ENCRYPTED PRIVATE KEY", pkcs8.encrypt_private_key_info(_pkcs8(key), PASSWORD)))
    assert error.code == "unsupported-key"
    assert error.message == f"Nieobsługiwany klucz: {described}. KSeF przyjmuje tylko klucze EC P-256 albo RSA 2048."


def test_oversized_files_are_refused_before_parsing(harness: Harness) -> None:
    error = refusal(harness, b"0" * (1024 * 1024 + 1))
    assert (error.code, error.message) == ("not-a-key", "Plik jest zbyt duży, by był plikiem klucza prywatnego.")
