"""The server's keys at rest: created once, encrypted, owner-only, stable across restarts and concurrent starts."""

from __future__ import annotations

import multiprocessing
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ksef_mcu.crypto.encryption import decrypt_ksef_token, encrypt_ksef_token
from ksef_mcu.server.keys import (
    EC_KSEF_TOKEN_KEY_NAME,
    ENCRYPTION_KEY_NAMES,
    EncryptionCertificate,
    EncryptionKeyUsage,
    KeyStoreError,
    ServerKeys,
    open_server_keys,
)
from ksef_mcu.server.settings import KsefTokenKeyType, ServerSettings

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SECRET = "a-long-enough-test-passphrase"


def settings_for(data_dir: Path, **overrides: object) -> ServerSettings:
    return ServerSettings(data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def public_bytes(keys: ServerKeys) -> bytes:
    return keys.token_signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_encrypted_owner_only_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    open_server_keys(settings_for(data_dir), now=NOW)
    assert mode_of(data_dir) == 0o700
    assert mode_of(data_dir / "keys") == 0o700
    assert mode_of(data_dir / "secret") == 0o600
    names = ["token-signing", *ENCRYPTION_KEY_NAMES.values()]
    for name in names:
        key_file = data_dir / "keys" / f"{name}.key"
        assert mode_of(key_file) == 0o600
        assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for name in ENCRYPTION_KEY_NAMES.values():
        assert (data_dir / "keys" / f"{name}.crt").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert not [p for p in (data_dir / "keys").iterdir() if p.name.endswith(".tmp")]


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    first = open_server_keys(settings_for(tmp_path), now=NOW)
    second = open_server_keys(settings_for(tmp_path), now=NOW + timedelta(days=3))
    assert public_bytes(first) == public_bytes(second)
    assert first.token_key_id == second.token_key_id
    assert [c.certificate_id for c in first.encryption_certificates] == [
        c.certificate_id for c in second.encryption_certificates
    ]


def test_secret_from_the_environment_setting(tmp_path: Path) -> None:
    keys = open_server_keys(settings_for(tmp_path, secret=SECRET), now=NOW)
    assert not (tmp_path / "secret").exists()
    again = open_server_keys(settings_for(tmp_path, secret=SECRET), now=NOW)
    assert public_bytes(keys) == public_bytes(again)


def test_wrong_secret_is_refused(tmp_path: Path) -> None:
    open_server_keys(settings_for(tmp_path, secret=SECRET), now=NOW)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        open_server_keys(settings_for(tmp_path, secret="another-long-passphrase"), now=NOW)


def test_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="at least 16"):
        open_server_keys(settings_for(tmp_path, secret="short"), now=NOW)


def test_secret_file_elsewhere(tmp_path: Path) -> None:
    secret_file = tmp_path / "vault" / "ksef-mcu.secret"
    open_server_keys(settings_for(tmp_path / "data", secret_file=secret_file), now=NOW)
    assert mode_of(secret_file) == 0o600
    assert not (tmp_path / "data" / "secret").exists()


def test_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    open_server_keys(settings_for(tmp_path), now=NOW)
    (tmp_path / "keys" / "encryption-ksef-token.key").unlink()
    with pytest.raises(KeyStoreError, match="no private key"):
        open_server_keys(settings_for(tmp_path), now=NOW)


class TestEncryptionCertificates:
    def test_two_rsa_2048_certificates_one_per_usage(self, tmp_path: Path) -> None:
        keys = open_server_keys(settings_for(tmp_path), now=NOW)
        assert {c.usage for c in keys.encryption_certificates} == set(EncryptionKeyUsage)
        for entry in keys.encryption_certificates:
            public_key = entry.certificate.public_key()
            assert isinstance(public_key, rsa.RSAPublicKey)
            assert public_key.key_size == 2048
            assert entry.certificate.not_valid_before_utc <= NOW < entry.certificate.not_valid_after_utc
        ids = {c.public_key_id for c in keys.encryption_certificates}
        assert len(ids) == 2  # separate keys for the two purposes

    def test_private_half_decrypts_rsa_oaep_sha256(self, tmp_path: Path) -> None:
        keys = open_server_keys(settings_for(tmp_path), now=NOW)
        reopened = open_server_keys(settings_for(tmp_path), now=NOW)  # private keys loaded lazily here
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        for entry in keys.encryption_certificates:
            public_key = entry.certificate.public_key()
            assert isinstance(public_key, rsa.RSAPublicKey)
            ciphertext = public_key.encrypt(b"token|1752236636015", oaep)
            assert reopened.decryption_key(entry.usage).decrypt(ciphertext, oaep) == b"token|1752236636015"

    def test_renewed_before_expiry_with_the_same_key(self, tmp_path: Path) -> None:
        first = open_server_keys(settings_for(tmp_path), now=NOW)
        expiry = first.encryption_certificates[0].certificate.not_valid_after_utc
        later = open_server_keys(settings_for(tmp_path), now=expiry - timedelta(days=10))
        for old, new in zip(first.encryption_certificates, later.encryption_certificates, strict=True):
            assert new.certificate_id != old.certificate_id
            assert new.public_key_id == old.public_key_id
            assert new.certificate.not_valid_after_utc > expiry


def _open_and_report(data_dir: str, queue: multiprocessing.Queue[bytes]) -> None:
    keys = open_server_keys(ServerSettings(data_dir=Path(data_dir)), now=NOW)
    queue.put(public_bytes(keys) + b"|" + keys.encryption_certificates[0].public_key_id.encode())


def test_processes_starting_together_share_one_set_of_keys(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[bytes] = context.Queue()
    processes = [context.Process(target=_open_and_report, args=(str(tmp_path), queue)) for _ in range(4)]
    for process in processes:
        process.start()
    results = {queue.get(timeout=60) for _ in processes}
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert len(results) == 1


def test_an_ec_ksef_token_key_has_its_own_file_and_switching_back_keeps_both(tmp_path: Path) -> None:
    rsa_keys = open_server_keys(settings_for(tmp_path, secret=SECRET), now=NOW)
    ec_settings = settings_for(tmp_path, secret=SECRET, ksef_token_key_type=KsefTokenKeyType.EC)
    ec_keys = open_server_keys(ec_settings, now=NOW)

    def token_certificate(keys: ServerKeys) -> EncryptionCertificate:
        [entry] = [c for c in keys.encryption_certificates if c.usage is EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION]
        return entry

    assert (tmp_path / "keys" / f"{EC_KSEF_TOKEN_KEY_NAME}.key").exists()
    assert isinstance(token_certificate(ec_keys).certificate.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(ec_keys.decryption_key(EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION), ec.EllipticCurvePrivateKey)
    assert isinstance(ec_keys.session_key_decryption_key(), rsa.RSAPrivateKey)
    # the session key certificate and the token-signing key are the same in both modes
    assert public_bytes(ec_keys) == public_bytes(rsa_keys)
    again = open_server_keys(settings_for(tmp_path, secret=SECRET), now=NOW)
    assert token_certificate(again).certificate_id == token_certificate(rsa_keys).certificate_id
    # a token encrypted for the EC certificate opens with the EC key the server loads lazily after a restart
    restarted = open_server_keys(ec_settings, now=NOW + timedelta(days=1))
    encrypted = encrypt_ksef_token("token-abc", 42, token_certificate(restarted).certificate)
    key = restarted.decryption_key(EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION)
    assert decrypt_ksef_token(encrypted, key, expected_timestamp_ms=42).token == "token-abc"
