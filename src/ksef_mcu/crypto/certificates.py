"""X.509 certificates as KSeF sees them: who the subject is, fingerprints and serials.

Subject identification follows KSeF (`auth/podpis-xades.md`): a person's `serialNumber` carries `PNOPL`/`PESEL` +
11 digits or `TINPL`/`NIP` + 10 digits; an organisation seal's `organizationIdentifier` carries `VATPL` + 10 digits.
Anything else is identified by the SHA-256 fingerprint of the certificate.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.serials import format_serial

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")

_PESEL_IN_SERIAL = re.compile(r"(?:PNOPL|PESEL)\D*?(\d{11})(?!\d)")
_NIP_IN_SERIAL = re.compile(r"(?:TINPL|NIP)\D*?(\d{10})(?!\d)")
_NIP_IN_ORGANIZATION_IDENTIFIER = re.compile(r"VATPL\D*?(\d{10})(?!\d)")


class SubjectIdentifierType(enum.StrEnum):
    """How a KSeF subject is identified; values are the API's `subjectIdentifier.type` enum."""

    NIP = "Nip"
    PESEL = "Pesel"
    FINGERPRINT = "Fingerprint"


@dataclass(frozen=True, slots=True)
class SubjectIdentifier:
    """A subject's identity: NIP (10 digits), PESEL (11 digits) or certificate fingerprint (64 upper-case hex)."""

    type: SubjectIdentifierType
    value: str


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


def read_subject_identifier(certificate: x509.Certificate) -> SubjectIdentifier:
    """The KSeF subject of a certificate: NIP/PESEL from its subject DN, otherwise its SHA-256 fingerprint."""
    return identifier_from_subject(certificate.subject) or SubjectIdentifier(
        SubjectIdentifierType.FINGERPRINT, sha256_fingerprint(certificate)
    )
