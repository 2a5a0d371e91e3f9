"""The crypto error tree.

Every error carries a user-facing Polish `message`. Errors that correspond to a KSeF API error also carry the
numeric KSeF `code` so the server can render them and the client can recognise them.
"""

from __future__ import annotations


class KsefCryptoError(ValueError):
    """Root of every error raised by `ksef_mcu.crypto`.

    `message` is Polish and safe to show to a person; it never contains key material.
    """

    code: int | None = None

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class SerialNumberError(KsefCryptoError):
    """A certificate serial number is not 16 (or more) hexadecimal digits."""


class CertificateError(KsefCryptoError):
    """A certificate cannot be read or is not usable for the requested purpose."""


class CertificateNameError(KsefCryptoError):
    """A certificate name breaks the MCU screen rule or the API rule (the API rule carries KSeF code 21405).

    `failures` lists one Polish sentence per broken rule.
    """

    def __init__(self, failures: list[str] | tuple[str, ...], *, code: int | None = None) -> None:
        self.failures = tuple(failures)
        super().__init__(" ".join(self.failures), code=code)


class PasswordRuleError(KsefCryptoError):
    """A private-key password breaks the MCU password rule; `failures` lists one Polish sentence per broken rule."""

    def __init__(self, failures: list[str] | tuple[str, ...]) -> None:
        self.failures = tuple(failures)
        super().__init__("Hasło nie spełnia wymagań: " + " ".join(self.failures))


class KeyFileError(KsefCryptoError):
    """A private-key file cannot be used: the root of the key-file errors."""


class WrongPasswordError(KeyFileError):
    """The password does not open the encrypted private key (or PKCS#12 file)."""


class PasswordRequiredError(KeyFileError):
    """The private key is encrypted and no password was given."""


class NotAPrivateKeyError(KeyFileError):
    """The data is not a private key (e.g. a certificate, a public key, a CSR or an unknown format)."""


class UnsupportedKeyError(KeyFileError):
    """The key is not one KSeF accepts: only RSA 2048 and EC P-256 are."""


class UnsupportedKeyEncryptionError(KeyFileError):
    """The key file is encrypted with a scheme or parameters we refuse (e.g. an absurd PBKDF2 iteration count)."""


class EnrollmentDataError(KsefCryptoError):
    """The enrollment data (`GET /certificates/enrollments/data` JSON) is malformed or cannot form a subject DN."""


class CsrError(KsefCryptoError):
    """A CSR breaks a KSeF rule: `code` is 25003, 25004, 25010 or 25011.

    `description` is the official KSeF description of the code; `details` says what exactly is wrong (Polish).
    """

    def __init__(self, code: int, description: str, details: list[str] | tuple[str, ...]) -> None:
        self.description = description
        self.details = tuple(details)
        super().__init__(" ".join((description, *self.details)), code=code)


class QrError(KsefCryptoError):
    """A KOD I / KOD II link cannot be built, parsed or verified (bad input, wrong certificate, bad signature)."""
