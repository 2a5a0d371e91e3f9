"""A certificate with its private key, loaded from what a person hands over: one loader for every purpose.

Inputs are bytes (the caller reads the files): a certificate (`.crt`/`.cer`: PEM, DER or Base64 DER) with its private
key (`.key`: encrypted PKCS#8, or unencrypted PKCS#8 / PKCS#1 / SEC1, PEM or DER) and the key's password — or one
PKCS#12 file (`.p12`/`.pfx`) with its password. The result reports what the pair is: its KSeF type (Authentication =
Type 1, Offline = Type 2, or neither), subject, serial, validity, and whether the key belongs to the certificate. It
does not judge: a caller with a slot for one type asks `require(...)`, which refuses with a distinct Polish error.

Errors (all `KsefCryptoError`, Polish, safe to show):

- the certificate file: `CertificateError` ("Certyfikat: …");
- the key file: `PasswordRequiredError`, `WrongPasswordError`, `NotAPrivateKeyError`, `UnsupportedKeyError`,
  `UnsupportedKeyEncryptionError` (all `KeyFileError`, "Klucz prywatny: …");
- `require`: `KeyMismatchError`, `CertificateTypeError`, `CertificateValidityError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509

from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    ValidityState,
    certificate_serial,
    classify_certificate,
    key_matches_certificate,
    load_certificate,
    read_subject_identifier,
    sha256_fingerprint,
    validity_state,
)
from ksef_mcu.crypto.errors import (
    CertificateError,
    CertificateTypeError,
    CertificateValidityError,
    KeyFileError,
    KeyMismatchError,
)
from ksef_mcu.crypto.keys import PrivateKey, der_shape, load_pkcs12, load_private_key
from ksef_mcu.identifiers import SubjectIdentifier

__all__ = [
    "CERTIFICATE_TYPE_LABELS",
    "CertificateWithKey",
    "load_certificate_with_key",
    "load_pkcs12_certificate_with_key",
]

CERTIFICATE_TYPE_LABELS: dict[KsefCertificateType, str] = {
    KsefCertificateType.AUTHENTICATION: "certyfikat uwierzytelniający (Typ 1)",
    KsefCertificateType.OFFLINE: "certyfikat offline (Typ 2)",
}
"""How the user guide names the two KSeF certificate types."""


@dataclass(frozen=True, slots=True)
class CertificateWithKey:
    """A loaded certificate and private key, and what they are."""

    certificate: x509.Certificate
    key: PrivateKey = field(repr=False)
    certificate_type: KsefCertificateType | None
    """Authentication (Type 1), Offline (Type 2), or None for a certificate that is neither (e.g. a qualified one)."""
    subject: x509.Name
    subject_identifier: SubjectIdentifier
    """NIP or PESEL from the subject, else the certificate's SHA-256 fingerprint (as KSeF identifies it)."""
    serial_number: str
    """Upper-case hex, at least 16 digits (the KSeF form)."""
    fingerprint: str
    """SHA-256 of the DER certificate, 64 upper-case hex digits."""
    valid_from: dt.datetime
    valid_to: dt.datetime
    """Both ends UTC and inclusive."""
    key_matches: bool
    """Whether the private key is the certificate's key pair."""

    @classmethod
    def describe(cls, certificate: x509.Certificate, key: PrivateKey) -> CertificateWithKey:
        """What an already loaded certificate and key are (nothing is refused: see `require`)."""
        return cls(
            certificate=certificate,
            key=key,
            certificate_type=classify_certificate(certificate),
            subject=certificate.subject,
            subject_identifier=read_subject_identifier(certificate),
            serial_number=certificate_serial(certificate),
            fingerprint=sha256_fingerprint(certificate),
            valid_from=certificate.not_valid_before_utc,
            valid_to=certificate.not_valid_after_utc,
            key_matches=key_matches_certificate(key, certificate),
        )

    def validity_at(self, now: dt.datetime) -> ValidityState:
        """Where `now` (timezone-aware) falls relative to the validity period."""
        return validity_state(self.certificate, now)

    def require(self, certificate_type: KsefCertificateType, *, now: dt.datetime) -> CertificateWithKey:
        """Return self if the key matches, the certificate is of `certificate_type` and valid at `now`.

        Raises `KeyMismatchError`, `CertificateTypeError` or `CertificateValidityError` (in that order of checks).
        """
        if not self.key_matches:
            raise KeyMismatchError("Klucz prywatny nie pasuje do certyfikatu.")
        wanted = CERTIFICATE_TYPE_LABELS[certificate_type]
        if self.certificate_type is None:
            raise CertificateTypeError(
                f"To nie jest certyfikat KSeF (nie ma właściwego zastosowania klucza); potrzebny jest {wanted}."
            )
        if self.certificate_type is not certificate_type:
            found = CERTIFICATE_TYPE_LABELS[self.certificate_type]
            raise CertificateTypeError(f"To {found}, a potrzebny jest {wanted}.")
        state = self.validity_at(now)
        if state is ValidityState.NOT_YET_VALID:
            raise CertificateValidityError(f"Certyfikat jest ważny dopiero od {self.valid_from:%Y-%m-%d %H:%M} UTC.")
        if state is ValidityState.EXPIRED:
            raise CertificateValidityError(f"Certyfikat wygasł {self.valid_to:%Y-%m-%d %H:%M} UTC.")
        return self


def load_certificate_with_key(certificate: bytes, key: bytes, password: str | None) -> CertificateWithKey:
    """Load a certificate file's and a key file's contents; `password` opens the key.

    Raises `CertificateError` for the certificate ("Certyfikat: …") and a `KeyFileError` for the key ("Klucz
    prywatny: …"). A key that does not match is reported (`key_matches`), not refused.
    """
    if der_shape(certificate) == "pkcs12":
        raise CertificateError(
            "Certyfikat: to plik PKCS#12 (.p12/.pfx), który zawiera certyfikat i klucz — wczytaj go jako PKCS#12."
        )
    try:
        loaded_certificate = load_certificate(certificate)
    except CertificateError as error:
        raise type(error)(f"Certyfikat: {error.message}") from error
    try:
        loaded_key = load_private_key(key, password)
    except KeyFileError as error:
        raise type(error)(f"Klucz prywatny: {error.message}") from error
    return CertificateWithKey.describe(loaded_certificate, loaded_key)


def load_pkcs12_certificate_with_key(data: bytes, password: str | None) -> CertificateWithKey:
    """Load a PKCS#12 file's contents (the certificate that belongs to its key). Raises a `KeyFileError` or a
    `CertificateError` whose message names the PKCS#12 file."""
    key, certificate = load_pkcs12(data, password)
    return CertificateWithKey.describe(certificate, key)
