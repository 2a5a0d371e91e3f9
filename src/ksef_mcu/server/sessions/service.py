"""Online sessions, invoices and UPOs: the policy behind `/v2/sessions/*` and `/v2/invoices/ksef/{ksefNumber}`.

One unit of work per call; invoices are checked and numbered asynchronously by `worker.InvoiceWorker`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from cryptography import x509

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.encryption import (
    ContentMismatchError,
    EncryptionError,
    check_declared_content,
    unwrap_symmetric_key,
)
from ksef_mcu.crypto.xades.signer import XadesSigner
from ksef_mcu.documents.errors import KsefNumberError
from ksef_mcu.documents.forms import form_for_code
from ksef_mcu.documents.ksef_numbers import parse_ksef_number
from ksef_mcu.documents.upo import build_invoice_upo, sign_upo
from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.continuation import decode_continuation, decode_keyset, encode_continuation, encode_keyset
from ksef_mcu.server.errors import InputValidationError, InvalidContinuationTokenError
from ksef_mcu.server.keys import EncryptionKeyUsage, ServerKeys
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.server.sessions.errors import (
    FileHashMismatchError,
    FileSizeMismatchError,
    InvoiceNotFoundError,
    SessionInvoiceLimitError,
    SessionInvoiceNotFoundError,
    SessionNotFoundError,
    SessionStatusError,
    UnknownKeyError,
    UpoNotFoundError,
)
from ksef_mcu.server.sessions.model import (
    InvoiceStatusCode,
    SessionFilter,
    SessionInvoiceRecord,
    SessionRecord,
    SessionStatusCode,
)
from ksef_mcu.server.sessions.processing import form_of, upo_authentication, upo_entry
from ksef_mcu.server.sessions.repositories.invoices import InvoiceRepository
from ksef_mcu.server.sessions.repositories.session_invoices import SessionInvoiceRepository, invoice_status
from ksef_mcu.server.sessions.repositories.sessions import SessionRepository, session_status
from ksef_mcu.server.sessions.signing import DownloadLinks
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database

_READ_ALL = ("Introspection", "EnforcementOperations")
SESSION_TYPE_ONLINE = "Online"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    reference_number: str
    valid_until: dt.datetime


@dataclass(frozen=True, slots=True)
class InvoiceToSend:
    """`SendInvoiceRequest` as received (Base64 fields still encoded)."""

    invoice_hash: str
    invoice_size: int
    encrypted_invoice_hash: str
    encrypted_invoice_size: int
    encrypted_invoice_content: str
    offline_mode: bool = False
    hash_of_corrected_invoice: str | None = None


@dataclass(frozen=True, slots=True)
class SessionPage:
    sessions: list[SessionRecord]
    continuation_token: str | None


@dataclass(frozen=True, slots=True)
class SessionInvoicePage:
    invoices: list[SessionInvoiceRecord]
    continuation_token: str | None


@dataclass(frozen=True, slots=True)
class SessionView:
    """`GET /sessions/{ref}`: the session and the references of its UPO pages (once made)."""

    session: SessionRecord
    upo_pages: list[str]


@dataclass(frozen=True, slots=True)
class Document:
    """An XML document served with `x-ms-meta-hash`."""

    content: bytes


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputValidationError(f"{what} nie jest poprawnym ciągiem Base64.") from None


class SessionService:
    """The sessions domain's operations."""

    def __init__(
        self,
        *,
        settings: ServerSettings,
        database: Database,
        clock: Clock,
        keys: ServerKeys,
        upo_signer: XadesSigner,
        links: DownloadLinks,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._keys = keys
        self._upo_signer = upo_signer
        self.links = links
        self.notify = notify

    @property
    def upo_certificate(self) -> x509.Certificate:
        """The certificate UPOs are signed with."""
        return self._upo_signer.certificate

    # --- opening, sending, closing ------------------------------------------------------------------------------

    def open_online(
        self,
        principal: Principal,
        *,
        form_code: tuple[str, str, str],
        encrypted_symmetric_key: str,
        initialization_vector: str,
        public_key_id: str | None,
    ) -> OpenedSession:
        form = form_for_code(*form_code)
        if form is None:
            raise InputValidationError(
                f"Nieobsługiwany kod formularza: systemCode={form_code[0]!r}, schemaVersion={form_code[1]!r}, "
                f"value={form_code[2]!r}. Obsługiwane: FA (2) 1-0E FA, FA (3) 1-0E FA."
            )
        ours = next(
            c for c in self._keys.encryption_certificates if c.usage is EncryptionKeyUsage.SYMMETRIC_KEY_ENCRYPTION
        )
        if public_key_id is not None and public_key_id != ours.public_key_id:
            raise UnknownKeyError(public_key_id)
        wrapped = _b64(encrypted_symmetric_key, "encryptedSymmetricKey")
        iv = _b64(initialization_vector, "initializationVector")
        if len(iv) != 16:
            raise InputValidationError(f"initializationVector musi mieć 16 bajtów, a ma {len(iv)}.")
        try:
            unwrap_symmetric_key(wrapped, self._keys.session_key_decryption_key())
            status = session_status(int(SessionStatusCode.OPEN), ())
        except EncryptionError:
            status = session_status(int(SessionStatusCode.KEY_DECRYPTION_FAILED), ())
        now = self._clock.now()
        if principal.ksef_token is not None:
            authentication: dict[str, str] = {"ksefTokenReference": principal.ksef_token}
        else:
            # The signed AuthTokenRequest is not kept by the auth domain: the UPO names the authentication by the
            # SHA-256 of its reference number (docs/invoices.md, "Deviations").
            authentication = {"authDocumentHash": hashlib.sha256(principal.reference_number.encode()).hexdigest()}
        record = SessionRecord(
            reference_number=new_reference_number(ReferenceKind.ONLINE_SESSION, now=now),
            session_type=SESSION_TYPE_ONLINE,
            context_type=principal.context.type.value,
            context_value=principal.context.value,
            opened_by_type=principal.subject.type.value,
            opened_by_value=principal.subject.value,
            authentication_reference=principal.reference_number,
            upo_authentication=authentication,
            form_system_code=form.system_code,
            encrypted_key=wrapped,
            public_key_id=ours.public_key_id,
            initialization_vector=iv,
            status=status,
            invoice_count=0,
            successful_count=0,
            failed_count=0,
            invoice_limit=self._settings.session_invoice_limit,
            date_created=now,
            date_updated=now,
            date_closed=None,
            valid_until=now + self._settings.session_lifetime,
        )
        with self._database.write() as connection:
            SessionRepository(connection).add(record)
        return OpenedSession(record.reference_number, record.valid_until)

    def _own_context(self, principal: Principal, session: SessionRecord | None, reference: str) -> SessionRecord:
        if (
            session is None
            or session.context_type != principal.context.type.value
            or session.context_value != principal.context.value
        ):
            raise SessionNotFoundError(reference)
        return session

    def send_invoice(self, principal: Principal, reference: str, invoice: InvoiceToSend) -> str:
        content = _b64(invoice.encrypted_invoice_content, "encryptedInvoiceContent")
        for value, what in (
            (invoice.invoice_hash, "invoiceHash"),
            (invoice.encrypted_invoice_hash, "encryptedInvoiceHash"),
            (invoice.hash_of_corrected_invoice, "hashOfCorrectedInvoice"),
        ):
            if value is not None and len(_b64(value, what)) != 32:
                raise InputValidationError(f"{what} musi być skrótem SHA-256 (32 bajty w Base64).")
        try:
            check_declared_content(
                content, size=invoice.encrypted_invoice_size, sha256_base64=invoice.encrypted_invoice_hash
            )
        except ContentMismatchError as error:
            if error.code == 21402:
                raise FileSizeMismatchError() from None
            raise FileHashMismatchError() from None
        now = self._clock.now()
        with self._database.write() as connection:
            sessions = SessionRepository(connection)
            session = self._own_context(principal, sessions.get(reference, lock=True), reference)
            if session.status.code != SessionStatusCode.OPEN:
                raise SessionStatusError(session.status.code)
            if session.valid_until <= now:
                raise SessionStatusError(int(SessionStatusCode.CLOSED))
            if session.invoice_count >= session.invoice_limit:
                raise SessionInvoiceLimitError(reference, session.invoice_limit)
            invoice_reference = new_reference_number(ReferenceKind.SESSION_INVOICE, now=now)
            SessionInvoiceRepository(connection).add(
                SessionInvoiceRecord(
                    reference_number=invoice_reference,
                    session_reference=reference,
                    ordinal_number=session.invoice_count + 1,
                    status=invoice_status(InvoiceStatusCode.ACCEPTED),
                    invoice_hash=invoice.invoice_hash,
                    invoice_size=invoice.invoice_size,
                    offline_mode=invoice.offline_mode,
                    hash_of_corrected_invoice=invoice.hash_of_corrected_invoice,
                    invoicing_date=now,
                    invoice_number=None,
                    ksef_number=None,
                    acquisition_date=None,
                    invoicing_mode=None,
                    encrypted_content=content,
                )
            )
            sessions.count_invoice(reference, now=now)
        if self.notify is not None:
            self.notify()
        return invoice_reference

    def close(self, principal: Principal, reference: str) -> None:
        now = self._clock.now()
        with self._database.write() as connection:
            sessions = SessionRepository(connection)
            session = self._own_context(principal, sessions.get(reference, lock=True), reference)
            if session.status.code != SessionStatusCode.OPEN:
                raise SessionStatusError(session.status.code, "zamknięcie sesji")
            sessions.set_status(reference, int(SessionStatusCode.CLOSED), now=now, closed=True)
        if self.notify is not None:
            self.notify()

    # --- reading ------------------------------------------------------------------------------------------------

    def _visible(self, principal: Principal, session: SessionRecord | None, reference: str) -> SessionRecord:
        session = self._own_context(principal, session, reference)
        if not any(p in principal.permissions for p in _READ_ALL) and (
            session.opened_by_type,
            session.opened_by_value,
        ) != (principal.subject.type.value, principal.subject.value):
            raise SessionNotFoundError(reference)
        return session

    def list_sessions(
        self, principal: Principal, where: SessionFilter, *, page_size: int, continuation_token: str | None
    ) -> SessionPage:
        after: tuple[dt.datetime, str] | None = None
        if continuation_token:
            after = decode_keyset(continuation_token)
        if not any(p in principal.permissions for p in _READ_ALL):
            where = _with_owner(where, principal)
        with self._database.read() as connection:
            found = SessionRepository(connection).query(
                context=(principal.context.type.value, principal.context.value),
                where=where,
                limit=page_size + 1,
                after=after,
            )
        items = found[:page_size]
        token = encode_keyset(items[-1].date_created, items[-1].reference_number) if len(found) > page_size else None
        return SessionPage(items, token)

    def session(self, principal: Principal, reference: str) -> SessionView:
        with self._database.read() as connection:
            sessions = SessionRepository(connection)
            session = self._visible(principal, sessions.get(reference), reference)
            pages = sessions.upo_page_references(reference)
        return SessionView(session, pages)

    def invoices(
        self,
        principal: Principal,
        reference: str,
        *,
        page_size: int,
        continuation_token: str | None,
        failed_only: bool = False,
    ) -> SessionInvoicePage:
        after = 0
        if continuation_token:
            decoded = decode_continuation(continuation_token)
            if not isinstance(decoded, int) or decoded < 0:
                raise InvalidContinuationTokenError()
            after = decoded
        with self._database.read() as connection:
            self._visible(principal, SessionRepository(connection).get(reference), reference)
            found = SessionInvoiceRepository(connection).page(
                reference, after=after, limit=page_size + 1, failed_only=failed_only
            )
        items = found[:page_size]
        return SessionInvoicePage(
            items, encode_continuation(items[-1].ordinal_number) if len(found) > page_size else None
        )

    def invoice(self, principal: Principal, reference: str, invoice_reference: str) -> SessionInvoiceRecord:
        with self._database.read() as connection:
            self._visible(principal, SessionRepository(connection).get(reference), reference)
            record = SessionInvoiceRepository(connection).get(reference, invoice_reference)
        if record is None:
            raise SessionInvoiceNotFoundError(reference, invoice_reference)
        return record

    # --- UPO and invoice files ----------------------------------------------------------------------------------

    def invoice_upo(
        self,
        principal: Principal | None,
        reference: str,
        *,
        invoice_reference: str | None = None,
        ksef_number: str | None = None,
    ) -> Document:
        """The UPO of one numbered invoice (signed on first request, then always the same bytes). `principal` None:
        a signed download link was checked instead."""
        with self._database.read() as connection:
            session = SessionRepository(connection).get(reference)
            if principal is not None:
                session = self._visible(principal, session, reference)
            elif session is None:
                raise SessionNotFoundError(reference)
            queue = SessionInvoiceRepository(connection)
            record = (
                queue.get(reference, invoice_reference)
                if invoice_reference is not None
                else queue.get_by_ksef_number(reference, ksef_number or "")
            )
            if record is None or record.status.code != InvoiceStatusCode.SUCCESS or record.ksef_number is None:
                raise UpoNotFoundError(
                    f"UPO o numerze KSeF {ksef_number} i numerze referencyjnym sesji {reference} nie zostało "
                    "znalezione."
                    if ksef_number is not None
                    else f"UPO faktury o numerze referencyjnym {invoice_reference} w sesji {reference} nie zostało "
                    "znalezione."
                )
            stored = queue.upo(record.reference_number)
            if stored is not None:
                return Document(stored)
            accepted = InvoiceRepository(connection).get_many([record.reference_number])
        now = self._clock.now()
        upo = sign_upo(
            build_invoice_upo(
                session_reference=reference,
                authentication=upo_authentication(session),
                form=form_of(session.form_system_code),
                entry=upo_entry(record, accepted.get(record.reference_number)),
            ),
            self._upo_signer,
            now=now,
        )
        with self._database.write() as connection:
            queue = SessionInvoiceRepository(connection)
            queue.keep_upo(record.reference_number, upo)
            kept = queue.upo(record.reference_number)
        return Document(kept or upo)

    def session_upo(self, principal: Principal | None, reference: str, upo_reference: str) -> Document:
        with self._database.read() as connection:
            sessions = SessionRepository(connection)
            session = sessions.get(reference)
            if principal is not None:
                self._visible(principal, session, reference)
            elif session is None:
                raise SessionNotFoundError(reference)
            content = sessions.upo_page(reference, upo_reference)
        if content is None:
            raise UpoNotFoundError(
                f"UPO o numerze referencyjnym {upo_reference} dla sesji {reference} nie zostało znalezione."
            )
        return Document(content)

    def invoice_file(self, principal: Principal, ksef_number: str) -> Document:
        try:
            parse_ksef_number(ksef_number)
        except KsefNumberError as error:
            raise InputValidationError(error.message) from None
        with self._database.read() as connection:
            stored = InvoiceRepository(connection).get_file(ksef_number)
        if stored is None or (stored.context_type, stored.context_value) != (
            principal.context.type.value,
            principal.context.value,
        ):
            raise InvoiceNotFoundError(ksef_number)
        return Document(stored.content)


def _with_owner(where: SessionFilter, principal: Principal) -> SessionFilter:
    return replace(where, opened_by=(principal.subject.type.value, principal.subject.value))
