"""Session and KSeF-token encryption, both directions (`sesja-interaktywna.md`, `uwierzytelnianie.md` §2.2,
`bezpieczenstwo/klucze-publiczne-do-szyfrowania.md`).

Invoices (and batch parts) are encrypted with AES-256-CBC and PKCS#7 padding under a 32-byte key and a 16-byte IV
chosen by the client for the session; the IV travels in its own field, it is not prefixed to the ciphertext. The key
is wrapped with RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) under the public key of the KSeF certificate whose
usage is `SymmetricKeyEncryption`.

A KSeF token is sent as `{token}|{timestampMs}` (UTF-8; the challenge's timestamp in Unix milliseconds) encrypted under
the certificate whose usage is `KsefTokenEncryption`: RSA-OAEP as above for an RSA key, or, for an EC P-256 key, the
ECDH variant the official clients implement: an ephemeral P-256 key agrees a secret with the KSeF key, AES-256-GCM
(12-byte nonce, 16-byte tag) encrypts the text, and the output starts with the ephemeral key's DER
SubjectPublicKeyInfo. The clients disagree on the rest (`EcTokenLayout`): the Java client uses the raw 32-byte
shared secret as the AES key and writes `SPKI ‖ nonce ‖ ciphertext ‖ tag`; the C# client uses SHA-256 of the shared
secret and writes `SPKI ‖ nonce ‖ tag ‖ ciphertext`. Decryption accepts every combination (GCM authenticates, so only
the right one succeeds); encryption writes the Java layout unless told otherwise.

Pure functions: bytes in, bytes out; randomness only where new keys, IVs or nonces are made. Every failure is a
`KsefCryptoError` subclass carrying the KSeF code its caller reports.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ksef_mcu.crypto.errors import KsefCryptoError

__all__ = [
    "AES_BLOCK_BYTES",
    "AES_IV_BYTES",
    "AES_KEY_BYTES",
    "ContentMismatchError",
    "EcTokenLayout",
    "EncryptedInvoice",
    "EncryptionError",
    "FileMetadata",
    "InvoiceDecryptionError",
    "KsefTokenError",
    "KsefTokenPlaintext",
    "SessionEncryption",
    "SessionKey",
    "SymmetricKeyDecryptionError",
    "check_declared_content",
    "decrypt_aes_cbc",
    "decrypt_ksef_token",
    "encrypt_aes_cbc",
    "encrypt_invoice",
    "encrypt_ksef_token",
    "ksef_token_plaintext",
    "open_session_key",
    "session_encryption",
    "timestamp_ms",
    "unwrap_symmetric_key",
    "wrap_symmetric_key",
]


AES_KEY_BYTES = 32
AES_IV_BYTES = 16
AES_BLOCK_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
MIN_RSA_KEY_BITS = 2048

#: KSeF exception code for input that fails validation (e.g. an IV that is not 16 bytes when a session is opened).
INPUT_VALIDATION_CODE = 21405
#: Online session status when the wrapped symmetric key cannot be decrypted.
KEY_DECRYPTION_STATUS = 415
#: Invoice status when the invoice cannot be decrypted.
INVOICE_DECRYPTION_STATUS = 435
#: Authentication status when the KSeF token is wrong (bad encryption, bad format, wrong challenge timestamp).
TOKEN_STATUS = 450

_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


# --- errors ---------------------------------------------------------------------------------------------------------


class EncryptionError(KsefCryptoError):
    """Root of the encryption errors; `code` (where set) is what KSeF reports for the failure."""


class SymmetricKeyDecryptionError(EncryptionError):
    """The wrapped session key cannot be decrypted (online session status 415)."""

    description = "Błąd odszyfrowania dostarczonego klucza"


class InvoiceDecryptionError(EncryptionError):
    """An encrypted invoice (or batch part) cannot be decrypted (invoice status 435)."""

    description = "Błąd odszyfrowania pliku"


class ContentMismatchError(EncryptionError):
    """The content received does not have the size (21402) or SHA-256 (21403) its sender declared."""


class KsefTokenError(EncryptionError):
    """An encrypted KSeF token cannot be decrypted or read, or its timestamp is not the challenge's (status 450).

    `detail` is one of the official status details: "Nieprawidłowy token" or "Nieprawidłowy czas tokena".
    """

    description = "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu"

    def __init__(self, message: str, *, detail: str) -> None:
        super().__init__(message, code=TOKEN_STATUS)
        self.detail = detail


# --- symmetric part ---------------------------------------------------------------------------------------------------


def _check_key_and_iv(key: bytes, iv: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != AES_KEY_BYTES:
        size = len(key) if isinstance(key, bytes) else "?"
        raise EncryptionError(
            f"Klucz symetryczny musi mieć {AES_KEY_BYTES} bajty (AES-256), a ma {size}.", code=INPUT_VALIDATION_CODE
        )
    if not isinstance(iv, bytes) or len(iv) != AES_IV_BYTES:
        size = len(iv) if isinstance(iv, bytes) else "?"
        raise EncryptionError(
            f"Wektor inicjujący (IV) musi mieć {AES_IV_BYTES} bajtów, a ma {size}.", code=INPUT_VALIDATION_CODE
        )


@dataclass(frozen=True, slots=True)
class SessionKey:
    """The AES-256 key and IV of one session (reused for every invoice of the session). `key` never appears in repr."""

    key: bytes = field(repr=False)
    iv: bytes

    def __post_init__(self) -> None:
        _check_key_and_iv(self.key, self.iv)

    @classmethod
    def generate(cls) -> SessionKey:
        """A new random key and IV (a new pair for every session, as the documentation recommends)."""
        return cls(os.urandom(AES_KEY_BYTES), os.urandom(AES_IV_BYTES))

    def encrypt(self, data: bytes) -> bytes:
        """`encrypt_aes_cbc(data, key, iv)`."""
        return encrypt_aes_cbc(data, self.key, self.iv)

    def decrypt(self, data: bytes) -> bytes:
        """`decrypt_aes_cbc(data, key, iv)`."""
        return decrypt_aes_cbc(data, self.key, self.iv)


def encrypt_aes_cbc(data: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-256-CBC with PKCS#7 padding; the result is 16·(⌊len/16⌋+1) bytes. Raises `EncryptionError` (21405)."""
    _check_key_and_iv(key, iv)
    pad = AES_BLOCK_BYTES - len(data) % AES_BLOCK_BYTES
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data + bytes((pad,)) * pad) + encryptor.finalize()


def decrypt_aes_cbc(data: bytes, key: bytes, iv: bytes) -> bytes:
    """Reverse `encrypt_aes_cbc`. Raises `InvoiceDecryptionError` (435) for a length that is not a positive multiple
    of 16 or for invalid PKCS#7 padding, and `EncryptionError` (21405) for a key or IV of the wrong size.

    A wrong key or IV usually shows as bad padding; when the padding happens to look valid the plaintext is garbage,
    which the declared SHA-256 of the plaintext then catches.
    """
    _check_key_and_iv(key, iv)
    if not data or len(data) % AES_BLOCK_BYTES:
        raise InvoiceDecryptionError(
            f"Plik niepoprawnie zaszyfrowany: długość szyfrogramu ({len(data)} B) nie jest dodatnią wielokrotnością "
            f"{AES_BLOCK_BYTES} bajtów.",
            code=INVOICE_DECRYPTION_STATUS,
        )
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= AES_BLOCK_BYTES or not hmac.compare_digest(padded[-pad:], bytes((pad,)) * pad):
        raise InvoiceDecryptionError(
            "Plik niepoprawnie zaszyfrowany: nieprawidłowe dopełnienie PKCS#7 (zły klucz, IV lub uszkodzona treść).",
            code=INVOICE_DECRYPTION_STATUS,
        )
    return padded[:-pad]


# --- RSA-OAEP key wrap ------------------------------------------------------------------------------------------------


def _rsa_public_key(key: rsa.RSAPublicKey | x509.Certificate, what: str) -> rsa.RSAPublicKey:
    public_key = key.public_key() if isinstance(key, x509.Certificate) else key
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise EncryptionError(f"{what} wymaga klucza publicznego RSA.")
    if public_key.key_size < MIN_RSA_KEY_BITS:
        raise EncryptionError(
            f"Klucz RSA ma {public_key.key_size} bitów; wymagane jest co najmniej {MIN_RSA_KEY_BITS}."
        )
    return public_key


def wrap_symmetric_key(key: bytes, recipient: rsa.RSAPublicKey | x509.Certificate) -> bytes:
    """The session key encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256) under the `SymmetricKeyEncryption` key."""
    if not isinstance(key, bytes) or len(key) != AES_KEY_BYTES:
        raise EncryptionError(
            f"Klucz symetryczny musi mieć {AES_KEY_BYTES} bajty (AES-256).", code=INPUT_VALIDATION_CODE
        )
    return _rsa_public_key(recipient, "Szyfrowanie klucza symetrycznego").encrypt(key, _OAEP)


def unwrap_symmetric_key(wrapped: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """Server side of `wrap_symmetric_key`. Raises `SymmetricKeyDecryptionError` (415) when the ciphertext does not
    decrypt under `private_key` or does not hold a 32-byte key."""
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise EncryptionError("Odszyfrowanie klucza symetrycznego wymaga klucza prywatnego RSA.")
    try:
        key = private_key.decrypt(wrapped, _OAEP)
    except ValueError:
        raise SymmetricKeyDecryptionError(
            "Nie można odszyfrować klucza symetrycznego (RSA-OAEP SHA-256): zaszyfrowano go innym kluczem publicznym "
            "albo innym algorytmem.",
            code=KEY_DECRYPTION_STATUS,
        ) from None
    if len(key) != AES_KEY_BYTES:
        raise SymmetricKeyDecryptionError(
            f"Odszyfrowany klucz symetryczny ma {len(key)} bajtów; wymagane są {AES_KEY_BYTES} (AES-256).",
            code=KEY_DECRYPTION_STATUS,
        )
    return key


@dataclass(frozen=True, slots=True)
class SessionEncryption:
    """The `encryption` object of `POST /sessions/online`: what the client sends, Base64-encoded."""

    encrypted_symmetric_key: str
    initialization_vector: str
    public_key_id: str | None = None


def session_encryption(
    session_key: SessionKey, recipient: rsa.RSAPublicKey | x509.Certificate, *, public_key_id: str | None = None
) -> SessionEncryption:
    """Client side: wrap the session key under the `SymmetricKeyEncryption` key and encode both for the API."""
    return SessionEncryption(
        encrypted_symmetric_key=base64.b64encode(wrap_symmetric_key(session_key.key, recipient)).decode("ascii"),
        initialization_vector=base64.b64encode(session_key.iv).decode("ascii"),
        public_key_id=public_key_id,
    )


def _strict_base64(text: str, what: str, error: type[EncryptionError], code: int) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise error(f"{what} nie jest poprawnym ciągiem Base64.", code=code) from None


def open_session_key(
    encrypted_symmetric_key: str, initialization_vector: str, private_key: rsa.RSAPrivateKey
) -> SessionKey:
    """Server side of `session_encryption`: decode both fields and unwrap the key.

    Raises `EncryptionError` (21405) for text that is not Base64 or an IV that is not 16 bytes, and
    `SymmetricKeyDecryptionError` (415) for a key that does not decrypt.
    """
    iv = _strict_base64(initialization_vector, "Wektor inicjujący (initializationVector)", EncryptionError, 21405)
    if len(iv) != AES_IV_BYTES:
        raise EncryptionError(
            f"Wektor inicjujący (initializationVector) musi mieć {AES_IV_BYTES} bajtów, a ma {len(iv)}.",
            code=INPUT_VALIDATION_CODE,
        )
    wrapped = _strict_base64(
        encrypted_symmetric_key, "Zaszyfrowany klucz (encryptedSymmetricKey)", EncryptionError, 21405
    )
    return SessionKey(unwrap_symmetric_key(wrapped, private_key), iv)


# --- file metadata ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileMetadata:
    """Size in bytes and SHA-256 of some content, as the API declares them (`invoiceSize`, `invoiceHash`, ...)."""

    size: int
    sha256: bytes

    @classmethod
    def of(cls, data: bytes) -> FileMetadata:
        """The metadata of `data`."""
        return cls(len(data), hashlib.sha256(data).digest())

    @property
    def sha256_base64(self) -> str:
        """The SHA-256 as standard Base64 with padding (44 characters), as in the API."""
        return base64.b64encode(self.sha256).decode("ascii")

    @property
    def sha256_base64url(self) -> str:
        """The SHA-256 as Base64URL without padding (43 characters), as in KOD I links."""
        return base64.urlsafe_b64encode(self.sha256).rstrip(b"=").decode("ascii")

    def matches(self, size: int, sha256_base64: str) -> bool:
        """Whether a declared size and Base64 SHA-256 describe this content."""
        try:
            declared = base64.b64decode(sha256_base64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            return False
        return size == self.size and hmac.compare_digest(declared, self.sha256)


def check_declared_content(data: bytes, *, size: int, sha256_base64: str) -> FileMetadata:
    """Check content received against the size and SHA-256 its sender declared (the encrypted invoice of
    `POST /sessions/online/{ref}/invoices`); return its metadata.

    Raises `ContentMismatchError` with 21402 (size) or 21403 (hash), worded as KSeF words them.
    """
    metadata = FileMetadata.of(data)
    if size != metadata.size:
        raise ContentMismatchError(
            f"Nieprawidłowy rozmiar pliku. Długość treści nie zgadza się z rozmiarem pliku "
            f"(zadeklarowano {size} B, przesłano {metadata.size} B).",
            code=21402,
        )
    if not metadata.matches(size, sha256_base64):
        raise ContentMismatchError(
            "Nieprawidłowy skrót pliku. Skrót treści nie zgadza się ze skrótem pliku.",
            code=21403,
        )
    return metadata


@dataclass(frozen=True, slots=True)
class EncryptedInvoice:
    """An invoice ready for `POST /sessions/online/{ref}/invoices`: metadata of the plain and encrypted bytes."""

    plain: FileMetadata
    encrypted: FileMetadata
    content: bytes = field(repr=False)

    @property
    def content_base64(self) -> str:
        """`encryptedInvoiceContent`."""
        return base64.b64encode(self.content).decode("ascii")


def encrypt_invoice(invoice: bytes, session_key: SessionKey) -> EncryptedInvoice:
    """Encrypt an invoice's bytes (exactly as they will be hashed for KOD I) for sending in a session."""
    content = session_key.encrypt(invoice)
    return EncryptedInvoice(FileMetadata.of(invoice), FileMetadata.of(content), content)


# --- KSeF token -------------------------------------------------------------------------------------------------------


class EcTokenLayout(enum.StrEnum):
    """How the EC (ECDH + AES-256-GCM) variant of the KSeF-token encryption derives its key and lays out its output."""

    JAVA = "java"
    """AES key = the raw 32-byte shared secret; `SPKI ‖ nonce ‖ ciphertext ‖ tag` (the official Java client)."""
    CSHARP = "csharp"
    """AES key = SHA-256(shared secret); `SPKI ‖ nonce ‖ tag ‖ ciphertext` (the official C# client's .NET default
    key derivation)."""


@dataclass(frozen=True, slots=True)
class KsefTokenPlaintext:
    """What an encrypted KSeF token holds: the token and the challenge timestamp (Unix milliseconds)."""

    token: str = field(repr=False)
    timestamp_ms: int


def timestamp_ms(moment: dt.datetime) -> int:
    """Unix milliseconds of a timezone-aware moment (the challenge's `timestamp`, as `timestampMs` carries it)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the moment must be timezone-aware")
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def ksef_token_plaintext(token: str, timestamp: int | dt.datetime) -> bytes:
    """`{token}|{timestampMs}` as UTF-8 (the token itself may contain `|`: KSeF tokens do).

    Raises `EncryptionError` (21405) for an empty token, one with surrounding spaces or line breaks, or a negative
    timestamp."""
    if not isinstance(token, str) or not token or token != token.strip():
        raise EncryptionError("Token KSeF nie może być pusty ani zaczynać się lub kończyć spacją.", code=21405)
    if any(character in token for character in "\r\n"):
        raise EncryptionError("Token KSeF nie może zawierać znaków końca wiersza.", code=21405)
    milliseconds = timestamp_ms(timestamp) if isinstance(timestamp, dt.datetime) else timestamp
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int) or milliseconds < 0:
        raise EncryptionError("Znacznik czasu wyzwania musi być nieujemną liczbą milisekund.", code=21405)
    return f"{token}|{milliseconds}".encode()


def _ec_aes_key(shared_secret: bytes, layout: EcTokenLayout) -> bytes:
    return hashlib.sha256(shared_secret).digest() if layout is EcTokenLayout.CSHARP else shared_secret[:AES_KEY_BYTES]


def encrypt_ksef_token(
    token: str,
    timestamp: int | dt.datetime,
    recipient: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | x509.Certificate,
    *,
    ec_layout: EcTokenLayout = EcTokenLayout.JAVA,
) -> bytes:
    """Client side: `{token}|{timestampMs}` encrypted under the `KsefTokenEncryption` key (RSA-OAEP, or ECDH +
    AES-256-GCM for an EC P-256 key). Base64 of the result is `encryptedToken`. Raises `EncryptionError`."""
    plaintext = ksef_token_plaintext(token, timestamp)
    public_key = recipient.public_key() if isinstance(recipient, x509.Certificate) else recipient
    if isinstance(public_key, rsa.RSAPublicKey):
        return _rsa_public_key(public_key, "Szyfrowanie tokena KSeF").encrypt(plaintext, _OAEP)
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
        layout = EcTokenLayout(ec_layout)
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        key = _ec_aes_key(ephemeral.exchange(ec.ECDH(), public_key), layout)
        nonce = os.urandom(GCM_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext, None)
        spki = ephemeral.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        ciphertext, tag = sealed[:-GCM_TAG_BYTES], sealed[-GCM_TAG_BYTES:]
        body = ciphertext + tag if layout is EcTokenLayout.JAVA else tag + ciphertext
        return spki + nonce + body
    raise EncryptionError("Token KSeF szyfruje się kluczem RSA (co najmniej 2048 bitów) albo EC P-256.")


def _der_sequence_length(data: bytes) -> int | None:
    """Total length of the DER SEQUENCE at the start of `data`, or None when it is not one."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 2 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


_INVALID_TOKEN = "Nieprawidłowy token"  # noqa: S105 - the official status detail, not a secret


def _token_error(message: str) -> KsefTokenError:
    return KsefTokenError(message, detail=_INVALID_TOKEN)


def _decrypt_ec_token(encrypted: bytes, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    spki_length = _der_sequence_length(encrypted)
    if spki_length is None or len(encrypted) < spki_length + GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise _token_error("Zaszyfrowany token nie zaczyna się od klucza publicznego (SubjectPublicKeyInfo) nadawcy.")
    try:
        ephemeral = serialization.load_der_public_key(encrypted[:spki_length])
    except (ValueError, UnsupportedAlgorithm):
        raise _token_error("Nie można odczytać klucza publicznego nadawcy z zaszyfrowanego tokena.") from None
    if not isinstance(ephemeral, ec.EllipticCurvePublicKey) or not isinstance(ephemeral.curve, ec.SECP256R1):
        raise _token_error("Klucz publiczny nadawcy w zaszyfrowanym tokenie nie jest kluczem EC P-256.")
    # The parser tolerates non-canonical encodings of the same point (a non-zero unused-bits count, the "hybrid" point
    # form); every official client writes DER with the uncompressed point, so anything else is refused as altered.
    canonical = ephemeral.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if canonical != encrypted[:spki_length]:
        raise _token_error("Klucz publiczny nadawcy w zaszyfrowanym tokenie nie jest zapisany kanonicznie (DER).")
    shared_secret = private_key.exchange(ec.ECDH(), ephemeral)
    nonce = encrypted[spki_length : spki_length + GCM_NONCE_BYTES]
    body = encrypted[spki_length + GCM_NONCE_BYTES :]
    # GCM authenticates: exactly one key derivation and layout opens a genuine token; the others fail with InvalidTag.
    for key_layout in EcTokenLayout:
        aes = AESGCM(_ec_aes_key(shared_secret, key_layout))
        for sealed in (body, body[GCM_TAG_BYTES:] + body[:GCM_TAG_BYTES]):
            try:
                return aes.decrypt(nonce, sealed, None)
            except InvalidTag:
                continue
    raise _token_error("Nie można odszyfrować tokena KSeF (ECDH + AES-256-GCM): zły klucz albo uszkodzona treść.")


def decrypt_ksef_token(
    encrypted: bytes,
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    *,
    expected_timestamp_ms: int | None = None,
) -> KsefTokenPlaintext:
    """Server side of `encrypt_ksef_token` (every EC layout is accepted).

    With `expected_timestamp_ms` (the challenge's), a different timestamp is refused with detail
    "Nieprawidłowy czas tokena". Raises `KsefTokenError` (status 450); its `detail` is the official status detail.
    """
    if isinstance(private_key, rsa.RSAPrivateKey):
        try:
            plaintext = private_key.decrypt(encrypted, _OAEP)
        except ValueError:
            raise _token_error(
                "Nie można odszyfrować tokena KSeF (RSA-OAEP SHA-256): zły klucz albo algorytm."
            ) from None
    elif isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1):
        plaintext = _decrypt_ec_token(encrypted, private_key)
    else:
        raise EncryptionError("Token KSeF odszyfrowuje się kluczem RSA albo EC P-256.")
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise _token_error("Odszyfrowany token nie jest tekstem UTF-8.") from None
    token, separator, milliseconds = text.rpartition("|")
    if not separator or not token or not milliseconds.isascii() or not milliseconds.isdigit():
        raise _token_error("Odszyfrowana treść nie ma postaci {token}|{znacznik czasu w milisekundach}.")
    result = KsefTokenPlaintext(token, int(milliseconds))
    if expected_timestamp_ms is not None and result.timestamp_ms != expected_timestamp_ms:
        raise KsefTokenError(
            "Znacznik czasu w tokenie nie jest znacznikiem czasu wyzwania (challenge).",
            detail="Nieprawidłowy czas tokena",
        )
    return result
