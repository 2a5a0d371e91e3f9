"""X.509 certificates as KSeF sees them: loading, type (Authentication/Offline), subject, validity, serials.

Subject identification follows KSeF (`auth/podpis-xades.md`): a person's `serialNumber` carries `PNOPL`/`PESEL` +
11 digits or `TINPL`/`NIP` + 10 digits; an organisation seal's `organizationIdentifier` carries `VATPL` + 10 digits.
Anything else is identified by the SHA-256 fingerprint of the certificate.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import CertificateError, KeyFileError
from ksef_mcu.crypto.keys import (
    PrivateKey,
    PublicKey,
    der_shape,
    load_pkcs12,
    pem_blocks,
)
from ksef_mcu.crypto.serials import format_serial
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType

__all__ = [
    "ORGANIZATION_IDENTIFIER",
    "KsefCertificateType",
    "SubjectIdentifier",
    "SubjectIdentifierType",
    "ValidityState",
    "certificate_serial",
    "classify_certificate",
    "identifier_from_subject",
    "identifiers_in_subject",
    "key_matches_certificate",
    "load_certificate",
    "load_der_certificate",
    "read_subject_identifier",
    "sha256_fingerprint",
    "validity_state",
]
# `SubjectIdentifier` and `SubjectIdentifierType` are defined in `ksef_mcu.identifiers`; re-exported because a
# certificate's subject is read into them here (and existing callers import them from here).

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")

_PESEL_IN_SERIAL = re.compile(r"(?:PNOPL|PESEL)\D*?(\d{11})(?!\d)")
_NIP_IN_SERIAL = re.compile(r"(?:TINPL|NIP)\D*?(\d{10})(?!\d)")
_NIP_IN_ORGANIZATION_IDENTIFIER = re.compile(r"VATPL\D*?(\d{10})(?!\d)")


def sha256_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 over the DER certificate as 64 upper-case hex digits (the KSeF fingerprint form)."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest().upper()


def certificate_serial(certificate: x509.Certificate) -> str:
    """The certificate serial in the KSeF form (upper-case hex, at least 16 digits, leading zeros kept)."""
    return format_serial(certificate.serial_number)


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]


def identifier_from_subject(name: x509.Name) -> SubjectIdentifier | None:
    """NIP or PESEL named by a subject DN, or None when the DN names neither.

    Persons (`serialNumber`) are recognised before seals (`organizationIdentifier`); a value that carries a prefix
    but not the right number of digits (e.g. `TINPL-111111`) is not an identifier.
    """
    for serial in _attribute(name, NameOID.SERIAL_NUMBER):
        if match := _PESEL_IN_SERIAL.search(serial):
            return SubjectIdentifier(SubjectIdentifierType.PESEL, match.group(1))
        if match := _NIP_IN_SERIAL.search(serial):
            return SubjectIdentifier(SubjectIdentifierType.NIP, match.group(1))
    for organization_identifier in _attribute(name, ORGANIZATION_IDENTIFIER):
        if match := _NIP_IN_ORGANIZATION_IDENTIFIER.search(organization_identifier):
            return SubjectIdentifier(SubjectIdentifierType.NIP, match.group(1))
    return None


def identifiers_in_subject(name: x509.Name) -> set[SubjectIdentifier]:
    """Every NIP and PESEL a subject DN names, in any `serialNumber` or `organizationIdentifier` (one entry when they
    agree, as real qualified seals carry `VATPL-<NIP>` and `TINPL-<NIP>` together)."""
    found: set[SubjectIdentifier] = set()
    for serial in _attribute(name, NameOID.SERIAL_NUMBER):
        if match := _PESEL_IN_SERIAL.search(serial):
            found.add(SubjectIdentifier(SubjectIdentifierType.PESEL, match.group(1)))
        elif match := _NIP_IN_SERIAL.search(serial):
            found.add(SubjectIdentifier(SubjectIdentifierType.NIP, match.group(1)))
    for organization_identifier in _attribute(name, ORGANIZATION_IDENTIFIER):
        if match := _NIP_IN_ORGANIZATION_IDENTIFIER.search(organization_identifier):
            found.add(SubjectIdentifier(SubjectIdentifierType.NIP, match.group(1)))
    return found


def read_subject_identifier(certificate: x509.Certificate) -> SubjectIdentifier:
    """The KSeF subject of a certificate: NIP/PESEL from its subject DN, otherwise its SHA-256 fingerprint."""
    with tolerate_ksef_quirks():
        subject = certificate.subject
    return identifier_from_subject(subject) or SubjectIdentifier(
        SubjectIdentifierType.FINGERPRINT, sha256_fingerprint(certificate)
    )


# --- loading ----------------------------------------------------------------------------------------------------


def load_der_certificate(der: bytes) -> x509.Certificate:
    """Parse one DER certificate, tolerating the NULL signature parameters of KSeF CA certificates.

    Use this (or `load_certificate`) for every certificate that may come from KSeF. Raises `CertificateError`.
    """
    try:
        with tolerate_ksef_quirks():
            return x509.load_der_x509_certificate(der)
    except ValueError as error:
        raise CertificateError("Uszkodzony certyfikat (niepoprawna struktura DER).") from error


_NOT_A_CERTIFICATE = {
    "encrypted-pkcs8": "Plik zawiera klucz prywatny, a nie certyfikat.",
    "pkcs8": "Plik zawiera klucz prywatny, a nie certyfikat.",
    "pkcs1": "Plik zawiera klucz prywatny, a nie certyfikat.",
    "sec1": "Plik zawiera klucz prywatny, a nie certyfikat.",
    "csr": "Plik zawiera wniosek certyfikacyjny (CSR), a nie certyfikat.",
    "public-key": "Plik zawiera klucz publiczny, a nie certyfikat.",
}
_UNKNOWN_CERTIFICATE_FORMAT = (
    "Nie rozpoznano certyfikatu. Obsługiwane formaty: PEM (.crt/.pem), DER (.cer/.der), Base64 DER "
    "i PKCS#12 (.p12/.pfx)."
)


def _load_der_any(der: bytes, password: str | None) -> x509.Certificate:
    shape = der_shape(der)
    if shape == "certificate":
        return load_der_certificate(der)
    if shape == "pkcs12":
        return load_pkcs12(der, password)[1]
    raise CertificateError(_NOT_A_CERTIFICATE.get(shape, _UNKNOWN_CERTIFICATE_FORMAT))


def load_certificate(data: bytes, password: str | None = None) -> x509.Certificate:
    """Load a certificate from PEM (the first `CERTIFICATE` block), DER, Base64 DER text or PKCS#12.

    `password` is used only for PKCS#12. Raises `CertificateError` for anything that is not a certificate (with a
    message saying what it is instead), or `PasswordRequiredError`/`WrongPasswordError` for a PKCS#12 file.
    """
    if b"-----BEGIN" in data:
        try:
            blocks = pem_blocks(data)
        except KeyFileError as error:
            raise CertificateError("Uszkodzony plik PEM (niepoprawne kodowanie Base64).") from error
        for block in blocks:
            if block.label in ("CERTIFICATE", "X509 CERTIFICATE"):
                return load_der_certificate(block.der)
        if any("PRIVATE KEY" in block.label for block in blocks):
            raise CertificateError("Plik zawiera klucz prywatny, a nie certyfikat.")
        if any("CERTIFICATE REQUEST" in block.label for block in blocks):
            raise CertificateError(_NOT_A_CERTIFICATE["csr"])
        if any("PUBLIC KEY" in block.label for block in blocks):
            raise CertificateError(_NOT_A_CERTIFICATE["public-key"])
        raise CertificateError(_UNKNOWN_CERTIFICATE_FORMAT)
    if der_shape(data) != "unknown":
        return _load_der_any(data, password)
    text = b"".join(data.split())
    if text and re.fullmatch(rb"[A-Za-z0-9+/]+={0,2}", text):
        try:
            der = base64.b64decode(text, validate=True)
        except binascii.Error as error:
            raise CertificateError(_UNKNOWN_CERTIFICATE_FORMAT) from error
        return _load_der_any(der, password)
    raise CertificateError(_UNKNOWN_CERTIFICATE_FORMAT)


# --- KSeF certificate type ----------------------------------------------------------------------------------------


class KsefCertificateType(enum.StrEnum):
    """The API's `KsefCertificateType`: Type 1 authenticates to KSeF, Type 2 signs offline QR codes (KOD II)."""

    AUTHENTICATION = "Authentication"
    OFFLINE = "Offline"


def _asserted_key_usages(usage: x509.KeyUsage) -> set[str]:
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement"]
    names += ["key_cert_sign", "crl_sign"]
    asserted = {name for name in names if getattr(usage, name)}
    if usage.key_agreement:
        asserted |= {name for name in ("encipher_only", "decipher_only") if getattr(usage, name)}
    return asserted


def classify_certificate(certificate: x509.Certificate) -> KsefCertificateType | None:
    """The KSeF type of a certificate from its keyUsage, or None when it is not a KSeF certificate.

    keyUsage exactly digitalSignature → Authentication (Type 1); exactly nonRepudiation (contentCommitment) →
    Offline (Type 2); no keyUsage, both, or any other bit → None.
    """
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    asserted = _asserted_key_usages(usage)
    if asserted == {"digital_signature"}:
        return KsefCertificateType.AUTHENTICATION
    if asserted == {"content_commitment"}:
        return KsefCertificateType.OFFLINE
    return None


def key_matches_certificate(key: PrivateKey | PublicKey, certificate: x509.Certificate) -> bool:
    """True when `key` (private or public) is the key pair of `certificate`'s public key."""
    # Public keys compare by value (same type, same key material): cheaper than fingerprinting both DER encodings.
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else key
    return bool(public == certificate.public_key())


# --- validity -----------------------------------------------------------------------------------------------------


class ValidityState(enum.StrEnum):
    """Where `now` falls relative to a certificate's validity period."""

    NOT_YET_VALID = "not-yet-valid"
    VALID = "valid"
    EXPIRED = "expired"


def validity_state(certificate: x509.Certificate, now: dt.datetime) -> ValidityState:
    """Validity of `certificate` at `now` (timezone-aware). Both ends of the period are inclusive (RFC 5280)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if now < certificate.not_valid_before_utc:
        return ValidityState.NOT_YET_VALID
    if now > certificate.not_valid_after_utc:
        return ValidityState.EXPIRED
    return ValidityState.VALID
