"""Self-signed login certificates for KSeF's test environments, shaped as the official clients' test tools make them.

The Ministry's TEST environment (and our server in sandbox mode) accepts a self-signed certificate that imitates a
qualified one, so anybody can log in as any NIP or PESEL there. The official C# and Java test tools build them like
this (research: official-clients.md §3), and so do we:

- a person: `GN`, `SN`, `serialNumber` = `TINPL-<NIP>` or `PNOPL-<PESEL>`, `CN` = "<given name> <surname>", `C=PL`;
- an organisation's seal: `organizationIdentifier` = `VATPL-<NIP>`, `O`, `CN`, `C=PL` (no person attributes);
- valid from one hour before `now` (clock skew) for two years, a random serial, no extensions, issuer = subject.

DEMO and production never accept these certificates.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from ksef_mcu import identifiers
from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER
from ksef_mcu.crypto.errors import IdentifierError
from ksef_mcu.crypto.keys import PrivateKey, key_kind

__all__ = [
    "SELF_SIGNED_BACKDATE",
    "SELF_SIGNED_LIFETIME",
    "TestSubject",
    "TestSubjectKind",
    "build_self_signed_certificate",
]

SELF_SIGNED_LIFETIME = timedelta(days=730)
SELF_SIGNED_BACKDATE = timedelta(minutes=61)
"""How far before `now` the certificate starts: the C# tool's 61 minutes, so a server's clock a little behind ours
still sees it as valid."""

_NAME_PART = re.compile(r"[^\s,;=+<>#\"\\][^,;=+<>#\"\\]{0,63}")


class TestSubjectKind(enum.StrEnum):
    """Whose certificate it imitates."""

    __test__ = False  # not a pytest test class

    PERSON_NIP = "person-nip"
    """A natural person identified by NIP (`serialNumber` `TINPL-…`), e.g. a sole trader."""
    PERSON_PESEL = "person-pesel"
    """A natural person identified by PESEL (`serialNumber` `PNOPL-…`)."""
    SEAL = "seal"
    """An organisation's electronic seal (`organizationIdentifier` `VATPL-…`)."""


def _checked(check: Callable[[str], str], value: str) -> str:
    """`check(value)` with its `identifiers.IdentifierError` raised as this library's `IdentifierError`."""
    try:
        return check(value)
    except identifiers.IdentifierError as error:
        raise IdentifierError(error.message) from error


def _name_part(value: str, what: str) -> str:
    # The official C# builder splits on commas; we refuse the characters that would break a DN string anywhere.
    if not isinstance(value, str) or not _NAME_PART.fullmatch(value.strip()) or value != value.strip():
        raise IdentifierError(
            f"Nieprawidłowe pole „{what}”: {value!r} (1–64 znaki, bez przecinków, średników, cudzysłowów i znaków "
            "=+<>#\\)."
        )
    return value


@dataclass(frozen=True, slots=True)
class TestSubject:
    """Who a self-signed test certificate names; build with `person_by_nip`, `person_by_pesel` or `seal`."""

    __test__ = False  # not a pytest test class

    kind: TestSubjectKind
    identifier: str
    given_name: str = "Jan"
    surname: str = "Testowy"
    organization: str = "Firma testowa"

    @classmethod
    def person_by_nip(cls, nip: str, *, given_name: str = "Jan", surname: str = "Testowy") -> TestSubject:
        """A person known by NIP (a sole trader). Raises `IdentifierError`."""
        return cls(TestSubjectKind.PERSON_NIP, _checked(identifiers.check_nip, nip), given_name, surname)

    @classmethod
    def person_by_pesel(cls, pesel: str, *, given_name: str = "Jan", surname: str = "Testowy") -> TestSubject:
        """A person known by PESEL. Raises `IdentifierError`."""
        return cls(TestSubjectKind.PERSON_PESEL, _checked(identifiers.check_pesel, pesel), given_name, surname)

    @classmethod
    def seal(cls, nip: str, *, organization: str = "Firma testowa") -> TestSubject:
        """An organisation's seal with NIP. Raises `IdentifierError`."""
        return cls(TestSubjectKind.SEAL, _checked(identifiers.check_nip, nip), organization=organization)

    def name(self) -> x509.Name:
        """The subject DN in the order the Java test tool writes it (C# writes the reverse; KSeF accepts both)."""
        if self.kind is TestSubjectKind.SEAL:
            organization = _name_part(self.organization, "nazwa organizacji")
            return x509.Name(
                [
                    x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{self.identifier}"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                    x509.NameAttribute(NameOID.COMMON_NAME, organization),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                ]
            )
        given_name = _name_part(self.given_name, "imię")
        surname = _name_part(self.surname, "nazwisko")
        prefix = "PNOPL" if self.kind is TestSubjectKind.PERSON_PESEL else "TINPL"
        return x509.Name(
            [
                x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
                x509.NameAttribute(NameOID.SURNAME, surname),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, f"{prefix}-{self.identifier}"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{given_name} {surname}"),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            ]
        )


def build_self_signed_certificate(key: PrivateKey, subject: TestSubject, *, now: datetime) -> x509.Certificate:
    """A self-signed test login certificate for `subject`, signed with `key` (RSA 2048 or EC P-256).

    Valid from `now` − 61 minutes for two years (`now` timezone-aware); SHA-256 signature (PKCS#1 v1.5 for RSA,
    ECDSA for EC); no extensions, like the official test tools. Raises `UnsupportedKeyError`, `IdentifierError`.
    """
    key_kind(key)  # only the key types KSeF accepts
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    name = subject.name()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SELF_SIGNED_BACKDATE)
        .not_valid_after(now + SELF_SIGNED_LIFETIME)
        .sign(key, hashes.SHA256())
    )
