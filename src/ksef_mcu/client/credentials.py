"""The certificate and private key a client logs in with (XAdES), loaded once and reused.

The client does no file I/O: the caller reads the files and hands over their bytes — a certificate (`.crt`/`.cer`,
PEM or DER) with its private key (`.key`, usually an encrypted PKCS#8) and the key's password, or one PKCS#12 file
(`.p12`/`.pfx`). Everything is checked before anything is sent: the files parse, the password opens the key, the key
belongs to the certificate, and the certificate is not an Offline (Type 2) KSeF certificate, which cannot log in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    ValidityState,
    read_subject_identifier,
    sha256_fingerprint,
    validity_state,
)
from ksef_mcu.crypto.credentials import (
    CertificateWithKey,
    load_certificate_with_key,
    load_pkcs12_certificate_with_key,
)
from ksef_mcu.crypto.errors import CertificateError, KsefCryptoError
from ksef_mcu.crypto.keys import PrivateKey
from ksef_mcu.crypto.xades import XadesSigner
from ksef_mcu.identifiers import SubjectIdentifier

__all__ = [
    "CertificateCredentials",
]


@dataclass(frozen=True, slots=True)
class CertificateCredentials:
    """A signing certificate and its private key, with the XAdES signer built from them once.

    Build with `from_files_content` or `from_pkcs12`; both raise `KsefInvalidInputError` (field `certificate`,
    `key` or `password`) with a Polish message when the inputs cannot be used.
    """

    certificate: x509.Certificate
    key: PrivateKey = field(repr=False)
    signer: XadesSigner = field(repr=False, compare=False)

    @classmethod
    def from_certificate_with_key(cls, loaded: CertificateWithKey) -> CertificateCredentials:
        """Credentials from a pair loaded by `ksef_mcu.crypto.credentials` (checks that it belongs together and may
        log in: any certificate but an Offline one)."""
        if not loaded.key_matches:
            raise KsefInvalidInputError("Klucz prywatny nie pasuje do certyfikatu.", field="key")
        if loaded.certificate_type is KsefCertificateType.OFFLINE:
            raise KsefInvalidInputError(
                "To certyfikat offline (Typ 2): służy tylko do podpisywania kodów QR, nie do logowania. "
                "Użyj certyfikatu uwierzytelniającego (Typ 1).",
                field="certificate",
            )
        try:
            signer = XadesSigner(loaded.key, loaded.certificate)
        except KsefCryptoError as error:
            raise KsefInvalidInputError(error.message, field="key") from error
        return cls(certificate=loaded.certificate, key=loaded.key, signer=signer)

    @classmethod
    def from_key_and_certificate(cls, key: PrivateKey, certificate: x509.Certificate) -> CertificateCredentials:
        """Credentials from already loaded objects (checks that they belong together and may log in)."""
        return cls.from_certificate_with_key(CertificateWithKey.describe(certificate, key))

    @classmethod
    def from_files_content(cls, certificate: bytes, key: bytes, password: str | None = None) -> CertificateCredentials:
        """Credentials from the contents of a certificate file and a private-key file (`password` opens the key)."""
        try:
            loaded = load_certificate_with_key(certificate, key, password)
        except CertificateError as error:
            raise KsefInvalidInputError(error.message, field="certificate") from error
        except KsefCryptoError as error:
            raise KsefInvalidInputError(error.message, field="key") from error
        return cls.from_certificate_with_key(loaded)

    @classmethod
    def from_pkcs12(cls, data: bytes, password: str | None = None) -> CertificateCredentials:
        """Credentials from the contents of a PKCS#12 (`.p12`/`.pfx`) file."""
        try:
            loaded = load_pkcs12_certificate_with_key(data, password)
        except KsefCryptoError as error:
            raise KsefInvalidInputError(f"Plik PKCS#12: {error.message}", field="pkcs12") from error
        return cls.from_certificate_with_key(loaded)

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate (64 upper-case hex digits), as KSeF identifies it."""
        return sha256_fingerprint(self.certificate)

    @property
    def subject_identifier(self) -> SubjectIdentifier:
        """Who the certificate names: NIP or PESEL from the subject DN, otherwise its fingerprint."""
        return read_subject_identifier(self.certificate)

    def check_valid_at(self, now: datetime) -> None:
        """Raise `KsefInvalidInputError` when the certificate is not valid at `now` (timezone-aware)."""
        state = validity_state(self.certificate, now)
        if state is ValidityState.NOT_YET_VALID:
            raise KsefInvalidInputError(
                f"Certyfikat jest ważny dopiero od {self.certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.",
                field="certificate",
            )
        if state is ValidityState.EXPIRED:
            raise KsefInvalidInputError(
                f"Certyfikat wygasł {self.certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.", field="certificate"
            )
