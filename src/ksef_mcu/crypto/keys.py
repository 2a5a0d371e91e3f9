"""Private keys for KSeF certificates: generate, write as MCU-style `.key` files, and load whatever users have.

KSeF accepts exactly two key kinds: EC P-256 (the default, what MCU generates in the browser) and RSA 2048.

Key files we write are PEM `ENCRYPTED PRIVATE KEY` (PKCS#8 PBES2, PBKDF2-HMAC-SHA256, 100 000 iterations, 16-byte
salt, AES-256-CBC), which `openssl pkey -passin ...` opens. We read:

- PKCS#8 PEM or DER, encrypted or not (MCU `.key`, Java client output);
- PKCS#1 `RSA PRIVATE KEY` / SEC1 `EC PRIVATE KEY` PEM or DER, including OpenSSL's legacy encrypted PEM;
- base64 of any DER form above without PEM armour (what the official C# client writes);
- PKCS#12 (`.p12`/`.pfx`).

Loading an RSA key runs `cryptography`'s key validation, which is slow (figures in docs/keys-and-csr.md, measured by
`bench/crypto.py`), so callers load a key once and reuse the object; nothing here re-parses a key per signature.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import re
from dataclasses import dataclass
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.hazmat.primitives.serialization.pkcs12 import PKCS12KeyAndCertificates

from ksef_mcu.crypto import pkcs8
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import (
    CertificateError,
    KeyFileError,
    NotAPrivateKeyError,
    PasswordRequiredError,
    UnsupportedKeyError,
    WrongPasswordError,
)

__all__ = [
    "RSA_KEY_SIZE",
    "RSA_PUBLIC_EXPONENT",
    "KeyKind",
    "PemBlock",
    "PrivateKey",
    "PublicKey",
    "der_shape",
    "encrypt_private_key",
    "generate_private_key",
    "key_kind",
    "load_pkcs12",
    "load_private_key",
    "pem_blocks",
    "pem_encode",
    "public_key_sha256_fingerprint",
]

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
"""A private key KSeF accepts (EC P-256 or RSA 2048)."""
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
"""A public key KSeF accepts (EC P-256 or RSA 2048)."""

RSA_KEY_SIZE = 2048
RSA_PUBLIC_EXPONENT = 65537


class KeyKind(enum.StrEnum):
    """The two key kinds KSeF accepts."""

    EC_P256 = "ec-p256"
    RSA_2048 = "rsa-2048"

    @property
    def label(self) -> str:
        """Human-readable name (`EC P-256`, `RSA 2048`)."""
        return {KeyKind.EC_P256: "EC P-256", KeyKind.RSA_2048: "RSA 2048"}[self]


def generate_private_key(kind: KeyKind = KeyKind.EC_P256) -> PrivateKey:
    """Generate a new private key of `kind` (EC P-256 by default, as MCU does)."""
    if kind is KeyKind.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_SIZE)


def _describe_unsupported(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA {key.key_size} bitów"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC na krzywej {key.curve.name}"
    name = type(key).__name__.removeprefix("_").replace("PrivateKey", "").replace("PublicKey", "")
    return f"algorytm {name or 'nieznany'}"


def key_kind(key: object) -> KeyKind:
    """The `KeyKind` of a private or public key; raises `UnsupportedKeyError` for any other key."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size == RSA_KEY_SIZE:
        return KeyKind.RSA_2048
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return KeyKind.EC_P256
    raise UnsupportedKeyError(
        f"Nieobsługiwany klucz: {_describe_unsupported(key)}. KSeF przyjmuje tylko klucze EC P-256 albo RSA 2048."
    )


def _supported(key: object) -> PrivateKey:
    """`key` as a `PrivateKey` if KSeF accepts it; `UnsupportedKeyError` (naming the key) otherwise."""
    kind = key_kind(key)
    if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return key
    raise UnsupportedKeyError(f"Oczekiwano klucza prywatnego {kind.label}, a podano klucz publiczny.")


def public_key_sha256_fingerprint(key: PrivateKey | PublicKey | x509.Certificate) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo as 64 upper-case hex digits.

    Accepts a private key, a public key or a certificate (its public key). Two keys have the same fingerprint
    exactly when they are the same public key, which is how "key already certified" is recognised.
    """
    public = (
        key.public_key() if isinstance(key, x509.Certificate | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else key
    )
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest().upper()


def encrypt_private_key(key: PrivateKey, password: str) -> bytes:
    """The key as an MCU-style `.key` file: PEM `ENCRYPTED PRIVATE KEY`, PBES2/PBKDF2-HMAC-SHA256/100 000/AES-256-CBC.

    The password is not checked against the MCU rule here (see `passwords.check_key_password`); it must not be
    empty. Raises `UnsupportedKeyError` for keys KSeF does not accept.
    """
    _supported(key)
    if not password:
        raise PasswordRequiredError("Hasło do klucza prywatnego nie może być puste.")
    private_key_info = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem_encode("ENCRYPTED PRIVATE KEY", pkcs8.encrypt_private_key_info(private_key_info, password))


# --- reading ----------------------------------------------------------------------------------------------------

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----",
    re.DOTALL,
)
_BASE64_TEXT = re.compile(rb"^[A-Za-z0-9+/=\s]+$")


@dataclass(frozen=True, slots=True)
class PemBlock:
    """One PEM block: its label (e.g. `CERTIFICATE`), RFC 1421 headers, and the decoded DER."""

    label: str
    headers: dict[str, str]
    der: bytes
    text: bytes
    """The whole block as it appeared, for handing to parsers that need the armour (legacy encrypted PEM)."""


def pem_encode(label: str, der: bytes) -> bytes:
    """PEM armour with 64-character lines and a final newline."""
    body = base64.b64encode(der)
    lines = b"\n".join(body[index : index + 64] for index in range(0, len(body), 64))
    return b"-----BEGIN " + label.encode() + b"-----\n" + lines + b"\n-----END " + label.encode() + b"-----\n"


def pem_blocks(data: bytes) -> list[PemBlock]:
    """All PEM blocks in `data`, in order. Blocks whose body is not valid base64 raise `NotAPrivateKeyError`."""
    blocks: list[PemBlock] = []
    for match in _PEM_BLOCK.finditer(data):
        label = match.group(1).decode("ascii")
        headers: dict[str, str] = {}
        body_lines: list[bytes] = []
        for line in match.group(2).splitlines():
            stripped = line.strip()
            if b":" in stripped and not body_lines:
                name, _, value = stripped.partition(b":")
                headers[name.decode("ascii", "replace").strip()] = value.decode("ascii", "replace").strip()
            elif stripped:
                body_lines.append(stripped)
        try:
            der = base64.b64decode(b"".join(body_lines), validate=True)
        except binascii.Error as error:
            raise NotAPrivateKeyError(f"Uszkodzony blok PEM „{label}” (niepoprawne kodowanie Base64).") from error
        blocks.append(PemBlock(label, headers, der, match.group(0)))
    return blocks


def _read_tlv(data: bytes, offset: int) -> tuple[int, int, int] | None:
    """(tag, content start, content end) of the DER TLV at `offset`, or None if it is not a well-formed TLV."""
    if offset + 2 > len(data):
        return None
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            return None
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    return (tag, start, end) if end <= len(data) else None


def der_shape(data: bytes) -> str:
    """Recognise a DER structure by its first children, without parsing it fully.

    Returns one of: `encrypted-pkcs8`, `pkcs8`, `pkcs1`, `sec1`, `pkcs12`, `certificate`, `csr`, `public-key`,
    `unknown` (also for data that is not one complete DER SEQUENCE).
    """
    outer = _read_tlv(data, 0)
    if outer is None or outer[0] != 0x30 or outer[2] != len(data):
        return "unknown"
    children: list[tuple[int, bytes]] = []
    offset = outer[1]
    while offset < outer[2] and len(children) < 3:
        child = _read_tlv(data, offset)
        if child is None:
            return "unknown"
        children.append((child[0], data[child[1] : child[2]]))
        offset = child[2]
    tags = [tag for tag, _ in children]
    first_integer = int.from_bytes(children[0][1], "big") if tags and tags[0] == 0x02 else None
    if tags[:2] == [0x30, 0x04]:
        return "encrypted-pkcs8"
    if tags[:2] == [0x02, 0x30]:
        return {0: "pkcs8", 1: "pkcs8", 3: "pkcs12"}.get(first_integer or 0, "unknown")
    if tags[:2] == [0x02, 0x02] and first_integer == 0:
        return "pkcs1"
    if tags[:2] == [0x02, 0x04] and first_integer == 1:
        return "sec1"
    if tags == [0x30, 0x30, 0x03]:
        # Certificate and CertificationRequest are both SEQUENCE {tbs, algorithm, signature}; a certificate's tbs
        # starts with the explicit [0] version (or a serial INTEGER for v1), a CSR's with `version INTEGER 0` and a
        # Name SEQUENCE.
        tbs = children[0][1]
        first = _read_tlv(tbs, 0)
        if first is not None and first[0] == 0x02:
            second = _read_tlv(tbs, first[2])
            return (
                "csr"
                if second is not None and second[0] == 0x30 and tbs[first[1] : first[2]] == b"\x00"
                else "certificate"
            )
        return "certificate"
    if tags[:2] == [0x30, 0x03] and len(children) == 2:
        return "public-key"
    return "unknown"


_NOT_A_KEY_MESSAGES = {
    "certificate": "Plik zawiera certyfikat, a nie klucz prywatny.",
    "csr": "Plik zawiera wniosek certyfikacyjny (CSR), a nie klucz prywatny.",
    "public-key": "Plik zawiera klucz publiczny, a nie prywatny.",
}
_UNKNOWN_KEY_FORMAT = (
    "Nie rozpoznano klucza prywatnego. Obsługiwane formaty: PKCS#8 (PEM/DER, także zaszyfrowany), "
    "PKCS#1, SEC1 i PKCS#12 (.p12/.pfx)."
)
_PEM_LABEL_SHAPES = {
    "CERTIFICATE": "certificate",
    "TRUSTED CERTIFICATE": "certificate",
    "CERTIFICATE REQUEST": "csr",
    "NEW CERTIFICATE REQUEST": "csr",
    "PUBLIC KEY": "public-key",
    "RSA PUBLIC KEY": "public-key",
}


def _password_bytes(password: str | None) -> bytes | None:
    return None if password is None else password.encode("utf-8")


def _load_unencrypted_der(der: bytes) -> PrivateKey:
    try:
        key = serialization.load_der_private_key(der, password=None)
    except UnsupportedAlgorithm as error:
        raise UnsupportedKeyError(
            "Nieobsługiwany algorytm klucza. KSeF przyjmuje tylko klucze EC P-256 albo RSA 2048."
        ) from error
    except TypeError as error:  # the structure is encrypted after all
        raise PasswordRequiredError("Klucz prywatny jest zaszyfrowany — podaj hasło.") from error
    except ValueError as error:
        raise NotAPrivateKeyError("Uszkodzony klucz prywatny (niepoprawna struktura DER).") from error
    return _supported(key)


def _load_with_cryptography(data: bytes, password: str | None, *, pem: bool) -> PrivateKey:
    """Encrypted forms this package does not decrypt itself (PBES1, legacy OpenSSL PEM): let OpenSSL do it."""
    if not password:
        raise PasswordRequiredError("Klucz prywatny jest zaszyfrowany — podaj hasło.")
    loader = serialization.load_pem_private_key if pem else serialization.load_der_private_key
    try:
        key = loader(data, password=_password_bytes(password))
    except UnsupportedAlgorithm as error:
        raise UnsupportedKeyError(
            "Nieobsługiwany algorytm klucza lub szyfrowania pliku klucza. KSeF przyjmuje tylko EC P-256 albo RSA 2048."
        ) from error
    except ValueError as error:
        raise WrongPasswordError("Nieprawidłowe hasło do klucza prywatnego.") from error
    return _supported(key)


def _load_encrypted_pkcs8(der: bytes, password: str | None) -> PrivateKey:
    try:
        pkcs8.read_pbes2_parameters(der)
    except pkcs8.UnsupportedScheme:
        return _load_with_cryptography(der, password, pem=False)
    if not password:
        raise PasswordRequiredError("Klucz prywatny jest zaszyfrowany — podaj hasło.")
    plaintext = pkcs8.decrypt_private_key_info(der, password)
    if der_shape(plaintext) != "pkcs8":
        # Valid padding by chance (about 1 in 256 wrong passwords): the plaintext is garbage.
        raise WrongPasswordError("Nieprawidłowe hasło do klucza prywatnego.")
    try:
        return _load_unencrypted_der(plaintext)
    except NotAPrivateKeyError as error:
        raise WrongPasswordError("Nieprawidłowe hasło do klucza prywatnego.") from error


def _load_der(der: bytes, password: str | None) -> PrivateKey:
    shape = der_shape(der)
    if shape == "encrypted-pkcs8":
        return _load_encrypted_pkcs8(der, password)
    if shape in ("pkcs8", "pkcs1", "sec1"):
        return _load_unencrypted_der(der)
    if shape == "pkcs12":
        return load_pkcs12(der, password)[0]
    raise NotAPrivateKeyError(_NOT_A_KEY_MESSAGES.get(shape, _UNKNOWN_KEY_FORMAT))


def _decode_base64_text(data: bytes) -> bytes | None:
    if not _BASE64_TEXT.fullmatch(data.strip()):
        return None
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except binascii.Error:
        return None


def load_private_key(data: bytes, password: str | None = None) -> PrivateKey:
    """Load a private key from any supported file content (see the module docstring) and check KSeF accepts it.

    `password` opens encrypted forms; it is ignored for unencrypted ones.
    Raises `PasswordRequiredError`, `WrongPasswordError`, `NotAPrivateKeyError` (certificates, public keys, CSRs,
    unknown data), `UnsupportedKeyError` (RSA other than 2048, EC other than P-256, other algorithms) or
    `UnsupportedKeyEncryptionError`.
    """
    if b"-----BEGIN" in data:
        blocks = pem_blocks(data)
        for block in blocks:
            if block.label == "ENCRYPTED PRIVATE KEY":
                return _load_encrypted_pkcs8(block.der, password)
            if block.label in ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"):
                if "ENCRYPTED" in block.headers.get("Proc-Type", ""):
                    return _load_with_cryptography(block.text, password, pem=True)
                return _load_unencrypted_der(block.der)
        shapes = [_PEM_LABEL_SHAPES.get(block.label, "unknown") for block in blocks]
        known = next((shape for shape in shapes if shape in _NOT_A_KEY_MESSAGES), "unknown")
        raise NotAPrivateKeyError(_NOT_A_KEY_MESSAGES.get(known, _UNKNOWN_KEY_FORMAT))
    if der_shape(data) != "unknown":
        return _load_der(data, password)
    if (der := _decode_base64_text(data)) is not None:
        return _load_der(der, password)
    raise NotAPrivateKeyError(_UNKNOWN_KEY_FORMAT)


def _pkcs12_contents(data: bytes, password: str | None) -> PKCS12KeyAndCertificates:
    if password is None:
        # Files exported "without a password" use either no password or the empty one; try both.
        for candidate in (None, b""):
            try:
                with tolerate_ksef_quirks():
                    return pkcs12.load_pkcs12(data, candidate)
            except ValueError:
                continue
        raise PasswordRequiredError("Plik PKCS#12 jest chroniony hasłem — podaj hasło.")
    try:
        with tolerate_ksef_quirks():
            return pkcs12.load_pkcs12(data, _password_bytes(password))
    except ValueError as error:
        raise WrongPasswordError("Nieprawidłowe hasło do pliku PKCS#12 (albo plik jest uszkodzony).") from error


def load_pkcs12(data: bytes, password: str | None = None) -> tuple[PrivateKey, x509.Certificate]:
    """The private key and its certificate from a PKCS#12 (`.p12`/`.pfx`) file.

    When the file holds several certificates, the one whose public key matches the private key is returned.
    Raises `PasswordRequiredError`/`WrongPasswordError`, `NotAPrivateKeyError` (no key in the file),
    `UnsupportedKeyError`, or `CertificateError` (no certificate for the key).
    """
    if der_shape(data) != "pkcs12":
        raise KeyFileError("To nie jest plik PKCS#12 (.p12/.pfx).")
    try:
        contents = _pkcs12_contents(data, password)
    except UnsupportedAlgorithm as error:
        raise UnsupportedKeyError("Plik PKCS#12 zawiera nieobsługiwany algorytm.") from error
    if contents.key is None:
        raise NotAPrivateKeyError("Plik PKCS#12 nie zawiera klucza prywatnego.")
    key = _supported(contents.key)
    fingerprint = public_key_sha256_fingerprint(key)
    candidates = [contents.cert.certificate] if contents.cert is not None else []
    candidates += [item.certificate for item in contents.additional_certs]
    for certificate in candidates:
        if public_key_sha256_fingerprint(certificate) == fingerprint:
            return key, certificate
    raise CertificateError("Plik PKCS#12 nie zawiera certyfikatu pasującego do klucza prywatnego.")


PKCS12_KDF_ROUNDS = 100_000
"""PBKDF2 iterations protecting an exported PKCS#12 (AES-256-CBC with HMAC-SHA256: what OpenSSL 3 writes)."""


def build_pkcs12(key: PrivateKey, certificate: x509.Certificate, password: str, *, name: str) -> bytes:
    """A PKCS#12 (`.p12`) file holding `key` and its `certificate`, encrypted with `password`; `name` is the
    friendly name programs show. Raises `CertificateError` when the key does not belong to the certificate."""
    if public_key_sha256_fingerprint(key) != public_key_sha256_fingerprint(certificate):
        raise CertificateError("Klucz prywatny nie pasuje do certyfikatu.")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode("utf-8"))
    )
    return pkcs12.serialize_key_and_certificates(name.encode("utf-8"), key, certificate, None, encryption)
