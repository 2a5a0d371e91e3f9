"""Checking one invoice of a session, as KSeF does: decrypt, compare with the declared size and hash, read and validate
the FA document (`ksef_mcu.documents`), seller allowed for the context, issue-date rules, invoicing mode.

Pure: bytes, the session's key and `now` in, an outcome out (no database). The worker stores what it decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection

from ksef_mcu.crypto.encryption import InvoiceDecryptionError, SessionKey
from ksef_mcu.documents.errors import DocumentError, InvoiceError, SchemaUnavailableError
from ksef_mcu.documents.forms import INVOICE_FORMS, InvoiceForm
from ksef_mcu.documents.invoices import (
    Invoice,
    InvoicingMode,
    check_attachment_allowed,
    check_declared_metadata,
    check_issue_date,
    invoicing_mode,
    read_invoice,
)
from ksef_mcu.documents.schemas import FaSchemaValidator
from ksef_mcu.documents.upo import UpoAuthentication, UpoEntry
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType
from ksef_mcu.server.sessions.model import POLISH_TIME, InvoiceStatusCode, SessionInvoiceRecord, SessionRecord, Status
from ksef_mcu.server.sessions.repositories.invoices import AcceptedInvoice
from ksef_mcu.server.sessions.repositories.session_invoices import invoice_status


@dataclass(frozen=True, slots=True)
class Checked:
    """An invoice that passed every check: what is stored with its KSeF number."""

    invoice: Invoice
    content: bytes
    mode: str


def form_of(system_code: str) -> InvoiceForm:
    for form in INVOICE_FORMS:
        if form.system_code == system_code:
            return form
    raise ValueError(system_code)


class SellerRelation(Protocol):
    """Why invoices issued in `context` may name `seller_nip` as the seller (`Podmiot1`), or None when nothing lets
    them — the permissions domain's rule (own context, authorizations, groups), read in the caller's unit of work.
    The same rule answers KOD II's "context vs seller" check."""

    def __call__(self, connection: Connection, context: ContextIdentifier, seller_nip: str) -> str | None: ...


class AttachmentConsentRule(Protocol):
    """Whether `context` has the consent to issue invoices with attachments now — the permissions domain's rule, read
    in the caller's unit of work."""

    def __call__(self, connection: Connection, context: ContextIdentifier) -> bool: ...


def check_invoice(
    session: SessionRecord,
    record: SessionInvoiceRecord,
    key: SessionKey,
    *,
    validator: FaSchemaValidator,
    seller_allowed: Callable[[ContextIdentifier, str], bool],
    attachments_allowed: Callable[[ContextIdentifier], bool],
) -> Checked | Status:
    """The invoice as KSeF accepts it, or the final status that refuses it. `seller_allowed(context, seller_nip)`
    says whether the session's context may invoice for the invoice's seller; `attachments_allowed(context)` whether
    it has the consent to issue invoices with attachments (asked only for such an invoice)."""
    context = ContextIdentifier(ContextIdentifierType(session.context_type), session.context_value)
    try:
        content = key.decrypt(record.encrypted_content or b"")
    except InvoiceDecryptionError as error:
        return invoice_status(InvoiceStatusCode.DECRYPTION_ERROR, (error.message,))
    try:
        check_declared_metadata(content, size=record.invoice_size, sha256_base64=record.invoice_hash)
        invoice = read_invoice(content, schemas=validator, expected_form=form_of(session.form_system_code))
        if invoice.has_attachment:
            technical_correction = record.hash_of_corrected_invoice is not None
            check_attachment_allowed(
                invoice,
                technical_correction=technical_correction,
                consent=technical_correction and attachments_allowed(context),
            )
        accepted_on = record.invoicing_date.astimezone(POLISH_TIME).date()
        check_issue_date(invoice.issue_date, accepted_on)
    except InvoiceError as error:
        return Status(int(error.code or 450), error.description, error.details)
    except SchemaUnavailableError as error:
        return invoice_status(InvoiceStatusCode.UNKNOWN_ERROR, (error.message,))
    except DocumentError as error:
        return invoice_status(InvoiceStatusCode.SEMANTIC_ERROR, (error.message,))
    if not seller_allowed(context, invoice.seller_nip):
        return invoice_status(
            InvoiceStatusCode.INVALID_PERMISSION_SCOPE,
            (
                f"Brak uprawnień do wystawienia faktury w imieniu sprzedawcy o NIP {invoice.seller_nip} w kontekście "
                f"{session.context_type} {session.context_value}.",
            ),
        )
    mode = invoicing_mode(invoice.issue_date, accepted_on, offline_mode=record.offline_mode)
    return Checked(invoice, content, mode.value)


def accepted_day(moment: dt.datetime) -> dt.date:
    """The day (Polish time) a KSeF number carries for an invoice accepted at `moment`."""
    return moment.astimezone(POLISH_TIME).date()


def upo_authentication(session: SessionRecord) -> UpoAuthentication:
    data = session.upo_authentication
    digest = data.get("authDocumentHash")
    return UpoAuthentication(
        context_type=session.context_type,
        context_value=session.context_value,
        ksef_token_reference=data.get("ksefTokenReference"),
        auth_document_hash=bytes.fromhex(digest) if digest else None,
    )


def upo_entry(record: SessionInvoiceRecord, accepted: AcceptedInvoice | None = None) -> UpoEntry:
    """The UPO `Dokument` of a numbered invoice (`record` at 200; the seller, date and hash are in its KSeF record)."""
    assert accepted is not None  # noqa: S101 - every 200 invoice has its row in `invoices`
    return UpoEntry(
        seller_nip=accepted.seller_nip,
        ksef_number=accepted.ksef_number,
        invoice_number=accepted.invoice_number,
        issue_date=accepted.issue_date,
        sent_at=accepted.invoicing_date,
        numbered_at=accepted.acquisition_date,
        invoice_hash=accepted.sha256,
        mode=InvoicingMode(accepted.invoicing_mode),
    )
