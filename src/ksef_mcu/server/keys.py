"""Keys the server owns, kept encrypted at rest in the data directory.

Layout of `<data_dir>`:

    secret                          the generated passphrase (mode 0600) — only when KSEF_MCU_SECRET is not set
    keys/.lock                      advisory lock taken while keys are created (two processes may start at once)
    keys/<name>.key                 private key: PEM `ENCRYPTED PRIVATE KEY` (PKCS#8 PBES2, AES-256-CBC), mode 0600
    keys/<name>.crt                 its certificate (PEM), when it has one

Built-in names: `token-signing` (EC P-256, signs every JWT), `encryption-symmetric-key` and `encryption-ksef-token`
(RSA 2048 with self-signed certificates, served by `/v2/security/public-key-certificates`), or
`encryption-ksef-token-ec` (EC P-256) in its place when `KSEF_MCU_KSEF_TOKEN_KEY_TYPE=EC`. Modules keep their keys in
the same store (the certificates domain: its CA keys) through `KeyStore.load_or_create_key`.

Files appear atomically (written aside, then linked into place), so a crash never leaves half a key, and an existing
key is never overwritten; certificates are renewed in place (same key) shortly before they expire.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import fcntl
import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from threading import Lock

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.keys import KeyKind, PrivateKey, encrypt_private_key, generate_private_key, load_private_key
from ksef_mcu.server.settings import KsefTokenKeyType, ServerSettings
from ksef_mcu.storage.files import ensure_private_directory, replace_file, write_new_file

TOKEN_SIGNING_KEY = "token-signing"  # noqa: S105 - a file name
CERTIFICATE_LIFETIME = timedelta(days=730)
CERTIFICATE_RENEWAL_MARGIN = timedelta(days=30)


class KeyStoreError(RuntimeError):
    """The key store cannot be used (wrong passphrase, unreadable or foreign files). Operator-facing, English."""


class EncryptionKeyUsage(enum.StrEnum):
    """`PublicKeyCertificate.usage` values."""

    KSEF_TOKEN_ENCRYPTION = "KsefTokenEncryption"  # noqa: S105 - an enum value
    SYMMETRIC_KEY_ENCRYPTION = "SymmetricKeyEncryption"


ENCRYPTION_KEY_NAMES: dict[EncryptionKeyUsage, str] = {
    EncryptionKeyUsage.SYMMETRIC_KEY_ENCRYPTION: "encryption-symmetric-key",
    EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION: "encryption-ksef-token",
}
"""The RSA encryption keys (the default)."""
EC_KSEF_TOKEN_KEY_NAME = "encryption-ksef-token-ec"  # noqa: S105 - a file name
"""The `KsefTokenEncryption` key when it is EC P-256 (`KsefTokenKeyType.EC`)."""

DecryptionKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def encryption_keys(settings: ServerSettings) -> dict[EncryptionKeyUsage, tuple[str, KeyKind]]:
    """The name and kind of the key behind each encryption certificate the settings ask for."""
    keys = {usage: (name, KeyKind.RSA_2048) for usage, name in ENCRYPTION_KEY_NAMES.items()}
    if settings.ksef_token_key_type is KsefTokenKeyType.EC:
        keys[EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION] = (EC_KSEF_TOKEN_KEY_NAME, KeyKind.EC_P256)
    return keys


def load_or_create_secret(settings: ServerSettings) -> str:
    """The passphrase protecting the server's keys: `KSEF_MCU_SECRET`, else the secret file (created on first use)."""
    if settings.secret is not None:
        value = settings.secret.get_secret_value()
        if len(value) < 16:
            raise KeyStoreError("KSEF_MCU_SECRET must be at least 16 characters long")
        return value
    path = settings.resolved_secret_file
    ensure_private_directory(path.parent)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            write_new_file(path, (secrets.token_urlsafe(32) + "\n").encode("ascii"))
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < 16:
        raise KeyStoreError(f"the secret file {path} is empty or too short")
    return value


class KeyStore:
    """Named private keys (encrypted with one passphrase) and certificates in one directory."""

    def __init__(self, directory: Path, passphrase: str) -> None:
        self.directory = directory
        self._passphrase = passphrase
        self._thread_lock = Lock()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock (threads of this process and other processes) while creating files."""
        ensure_private_directory(self.directory)
        with self._thread_lock, open(self.directory / ".lock", "a+b") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def key_path(self, name: str) -> Path:
        return self.directory / f"{name}.key"

    def certificate_path(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def load_key(self, name: str) -> PrivateKey | None:
        """The key called `name`, or None if there is none. Raises `KeyStoreError` if it cannot be opened."""
        path = self.key_path(name)
        if not path.exists():
            return None
        try:
            return load_private_key(path.read_bytes(), self._passphrase)
        except ValueError as error:
            raise KeyStoreError(
                f"cannot open {path}: wrong passphrase (KSEF_MCU_SECRET / secret file) or damaged file"
            ) from error

    def load_or_create_key(self, name: str, kind: KeyKind) -> PrivateKey:
        """The key called `name`, generated and stored on first use."""
        existing = self.load_key(name)
        if existing is not None:
            return existing
        with self.locked():
            existing = self.load_key(name)
            if existing is not None:
                return existing
            key = generate_private_key(kind)
            write_new_file(self.key_path(name), encrypt_private_key(key, self._passphrase))
            return key

    def load_certificate(self, name: str) -> x509.Certificate | None:
        path = self.certificate_path(name)
        if not path.exists():
            return None
        return x509.load_pem_x509_certificate(path.read_bytes())

    def load_or_create_certificate(
        self,
        name: str,
        build: Callable[[], x509.Certificate],
        *,
        now: datetime,
        renewal_margin: timedelta = CERTIFICATE_RENEWAL_MARGIN,
    ) -> x509.Certificate:
        """The certificate called `name`; built (by `build`) when missing or about to expire."""

        def usable(certificate: x509.Certificate | None) -> x509.Certificate | None:
            if certificate is not None and certificate.not_valid_after_utc - renewal_margin > now:
                return certificate
            return None

        if current := usable(self.load_certificate(name)):
            return current
        with self.locked():
            if current := usable(self.load_certificate(name)):
                return current
            fresh = build()
            replace_file(self.certificate_path(name), fresh.public_bytes(serialization.Encoding.PEM))
            return fresh


@dataclass(frozen=True, slots=True)
class EncryptionCertificate:
    """One entry of `/v2/security/public-key-certificates`."""

    usage: EncryptionKeyUsage
    certificate: x509.Certificate
    certificate_der: bytes
    certificate_id: str
    """Base64 SHA-256 of the DER certificate."""
    public_key_id: str
    """Base64 SHA-256 of the DER SubjectPublicKeyInfo (stays the same when the certificate is renewed)."""
    key_name: str
    """The name of its private key in the key store."""


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def describe_encryption_certificate(
    usage: EncryptionKeyUsage, certificate: x509.Certificate, *, key_name: str
) -> EncryptionCertificate:
    der = certificate.public_bytes(serialization.Encoding.DER)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return EncryptionCertificate(usage, certificate, der, _sha256_b64(der), _sha256_b64(spki), key_name)


def build_service_certificate(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, *, common_name: str, signing: bool, now: datetime
) -> x509.Certificate:
    """A self-signed certificate for one of the server's own keys, valid `CERTIFICATE_LIFETIME` from an hour before
    `now` (UTC): a signing key's (digital signature, non-repudiation) or an encryption key's (key encipherment for
    RSA, key agreement for EC)."""
    agreement = not signing and isinstance(key, ec.EllipticCurvePrivateKey)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ksef-mcu"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=signing,
                content_commitment=signing,
                key_encipherment=not signing and not agreement,
                data_encipherment=False,
                key_agreement=agreement,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if isinstance(key, rsa.RSAPrivateKey):
        return builder.sign(key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())
    return builder.sign(key, hashes.SHA256())


def build_encryption_certificate(key: DecryptionKey, usage: EncryptionKeyUsage, *, now: datetime) -> x509.Certificate:
    """A self-signed certificate for one of the server's encryption keys (key encipherment for RSA, key agreement
    for EC)."""
    return build_service_certificate(key, common_name=f"ksef-mcu {usage.value}", signing=False, now=now)


@dataclass
class ServerKeys:
    """The server's own key material, loaded once at start-up and shared by every request."""

    store: KeyStore
    token_signing_key: ec.EllipticCurvePrivateKey
    token_key_id: str
    encryption_certificates: tuple[EncryptionCertificate, ...]
    _decryption_keys: dict[EncryptionKeyUsage, DecryptionKey] = field(default_factory=dict, repr=False)

    def derived_secret(self, purpose: str) -> bytes:
        """32 bytes for `purpose` (e.g. signing the web screens' session cookies), derived from the token-signing
        key with HKDF-SHA256: the same in every process sharing the data directory, new when that key is."""
        private_value = self.token_signing_key.private_numbers().private_value.to_bytes(32, "big")
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode("utf-8")).derive(private_value)

    def decryption_key(self, usage: EncryptionKeyUsage) -> DecryptionKey:
        """The private half of an encryption certificate (loaded on first use: loading an RSA key validates it, which
        is slow): RSA, or EC P-256 for `KsefTokenEncryption` when the settings ask for it."""
        if usage not in self._decryption_keys:
            [key_name] = [entry.key_name for entry in self.encryption_certificates if entry.usage is usage]
            key = self.store.load_key(key_name)
            if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise KeyStoreError(f"the {usage.value} key is missing from {self.store.directory}")
            self._decryption_keys[usage] = key
        return self._decryption_keys[usage]

    def session_key_decryption_key(self) -> rsa.RSAPrivateKey:
        """The `SymmetricKeyEncryption` private key (always RSA: session keys are wrapped with RSA-OAEP)."""
        key = self.decryption_key(EncryptionKeyUsage.SYMMETRIC_KEY_ENCRYPTION)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyStoreError(f"the SymmetricKeyEncryption key in {self.store.directory} is not an RSA key")
        return key


def open_server_keys(settings: ServerSettings, *, now: datetime) -> ServerKeys:
    """Load the server's keys from the data directory, creating whatever is missing (safe across processes)."""
    ensure_private_directory(settings.data_dir)
    store = KeyStore(settings.keys_dir, load_or_create_secret(settings))
    signing_key = store.load_or_create_key(TOKEN_SIGNING_KEY, KeyKind.EC_P256)
    if not isinstance(signing_key, ec.EllipticCurvePrivateKey):
        raise KeyStoreError(f"{store.key_path(TOKEN_SIGNING_KEY)} is not an EC P-256 key")
    spki = signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_id = base64.urlsafe_b64encode(hashlib.sha256(spki).digest()[:12]).decode("ascii")

    certificates: list[EncryptionCertificate] = []
    decryption_keys: dict[EncryptionKeyUsage, DecryptionKey] = {}
    for usage, (name, kind) in encryption_keys(settings).items():
        certificate = store.load_certificate(name)
        if certificate is not None and not store.key_path(name).exists():
            raise KeyStoreError(f"{store.certificate_path(name)} has no private key next to it")
        if certificate is None or certificate.not_valid_after_utc - CERTIFICATE_RENEWAL_MARGIN <= now:
            key = store.load_or_create_key(name, kind)
            expected = rsa.RSAPrivateKey if kind is KeyKind.RSA_2048 else ec.EllipticCurvePrivateKey
            if not isinstance(key, expected):
                raise KeyStoreError(f"{store.key_path(name)} is not an {kind.label} key")
            certificate = store.load_or_create_certificate(
                name, partial(build_encryption_certificate, key, usage, now=now), now=now
            )
            decryption_keys[usage] = key
        certificates.append(describe_encryption_certificate(usage, certificate, key_name=name))
    return ServerKeys(store, signing_key, key_id, tuple(certificates), decryption_keys)
