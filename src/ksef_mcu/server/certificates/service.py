"""Issued certificates: query, retrieve, revoke; the CRL; and login with a certificate issued here.

Every operation acts on the authenticated subject whatever the login context: another subject's certificates are
invisible (left out of lists, "not found" when named).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.certificates import KsefCertificateType, certificate_serial, read_subject_identifier
from ksef_mcu.crypto.serials import parse_serial
from ksef_mcu.server.auth.hooks import IssuedCertificateVerdict
from ksef_mcu.server.auth.model import AuthenticationMethod, CertificateProblem, Principal
from ksef_mcu.server.certificates.ca import CertificateAuthority
from ksef_mcu.server.certificates.errors import (
    CertificateNotFoundError,
    CertificateNotRevocableError,
    RevocationNotAllowedError,
)
from ksef_mcu.server.certificates.issuer import RevokedEntry
from ksef_mcu.server.certificates.model import (
    CertificateFilter,
    CertificateRecord,
    CertificateStatus,
    RevocationReason,
    StoredCrl,
)
from ksef_mcu.server.certificates.repositories.certificates import CertificateRepository
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database

CRL_REASONS: dict[RevocationReason, x509.ReasonFlags | None] = {
    RevocationReason.UNSPECIFIED: None,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
}


@dataclass(frozen=True, slots=True)
class CertificatePage:
    certificates: list[CertificateRecord]
    has_more: bool
    as_of: datetime
    """When the page was read (statuses are reported as of this moment)."""


class CertificateService:
    """Policy of `/certificates/query`, `/retrieve`, `/{serial}/revoke`, `/ca/*`, and the login hook for our CA."""

    def __init__(
        self, *, settings: ServerSettings, database: Database, clock: Clock, authority: CertificateAuthority
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._authority = authority

    # --- listing and downloading ----------------------------------------------------------------------------------

    def query(
        self, principal: Principal, criteria: CertificateFilter, *, page_size: int, page_offset: int
    ) -> CertificatePage:
        """One page (`page_offset` is a page index) of the subject's certificates, newest request first."""
        now = self._clock.now()
        with self._database.read() as connection:
            rows = CertificateRepository(connection).query(
                principal.subject, criteria, now=now, offset=page_offset * page_size, limit=page_size + 1
            )
        return CertificatePage(rows[:page_size], len(rows) > page_size, now)

    def retrieve(self, principal: Principal, serial_numbers: Sequence[str]) -> list[CertificateRecord]:
        """The subject's certificates among `serial_numbers`, in the order asked, each once; unknown and other
        subjects' serials are left out."""
        wanted = list(dict.fromkeys(serial.upper() for serial in serial_numbers))
        with self._database.read() as connection:
            found = {
                record.serial_number: record
                for record in CertificateRepository(connection).get_many(principal.subject, wanted)
            }
        return [found[serial] for serial in wanted if serial in found]

    # --- revocation and the CRL -----------------------------------------------------------------------------------

    def revoke(self, principal: Principal, serial_number: str, reason: RevocationReason | None) -> None:
        """Revoke one of the subject's certificates and publish a new CRL, in one transaction.

        Raises 403 after a KSeF token login, 25008 for an unknown or another subject's serial, 25009 when the
        certificate is already revoked, blocked or expired.
        """
        if principal.authentication_method is AuthenticationMethod.TOKEN:
            raise RevocationNotAllowedError()
        serial_number = serial_number.upper()
        now = self._clock.now()
        with self._database.write() as connection:
            repository = CertificateRepository(connection)
            record = repository.get(serial_number)
            if record is None or record.subject != principal.subject:
                raise CertificateNotFoundError(serial_number)
            status = record.status_at(now)
            if status is not CertificateStatus.ACTIVE or not repository.revoke(serial_number, reason=reason, now=now):
                raise CertificateNotRevocableError(_not_revocable_detail(serial_number, status))
            self._publish_crl(connection, now)

    def set_blocked(self, serial_number: str, *, blocked: bool) -> CertificateRecord:
        """Operator action: block an Active certificate (it stops logging in, the CRL lists it on hold) or unblock a
        blocked one; the CRL is re-signed in the same transaction. Raises 25008 (unknown) or 25009 (wrong state)."""
        serial_number = serial_number.upper()
        now = self._clock.now()
        with self._database.write() as connection:
            repository = CertificateRepository(connection)
            record = repository.get(serial_number)
            if record is None:
                raise CertificateNotFoundError(serial_number)
            status = record.status_at(now)
            wanted = CertificateStatus.ACTIVE if blocked else CertificateStatus.BLOCKED
            if status is not wanted:
                raise CertificateNotRevocableError(_not_revocable_detail(serial_number, status))
            repository.set_status(
                serial_number, CertificateStatus.BLOCKED if blocked else CertificateStatus.ACTIVE, now=now
            )
            self._publish_crl(connection, now)
            updated = repository.get(serial_number)
        if updated is None:  # pragma: no cover - it was there a moment ago, inside the same transaction
            raise CertificateNotFoundError(serial_number)
        return updated

    def _sign_crl(self, connection: Connection, *, number: int, now: datetime) -> StoredCrl:
        entries = [
            RevokedEntry(
                serial_number=parse_serial(revoked.serial_number),
                revoked_at=revoked.revoked_at,
                reason=x509.ReasonFlags.certificate_hold
                if revoked.blocked
                else CRL_REASONS[revoked.reason or RevocationReason.UNSPECIFIED],
            )
            for revoked in CertificateRepository(connection).revoked()
        ]
        next_update = now + self._settings.crl_lifetime
        crl = self._authority.issuer.sign_crl(entries, number=number, this_update=now, next_update=next_update)
        return StoredCrl(
            number, crl.last_update_utc, crl.next_update_utc or next_update, crl.public_bytes(Encoding.DER)
        )

    def _publish_crl(self, connection: Connection, now: datetime) -> StoredCrl:
        """Sign and store a new CRL (number + 1) under the CRL row's lock, so concurrent rebuilds are ordered."""
        repository = CertificateRepository(connection)
        current = repository.current_crl(lock=True)
        if current is None:
            first = self._sign_crl(connection, number=1, now=now)
            if repository.create_crl(first):
                return first
            current = repository.current_crl(lock=True)  # another process created it meanwhile
            if current is None:  # pragma: no cover - the insert lost only to an existing row
                raise RuntimeError("the CRL row vanished while it was being replaced")
        fresh = self._sign_crl(connection, number=current.crl_number + 1, now=now)
        repository.replace_crl(fresh)
        return fresh

    def publish_crl(self) -> StoredCrl:
        """Sign a new CRL now (operators and tests)."""
        with self._database.write() as connection:
            return self._publish_crl(connection, self._clock.now())

    def crl(self) -> StoredCrl:
        """The current CRL; re-signed first when none exists or half of its lifetime has passed."""
        now = self._clock.now()
        with self._database.read() as connection:
            current = CertificateRepository(connection).current_crl()
        if current is not None and now < current.this_update + self._settings.crl_lifetime / 2:
            return current
        with self._database.write() as connection:
            current = CertificateRepository(connection).current_crl(lock=True)
            if current is not None and now < current.this_update + self._settings.crl_lifetime / 2:
                return current  # another request refreshed it while we waited
            return self._publish_crl(connection, now)

    # --- the public KOD II check ----------------------------------------------------------------------------------

    def registry_entry(self, connection: Connection, serial_number: str) -> CertificateRecord | None:
        """One certificate of the registry with its DER, read in the caller's unit of work, whoever asks (the public
        QR verification pages decide what of it to show)."""
        return CertificateRepository(connection).get(serial_number.upper(), with_der=True)

    # --- login with a certificate issued here (auth hook) ---------------------------------------------------------

    def _is_ours(self, certificate: x509.Certificate) -> bool:
        issuing = self._authority.issuing_certificate
        if certificate.issuer != issuing.subject:
            return False
        try:
            certificate.verify_directly_issued_by(issuing)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def check_login_certificate(
        self, connection: Connection, certificate: x509.Certificate, *, now: datetime
    ) -> IssuedCertificateVerdict | None:
        """`LoginCertificateAuthority`: None for certificates not signed by our issuing CA; otherwise who owns it
        and why it may not log in (Offline type, revoked, blocked, outside its validity). A certificate that may
        log in gets its `lastUseDate` set to `now`."""
        if not self._is_ours(certificate):
            return None
        repository = CertificateRepository(connection)
        serial_number = certificate_serial(certificate)
        record = repository.get(serial_number, with_der=True)
        if record is None or record.der != certificate.public_bytes(Encoding.DER):
            # Signed by our key but not in the registry (e.g. a database restored from an older backup).
            return IssuedCertificateVerdict(read_subject_identifier(certificate), CertificateProblem.INVALID)
        problem = login_problem(record, now)
        if problem is None:
            repository.record_use(serial_number, now=now)
        return IssuedCertificateVerdict(record.subject, problem)


def login_problem(record: CertificateRecord, now: datetime) -> CertificateProblem | None:
    """Why an issued certificate may not log in at `now`, with the official status 460 details; None if it may."""
    if record.stored_status is CertificateStatus.REVOKED:
        return CertificateProblem.REVOKED
    if record.stored_status is CertificateStatus.BLOCKED:
        return CertificateProblem.SUSPENDED
    if not record.valid_from <= now <= record.valid_to:
        return CertificateProblem.INVALID
    if record.certificate_type is not KsefCertificateType.AUTHENTICATION:
        return CertificateProblem.INCORRECT
    return None


def _not_revocable_detail(serial_number: str, status: CertificateStatus) -> str:
    reasons = {
        CertificateStatus.REVOKED: "jest już unieważniony",
        CertificateStatus.BLOCKED: "jest zablokowany",
        CertificateStatus.EXPIRED: "wygasł",
        CertificateStatus.ACTIVE: "jest aktywny",
    }
    return f"Certyfikat {serial_number} {reasons[status]}."
