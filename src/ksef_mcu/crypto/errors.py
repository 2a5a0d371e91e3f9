"""The crypto error tree.

Every error carries a user-facing Polish `message`. Errors that correspond to a KSeF API error also carry the
numeric KSeF `code` so the server can render them and the client can recognise them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from ksef_mcu import identifiers

__all__ = [
    "CERTIFICATE_INVALID_STATUS",
    "KSEF_EXCEPTION_DESCRIPTIONS",
    "XADES_REJECTIONS",
    "AuthStatus",
    "CertificateError",
    "CertificateNameError",
    "CertificateTypeError",
    "CertificateValidityError",
    "CsrError",
    "EnrollmentDataError",
    "IdentifierError",
    "KeyFileError",
    "KeyMismatchError",
    "KsefCryptoError",
    "NotAPrivateKeyError",
    "PasswordRequiredError",
    "PasswordRuleError",
    "QrError",
    "RejectionInfo",
    "SerialNumberError",
    "UnsupportedKeyEncryptionError",
    "UnsupportedKeyError",
    "WrongPasswordError",
    "XadesError",
    "XadesRejection",
]

if TYPE_CHECKING:
    from ksef_mcu.crypto.xades.verifier import VerifiedLogin


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


class KeyMismatchError(KsefCryptoError):
    """The private key is not the key pair of the certificate it came with."""


class CertificateTypeError(CertificateError):
    """The certificate is not of the KSeF type the purpose needs (e.g. an Offline certificate where Type 1 is)."""


class CertificateValidityError(CertificateError):
    """The certificate is not yet valid or has expired."""


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


# --- XAdES (AuthTokenRequest) -------------------------------------------------------------------------------------

#: KSeF `exceptionDescription` for each exception code that XAdES verification can produce (open-api.json,
#: `POST /auth/xades-signature`), worded exactly as the real KSeF words them.
KSEF_EXCEPTION_DESCRIPTIONS: Final[Mapping[int, str]] = MappingProxyType(
    {
        9101: "Nieprawidłowy dokument.",
        9102: "Brak podpisu.",
        9103: "Przekroczona liczba dozwolonych podpisów.",
        9105: "Nieprawidłowy podpis.",
        21001: "Nieczytelna treść.",
        21115: "Nieprawidłowy certyfikat.",
        21217: "Nieprawidłowe kodowanie znaków.",
        21401: "Dokument nie jest zgodny ze schemą (xsd).",
    }
)


@dataclass(frozen=True, slots=True)
class AuthStatus:
    """An asynchronous authentication status (`GET /auth/{referenceNumber}` → `status`) as KSeF words it."""

    code: int
    description: str
    detail: str


#: Status 460 "Nieważny certyfikat": how KSeF reports a certificate outside its validity period asynchronously.
CERTIFICATE_INVALID_STATUS: Final = AuthStatus(
    460, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu", "Nieważny certyfikat"
)


class XadesRejection(enum.StrEnum):
    """Why a signed AuthTokenRequest was refused: one member per cause. Values are stable identifiers.

    `XADES_REJECTIONS` maps each member to its KSeF exception code, default Polish detail and, where KSeF reports the
    cause asynchronously, the authentication status the server may use instead of a synchronous error.
    """

    DOCUMENT_TOO_LARGE = "document-too-large"
    INVALID_ENCODING = "invalid-encoding"
    DTD_FORBIDDEN = "dtd-forbidden"
    MALFORMED_XML = "malformed-xml"
    SCHEMA_INVALID = "schema-invalid"
    NO_SIGNATURE = "no-signature"
    TOO_MANY_SIGNATURES = "too-many-signatures"
    SIGNATURE_MISPLACED = "signature-misplaced"
    DETACHED_SIGNATURE = "detached-signature"
    SIGNATURE_MALFORMED = "signature-malformed"
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"
    UNSUPPORTED_TRANSFORM = "unsupported-transform"
    DOCUMENT_NOT_SIGNED = "document-not-signed"
    UNEXPECTED_REFERENCE = "unexpected-reference"
    REFERENCE_TARGET_NOT_FOUND = "reference-target-not-found"
    DUPLICATE_ID = "duplicate-id"
    DIGEST_MISMATCH = "digest-mismatch"
    SIGNATURE_VALUE_MALFORMED = "signature-value-malformed"
    SIGNATURE_MISMATCH = "signature-mismatch"
    CERTIFICATE_MISSING = "certificate-missing"
    CERTIFICATE_UNREADABLE = "certificate-unreadable"
    KEY_VALUE_MISMATCH = "key-value-mismatch"
    KEY_TOO_WEAK = "key-too-weak"
    KEY_ALGORITHM_MISMATCH = "key-algorithm-mismatch"
    SIGNED_PROPERTIES_MISSING = "signed-properties-missing"
    QUALIFYING_PROPERTIES_INVALID = "qualifying-properties-invalid"
    SIGNING_TIME_MISSING = "signing-time-missing"
    SIGNING_TIME_INVALID = "signing-time-invalid"
    SIGNING_TIME_IN_FUTURE = "signing-time-in-future"
    SIGNING_CERTIFICATE_MISSING = "signing-certificate-missing"
    SIGNING_CERTIFICATE_MISMATCH = "signing-certificate-mismatch"
    CERTIFICATE_NOT_YET_VALID = "certificate-not-yet-valid"
    CERTIFICATE_EXPIRED = "certificate-expired"
    CERTIFICATE_WITHOUT_IDENTIFIER = "certificate-without-identifier"
    SEAL_WITH_PERSON_ATTRIBUTES = "seal-with-person-attributes"
    AMBIGUOUS_IDENTITY = "ambiguous-identity"


@dataclass(frozen=True, slots=True)
class RejectionInfo:
    """How one `XadesRejection` is reported: KSeF exception `code`, default Polish `detail`, optional async status."""

    code: int
    detail: str
    auth_status: AuthStatus | None = None

    @property
    def description(self) -> str:
        """The KSeF `exceptionDescription` for `code`."""
        return KSEF_EXCEPTION_DESCRIPTIONS[self.code]


_PROFILE = "Format podpisu niezgodny z akceptowanymi profilami XAdES."

#: The mapping the server renders from: every rejection cause → KSeF code, default detail, async status.
XADES_REJECTIONS: Final[Mapping[XadesRejection, RejectionInfo]] = MappingProxyType(
    {
        XadesRejection.DOCUMENT_TOO_LARGE: RejectionInfo(9101, "Dokument jest zbyt duży."),
        XadesRejection.INVALID_ENCODING: RejectionInfo(21217, "Dokument musi być zapisany w kodowaniu UTF-8."),
        XadesRejection.DTD_FORBIDDEN: RejectionInfo(
            21001, "Dokument zawiera deklarację DOCTYPE lub encje; są one niedozwolone."
        ),
        XadesRejection.MALFORMED_XML: RejectionInfo(21001, "Dokument nie jest poprawnym dokumentem XML."),
        XadesRejection.SCHEMA_INVALID: RejectionInfo(21401, "Dokument nie jest zgodny ze schematem AuthTokenRequest."),
        XadesRejection.NO_SIGNATURE: RejectionInfo(9102, "Dokument nie zawiera podpisu XAdES (ds:Signature)."),
        XadesRejection.TOO_MANY_SIGNATURES: RejectionInfo(9103, "Dokument może zawierać tylko jeden podpis."),
        XadesRejection.SIGNATURE_MISPLACED: RejectionInfo(
            9101, "Podpis musi być bezpośrednim elementem podrzędnym AuthTokenRequest (podpis otaczany)."
        ),
        XadesRejection.DETACHED_SIGNATURE: RejectionInfo(
            9105, "Podpis w formacie zewnętrznym (detached) nie jest akceptowany."
        ),
        XadesRejection.SIGNATURE_MALFORMED: RejectionInfo(9105, "Struktura elementu ds:Signature jest nieprawidłowa."),
        XadesRejection.UNSUPPORTED_ALGORITHM: RejectionInfo(
            9105, "Podpis złożony z użyciem niewspieranego algorytmu kryptograficznego."
        ),
        XadesRejection.UNSUPPORTED_TRANSFORM: RejectionInfo(9105, "Podpis zawiera niedozwoloną transformatę."),
        XadesRejection.DOCUMENT_NOT_SIGNED: RejectionInfo(
            9105, "Żadna referencja podpisu nie obejmuje całego dokumentu AuthTokenRequest."
        ),
        XadesRejection.UNEXPECTED_REFERENCE: RejectionInfo(
            9105, "Podpis zawiera referencję do elementu innego niż dokument, SignedProperties lub KeyInfo."
        ),
        XadesRejection.REFERENCE_TARGET_NOT_FOUND: RejectionInfo(
            9105, "Element wskazywany przez referencję nie został odnaleziony."
        ),
        XadesRejection.DUPLICATE_ID: RejectionInfo(9105, "Identyfikator (Id) występuje w dokumencie więcej niż raz."),
        XadesRejection.DIGEST_MISMATCH: RejectionInfo(9105, "Nieprawidłowa wartość skrótu dla referencji."),
        XadesRejection.SIGNATURE_VALUE_MALFORMED: RejectionInfo(9105, "Wartość podpisu ma nieprawidłowy format."),
        XadesRejection.SIGNATURE_MISMATCH: RejectionInfo(9105, "Podpis zweryfikowany negatywnie."),
        XadesRejection.CERTIFICATE_MISSING: RejectionInfo(
            9105, "Podpis nie zawiera certyfikatu (KeyInfo/X509Data/X509Certificate)."
        ),
        XadesRejection.CERTIFICATE_UNREADABLE: RejectionInfo(21115, "Nie można odczytać certyfikatu z podpisu."),
        XadesRejection.KEY_VALUE_MISMATCH: RejectionInfo(
            9105, "Klucz w KeyInfo/KeyValue nie jest kluczem publicznym certyfikatu."
        ),
        XadesRejection.KEY_TOO_WEAK: RejectionInfo(
            9105, "Klucz jest za krótki: wymagane RSA co najmniej 2048 bitów lub krzywa EC co najmniej 256 bitów."
        ),
        XadesRejection.KEY_ALGORITHM_MISMATCH: RejectionInfo(
            9105, "Algorytm podpisu nie odpowiada rodzajowi klucza certyfikatu."
        ),
        XadesRejection.SIGNED_PROPERTIES_MISSING: RejectionInfo(9105, _PROFILE + " Brak podpisanych SignedProperties."),
        XadesRejection.QUALIFYING_PROPERTIES_INVALID: RejectionInfo(
            9105, _PROFILE + " Nieprawidłowe QualifyingProperties."
        ),
        XadesRejection.SIGNING_TIME_MISSING: RejectionInfo(9105, _PROFILE + " Brak SigningTime."),
        XadesRejection.SIGNING_TIME_INVALID: RejectionInfo(9105, "SigningTime nie jest poprawną datą i godziną."),
        XadesRejection.SIGNING_TIME_IN_FUTURE: RejectionInfo(
            9105, "Czas złożenia podpisu (SigningTime) jest w przyszłości."
        ),
        XadesRejection.SIGNING_CERTIFICATE_MISSING: RejectionInfo(
            9105, _PROFILE + " Brak SigningCertificate lub SigningCertificateV2."
        ),
        XadesRejection.SIGNING_CERTIFICATE_MISMATCH: RejectionInfo(
            9105, "SigningCertificate nie wskazuje certyfikatu, którym złożono podpis."
        ),
        XadesRejection.CERTIFICATE_NOT_YET_VALID: RejectionInfo(
            21115, "Certyfikat nie jest jeszcze ważny.", CERTIFICATE_INVALID_STATUS
        ),
        XadesRejection.CERTIFICATE_EXPIRED: RejectionInfo(21115, "Certyfikat wygasł.", CERTIFICATE_INVALID_STATUS),
        XadesRejection.CERTIFICATE_WITHOUT_IDENTIFIER: RejectionInfo(
            21115,
            "Certyfikat nie zawiera numeru NIP ani PESEL (atrybuty serialNumber 2.5.4.5 lub organizationIdentifier "
            "2.5.4.97); aby uwierzytelnić się takim certyfikatem, użyj SubjectIdentifierType certificateFingerprint.",
        ),
        XadesRejection.AMBIGUOUS_IDENTITY: RejectionInfo(
            21115,
            "Certyfikat wskazuje więcej niż jeden podmiot (różne numery NIP lub PESEL w atrybutach serialNumber "
            "i organizationIdentifier); aby uwierzytelnić się takim certyfikatem, użyj SubjectIdentifierType "
            "certificateFingerprint.",
        ),
        XadesRejection.SEAL_WITH_PERSON_ATTRIBUTES: RejectionInfo(
            21115,
            "Certyfikat pieczęci (organizationIdentifier z NIP) nie może zawierać atrybutów givenName ani surname; "
            "aby uwierzytelnić się takim certyfikatem, użyj SubjectIdentifierType certificateFingerprint.",
        ),
    }
)


class XadesError(KsefCryptoError):
    """A signed AuthTokenRequest was refused (or could not be built or signed).

    `reason` says why; `code`, `description` and `details` are what KSeF returns for it
    (`exceptionCode`, `exceptionDescription`, `details`); `auth_status` is set where KSeF reports the cause
    asynchronously (`GET /auth/{referenceNumber}`).
    """

    def __init__(
        self, reason: XadesRejection, detail: str | None = None, *, login: VerifiedLogin | None = None
    ) -> None:
        info = XADES_REJECTIONS[reason]
        self.reason = reason
        self.login = login
        """The verified login, for rejections that leave the signature sound (certificate validity)."""
        self.description = info.description
        self.details: tuple[str, ...] = (detail or info.detail,)
        self.auth_status = info.auth_status
        super().__init__(f"{info.description} {self.details[0]}", code=info.code)


class IdentifierError(KsefCryptoError, identifiers.IdentifierError):
    """A NIP or PESEL is malformed (digits, length or check digit), or a test-certificate name part is unusable.

    Also an `identifiers.IdentifierError`, so one `except` catches it and the identifier checks' own errors."""
