"""PKCS#8 `EncryptedPrivateKeyInfo` with PBES2 (RFC 8018), written exactly like MCU's `.key` files.

We write PBES2 with PBKDF2-HMAC-SHA256, 100 000 iterations, a 16-byte random salt and AES-256-CBC with a 16-byte
random IV — the parameters of the key files the Ministry's web application produces. `cryptography`'s
`BestAvailableEncryption` would use only 2 048 PBKDF2 iterations, so the structure is assembled here with pyasn1 and
`cryptography`'s PBKDF2 and AES primitives.

We read PBES2 with PBKDF2 (HMAC-SHA1/224/256/384/512) and AES-128/192/256-CBC; anything else (PBES1, PKCS#12 PBE,
3DES) is handed to `cryptography`, which reads what OpenSSL reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pyasn1_alt_modules import rfc5280, rfc5958, rfc8018

from ksef_mcu.crypto.errors import NotAPrivateKeyError, UnsupportedKeyEncryptionError, WrongPasswordError

__all__ = [
    "AES_BLOCK_SIZE",
    "PBKDF2_ITERATIONS",
    "PBKDF2_MAX_ITERATIONS",
    "SALT_LENGTH",
    "Pbes2Parameters",
    "UnsupportedScheme",
    "decrypt_private_key_info",
    "encrypt_private_key_info",
    "read_pbes2_parameters",
]

PBKDF2_ITERATIONS = 100_000
"""Iteration count we write (as MCU does)."""
PBKDF2_MAX_ITERATIONS = 10_000_000
"""Iteration counts above this are refused when reading: a hostile file must not pin a CPU for minutes."""
SALT_LENGTH = 16
AES_BLOCK_SIZE = 16

_PRF_HASHES: dict[univ.ObjectIdentifier, type[hashes.HashAlgorithm]] = {
    rfc8018.id_hmacWithSHA1: hashes.SHA1,
    rfc8018.id_hmacWithSHA224: hashes.SHA224,
    rfc8018.id_hmacWithSHA256: hashes.SHA256,
    rfc8018.id_hmacWithSHA384: hashes.SHA384,
    rfc8018.id_hmacWithSHA512: hashes.SHA512,
}
_AES_KEY_LENGTHS: dict[univ.ObjectIdentifier, int] = {
    rfc8018.aes128_CBC_PAD: 16,
    rfc8018.aes192_CBC_PAD: 24,
    rfc8018.aes256_CBC_PAD: 32,
}


@dataclass(frozen=True, slots=True)
class Pbes2Parameters:
    """What an `EncryptedPrivateKeyInfo` says about its PBES2 encryption (for inspection and tests)."""

    prf: str
    """PBKDF2 pseudo-random function, e.g. `hmacWithSHA256`."""
    iterations: int
    salt: bytes
    cipher: str
    """Content cipher, e.g. `aes-256-cbc`."""
    iv: bytes


class UnsupportedScheme(Exception):  # noqa: N818 - internal signal, never leaves this package
    """The structure is an `EncryptedPrivateKeyInfo`, but not one of the PBES2 variants read here."""


def _decode_exact(data: bytes, spec: univ.Asn1Item) -> univ.Asn1Item:
    value, rest = der_decoder.decode(data, asn1Spec=spec)
    if rest:
        raise PyAsn1Error("trailing data after the DER value")
    return value


def _pbkdf2(password: str, salt: bytes, iterations: int, length: int, prf: hashes.HashAlgorithm) -> bytes:
    # PKCS#5 passwords are octet strings; like WebCrypto and OpenSSL we use the UTF-8 bytes of the text.
    return PBKDF2HMAC(algorithm=prf, length=length, salt=salt, iterations=iterations).derive(password.encode("utf-8"))


def encrypt_private_key_info(
    private_key_info_der: bytes,
    password: str,
    *,
    iterations: int = PBKDF2_ITERATIONS,
    salt: bytes | None = None,
    iv: bytes | None = None,
) -> bytes:
    """Encrypt a DER `PrivateKeyInfo` into a DER `EncryptedPrivateKeyInfo` (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).

    `salt` and `iv` are random unless given (tests pin them to get fixed output).
    """
    salt = os.urandom(SALT_LENGTH) if salt is None else salt
    iv = os.urandom(AES_BLOCK_SIZE) if iv is None else iv
    if len(iv) != AES_BLOCK_SIZE:
        raise ValueError("the AES-CBC IV must be 16 bytes")
    key = _pbkdf2(password, salt, iterations, 32, hashes.SHA256())

    padding_length = AES_BLOCK_SIZE - len(private_key_info_der) % AES_BLOCK_SIZE
    padded = private_key_info_der + bytes([padding_length]) * padding_length
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()

    prf = rfc5280.AlgorithmIdentifier()
    prf["algorithm"] = rfc8018.id_hmacWithSHA256
    prf["parameters"] = univ.Null("")
    kdf_params = rfc8018.PBKDF2_params()
    kdf_params["salt"]["specified"] = univ.OctetString(salt)
    kdf_params["iterationCount"] = iterations
    kdf_params["prf"] = prf
    kdf = rfc5280.AlgorithmIdentifier()
    kdf["algorithm"] = rfc8018.id_PBKDF2
    kdf["parameters"] = kdf_params

    scheme = rfc5280.AlgorithmIdentifier()
    scheme["algorithm"] = rfc8018.aes256_CBC_PAD
    scheme["parameters"] = rfc8018.AES_IV(iv)

    pbes2 = rfc8018.PBES2_params()
    pbes2["keyDerivationFunc"] = kdf
    pbes2["encryptionScheme"] = scheme

    info = rfc5958.EncryptedPrivateKeyInfo()
    info["encryptionAlgorithm"]["algorithm"] = rfc8018.id_PBES2
    info["encryptionAlgorithm"]["parameters"] = pbes2
    info["encryptedData"] = ciphertext
    return bytes(der_encoder.encode(info))


def _open_any(value: univ.Any | univ.Asn1Item, spec: univ.Asn1Item) -> univ.Asn1Item:
    """Decode an `ANY DEFINED BY` field (pyasn1 leaves it as raw DER) into `spec`."""
    return _decode_exact(bytes(value) if isinstance(value, univ.Any) else der_encoder.encode(value), spec)


def read_pbes2_parameters(encrypted_der: bytes) -> tuple[Pbes2Parameters, bytes, int, hashes.HashAlgorithm]:
    """Parse a DER `EncryptedPrivateKeyInfo`: its PBES2 parameters, the ciphertext, AES key length and PRF hash.

    Raises `NotAPrivateKeyError` if it is not an `EncryptedPrivateKeyInfo`, `UnsupportedScheme` for encryption
    schemes this module does not read, and `UnsupportedKeyEncryptionError` for refused parameters.
    """
    try:
        info = _decode_exact(encrypted_der, rfc5958.EncryptedPrivateKeyInfo())
    except PyAsn1Error as error:
        raise NotAPrivateKeyError("Uszkodzony zaszyfrowany klucz prywatny (niepoprawna struktura PKCS#8).") from error
    algorithm = info["encryptionAlgorithm"]
    if algorithm["algorithm"] != rfc8018.id_PBES2 or not algorithm["parameters"].isValue:
        raise UnsupportedScheme
    try:
        pbes2 = _open_any(algorithm["parameters"], rfc8018.PBES2_params())
        kdf = pbes2["keyDerivationFunc"]
        scheme = pbes2["encryptionScheme"]
        if kdf["algorithm"] != rfc8018.id_PBKDF2 or scheme["algorithm"] not in _AES_KEY_LENGTHS:
            raise UnsupportedScheme
        kdf_params = _open_any(kdf["parameters"], rfc8018.PBKDF2_params())
        if kdf_params["salt"].getName() != "specified":
            raise UnsupportedScheme
        prf_oid = kdf_params["prf"]["algorithm"]
        if prf_oid not in _PRF_HASHES:
            raise UnsupportedScheme
        iv = bytes(_open_any(scheme["parameters"], univ.OctetString()))
        salt = bytes(kdf_params["salt"]["specified"])
        iterations = int(kdf_params["iterationCount"])
        key_length = _AES_KEY_LENGTHS[scheme["algorithm"]]
        if kdf_params["keyLength"].isValue and int(kdf_params["keyLength"]) != key_length:
            raise UnsupportedKeyEncryptionError("Niespójne parametry szyfrowania klucza (długość klucza PBKDF2).")
    except PyAsn1Error as error:
        raise NotAPrivateKeyError("Uszkodzone parametry szyfrowania klucza prywatnego (PBES2).") from error
    if iterations > PBKDF2_MAX_ITERATIONS:
        raise UnsupportedKeyEncryptionError(
            f"Plik klucza żąda {iterations} iteracji PBKDF2 (dopuszczamy najwyżej {PBKDF2_MAX_ITERATIONS})."
        )
    if len(iv) != AES_BLOCK_SIZE:
        raise NotAPrivateKeyError("Uszkodzone parametry szyfrowania klucza prywatnego (wektor IV).")
    cipher_name = f"aes-{key_length * 8}-cbc"
    prf_hash = _PRF_HASHES[prf_oid]()
    prf_name = "hmacWith" + prf_hash.name.upper().replace("-", "")
    parameters = Pbes2Parameters(prf=prf_name, iterations=iterations, salt=salt, cipher=cipher_name, iv=iv)
    return parameters, bytes(info["encryptedData"]), key_length, prf_hash


def decrypt_private_key_info(encrypted_der: bytes, password: str) -> bytes:
    """Decrypt a DER PBES2 `EncryptedPrivateKeyInfo` into the DER `PrivateKeyInfo` it holds.

    Raises `WrongPasswordError` when the password does not open it (bad padding; the caller also treats an
    undecodable plaintext as a wrong password), `UnsupportedScheme` for schemes not read here.
    """
    parameters, ciphertext, key_length, prf = read_pbes2_parameters(encrypted_der)
    if not ciphertext or len(ciphertext) % AES_BLOCK_SIZE:
        raise NotAPrivateKeyError("Uszkodzony zaszyfrowany klucz prywatny (długość szyfrogramu).")
    key = _pbkdf2(password, parameters.salt, parameters.iterations, key_length, prf)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(parameters.iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    padding_length = padded[-1]
    if (
        not 1 <= padding_length <= AES_BLOCK_SIZE
        or padded[-padding_length:] != bytes([padding_length]) * padding_length
    ):
        raise WrongPasswordError("Nieprawidłowe hasło do klucza prywatnego.")
    return padded[:-padding_length]
