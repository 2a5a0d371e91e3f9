"""The CA core: the only code that signs with the CA keys.

Issuing a certificate is two calls linked by a token that works once (after Let's Encrypt's boulder):

- `Issuer.prepare(request)` builds the certificate from the fixed KSeF profile below, checks it, and keeps the
  to-be-signed certificate under a fresh token;
- `Issuer.issue(prepared)` redeems the token — a second call with it fails — signs once, and checks the result (the
  signature verifies under the CA certificate, serial, subject, key and validity are what was prepared).

Between the two the caller records the serial (`docs/certificates.md`, "The issuance cycle"), so a crash after
signing still leaves a record and a serial is never used twice.

The profile of an issued certificate (what real KSeF certificates look like):

- version 3; serial = the given positive 63-bit number (shown as 16 upper-case hex digits);
- issuer = the issuing CA; signature ecdsa-with-SHA256;
- validity = the given notBefore/notAfter (whole seconds, within the issuing CA's own validity);
- subject = the enrollment data in a fixed order — C, organizationIdentifier, O, serialNumber, SN, GN,
  uniqueIdentifier, CN — with the CN suffixed " (uwierzytelnienie)" (Authentication) or " (offline)" (Offline);
  C and serialNumber PrintableString when they fit, the rest UTF8String — uniqueIdentifier (2.5.4.45) too, as both
  official clients write it into the CSR (X.520 makes it a BIT STRING; KSeF treats it as text, and so does login);
- extensions: basicConstraints critical CA:FALSE; keyUsage critical digitalSignature (Authentication) or
  nonRepudiation (Offline); subjectKeyIdentifier; authorityKeyIdentifier (key id of the issuing CA); CRL
  distribution point = the server's `/ca/crl`.

The CA hierarchy (EC P-256): a self-signed sandbox root (keyCertSign, cRLSign) and an issuing CA signed by it
(pathLen 0). `build_root_certificate` and `build_issuing_certificate` create them; `ca.py` keeps them.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER, KsefCertificateType
from ksef_mcu.crypto.csr import UNIQUE_IDENTIFIER, EnrollmentData
from ksef_mcu.crypto.errors import UnsupportedKeyError
from ksef_mcu.crypto.keys import PublicKey, key_kind
from ksef_mcu.crypto.serials import format_serial

MAX_SERIAL = 2**63 - 1
"""Serials are positive and fit 8 DER bytes (the real KSeF CA's serials are 8 bytes too)."""
COMMON_NAME_MAX_LENGTH = 64
"""RFC 5280 `ub-common-name`."""
CN_SUFFIXES: dict[KsefCertificateType, str] = {
    KsefCertificateType.AUTHENTICATION: " (uwierzytelnienie)",
    KsefCertificateType.OFFLINE: " (offline)",
}

ROOT_CA_LIFETIME = timedelta(days=365 * 25)
ISSUING_CA_LIFETIME = timedelta(days=365 * 10)
CA_BACKDATE = timedelta(hours=1)
"""CA certificates start an hour in the past so a clock a little behind ours still accepts them."""

_PRINTABLE_STRING = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]*")


class IssuanceError(Exception):
    """The CA refuses to sign: the request breaks the profile, or a prepared certificate is used twice.

    Internal (English): an enrollment that hits it ends with status 500; it is never shown to a caller verbatim.
    """


@dataclass(frozen=True, slots=True)
class IssuanceRequest:
    """Everything the CA needs to build one certificate; produced by the issuance worker from an enrollment."""

    serial_number: int
    subject: EnrollmentData
    certificate_type: KsefCertificateType
    public_key: PublicKey
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class PreparedCertificate:
    """A checked, not yet signed certificate. Pass it to `Issuer.issue` once."""

    token: int
    request: IssuanceRequest
    subject_name: x509.Name

    @property
    def serial_number(self) -> str:
        return format_serial(self.request.serial_number)


@dataclass(frozen=True, slots=True)
class RevokedEntry:
    """One line of the CRL."""

    serial_number: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None = None
    """None for `Unspecified` (RFC 5280 §5.3.1: leave the reasonCode out rather than write `unspecified`)."""


def _attribute(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    printable = oid in (NameOID.COUNTRY_NAME, NameOID.SERIAL_NUMBER) and _PRINTABLE_STRING.fullmatch(value)
    return x509.NameAttribute(oid, value, _type=_ASN1Type.PrintableString if printable else _ASN1Type.UTF8String)


def issued_common_name(common_name: str, certificate_type: KsefCertificateType) -> str:
    """The CN of an issued certificate: the enrollment CN with the type's suffix, shortened (with "…") when the
    result would exceed 64 characters."""
    suffix = CN_SUFFIXES[certificate_type]
    room = COMMON_NAME_MAX_LENGTH - len(suffix)
    base = common_name if len(common_name) <= room else common_name[: room - 1].rstrip() + "…"
    return base + suffix


def issued_subject_name(data: EnrollmentData, certificate_type: KsefCertificateType) -> x509.Name:
    """The subject of an issued certificate (fixed attribute order, see the module docstring)."""
    ordered: list[tuple[x509.ObjectIdentifier, str | None]] = [
        (NameOID.COUNTRY_NAME, data.country_name),
        (ORGANIZATION_IDENTIFIER, data.organization_identifier),
        (NameOID.ORGANIZATION_NAME, data.organization_name),
        (NameOID.SERIAL_NUMBER, data.serial_number),
        (NameOID.SURNAME, data.surname),
        (NameOID.GIVEN_NAME, data.given_name),
        (UNIQUE_IDENTIFIER, data.unique_identifier),
        (NameOID.COMMON_NAME, issued_common_name(data.common_name, certificate_type)),
    ]
    try:
        return x509.Name([_attribute(oid, value) for oid, value in ordered if value])
    except ValueError as error:
        raise IssuanceError(f"subject cannot be encoded: {error}") from error


def _key_usage(*, digital_signature: bool = False, non_repudiation: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


KEY_USAGES: dict[KsefCertificateType, x509.KeyUsage] = {
    KsefCertificateType.AUTHENTICATION: _key_usage(digital_signature=True),
    KsefCertificateType.OFFLINE: _key_usage(non_repudiation=True),
}


def _spki(key: PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class Issuer:
    """The issuing CA: holds its private key and certificate; prepares, signs and checks certificates and CRLs.

    Thread-safe: the worker may call it from several threads.
    """

    def __init__(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate, *, crl_url: str) -> None:
        if _spki(key.public_key()) != _spki(certificate.public_key()):  # type: ignore[arg-type]
            raise IssuanceError("the issuing CA key does not match its certificate")
        self._key = key
        self.certificate = certificate
        self.crl_url = crl_url
        self._authority_key_identifier = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        )
        self._crl_distribution_points = x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(crl_url)],
                    relative_name=None,
                    reasons=None,
                    crl_issuer=None,
                )
            ]
        )
        self._pending: dict[int, x509.CertificateBuilder] = {}
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()

    # --- certificates ---------------------------------------------------------------------------------------------

    def _check(self, request: IssuanceRequest) -> None:
        if not 0 < request.serial_number <= MAX_SERIAL:
            raise IssuanceError(f"serial {request.serial_number} is not a positive 63-bit number")
        if request.not_before.tzinfo is None or request.not_after.tzinfo is None:
            raise IssuanceError("validity times must be timezone-aware")
        if request.not_before.microsecond or request.not_after.microsecond:
            raise IssuanceError("validity times must be whole seconds")
        if not request.not_before < request.not_after:
            raise IssuanceError("notBefore must precede notAfter")
        if request.not_before < self.certificate.not_valid_before_utc:
            raise IssuanceError("the certificate would start before the issuing CA")
        if request.not_after > self.certificate.not_valid_after_utc:
            raise IssuanceError("the certificate would outlive the issuing CA")
        try:
            key_kind(request.public_key)
        except UnsupportedKeyError as error:
            raise IssuanceError("the public key is not RSA 2048 or EC P-256") from error
        if request.certificate_type not in KEY_USAGES:
            raise IssuanceError(f"unknown certificate type {request.certificate_type!r}")
        if len(request.subject.country_name) != 2 or not request.subject.common_name:
            raise IssuanceError("the subject needs a two-letter country and a common name")

    def prepare(self, request: IssuanceRequest) -> PreparedCertificate:
        """Build the certificate for `request` from the profile and check it. Raises `IssuanceError`."""
        self._check(request)
        subject_name = issued_subject_name(request.subject, request.certificate_type)
        builder = (
            x509.CertificateBuilder()
            .serial_number(request.serial_number)
            .issuer_name(self.certificate.subject)
            .subject_name(subject_name)
            .public_key(request.public_key)
            .not_valid_before(request.not_before)
            .not_valid_after(request.not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(KEY_USAGES[request.certificate_type], critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(request.public_key), critical=False)
            .add_extension(self._authority_key_identifier, critical=False)
            .add_extension(self._crl_distribution_points, critical=False)
        )
        with self._lock:
            token = next(self._tokens)
            self._pending[token] = builder
        return PreparedCertificate(token, request, subject_name)

    def discard(self, prepared: PreparedCertificate) -> None:
        """Forget a prepared certificate that will not be issued (e.g. its serial could not be recorded)."""
        with self._lock:
            self._pending.pop(prepared.token, None)

    def issue(self, prepared: PreparedCertificate) -> x509.Certificate:
        """Sign a prepared certificate — once — and check the result. Raises `IssuanceError`."""
        with self._lock:
            builder = self._pending.pop(prepared.token, None)
        if builder is None:
            raise IssuanceError(f"prepared certificate {prepared.serial_number} was already issued or discarded")
        certificate = builder.sign(self._key, hashes.SHA256())
        self._check_issued(certificate, prepared)
        return certificate

    def _check_issued(self, certificate: x509.Certificate, prepared: PreparedCertificate) -> None:
        request = prepared.request
        try:
            certificate.verify_directly_issued_by(self.certificate)
        except (InvalidSignature, ValueError, TypeError) as error:
            raise IssuanceError("the issued certificate does not verify under the issuing CA") from error
        if (
            certificate.serial_number != request.serial_number
            or certificate.subject != prepared.subject_name
            or _spki(certificate.public_key()) != _spki(request.public_key)  # type: ignore[arg-type]
            or certificate.not_valid_before_utc != request.not_before
            or certificate.not_valid_after_utc != request.not_after
        ):
            raise IssuanceError("the issued certificate differs from the prepared one")

    # --- revocation lists -----------------------------------------------------------------------------------------

    def sign_crl(
        self, revoked: Sequence[RevokedEntry], *, number: int, this_update: datetime, next_update: datetime
    ) -> x509.CertificateRevocationList:
        """A CRL (v2) of the issuing CA listing `revoked`, with CRL number `number`."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(this_update.replace(microsecond=0))
            .next_update(next_update.replace(microsecond=0))
            .add_extension(self._authority_key_identifier, critical=False)
            .add_extension(x509.CRLNumber(number), critical=False)
        )
        for entry in revoked:
            revoked_builder = (
                x509.RevokedCertificateBuilder()
                .serial_number(entry.serial_number)
                .revocation_date(entry.revoked_at.replace(microsecond=0))
            )
            if entry.reason is not None:
                revoked_builder = revoked_builder.add_extension(x509.CRLReason(entry.reason), critical=False)
            builder = builder.add_revoked_certificate(revoked_builder.build())
        return builder.sign(self._key, hashes.SHA256())


# --- the hierarchy -------------------------------------------------------------------------------------------------


def ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL", _type=_ASN1Type.PrintableString),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ksef-mcu"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Sandbox KSeF"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


ROOT_CA_NAME = ca_name("ksef-mcu Sandbox Root CA")
ISSUING_CA_NAME = ca_name("ksef-mcu CCK KSeF")


def build_root_certificate(key: ec.EllipticCurvePrivateKey, *, now: datetime) -> x509.Certificate:
    """The self-signed sandbox root: CA:TRUE, keyCertSign + cRLSign, 25 years."""
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .serial_number(x509.random_serial_number())
        .issuer_name(ROOT_CA_NAME)
        .subject_name(ROOT_CA_NAME)
        .public_key(public_key)
        .not_valid_before((now - CA_BACKDATE).replace(microsecond=0))
        .not_valid_after((now + ROOT_CA_LIFETIME).replace(microsecond=0))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def build_issuing_certificate(
    public_key: ec.EllipticCurvePublicKey,
    *,
    root_key: ec.EllipticCurvePrivateKey,
    root_certificate: x509.Certificate,
    now: datetime,
) -> x509.Certificate:
    """The issuing CA certificate signed by the root: CA:TRUE pathLen 0, keyCertSign + cRLSign, 10 years (never
    beyond the root)."""
    not_after = min(now + ISSUING_CA_LIFETIME, root_certificate.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .serial_number(x509.random_serial_number())
        .issuer_name(root_certificate.subject)
        .subject_name(ISSUING_CA_NAME)
        .public_key(public_key)
        .not_valid_before((now - CA_BACKDATE).replace(microsecond=0))
        .not_valid_after(not_after.replace(microsecond=0))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                root_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
