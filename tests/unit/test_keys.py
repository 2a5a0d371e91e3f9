from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto import pkcs8
from ksef_mcu.crypto.errors import (
    CertificateError,
    KeyFileError,
    NotAPrivateKeyError,
    PasswordRequiredError,
    UnsupportedKeyEncryptionError,
    UnsupportedKeyError,
    WrongPasswordError,
)
from ksef_mcu.crypto.keys import (
    KeyKind,
    der_shape,
    encrypt_private_key,
    generate_private_key,
    key_kind,
    load_pkcs12,
    load_private_key,
    pem_blocks,
    public_key_sha256_fingerprint,
)

PASSWORD = "Zażółć!Gęślą1234"
OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    key = generate_private_key(KeyKind.EC_P256)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    key = generate_private_key(KeyKind.RSA_2048)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _same(a: Any, b: Any) -> bool:
    return bool(public_key_sha256_fingerprint(a) == public_key_sha256_fingerprint(b))


def _self_signed(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> x509.Certificate:
    import datetime as dt

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


class TestGenerate:
    def test_default_is_ec_p256(self) -> None:
        key = generate_private_key()
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert isinstance(key.curve, ec.SECP256R1)
        assert key_kind(key) is KeyKind.EC_P256

    def test_rsa_is_2048_with_e_65537(self, rsa_key: rsa.RSAPrivateKey) -> None:
        assert rsa_key.key_size == 2048
        assert rsa_key.public_key().public_numbers().e == 65537
        assert key_kind(rsa_key) is KeyKind.RSA_2048

    def test_kind_labels(self) -> None:
        assert KeyKind.EC_P256.label == "EC P-256"
        assert KeyKind("rsa-2048").label == "RSA 2048"


class TestKeyFile:
    @pytest.mark.parametrize("which", ["ec_key", "rsa_key"])
    def test_round_trip(self, which: str, request: pytest.FixtureRequest) -> None:
        key = request.getfixturevalue(which)
        pem = encrypt_private_key(key, PASSWORD)
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        assert pem.endswith(b"-----END ENCRYPTED PRIVATE KEY-----\n")
        assert all(len(line) <= 64 for line in pem.splitlines())
        assert _same(load_private_key(pem, PASSWORD), key)

    def test_parameters_are_those_of_mcu(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        (block,) = pem_blocks(encrypt_private_key(ec_key, PASSWORD))
        parameters, ciphertext, key_length, _ = pkcs8.read_pbes2_parameters(block.der)
        assert parameters.prf == "hmacWithSHA256"
        assert parameters.iterations == 100_000
        assert len(parameters.salt) == 16
        assert parameters.cipher == "aes-256-cbc"
        assert len(parameters.iv) == 16
        assert key_length == 32
        # An EC P-256 PKCS#8 key padded to the AES block: the same 144 bytes as a real MCU `.key`.
        assert len(ciphertext) == 144

    def test_salt_and_iv_are_fresh_each_time(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        first = encrypt_private_key(ec_key, PASSWORD)
        second = encrypt_private_key(ec_key, PASSWORD)
        assert first != second

    def test_empty_password_is_refused(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        with pytest.raises(PasswordRequiredError):
            encrypt_private_key(ec_key, "")

    def test_wrong_and_missing_password(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        pem = encrypt_private_key(ec_key, PASSWORD)
        with pytest.raises(PasswordRequiredError, match="zaszyfrowany"):
            load_private_key(pem)
        with pytest.raises(PasswordRequiredError):
            load_private_key(pem, "")
        with pytest.raises(WrongPasswordError, match="Nieprawidłowe hasło"):
            load_private_key(pem, PASSWORD + "x")

    def test_many_wrong_passwords_never_yield_a_key(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        # About 1 in 256 wrong passwords gives valid padding; the garbage plaintext must still be a wrong password.
        der = pkcs8.encrypt_private_key_info(
            ec_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            PASSWORD,
            iterations=1,
        )
        for attempt in range(600):
            with pytest.raises(WrongPasswordError):
                load_private_key(der, f"wrong-{attempt}")

    def test_absurd_iteration_count_is_refused(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        info = ec_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        der = _with_iterations(pkcs8.encrypt_private_key_info(info, PASSWORD, iterations=1), 2**31 - 1)
        with pytest.raises(UnsupportedKeyEncryptionError, match="iteracji"):
            pkcs8.read_pbes2_parameters(der)
        with pytest.raises(UnsupportedKeyEncryptionError):
            load_private_key(der, PASSWORD)

    def test_pinned_salt_and_iv_give_fixed_output(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        info = ec_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        first = pkcs8.encrypt_private_key_info(info, PASSWORD, salt=b"s" * 16, iv=b"i" * 16, iterations=10)
        second = pkcs8.encrypt_private_key_info(info, PASSWORD, salt=b"s" * 16, iv=b"i" * 16, iterations=10)
        assert first == second
        assert pkcs8.decrypt_private_key_info(first, PASSWORD) == info


def _with_iterations(der: bytes, iterations: int) -> bytes:
    from pyasn1.codec.der import decoder, encoder
    from pyasn1_alt_modules import rfc5958, rfc8018

    info, _ = decoder.decode(der, asn1Spec=rfc5958.EncryptedPrivateKeyInfo())
    pbes2, _ = decoder.decode(bytes(info["encryptionAlgorithm"]["parameters"]), asn1Spec=rfc8018.PBES2_params())
    kdf, _ = decoder.decode(bytes(pbes2["keyDerivationFunc"]["parameters"]), asn1Spec=rfc8018.PBKDF2_params())
    kdf["iterationCount"] = iterations
    pbes2["keyDerivationFunc"]["parameters"] = encoder.encode(kdf)
    info["encryptionAlgorithm"]["parameters"] = encoder.encode(pbes2)
    return bytes(encoder.encode(info))


class TestLoadFormats:
    def test_unencrypted_pkcs8_pem_and_der(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
            data = ec_key.private_bytes(encoding, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            assert _same(load_private_key(data), ec_key)
            assert _same(load_private_key(data, "ignored for unencrypted keys"), ec_key)

    def test_pkcs1_and_sec1_pem_der_and_base64(
        self, ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey
    ) -> None:
        for key in (ec_key, rsa_key):
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
            der = key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
            assert pem.startswith((b"-----BEGIN EC PRIVATE KEY", b"-----BEGIN RSA PRIVATE KEY"))
            # The official C# client writes base64 of the DER without armour; Java writes raw DER.
            for data in (
                pem,
                der,
                base64.b64encode(der),
                base64.encodebytes(der),
                b"  " + base64.b64encode(der) + b"\n",
            ):
                assert _same(load_private_key(data), key)

    def test_encrypted_pkcs8_der(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        (block,) = pem_blocks(encrypt_private_key(ec_key, PASSWORD))
        assert _same(load_private_key(block.der, PASSWORD), ec_key)

    def test_cryptography_best_available_encryption_is_read(self, rsa_key: rsa.RSAPrivateKey) -> None:
        pem = rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
        assert _same(load_private_key(pem, PASSWORD), rsa_key)
        with pytest.raises(WrongPasswordError):
            load_private_key(pem, "nope")

    def test_pkcs12_with_and_without_password(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        certificate = _self_signed(ec_key)
        protected = pkcs12.serialize_key_and_certificates(
            b"k", ec_key, certificate, None, serialization.BestAvailableEncryption(b"secret")
        )
        key, loaded = load_pkcs12(protected, "secret")
        assert _same(key, ec_key)
        assert loaded == certificate
        assert _same(load_private_key(protected, "secret"), ec_key)
        with pytest.raises(PasswordRequiredError):
            load_pkcs12(protected)
        with pytest.raises(WrongPasswordError):
            load_pkcs12(protected, "wrong")
        open_file = pkcs12.serialize_key_and_certificates(b"k", ec_key, certificate, None, serialization.NoEncryption())
        assert _same(load_pkcs12(open_file)[0], ec_key)

    def test_pkcs12_picks_the_certificate_of_the_key(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        other = _self_signed(generate_private_key())  # type: ignore[arg-type]
        mine = _self_signed(ec_key)
        data = pkcs12.serialize_key_and_certificates(b"k", ec_key, None, [other, mine], serialization.NoEncryption())
        assert load_pkcs12(data)[1] == mine

    def test_pkcs12_without_a_matching_certificate(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        other = _self_signed(generate_private_key())  # type: ignore[arg-type]
        data = pkcs12.serialize_key_and_certificates(b"k", ec_key, None, [other], serialization.NoEncryption())
        with pytest.raises(CertificateError):
            load_pkcs12(data)

    def test_pkcs12_without_a_key(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        data = pkcs12.serialize_key_and_certificates(
            None, None, None, [_self_signed(ec_key)], serialization.NoEncryption()
        )
        with pytest.raises(NotAPrivateKeyError, match="nie zawiera klucza"):
            load_pkcs12(data)

    def test_load_pkcs12_refuses_other_data(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        with pytest.raises(KeyFileError):
            load_pkcs12(encrypt_private_key(ec_key, PASSWORD), PASSWORD)


class TestNotAKey:
    def test_certificate(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        certificate = _self_signed(ec_key)
        for data in (
            certificate.public_bytes(serialization.Encoding.PEM),
            certificate.public_bytes(serialization.Encoding.DER),
        ):
            with pytest.raises(NotAPrivateKeyError, match="certyfikat"):
                load_private_key(data)

    def test_public_key(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        public = ec_key.public_key()
        for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
            data = public.public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)
            with pytest.raises(NotAPrivateKeyError, match="klucz publiczny"):
                load_private_key(data)

    def test_csr(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
            .sign(ec_key, hashes.SHA256())
        )
        for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
            with pytest.raises(NotAPrivateKeyError, match="CSR"):
                load_private_key(csr.public_bytes(encoding))

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"hello world",
            b"\x30\x03\x02\x01",
            b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n",
            bytes(range(256)),
        ],
    )
    def test_garbage(self, data: bytes) -> None:
        with pytest.raises(NotAPrivateKeyError, match="Nie rozpoznano"):
            load_private_key(data)

    def test_broken_pem_body(self) -> None:
        with pytest.raises(NotAPrivateKeyError, match="Base64"):
            load_private_key(b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n")


class TestUnsupportedKeys:
    @pytest.mark.parametrize(
        ("make", "shown"),
        [
            (lambda: rsa.generate_private_key(65537, 1024), "RSA 1024 bitów"),
            (lambda: rsa.generate_private_key(65537, 3072), "RSA 3072 bitów"),
            (lambda: ec.generate_private_key(ec.SECP384R1()), "EC na krzywej secp384r1"),
            (lambda: ec.generate_private_key(ec.SECP256K1()), "EC na krzywej secp256k1"),
            (ed25519.Ed25519PrivateKey.generate, "Ed25519"),
        ],
    )
    def test_rejected_with_a_description(self, make: Any, shown: str) -> None:
        key = make()
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with pytest.raises(UnsupportedKeyError) as raised:
            load_private_key(data)
        assert shown in raised.value.message
        assert "EC P-256 albo RSA 2048" in raised.value.message
        with pytest.raises(UnsupportedKeyError):
            key_kind(key)

    def test_encrypt_refuses_unsupported_keys(self) -> None:
        with pytest.raises(UnsupportedKeyError):
            encrypt_private_key(ec.generate_private_key(ec.SECP384R1()), PASSWORD)  # type: ignore[arg-type]


class TestFingerprint:
    def test_same_for_private_public_and_certificate(self, ec_key: ec.EllipticCurvePrivateKey) -> None:
        fingerprint = public_key_sha256_fingerprint(ec_key)
        assert len(fingerprint) == 64
        assert fingerprint == fingerprint.upper()
        assert public_key_sha256_fingerprint(ec_key.public_key()) == fingerprint
        assert public_key_sha256_fingerprint(_self_signed(ec_key)) == fingerprint

    def test_differs_between_keys(self, ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey) -> None:
        assert public_key_sha256_fingerprint(ec_key) != public_key_sha256_fingerprint(rsa_key)


class TestDerShape:
    def test_shapes(self, ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey) -> None:
        nothing = serialization.NoEncryption()
        der = serialization.Encoding.DER
        assert der_shape(ec_key.private_bytes(der, serialization.PrivateFormat.PKCS8, nothing)) == "pkcs8"
        assert der_shape(ec_key.private_bytes(der, serialization.PrivateFormat.TraditionalOpenSSL, nothing)) == "sec1"
        assert der_shape(rsa_key.private_bytes(der, serialization.PrivateFormat.TraditionalOpenSSL, nothing)) == "pkcs1"
        assert der_shape(_self_signed(ec_key).public_bytes(der)) == "certificate"
        assert der_shape(b"\x30\x00trailing") == "unknown"


@needs_openssl
class TestOpenSslInterop:
    def _openssl(self, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        assert OPENSSL is not None
        return subprocess.run([OPENSSL, *arguments], cwd=cwd, capture_output=True, text=True, check=False)

    @pytest.mark.parametrize("kind", list(KeyKind))
    def test_openssl_opens_our_key_file(self, kind: KeyKind, tmp_path: Path) -> None:
        key = generate_private_key(kind)
        (tmp_path / "k.key").write_bytes(encrypt_private_key(key, PASSWORD))
        (tmp_path / "pass").write_text(PASSWORD, encoding="utf-8")
        opened = self._openssl("pkey", "-in", "k.key", "-passin", "file:pass", "-pubout", cwd=tmp_path)
        assert opened.returncode == 0, opened.stderr
        expected = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert opened.stdout.encode() == expected
        wrong = self._openssl("pkey", "-in", "k.key", "-passin", "pass:wrong", "-noout", cwd=tmp_path)
        assert wrong.returncode != 0

    def test_asn1parse_shows_the_mcu_parameters(self, tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey) -> None:
        (tmp_path / "k.key").write_bytes(encrypt_private_key(ec_key, PASSWORD))
        parsed = self._openssl("asn1parse", "-in", "k.key", cwd=tmp_path)
        assert parsed.returncode == 0, parsed.stderr
        for expected in (":PBES2", ":PBKDF2", ":0186A0", ":hmacWithSHA256", ":aes-256-cbc"):
            assert expected in parsed.stdout

    @pytest.mark.parametrize(
        "arguments",
        [
            ("pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1", "-iter", "2048"),
            ("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512", "-iter", "1000"),
            ("pkcs8", "-topk8", "-v2", "des3"),
            ("pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES"),
            ("ec", "-aes256"),
        ],
    )
    def test_we_open_openssl_encrypted_keys(self, arguments: tuple[str, ...], tmp_path: Path) -> None:
        key = generate_private_key()
        (tmp_path / "plain.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        made = self._openssl(*arguments, "-in", "plain.pem", "-passout", "pass:abc", "-out", "enc.pem", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        data = (tmp_path / "enc.pem").read_bytes()
        assert _same(load_private_key(data, "abc"), key)
        with pytest.raises(PasswordRequiredError):
            load_private_key(data)
        with pytest.raises(WrongPasswordError):
            load_private_key(data, "abd")


def test_official_java_sample_key_parameters_match_ours(official_vectors: dict[str, Any]) -> None:
    sample = official_vectors["taxpayer_app_encrypted_key_params"]
    assert sample["pem_label"] == "ENCRYPTED PRIVATE KEY"
    assert "100000" in sample["kdf"]
    assert "hmacWithSHA256" in sample["kdf"]
    assert sample["cipher"].startswith("aes-256-cbc")


def test_official_csharp_pkcs1_base64_key_loads(official_vectors: dict[str, Any]) -> None:
    vector = official_vectors["kod2_docs_rsa_pss"]
    key = load_private_key(vector["private_key_pkcs1_der_base64"].encode())
    assert key_kind(key) is KeyKind.RSA_2048
