"""PKCS#10 certificate signing requests for KSeF certificates: build them, inspect them, check them.

The subject comes from `GET /certificates/enrollments/data` (eight fields; null or empty ones are left out).
countryName and serialNumber are PrintableString (UTF8String if a value does not fit PrintableString), everything
else UTF8String; RDNs are single-valued, in the official C# client's order.

`check_csr` is the single implementation of KSeF's CSR rules, used by the CLI and by the server's registration
policy. The CSR text must be Base64 of the DER request exactly as the API's `csr` field carries it: standard
alphabet, correct padding, **no PEM armour, no line breaks, no spaces** — anything else is 25004, with a message
telling the user to send Base64 DER without line breaks (real KSeF rejects `\\r\\n` in the field too).

Error codes (the API's):
- 25003 the subject differs from the enrollment data (compared as a multiset of (OID, value) pairs: order and
  string type do not matter, every attribute must be there exactly as returned, no extras);
- 25004 not Base64 DER, not a PKCS#10 request, or a bad self-signature;
- 25010 key other than RSA 2048 or EC P-256;
- 25011 signature algorithm other than RSA PKCS#1 v1.5, RSA-PSS or ECDSA with SHA-1/256/384/512 (or one that does
  not fit the key).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import CsrError, EnrollmentDataError, UnsupportedKeyError
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, PublicKey, key_kind

__all__ = [
    "DESCRIPTIONS",
    "INVALID_CSR",
    "INVALID_KEY",
    "INVALID_SIGNATURE_ALGORITHM",
    "SUBJECT_MISMATCH",
    "UNIQUE_IDENTIFIER",
    "CsrInfo",
    "EnrollmentData",
    "RsaPadding",
    "build_subject_name",
    "check_csr",
    "check_csr_subject",
    "create_csr",
    "decode_csr_text",
    "inspect_csr",
    "inspect_csr_der",
]

SUBJECT_MISMATCH = 25003
INVALID_CSR = 25004
INVALID_KEY = 25010
INVALID_SIGNATURE_ALGORITHM = 25011

DESCRIPTIONS = {
    SUBJECT_MISMATCH: "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym.",
    INVALID_CSR: "Niepoprawny format CSR lub niepoprawny podpis CSR.",
    INVALID_KEY: "Nieprawidłowy typ lub długość klucza.",
    INVALID_SIGNATURE_ALGORITHM: "Nieprawidłowy algorytm podpisu CSR.",
}
"""The official KSeF descriptions of the CSR error codes."""

UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")

RsaPadding = Literal["pkcs1", "pss"]


def _error(code: int, *details: str) -> CsrError:
    return CsrError(code, DESCRIPTIONS[code], details)


# --- enrollment data --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnrollmentData:
    """The subject data KSeF returns for a CSR (`CertificateEnrollmentDataResponse`). None means "not present"."""

    common_name: str
    country_name: str
    given_name: str | None = None
    surname: str | None = None
    serial_number: str | None = None
    unique_identifier: str | None = None
    organization_name: str | None = None
    organization_identifier: str | None = None

    @classmethod
    def from_api(cls, payload: Mapping[str, Any]) -> EnrollmentData:
        """Read the API's camelCase JSON object. Null and empty strings mean "absent"; unknown keys are ignored.

        `givenName` may also be a one-element list (older API versions and the documentation use a list).
        Raises `EnrollmentDataError` when commonName/countryName are missing or a field is not a string.
        """
        if not isinstance(payload, Mapping):
            raise EnrollmentDataError("Dane do wniosku muszą być obiektem JSON.")
        values: dict[str, str | None] = {}
        for field, key in _API_FIELDS.items():
            value = payload.get(key)
            if field == "given_name" and value is None:
                value = payload.get("givenNames")
            if isinstance(value, list):
                if len(value) > 1:
                    raise EnrollmentDataError(f"Pole „{key}” zawiera kilka wartości; obsługujemy jedno imię.")
                value = value[0] if value else None
            if value is not None and not isinstance(value, str):
                raise EnrollmentDataError(f"Pole „{key}” musi być tekstem.")
            values[field] = value or None
        common_name, country_name = values.pop("common_name"), values.pop("country_name")
        if common_name is None or country_name is None:
            missing = [key for key, value in (("commonName", common_name), ("countryName", country_name)) if not value]
            raise EnrollmentDataError("Brak wymaganych pól w danych do wniosku: " + ", ".join(missing) + ".")
        return cls(common_name=common_name, country_name=country_name, **values)

    def to_api(self) -> dict[str, str | None]:
        """The API's camelCase JSON object (absent fields as null)."""
        return {key: getattr(self, field) for field, key in _API_FIELDS.items()}

    def attributes(self) -> list[tuple[x509.ObjectIdentifier, str]]:
        """The present attributes as (OID, value), in the order the subject DN is built."""
        ordered = [
            (NameOID.COMMON_NAME, self.common_name),
            (NameOID.SURNAME, self.surname),
            (NameOID.GIVEN_NAME, self.given_name),
            (NameOID.ORGANIZATION_NAME, self.organization_name),
            (ORGANIZATION_IDENTIFIER, self.organization_identifier),
            (NameOID.COUNTRY_NAME, self.country_name),
            (NameOID.SERIAL_NUMBER, self.serial_number),
            (UNIQUE_IDENTIFIER, self.unique_identifier),
        ]
        return [(oid, value) for oid, value in ordered if value]


_API_FIELDS = {
    "common_name": "commonName",
    "country_name": "countryName",
    "given_name": "givenName",
    "surname": "surname",
    "serial_number": "serialNumber",
    "unique_identifier": "uniqueIdentifier",
    "organization_name": "organizationName",
    "organization_identifier": "organizationIdentifier",
}
_PRINTABLE_STRING = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]*")
_PRINTABLE_OIDS = (NameOID.COUNTRY_NAME, NameOID.SERIAL_NUMBER)


def build_subject_name(data: EnrollmentData) -> x509.Name:
    """The CSR subject for `data`: one single-valued RDN per present field (C# client order).

    Raises `EnrollmentDataError` for values X.509 cannot carry (e.g. a countryName that is not two letters).
    """
    attributes = []
    for oid, value in data.attributes():
        printable = oid in _PRINTABLE_OIDS and _PRINTABLE_STRING.fullmatch(value)
        string_type = _ASN1Type.PrintableString if printable else _ASN1Type.UTF8String
        try:
            with tolerate_ksef_quirks():
                # X.520 bounds commonName at 64 *characters*; cryptography counts UTF-8 bytes and would refuse a
                # 40-letter Polish name. KSeF's data is used as given; only countryName keeps its 2-letter check.
                attributes.append(
                    x509.NameAttribute(oid, value, _type=string_type, _validate=oid == NameOID.COUNTRY_NAME)
                )
        except ValueError as error:
            raise EnrollmentDataError(f"Nieprawidłowa wartość atrybutu {_oid_name(oid)}: {value!r}.") from error
    return x509.Name(attributes)


def create_csr(key: PrivateKey, data: EnrollmentData, *, rsa_padding: RsaPadding = "pkcs1") -> str:
    """A PKCS#10 CSR for `data` signed by `key`, as Base64 DER without line breaks (the API's `csr` field).

    EC keys sign with ECDSA-SHA256; RSA keys with SHA-256 and PKCS#1 v1.5 (default, as the Java client and the C#
    certificate tests) or RSA-PSS (MGF1-SHA256, salt 32, the C# client's default). No attributes or extensions.
    Raises `UnsupportedKeyError` for keys KSeF does not accept, `EnrollmentDataError` for unusable data.
    """
    kind = key_kind(key)
    builder = x509.CertificateSigningRequestBuilder().subject_name(build_subject_name(data))
    if kind is KeyKind.RSA_2048 and rsa_padding == "pss":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        request = builder.sign(key, hashes.SHA256(), rsa_padding=pss)
    elif kind is KeyKind.RSA_2048 and rsa_padding != "pkcs1":
        raise ValueError(f"unknown RSA padding {rsa_padding!r}")
    else:
        request = builder.sign(key, hashes.SHA256())
    return base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode("ascii")


# --- inspection and checks ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsrInfo:
    """What a valid, self-signature-checked CSR says."""

    der: bytes
    public_key: PublicKey
    key_kind: KeyKind
    signature_algorithm: str
    """Readable name, e.g. `ecdsa-with-SHA256`, `sha256WithRSAEncryption`, `RSASSA-PSS (SHA-256)`."""
    signature_algorithm_oid: str
    subject_name: x509.Name
    subject_attributes: tuple[tuple[str, str], ...]
    """(OID dotted string, value) pairs in DER order, repeats kept."""
    spki_sha256: str
    """SHA-256 of the DER SubjectPublicKeyInfo, 64 upper-case hex digits (same as `public_key_sha256_fingerprint`)."""

    @property
    def subject(self) -> frozenset[tuple[str, str]]:
        """The subject as a set of (OID dotted string, value) pairs."""
        return frozenset(self.subject_attributes)


_HASHES_ALLOWED = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)
_HASH_NAMES = {"sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
_RSA_PKCS1_OIDS = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "sha1WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "sha384WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "sha512WithRSAEncryption",
}
_ECDSA_OIDS = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ecdsa-with-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ecdsa-with-SHA512",
}
_STRICT_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_SEND_BASE64_DER = "Wyślij CSR jako Base64 formatu DER w jednej linii, bez nagłówków PEM i bez znaków końca linii."


def decode_csr_text(text: str) -> bytes:
    """The DER bytes of the API's `csr` field; raises `CsrError` 25004 unless it is strict single-line Base64."""
    if not isinstance(text, str) or not text:
        raise _error(INVALID_CSR, "CSR jest pusty.", _SEND_BASE64_DER)
    if _STRICT_BASE64.fullmatch(text):
        return base64.b64decode(text)
    # Not strict Base64: say what is wrong (the checks above the last one only explain the refusal).
    if "-----BEGIN" in text:
        raise _error(INVALID_CSR, "CSR jest w formacie PEM (z nagłówkiem „-----BEGIN”).", _SEND_BASE64_DER)
    if any(character in text for character in "\r\n"):
        raise _error(INVALID_CSR, "CSR zawiera znaki końca linii.", _SEND_BASE64_DER)
    if any(character.isspace() for character in text):
        raise _error(INVALID_CSR, "CSR zawiera spacje lub inne białe znaki.", _SEND_BASE64_DER)
    raise _error(INVALID_CSR, "CSR nie jest poprawnym tekstem Base64.", _SEND_BASE64_DER)


def _oid_name(oid: x509.ObjectIdentifier) -> str:
    return _ATTRIBUTE_NAMES.get(oid.dotted_string, oid.dotted_string)


_ATTRIBUTE_NAMES = {
    "2.5.4.3": "commonName",
    "2.5.4.4": "surname",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "countryName",
    "2.5.4.10": "organizationName",
    "2.5.4.42": "givenName",
    "2.5.4.45": "uniqueIdentifier",
    "2.5.4.97": "organizationIdentifier",
}


def _attribute_value(value: str | bytes) -> str:
    # x500UniqueIdentifier is a BIT STRING in X.520; KSeF clients put a UTF8String there. Render bytes as hex so a
    # BIT STRING never compares equal to the text.
    return value if isinstance(value, str) else "#" + value.hex()


def _signature_algorithm(request: x509.CertificateSigningRequest, kind: KeyKind) -> str:
    oid = request.signature_algorithm_oid
    if oid in _ECDSA_OIDS:
        if kind is not KeyKind.EC_P256:
            raise _error(INVALID_SIGNATURE_ALGORITHM, f"Algorytm {_ECDSA_OIDS[oid]} nie pasuje do klucza RSA.")
        return _ECDSA_OIDS[oid]
    if oid in _RSA_PKCS1_OIDS:
        if kind is not KeyKind.RSA_2048:
            raise _error(INVALID_SIGNATURE_ALGORITHM, f"Algorytm {_RSA_PKCS1_OIDS[oid]} nie pasuje do klucza EC.")
        return _RSA_PKCS1_OIDS[oid]
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        if kind is not KeyKind.RSA_2048:
            raise _error(INVALID_SIGNATURE_ALGORITHM, "Algorytm RSASSA-PSS nie pasuje do klucza EC.")
        try:
            hash_algorithm = request.signature_hash_algorithm
        except UnsupportedAlgorithm as error:
            raise _error(INVALID_SIGNATURE_ALGORITHM, "Nieobsługiwane parametry RSASSA-PSS.") from error
        if not isinstance(hash_algorithm, _HASHES_ALLOWED):
            raise _error(INVALID_SIGNATURE_ALGORITHM, "RSASSA-PSS z niedozwoloną funkcją skrótu.")
        return f"RSASSA-PSS ({_HASH_NAMES[hash_algorithm.name]})"
    name = getattr(oid, "_name", None) or oid.dotted_string
    raise _error(
        INVALID_SIGNATURE_ALGORITHM,
        f"Algorytm podpisu {name} jest niedozwolony; dozwolone: RSA PKCS#1 v1.5, RSA-PSS i ECDSA "
        "z SHA-1, SHA-256, SHA-384 lub SHA-512.",
    )


def _self_signature_valid(request: x509.CertificateSigningRequest, public_key: PublicKey) -> bool:
    # Verified by hand rather than with `is_signature_valid`, which refuses SHA-1 — a hash KSeF allows for CSRs.
    try:
        parameters = request.signature_algorithm_parameters
        hash_algorithm = request.signature_hash_algorithm
        if isinstance(public_key, rsa.RSAPublicKey):
            if not isinstance(parameters, padding.PSS | padding.PKCS1v15) or hash_algorithm is None:
                return False
            public_key.verify(request.signature, request.tbs_certrequest_bytes, parameters, hash_algorithm)
        else:
            if hash_algorithm is None:
                return False
            public_key.verify(request.signature, request.tbs_certrequest_bytes, ec.ECDSA(hash_algorithm))
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def inspect_csr_der(der: bytes) -> CsrInfo:
    """Parse and check a DER CSR: structure (25004), key (25010), signature algorithm (25011), self-signature (25004).

    Use `inspect_csr` for the API's Base64 text; this is for local files already decoded.
    """
    try:
        request = x509.load_der_x509_csr(der)
        with tolerate_ksef_quirks():
            subject_name = request.subject
        attributes = tuple((a.oid.dotted_string, _attribute_value(a.value)) for a in subject_name)
    except x509.InvalidVersion as error:
        raise _error(INVALID_CSR, "Nieobsługiwana wersja żądania PKCS#10 (dozwolona tylko v1).") from error
    except ValueError as error:
        raise _error(INVALID_CSR, "Dane nie są żądaniem PKCS#10 w formacie DER.") from error
    except (KeyError, TypeError) as error:
        # cryptography raises these for a subject value of an unknown ASN.1 string type (e.g. tag 13) or a BIT STRING
        # outside x500UniqueIdentifier; without this clause they escaped as an internal error.
        raise _error(INVALID_CSR, "Podmiot CSR zawiera wartość atrybutu nieobsługiwanego typu ASN.1.") from error
    try:
        public_key = request.public_key()
    except (UnsupportedAlgorithm, ValueError) as error:
        raise _error(INVALID_KEY, "Nieobsługiwany algorytm klucza; dozwolone: RSA 2048 albo EC P-256.") from error
    try:
        kind = key_kind(public_key)
    except UnsupportedKeyError as error:
        raise _error(INVALID_KEY, error.message) from error
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):  # pragma: no cover - see key_kind
        raise _error(INVALID_KEY, "Dozwolone klucze: RSA 2048 albo EC P-256.")
    algorithm = _signature_algorithm(request, kind)
    if not _self_signature_valid(request, public_key):
        raise _error(INVALID_CSR, "Podpis CSR jest nieprawidłowy (CSR nie jest podpisany kluczem, który zawiera).")
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return CsrInfo(
        der=der,
        public_key=public_key,
        key_kind=kind,
        signature_algorithm=algorithm,
        signature_algorithm_oid=request.signature_algorithm_oid.dotted_string,
        subject_name=subject_name,
        subject_attributes=attributes,
        spki_sha256=hashlib.sha256(spki).hexdigest().upper(),
    )


def inspect_csr(text: str) -> CsrInfo:
    """Decode and check the API's `csr` text (strict Base64 DER, see the module docstring). Raises `CsrError`."""
    return inspect_csr_der(decode_csr_text(text))


def _describe_attributes(pairs: Counter[tuple[str, str]]) -> str:
    return ", ".join(
        f"{_ATTRIBUTE_NAMES.get(oid, oid)}={value!r}"
        for (oid, value), count in sorted(pairs.items())
        for _ in range(count)
    )


def check_csr_subject(info: CsrInfo, expected: EnrollmentData) -> None:
    """Raise `CsrError` 25003 unless the CSR subject equals `expected` as a multiset of (OID, value) pairs."""
    wanted = Counter((oid.dotted_string, value) for oid, value in expected.attributes())
    actual = Counter(info.subject_attributes)
    if wanted == actual:
        return
    details: list[str] = []
    if missing := wanted - actual:
        details.append(f"Brakuje w CSR: {_describe_attributes(missing)}.")
    if extra := actual - wanted:
        details.append(f"Nadmiarowe lub zmienione w CSR: {_describe_attributes(extra)}.")
    details.append("Zbuduj CSR z danych zwróconych przez /certificates/enrollments/data, bez zmian.")
    raise _error(SUBJECT_MISMATCH, *details)


def check_csr(text: str, expected: EnrollmentData) -> CsrInfo:
    """Check the API's `csr` text against KSeF's rules and the enrollment data; return what it says.

    Raises `CsrError` with code 25004 (format or self-signature), 25010 (key), 25011 (signature algorithm) or 25003
    (subject differs from `expected`), in that order of checking.
    """
    info = inspect_csr(text)
    check_csr_subject(info, expected)
    return info
