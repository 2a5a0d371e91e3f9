"""Policy of the public QR verification pages: what a KOD II link proves, checked against our registry, grants and
clock (`kody-qr.md`, "Weryfikacja po zeskanowaniu kodu QR II").

Every check is made and reported on its own, so the page says exactly what failed: the certificate exists in our
CA's registry, is of type Offline, is neither revoked nor blocked, is within its validity at the time of checking, the
link's signature verifies with its public key, its holder has `InvoiceWrite` in the link's context, and the context
may invoice for the seller NIP. One read unit of work answers all of them. Parsed certificates are cached by their DER
(immutable), never the status: a revocation takes effect on the next check.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.errors import QrError
from ksef_mcu.crypto.keys import PublicKey
from ksef_mcu.crypto.qr import (
    InvoiceLink,
    OfflineQrLink,
    parse_invoice_link,
    parse_offline_qr_link,
    verify_parsed_offline_qr_link,
)
from ksef_mcu.formatting import format_moment
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifierType
from ksef_mcu.server.auth.hooks import LoginHooks
from ksef_mcu.server.auth.model import Permission
from ksef_mcu.server.certificates.model import CertificateRecord, CertificateStatus
from ksef_mcu.server.qr.errors import InvalidQrLinkError
from ksef_mcu.server.qr.model import (
    QR_PATH,
    CertificateFacts,
    CertificateVerification,
    Check,
    CheckName,
    CheckOutcome,
    InvoiceVerification,
)
from ksef_mcu.storage.database import Database

__all__ = ["AcceptedInvoices", "IssuedCertificates", "QrVerificationService", "SellerRelations"]

_CACHE_LIMIT = 4096


class IssuedCertificates(Protocol):
    """Our CA's registry (the certificates domain's `CertificateService`)."""

    def registry_entry(self, connection: Connection, serial_number: str) -> CertificateRecord | None: ...


class AcceptedInvoices(Protocol):
    """The invoices our KSeF accepted (the sessions domain's `InvoiceLookup`)."""

    def ksef_number_for(self, seller_nip: str, issue_date: date, sha256: bytes) -> str | None: ...


class SellerRelations(Protocol):
    """Which contexts may invoice for which sellers (the permissions domain's `PermissionService`)."""

    def seller_relation(self, connection: Connection, context: ContextIdentifier, seller_nip: str) -> str | None: ...


_PERSON_STATUS = {
    CertificateStatus.REVOKED: "Certyfikat został unieważniony",
    CertificateStatus.BLOCKED: "Certyfikat jest zablokowany",
}


def _without_scheme(url: str) -> str:
    """`url` without `http://` or `https://` (a link's host and path are what identify it; KOD II signs no scheme)."""
    scheme, separator, rest = url.partition("://")
    return rest if separator and scheme.lower() in ("http", "https") else url


def _not_checked(name: CheckName) -> Check:
    return Check(name, CheckOutcome.NOT_CHECKED, "Nie sprawdzono: certyfikatu nie ma w rejestrze.")


def _day(moment: datetime) -> str:
    return format_moment(moment)


class QrVerificationService:
    """Checks KOD II links (and, with the sessions domain, KOD I). Stateless apart from the certificate cache."""

    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        certificates: IssuedCertificates,
        relations: SellerRelations,
        invoices: AcceptedInvoices,
        login_hooks: LoginHooks,
        base_url: str,
    ) -> None:
        self._database = database
        self._clock = clock
        self._certificates = certificates
        self._relations = relations
        self._invoices = invoices
        self._hooks = login_hooks
        self.base_url = base_url.rstrip("/")
        """Our QR base URL (`<public URL>/qr`): the links our `qr` commands print for this server."""
        self._parsed: dict[bytes, tuple[x509.Certificate, PublicKey]] = {}
        self._lock = threading.Lock()

    # --- a pasted link ---------------------------------------------------------------------------------------------

    def local_path(self, link: str, *, seen_at: Sequence[str] = ()) -> str:
        """The path of this server's page for a pasted KOD I / KOD II link (`/qr/invoice/…`, `/qr/certificate/…`).

        Only links of this server are taken (our base URL, or the one the visitor used); another system's link is
        refused with `InvalidQrLinkError`, and so is anything that is not a well-formed link."""
        text = _without_scheme(link.strip())
        for base in dict.fromkeys(_without_scheme(b.rstrip("/")) for b in (self.base_url, *seen_at)):
            for marker, check in (
                ("/invoice/", self.parse_invoice_link),
                ("/certificate/", self.parse_certificate_link),
            ):
                if text.startswith(base + marker):
                    segments = text[len(base) + len(marker) :]
                    check(segments)  # raises InvalidQrLinkError with the reason
                    return f"{QR_PATH}{marker}{segments}"
        raise InvalidQrLinkError(
            "KOD I ani KOD II tego systemu",
            f"link musi zaczynać się od {self.base_url}/invoice/ albo {self.base_url}/certificate/. "
            "Link innego systemu KSeF (np. qr.ksef.mf.gov.pl) otwórz bezpośrednio.",
        )

    # --- KOD I ----------------------------------------------------------------------------------------------------

    def parse_invoice_link(self, segments: str) -> InvoiceLink:
        """The KOD I link whose path after `/invoice/` is `segments`, under our base URL. Raises
        `InvalidQrLinkError` with the reason in Polish."""
        try:
            return parse_invoice_link(f"{self.base_url}/invoice/{segments}")
        except QrError as error:
            raise InvalidQrLinkError("KOD I", error.message) from error

    def verify_invoice_link(self, segments: str) -> InvoiceVerification:
        """Look up the KOD I link `…/invoice/{segments}` (seller NIP, issue date P_1, SHA-256 of the file) among the
        invoices our KSeF accepted. Raises `InvalidQrLinkError` for a malformed link."""
        link = self.parse_invoice_link(segments)
        number = self._invoices.ksef_number_for(link.seller_nip, link.issue_date, link.invoice_hash.digest)
        return InvoiceVerification(link, self._clock.now(), number)

    # --- KOD II ---------------------------------------------------------------------------------------------------

    def parse_certificate_link(self, segments: str) -> OfflineQrLink:
        """The KOD II link whose path after `/certificate/` is `segments`, under our base URL. Raises
        `InvalidQrLinkError` with the reason in Polish."""
        try:
            return parse_offline_qr_link(f"{self.base_url}/certificate/{segments}")
        except QrError as error:
            raise InvalidQrLinkError("KOD II", error.message) from error

    def verify_certificate_link(self, segments: str, *, seen_at: Sequence[str] = ()) -> CertificateVerification:
        """Check the KOD II link `…/certificate/{segments}`.

        The signature covers the link without its scheme, host included: it is checked as issued for our base URL
        and, failing that, for each of `seen_at` (the base URL the visitor actually opened, e.g. another host name
        of this server). Raises `InvalidQrLinkError` for a malformed link; every other failure is a check's result.
        """
        link = self.parse_certificate_link(segments)
        now = self._clock.now()
        context = ContextIdentifier(link.context_type, link.context_value)
        with self._database.read() as connection:
            record = self._certificates.registry_entry(connection, link.certificate_serial)
            relation = self._relations.seller_relation(connection, context, link.seller_nip)
            permission = self._permission_check(connection, context, record) if record is not None else None
        checks: list[Check] = []
        if record is None:
            checks.append(
                Check(
                    CheckName.CERTIFICATE_EXISTS,
                    CheckOutcome.FAILED,
                    f"W rejestrze nie ma certyfikatu o numerze seryjnym {link.certificate_serial}.",
                )
            )
            checks += [
                _not_checked(name)
                for name in (
                    CheckName.CERTIFICATE_TYPE,
                    CheckName.CERTIFICATE_ACTIVE,
                    CheckName.CERTIFICATE_VALIDITY,
                    CheckName.SIGNATURE,
                    CheckName.ISSUER_PERMISSION,
                )
            ]
        else:
            checks.append(
                Check(
                    CheckName.CERTIFICATE_EXISTS,
                    CheckOutcome.PASSED,
                    f"Certyfikat {record.serial_number} wystawiło to centrum certyfikacji KSeF.",
                )
            )
            checks += [
                self._type_check(record),
                self._status_check(record),
                self._validity_check(record, now),
                self._signature_check(record, link, seen_at),
            ]
            assert permission is not None  # noqa: S101 - computed above whenever the record exists
            checks.append(permission)
        checks.append(
            Check(CheckName.CONTEXT_MATCHES_SELLER, CheckOutcome.PASSED, relation)
            if relation is not None
            else Check(
                CheckName.CONTEXT_MATCHES_SELLER,
                CheckOutcome.FAILED,
                f"Kontekst {link.context_type} {link.context_value} nie ma prawa wystawiać faktur w imieniu "
                f"sprzedawcy o NIP {link.seller_nip}.",
            )
        )
        facts = None
        if record is not None:
            facts = CertificateFacts(
                certificate_type=record.certificate_type,
                status=record.status_at(now).value,
                valid_from=record.valid_from,
                valid_to=record.valid_to,
                subject_type=record.subject.type.value,
                subject_nip=record.subject.value if record.subject.type is SubjectIdentifierType.NIP else None,
            )
        return CertificateVerification(link, now, facts, tuple(checks))

    @staticmethod
    def _type_check(record: CertificateRecord) -> Check:
        if record.certificate_type is KsefCertificateType.OFFLINE:
            return Check(CheckName.CERTIFICATE_TYPE, CheckOutcome.PASSED, "Certyfikat typu Offline (Typ 2).")
        return Check(
            CheckName.CERTIFICATE_TYPE,
            CheckOutcome.FAILED,
            "To certyfikat uwierzytelniający (Typ 1, Authentication): nie może podpisywać KODU II.",
        )

    @staticmethod
    def _status_check(record: CertificateRecord) -> Check:
        if record.stored_status is CertificateStatus.ACTIVE:
            return Check(CheckName.CERTIFICATE_ACTIVE, CheckOutcome.PASSED, "Certyfikat jest aktywny.")
        what = _PERSON_STATUS.get(record.stored_status, "Certyfikat nie jest aktywny")
        when = f" od {_day(record.revoked_at)}" if record.revoked_at is not None else ""
        return Check(CheckName.CERTIFICATE_ACTIVE, CheckOutcome.FAILED, f"{what}{when}.")

    @staticmethod
    def _validity_check(record: CertificateRecord, now: datetime) -> Check:
        period = f"od {_day(record.valid_from)} do {_day(record.valid_to)}"
        if now < record.valid_from:
            return Check(
                CheckName.CERTIFICATE_VALIDITY, CheckOutcome.FAILED, f"Certyfikat nie jest jeszcze ważny ({period})."
            )
        if now > record.valid_to:
            return Check(CheckName.CERTIFICATE_VALIDITY, CheckOutcome.FAILED, f"Certyfikat wygasł ({period}).")
        return Check(CheckName.CERTIFICATE_VALIDITY, CheckOutcome.PASSED, f"Certyfikat jest ważny {period}.")

    def _public_key(self, der: bytes) -> PublicKey:
        cached = self._parsed.get(der)
        if cached is None:
            certificate = x509.load_der_x509_certificate(der)
            key = certificate.public_key()
            if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
                raise QrError("KOD II podpisuje się tylko kluczem RSA (≥ 2048 bitów) albo EC P-256.")
            cached = (certificate, key)
            with self._lock:
                if len(self._parsed) >= _CACHE_LIMIT:
                    self._parsed.clear()
                self._parsed[der] = cached
        return cached[1]

    def _signature_check(self, record: CertificateRecord, link: OfflineQrLink, seen_at: Sequence[str]) -> Check:
        try:
            key = self._public_key(record.der)
        except (QrError, ValueError):
            return Check(CheckName.SIGNATURE, CheckOutcome.FAILED, "Klucza certyfikatu nie można użyć do weryfikacji.")
        reason = "Podpis KODU II jest nieprawidłowy."
        for base in dict.fromkeys((self.base_url, *(b.rstrip("/") for b in seen_at))):
            candidate = link if base == link.base_url else replace(link, base_url=base)
            try:
                verify_parsed_offline_qr_link(candidate, key)
            except QrError as error:
                reason = error.message
                continue
            return Check(
                CheckName.SIGNATURE,
                CheckOutcome.PASSED,
                "Link podpisano kluczem prywatnym tego certyfikatu; żaden jego segment nie został zmieniony.",
            )
        return Check(
            CheckName.SIGNATURE,
            CheckOutcome.FAILED,
            f"{reason} Link nie został podpisany kluczem tego certyfikatu albo zmieniono jego treść.",
        )

    def _permission_check(self, connection: Connection, context: ContextIdentifier, record: CertificateRecord) -> Check:
        where = f"w kontekście {context.type} {context.value}"
        wanted = [Permission.INVOICE_WRITE]
        if context.type is ContextIdentifierType.PEPPOL_ID:
            wanted.append(Permission.PEF_INVOICE_WRITE)
        resolver = self._hooks.permissions
        # The quick answer (an owner's, without reading grants) is a subset of the full one: enough to say yes.
        standing = resolver.standing(connection, context, record.subject, complete=False)
        held = standing.permissions.effective if standing.permissions is not None else ()
        if not standing.deceased and not any(permission in held for permission in wanted):
            standing = resolver.standing(connection, context, record.subject)
            held = standing.permissions.effective if standing.permissions is not None else ()
        if standing.deceased:
            return Check(CheckName.ISSUER_PERMISSION, CheckOutcome.FAILED, "Osoba, której wydano certyfikat, nie żyje.")
        found = next((permission for permission in wanted if permission in held), None)
        if found is not None:
            return Check(
                CheckName.ISSUER_PERMISSION, CheckOutcome.PASSED, f"Wystawca ma uprawnienie {found.value} {where}."
            )
        if not held:
            return Check(
                CheckName.ISSUER_PERMISSION, CheckOutcome.FAILED, f"Wystawca nie ma żadnych uprawnień {where}."
            )
        return Check(
            CheckName.ISSUER_PERMISSION,
            CheckOutcome.FAILED,
            f"Wystawca nie ma uprawnienia InvoiceWrite {where} (ma: {', '.join(p.value for p in held)}).",
        )
