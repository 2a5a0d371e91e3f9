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
import threading
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

__all__ = ["SendJob", "SendJobFile", "SendOutcome", "SendResult", "SendingService", "SentInvoice"]

logger = logging.getLogger("ksef_mcu.invoicing")

Progress = Callable[[str, int, int], None]
PROCESSING_TIMEOUT = 300.0
STAGES = {"sent": "wysłano", "processed": "przetworzono", "upo": "pobrano UPO"}


RUNNING, DONE, FAILED, ERROR = "running", "done", "failed", "error"
INTERRUPTED = (
    "Wysyłka przerwana: Obsługa Faktur została zatrzymana w trakcie. Sprawdź listę faktur i wyślij ponownie te, "
    "które nie mają numeru KSeF."
)
FILE_STAGES = {
    "waiting": ("czeka", 0),
    "sent": ("wysłano", 1),
    "processed": ("przetworzono", 2),
    "upo": ("UPO pobrane", 3),
    ERROR: ("błąd", 3),
}
"""Each file's stage: its label on the page and how many of its 3 steps (send, number, UPO) are behind it."""


@dataclass(frozen=True, slots=True)
class SendJobFile:
    position: int
    name: str
    stage: str
    invoice_reference: str | None
    ksef_number: str | None
    message: str | None
    sent_id: int | None

    @property
    def stage_label(self) -> str:
        return FILE_STAGES[self.stage][0]

    @property
    def upo_url(self) -> str | None:
        return f"/faktury/wyslane/{self.sent_id}/upo.xml" if self.stage == "upo" and self.sent_id else None

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "name": self.name,
            "stage": self.stage,
            "stageLabel": self.stage_label,
            "ksefNumber": self.ksef_number,
            "message": self.message,
            "upoUrl": self.upo_url,
        }


@dataclass(frozen=True, slots=True)
class SendJob:
    """A sending from the screen, as its page shows it: overall progress and each file's stage."""

    id: int
    state: str
    message: str | None
    session_reference: str | None
    session_closed: bool
    files: tuple[SendJobFile, ...]

    @property
    def finished(self) -> bool:
        return self.state != RUNNING

    @property
    def progress_max(self) -> int:
        return 3 * len(self.files) + 1  # three steps a file, and closing the session

    @property
    def progress_value(self) -> int:
        if self.finished:
            return self.progress_max
        return sum(FILE_STAGES[item.stage][1] for item in self.files)

    @property
    def percent(self) -> int:
        return self.progress_value * 100 // self.progress_max

    @property
    def numbered(self) -> int:
        return sum(1 for item in self.files if item.ksef_number and item.stage != ERROR)

    @property
    def summary(self) -> str:
        total = len(self.files)
        if self.state == RUNNING:
            done = sum(1 for item in self.files if item.stage in ("upo", ERROR))
            return f"Wysyłanie do KSeF: zakończono {done} z {total} plików ({self.percent} %). Nie zamykaj strony."
        closed = "zamknięta" if self.session_closed else "niezamknięta"
        session = f" Sesja {self.session_reference} {closed}." if self.session_reference else ""
        if self.state == FAILED:
            return f"Wysyłka przerwana. Numery KSeF: {self.numbered} z {total}.{session} {self.message or ''}".strip()
        return f"Zakończono. Numery KSeF: {self.numbered} z {total}.{session}"

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "finished": self.finished,
            "message": self.message,
            "summary": self.summary,
            "progress": {"value": self.progress_value, "max": self.progress_max, "percent": self.percent},
            "files": [item.to_json() for item in self.files],
        }


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

    # --- "Wyślij faktury do KSeF": a sending in the background, its progress per file in the database -------------

    def start_job(self, company: Company, files: Sequence[tuple[str, bytes]], *, sent_by: str) -> int:
        """Record a sending of `files` (checked first: at least one file, a Type 1 certificate) and start it in a
        background thread; the page polls `job`. Raises `InvoicingError` when it cannot even start."""
        if not files:
            raise InvoicingError("Wybierz co najmniej jeden plik faktury.", field="faktury")
        self._credentials(company)
        values = {
            "company_id": company.id,
            "state": RUNNING,
            "session_closed": False,
            "created_by": sent_by,
            "created_at": self.clock.now(),
        }
        with self.database.write() as connection:
            job_id = self.repository.add_send_job(connection, values, [(name[:256], data) for name, data in files])
        threading.Thread(target=self.run_job, args=(job_id,), name=f"wysylka-{job_id}", daemon=True).start()
        return job_id

    def run_job(self, job_id: int) -> None:
        """Run a recorded sending: log in with Type 1, open an online session, send each file, then for each the KSeF
        number (or the refusal with its reason) and the UPO, close the session — every step written as it happens.
        Never raises: whatever stops it is recorded on the job for the page."""
        try:
            self._run_job(job_id)
        except Exception:  # the thread must leave the job final whatever happens; the log keeps the cause
            logger.exception("sending job %d failed", job_id)
            self._finish_job(job_id, FAILED, "Wysyłka przerwana przez błąd programu. Spróbuj ponownie.")

    def _run_job(self, job_id: int) -> None:
        with self.database.read() as connection:
            job = self.repository.send_job(connection, job_id)
            files = self.repository.send_job_files(connection, job_id, with_content=True)
            company = self.repository.company_by_id(connection, job["company_id"]) if job else None
        if job is None or company is None:
            return
        try:
            credentials = self._credentials(company)
        except InvoicingError as error:
            self._finish_job(job_id, FAILED, error.message)
            return
        context = ContextIdentifier(ContextIdentifierType(company.context_type), company.context_value)
        try:
            with KsefClient(
                self.config.environment, base_url=self.config.api_base_url, transport=self.transport, timeout=30
            ) as client:
                client.auth.login_with_certificate(credentials, context, timeout=LOGIN_TIMEOUT)
                session = client.sessions.open_online()
                self._update_job(job_id, {"session_reference": session.reference_number})
                sent: list[tuple[dict[str, Any], str]] = []
                for item in files:
                    try:
                        reference = client.sessions.send_invoice(session, bytes(item["content"]))
                    except KsefClientError as error:
                        self._update_file(item["id"], {"stage": ERROR, "message": error.message})
                        continue
                    self._update_file(item["id"], {"stage": "sent", "invoice_reference": reference})
                    sent.append((item, reference))
                for item, reference in sent:
                    self._process(client, job, session.reference_number, item, reference)
                client.sessions.close(session.reference_number)
                with contextlib.suppress(KsefClientError):
                    client.sessions.wait_closed(session.reference_number, timeout=PROCESSING_TIMEOUT)
                    self._update_job(job_id, {"session_closed": True})
                with contextlib.suppress(KsefClientError, httpx.TransportError):  # the tokens expire anyway
                    client.auth.logout()
        except (KsefClientError, httpx.TransportError) as error:
            self._finish_job(job_id, FAILED, explain_failure(error, self.config, company).message)
            return
        self._finish_job(job_id, DONE, None)

    def _process(self, client: KsefClient, job: dict[str, Any], session: str, item: dict[str, Any], ref: str) -> None:
        """One sent file: wait for its KSeF number or refusal, then fetch its UPO; record it as a sent invoice."""
        try:
            status = client.sessions.wait_for_invoice(session, ref, timeout=PROCESSING_TIMEOUT)
        except KsefClientError as error:
            self._update_file(item["id"], {"stage": ERROR, "message": error.message})
            return
        info = status.status
        values: dict[str, Any] = {
            "company_id": job["company_id"],
            "file_name": item["file_name"],
            "invoice_number": status.invoice_number,
            "session_reference": session,
            "invoice_reference": ref,
            "offline_mode": False,
            "status_code": info.code,
            "status_description": info.description,
            "ksef_number": status.ksef_number,
            "upo": None,
            "sent_by": job["created_by"],
            "sent_at": self.clock.now(),
        }
        if not info.succeeded or status.ksef_number is None:
            reason = ". ".join([f"{info.code}: {info.description.rstrip('.')}", *(info.details or ())])
            with self.database.write() as connection:
                sent_id = self.repository.add_sent_invoice(connection, values)
                self.repository.update_send_job_file(
                    connection, item["id"], {"stage": ERROR, "message": f"Odrzucona – {reason}", "sent_id": sent_id}
                )
            return
        self._update_file(item["id"], {"stage": "processed", "ksef_number": status.ksef_number})
        upo: bytes | None = None
        message: str | None = None
        try:
            upo = client.sessions.invoice_upo(session, invoice_reference_number=ref).content
        except KsefClientError as error:
            message = f"Nie pobrano UPO: {error.message}"
        with self.database.write() as connection:
            sent_id = self.repository.add_sent_invoice(connection, {**values, "upo": upo})
            stage = {"stage": "upo"} if upo is not None else {"message": message}
            self.repository.update_send_job_file(connection, item["id"], {**stage, "sent_id": sent_id})

    def _update_job(self, job_id: int, values: dict[str, Any]) -> None:
        with self.database.write() as connection:
            self.repository.update_send_job(connection, job_id, values)

    def _update_file(self, file_id: int, values: dict[str, Any]) -> None:
        with self.database.write() as connection:
            self.repository.update_send_job_file(connection, file_id, values)

    def _finish_job(self, job_id: int, state: str, message: str | None) -> None:
        with self.database.write() as connection:
            self.repository.finish_send_job_files(connection, job_id, message)
            values = {"state": state, "message": message, "finished_at": self.clock.now()}
            self.repository.update_send_job(connection, job_id, values)

    def interrupt_unfinished_jobs(self) -> int:
        """At start-up: a sending still "running" was cut off when the application stopped; say so on its page."""
        with self.database.read() as connection:
            running = self.repository.running_send_jobs(connection)
        for job_id in running:
            self._finish_job(job_id, FAILED, INTERRUPTED)
        return len(running)

    def job(self, company: Company, job_id: int) -> SendJob:
        """A sending of `company` with each file's progress. Raises `NotFoundError` for another company's."""
        with self.database.read() as connection:
            job = self.repository.send_job(connection, job_id, company.id)
            files = self.repository.send_job_files(connection, job_id) if job else []
        if job is None:
            raise NotFoundError("Nie ma takiej wysyłki.")
        return SendJob(
            id=job["id"],
            state=job["state"],
            message=job["message"],
            session_reference=job["session_reference"],
            session_closed=job["session_closed"],
            files=tuple(
                SendJobFile(
                    position=item["position"],
                    name=item["file_name"],
                    stage=item["stage"],
                    invoice_reference=item["invoice_reference"],
                    ksef_number=item["ksef_number"],
                    message=item["message"],
                    sent_id=item["sent_id"],
                )
                for item in files
            ),
        )

    def has_queued(self) -> bool:
        with self.database.read() as connection:
            return bool(self.repository.queued_offline_invoices(connection))
