"""Offline invoices (issue 13, Obsługa Faktur's side): from an FA(3) file, KOD I (label "OFFLINE") and KOD II (label
"CERTYFIKAT", signed with the company's Type 2 certificate), a printable view, and the queue of invoices waiting to be
sent to KSeF with `offlineMode=true`.

Before issuing, `readiness` warns when the Type 2 certificate is missing (issuing is impossible), not Active in KSeF
at its last check, or about to expire. The invoice file is kept exactly as issued: its SHA-256 is in both codes and
is what KSeF will hash when it is sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ksef_mcu.client.environments import Environment
from ksef_mcu.clock import Clock
from ksef_mcu.crypto.errors import QrError
from ksef_mcu.crypto.qr import LABEL_CERTIFICATE, LABEL_OFFLINE, OfflineQrSigner, build_invoice_link
from ksef_mcu.documents.errors import DocumentError
from ksef_mcu.documents.forms import FA3
from ksef_mcu.documents.invoices import Invoice, read_invoice
from ksef_mcu.documents.schemas import FaSchemaValidator
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.errors import InvoicingError, NotFoundError
from ksef_mcu.invoicing.model import Company, Slot
from ksef_mcu.invoicing.repository import Repository
from ksef_mcu.invoicing.settings import SettingsService
from ksef_mcu.qr_images import render_qr_png, render_qr_svg
from ksef_mcu.storage.database import Database

__all__ = ["QUEUED", "REFUSED", "SENT", "OfflineInvoice", "OfflineService", "Readiness"]

EXPIRY_WARNING_DAYS = 30
QUEUED = "queued"
SENT = "sent"
REFUSED = "refused"
STATUS_LABELS = {
    QUEUED: "Wystawiona offline – czeka na wysłanie do KSeF",
    SENT: "Wysłana do KSeF",
    REFUSED: "Odrzucona przez KSeF",
}


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether offline invoices can be issued now, and what to warn about first."""

    can_issue: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OfflineInvoice:
    id: int
    company_id: int
    invoice_number: str
    seller_nip: str
    seller_name: str | None
    issue_date: str
    gross_total: str | None
    currency: str | None
    sha256: bytes
    content: bytes
    kod1_link: str
    kod2_link: str
    certificate_serial: str
    status: str
    ksef_number: str | None
    created_by: str
    created_at: dt.datetime
    send_message: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def kod1_label(self) -> str:
        """KOD I's label: the KSeF number once the invoice is in KSeF, "OFFLINE" before."""
        return self.ksef_number or LABEL_OFFLINE

    def image(self, code: int, kind: str) -> bytes:
        """KOD I (`code` 1) or KOD II (2) as `png` or `svg`, with its label."""
        link, label = (self.kod1_link, self.kod1_label) if code == 1 else (self.kod2_link, LABEL_CERTIFICATE)
        return render_qr_png(link, label) if kind == "png" else render_qr_svg(link, label)


def qr_base_url(config: InvoicingConfig) -> str:
    """The verification pages of the environment: our server's `/qr` (beside its API) or the Ministry's host."""
    if config.environment is Environment.LOCAL:
        return config.api_base_url.removesuffix("/v2") + "/qr"
    return config.environment.qr_base_url


class OfflineService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        config: InvoicingConfig,
        settings: SettingsService,
        schemas: FaSchemaValidator | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.config = config
        self.settings = settings
        self._schemas = schemas
        self.repository = Repository()

    @property
    def schemas(self) -> FaSchemaValidator:
        """The FA XSD validator, built on first use (the schemas are found and compiled once)."""
        if self._schemas is None:
            self._schemas = FaSchemaValidator()
        return self._schemas

    def readiness(self, company: Company) -> Readiness:
        certificate = self.settings.certificate(company, Slot.OFFLINE)
        if certificate is None:
            return Readiness(
                False,
                (
                    "Brak certyfikatu offline (Typ 2): bez niego faktury offline nie dostaną kodu QR „CERTYFIKAT” "
                    "(KOD II). Dodaj go w Ustawieniach → KSeF.",
                ),
            )
        now = self.clock.now()
        warnings = []
        days = certificate.days_left(now)
        if certificate.valid_to < now:
            return Readiness(False, ("Certyfikat offline (Typ 2) wygasł – uzyskaj nowy i zamień go w Ustawieniach.",))
        if days <= EXPIRY_WARNING_DAYS:
            warnings.append(
                f"Certyfikat offline (Typ 2) wygasa za {days} dni ({certificate.valid_to:%d.%m.%Y}): faktura musi "
                "trafić do KSeF, zanim zostanie zweryfikowana po tej dacie – uzyskaj nowy certyfikat."
            )
        if certificate.ksef_status is None:
            warnings.append(
                "Status certyfikatu offline w KSeF nie był jeszcze sprawdzany – użyj „Sprawdź połączenie” w sekcji "
                "certyfikatu offline, gdy KSeF jest dostępny."
            )
        elif certificate.ksef_status != "Active":
            warnings.append(
                f"Certyfikat offline (Typ 2) nie jest aktywny w KSeF (ostatnio: {certificate.ksef_status}): kod "
                "„CERTYFIKAT” na fakturze nie przejdzie weryfikacji. Uzyskaj nowy certyfikat offline."
            )
        return Readiness(True, tuple(warnings))

    def _read(self, data: bytes) -> tuple[Invoice, bool]:
        """The invoice, and whether it was validated against the XSD (when the schemas are installed)."""
        validated = self.schemas.available(FA3)
        try:
            invoice = read_invoice(data, schemas=self.schemas if validated else None, expected_form=FA3)
        except DocumentError as error:
            raise InvoicingError(f"Plik faktury: {error.message}", field="faktura") from error
        return invoice, validated

    def issue(self, company: Company, data: bytes, *, issued_by: str) -> tuple[OfflineInvoice, tuple[str, ...]]:
        """Issue an offline invoice: both codes, stored and queued for sending. Raises `InvoicingError`."""
        readiness = self.readiness(company)
        if not readiness.can_issue:
            raise InvoicingError(readiness.warnings[0], field="faktura")
        invoice, validated = self._read(data)
        company_nip = company.context_value.split("-", 1)[0]
        if invoice.seller_nip != company_nip:
            raise InvoicingError(
                f"Sprzedawcą na fakturze jest NIP {invoice.seller_nip}, a wybrana firma ma NIP {company_nip}. "
                "Wybierz właściwą firmę albo popraw fakturę.",
                field="faktura",
            )
        stored = self.settings.certificate(company, Slot.OFFLINE)
        if stored is None:  # pragma: no cover - checked by readiness
            raise NotFoundError("Brak certyfikatu offline.")
        loaded = self.settings.loaded(stored)
        now = self.clock.now()
        base = qr_base_url(self.config)
        try:
            signer = OfflineQrSigner(
                base,
                context_type=company.context_type,
                context_value=company.context_value,
                certificate=loaded.certificate,
                key=loaded.key,
                now=now,
            )
            kod2 = signer.link(invoice.seller_nip, data, now=now)
            kod1 = build_invoice_link(base, invoice.seller_nip, invoice.issue_date, data)
        except QrError as error:
            raise InvoicingError(f"Nie można podpisać kodu „CERTYFIKAT”: {error.message}", field="faktura") from error
        values: dict[str, Any] = {
            "company_id": company.id,
            "invoice_number": invoice.invoice_number,
            "seller_nip": invoice.seller_nip,
            "seller_name": invoice.seller_name,
            "issue_date": invoice.issue_date.isoformat(),
            "gross_total": str(invoice.gross_total) if invoice.gross_total is not None else None,
            "currency": invoice.currency,
            "sha256": invoice.sha256,
            "content": data,
            "kod1_link": kod1,
            "kod2_link": kod2,
            "certificate_serial": stored.serial_number,
            "status": QUEUED,
            "created_by": issued_by,
            "created_at": now,
        }
        with self.database.write() as connection:
            if self.repository.find_offline_invoice(connection, company.id, invoice.sha256) is not None:
                raise InvoicingError("Ta faktura (ten sam plik) została już wystawiona offline.", field="faktura")
            invoice_id = self.repository.add_offline_invoice(connection, values)
        notes = list(readiness.warnings)
        if not validated:
            notes.append(
                "Nie sprawdzono faktury ze schematem XSD FA(3) (schematy nie są zainstalowane: KSEF_MCU_SCHEMAS_DIR); "
                "KSeF sprawdzi ją przy wysyłce."
            )
        return self.get(company, int(invoice_id)), tuple(notes)

    def get(self, company: Company, invoice_id: int) -> OfflineInvoice:
        with self.database.read() as connection:
            values = self.repository.offline_invoice(connection, company.id, invoice_id)
        if values is None:
            raise NotFoundError("Nie ma takiej faktury.")
        return OfflineInvoice(**values)

    def list(self, company: Company) -> list[OfflineInvoice]:
        with self.database.read() as connection:
            return [OfflineInvoice(**values) for values in self.repository.offline_invoices(connection, company.id)]
