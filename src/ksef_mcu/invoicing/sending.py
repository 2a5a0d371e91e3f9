"""Sending FA(3) invoices to KSeF (issue 13, Obsługa Faktur's side), through `ksef_mcu.client` only.

`send` logs in with the company's Type 1 certificate, opens an online session, sends every file (progress reported
per stage), waits for each KSeF number or refusal, downloads each invoice's UPO, closes the session — the client's
`sessions.send_invoices` does the steps and the encryption — and records every outcome with its UPO.

`send_queued` does the same for the offline invoices waiting in the queue, with `offlineMode=true` (each keeps its
own issue date); an invoice that got its KSeF number is marked sent, so KOD I then carries the number. A failure to
reach KSeF leaves the queue as it is: `send_all_queued` (the application runs it periodically) tries again later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ksef_mcu.client import CertificateCredentials, ContextIdentifier, ContextIdentifierType, KsefClient
from ksef_mcu.client.errors import KsefClientError, KsefInvalidInputError
from ksef_mcu.clock import Clock
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.connection import LOGIN_TIMEOUT, explain_failure
from ksef_mcu.invoicing.errors import InvoicingError, NotFoundError
from ksef_mcu.invoicing.model import Company, Slot
from ksef_mcu.invoicing.offline import REFUSED, SENT
from ksef_mcu.invoicing.repository import Repository
from ksef_mcu.invoicing.settings import SettingsService
from ksef_mcu.storage.database import Database

__all__ = ["SendOutcome", "SendResult", "SendingService", "SentInvoice"]

logger = logging.getLogger("ksef_mcu.invoicing")

Progress = Callable[[str, int, int], None]
PROCESSING_TIMEOUT = 300.0
STAGES = {"sent": "wysłano", "processed": "przetworzono", "upo": "pobrano UPO"}


@dataclass(frozen=True, slots=True)
class SendOutcome:
    name: str
    ksef_number: str | None
    status_code: int
    status_description: str
    details: tuple[str, ...]
    sent_id: int

    @property
    def ok(self) -> bool:
        return self.ksef_number is not None


@dataclass(frozen=True, slots=True)
class SendResult:
    session_reference: str
    outcomes: tuple[SendOutcome, ...]
    session_closed: bool


@dataclass(frozen=True, slots=True)
class SentInvoice:
    id: int
    company_id: int
    file_name: str
    invoice_number: str | None
    session_reference: str
    invoice_reference: str
    offline_mode: bool
    status_code: int
    status_description: str
    ksef_number: str | None
    upo: bytes | None
    sent_by: str
    sent_at: dt.datetime


class SendingService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        config: InvoicingConfig,
        settings: SettingsService,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.config = config
        self.settings = settings
        self.transport = transport
        self.repository = Repository()

    def _credentials(self, company: Company) -> CertificateCredentials:
        stored = self.settings.certificate(company, Slot.AUTHENTICATION)
        if stored is None:
            raise InvoicingError(
                "Firma nie ma certyfikatu uwierzytelniającego (Typ 1): dodaj go w Ustawieniach → KSeF, aby wysyłać "
                "faktury."
            )
        try:
            return CertificateCredentials.from_certificate_with_key(self.settings.loaded(stored))
        except KsefInvalidInputError as error:
            raise InvoicingError(error.message) from error

    def send(
        self,
        company: Company,
        files: Sequence[tuple[str, bytes]],
        *,
        sent_by: str,
        offline_mode: bool = False,
        on_progress: Progress | None = None,
    ) -> SendResult:
        """Send `files` (name, content) in one online session. Raises `InvoicingError` with the reason in Polish
        when KSeF cannot be reached or refuses the login or the session (nothing is recorded then)."""
        if not files:
            raise InvoicingError("Wybierz co najmniej jeden plik faktury.", field="faktury")
        credentials = self._credentials(company)
        context = ContextIdentifier(ContextIdentifierType(company.context_type), company.context_value)
        try:
            with KsefClient(
                self.config.environment, base_url=self.config.api_base_url, transport=self.transport, timeout=30
            ) as client:
                client.auth.login_with_certificate(credentials, context, timeout=LOGIN_TIMEOUT)
                report = client.sessions.send_invoices(
                    [content for _, content in files],
                    offline_mode=offline_mode,
                    on_progress=on_progress,
                    timeout=PROCESSING_TIMEOUT,
                )
                with contextlib.suppress(KsefClientError, httpx.TransportError):  # the tokens expire anyway
                    client.auth.logout()
        except (KsefClientError, httpx.TransportError) as error:
            raise InvoicingError(explain_failure(error, self.config, company).message) from error
        now = self.clock.now()
        outcomes = []
        with self.database.write() as connection:
            for (name, _), item in zip(files, report.invoices, strict=True):
                status = item.status.status
                values: dict[str, Any] = {
                    "company_id": company.id,
                    "file_name": name[:256],
                    "invoice_number": item.status.invoice_number,
                    "session_reference": report.session_reference,
                    "invoice_reference": item.reference_number,
                    "offline_mode": offline_mode,
                    "status_code": status.code,
                    "status_description": status.description,
                    "ksef_number": item.ksef_number,
                    "upo": item.upo.content if item.upo is not None else None,
                    "sent_by": sent_by,
                    "sent_at": now,
                }
                sent_id = self.repository.add_sent_invoice(connection, values)
                outcomes.append(
                    SendOutcome(
                        name, item.ksef_number, status.code, status.description, tuple(status.details or ()), sent_id
                    )
                )
        return SendResult(report.session_reference, tuple(outcomes), report.session.finished)

    def send_queued(self, company: Company, *, sent_by: str, on_progress: Progress | None = None) -> SendResult | None:
        """Send the company's queued offline invoices with `offlineMode=true`; None when the queue is empty.
        Raises `InvoicingError` when KSeF cannot be reached (the queue stays, with the reason recorded)."""
        with self.database.read() as connection:
            queued = self.repository.queued_offline_invoices(connection, company.id)
        if not queued:
            return None
        files = [(str(item["invoice_number"]), bytes(item["content"])) for item in queued]
        try:
            result = self.send(company, files, sent_by=sent_by, offline_mode=True, on_progress=on_progress)
        except InvoicingError as error:
            with self.database.write() as connection:
                for item in queued:
                    self.repository.update_offline_invoice(connection, item["id"], {"send_message": error.message})
            raise
        with self.database.write() as connection:
            for item, outcome in zip(queued, result.outcomes, strict=True):
                if outcome.ok:
                    values = {"status": SENT, "ksef_number": outcome.ksef_number, "send_message": None}
                else:
                    values = {"status": REFUSED, "send_message": f"{outcome.status_code}: {outcome.status_description}"}
                self.repository.update_offline_invoice(connection, item["id"], values)
        return result

    def send_all_queued(self) -> int:
        """Try every company's queue once (the periodic job): the number of invoices that got a KSeF number."""
        with self.database.read() as connection:
            queued = self.repository.queued_offline_invoices(connection)
            companies = {
                company_id: self.repository.company_by_id(connection, company_id)
                for company_id in {item["company_id"] for item in queued}
            }
        numbered = 0
        for company in companies.values():
            if company is None:
                continue
            try:
                result = self.send_queued(company, sent_by="automatycznie")
            except InvoicingError as error:
                logger.info("offline queue of %s not sent: %s", company.context_value, error.message)
                continue
            numbered += sum(1 for outcome in (result.outcomes if result else ()) if outcome.ok)
        return numbered

    def sent(self, company: Company) -> list[SentInvoice]:
        with self.database.read() as connection:
            return [SentInvoice(**values) for values in self.repository.sent_invoices(connection, company.id)]

    def sent_invoice(self, company: Company, sent_id: int) -> SentInvoice:
        with self.database.read() as connection:
            values = self.repository.sent_invoice(connection, company.id, sent_id)
        if values is None:
            raise NotFoundError("Nie ma takiej wysłanej faktury.")
        return SentInvoice(**values)

    def has_queued(self) -> bool:
        with self.database.read() as connection:
            return bool(self.repository.queued_offline_invoices(connection))
