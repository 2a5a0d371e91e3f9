"""API tags "Wysyłka interaktywna", "Status wysyłki i UPO" and "Pobieranie faktur": online sessions with the
encryption done for the caller, invoice statuses, UPOs, invoices by KSeF number, and `send_invoices`, the whole
sending of many invoices in one call."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pydantic import TypeAdapter

from ksef_mcu.client._core import ApiRequest, ApiResponse, Auth, ClientState, Flow, call, parse_adapter, parse_model
from ksef_mcu.client._faces import D, Face, Page, listing, operation
from ksef_mcu.client._operations.polling import poll
from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models.security import (
    PublicKeyCertificate,
    PublicKeyCertificateUsage,
    select_public_key_certificate,
)
from ksef_mcu.client.models.sessions import (
    FA2_FORM_CODE,
    FA3_FORM_CODE,
    OnlineSession,
    OpenedSession,
    SentInvoice,
    SessionInvoicePage,
    SessionInvoiceStatus,
    SessionListItem,
    SessionPage,
    SessionStatus,
    XmlDocument,
)
from ksef_mcu.client.validation import validate_reference_number, validate_timeout
from ksef_mcu.crypto.encryption import EncryptionError, SessionKey, encrypt_invoice, session_encryption

__all__ = ["InvoiceOutcome", "SendProgress", "SendReport", "SessionsOperations"]

_PUBLIC_KEYS = TypeAdapter(list[PublicKeyCertificate])
FORM_CODES = {"FA (3)": FA3_FORM_CODE, "FA (2)": FA2_FORM_CODE, "FA3": FA3_FORM_CODE, "FA2": FA2_FORM_CODE}
DEFAULT_PROCESSING_TIMEOUT = 300.0
LIST_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class InvoiceOutcome:
    """One invoice of `send_invoices`: its name (file name or position), reference, final status and, when it got a
    KSeF number, its UPO."""

    name: str
    reference_number: str
    status: SessionInvoiceStatus
    upo: XmlDocument | None = None

    @property
    def ksef_number(self) -> str | None:
        return self.status.ksef_number


@dataclass(frozen=True, slots=True)
class SendReport:
    """What `send_invoices` did: the session, each invoice's outcome (in the order given), the session's final
    status and its collective UPO pages."""

    session_reference: str
    invoices: tuple[InvoiceOutcome, ...]
    session: SessionStatus
    session_upo: tuple[XmlDocument, ...] = field(default=())

    @property
    def succeeded(self) -> tuple[InvoiceOutcome, ...]:
        return tuple(item for item in self.invoices if item.status.status.succeeded)

    @property
    def failed(self) -> tuple[InvoiceOutcome, ...]:
        return tuple(item for item in self.invoices if not item.status.status.succeeded)


SendProgress = Callable[[str, int, int], None]
"""`on_progress(stage, done, total)`: stage is "sent", "processed" or "upo"."""


def _form_code(form: str | tuple[str, str, str]) -> tuple[str, str, str]:
    if isinstance(form, tuple):
        return form
    code = FORM_CODES.get(form)
    if code is None:
        raise KsefInvalidInputError(f"Nieobsługiwany formularz {form!r}; dozwolone: FA (3), FA (2).", field="form")
    return code


def _document(result: ApiResponse) -> XmlDocument:
    response = result.response
    return XmlDocument(response.content, response.headers.get("x-ms-meta-hash"))


def _invoice_status(state: ClientState, session: str, invoice: str) -> Flow[SessionInvoiceStatus]:
    request = ApiRequest("GET", f"/sessions/{session}/invoices/{invoice}", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), SessionInvoiceStatus, request)


def _session_status(state: ClientState, session: str) -> Flow[SessionStatus]:
    request = ApiRequest("GET", f"/sessions/{session}", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), SessionStatus, request)


def _open(state: ClientState, form: str | tuple[str, str, str], key: SessionKey | None) -> Flow[OnlineSession]:
    code = _form_code(form)
    keys_request = ApiRequest("GET", "/security/public-key-certificates", idempotent=True)
    keys = parse_adapter((yield from call(state, keys_request)), _PUBLIC_KEYS, keys_request)
    certificate = select_public_key_certificate(
        keys, PublicKeyCertificateUsage.SYMMETRIC_KEY_ENCRYPTION, now=state.now()
    )
    if certificate is None:
        raise KsefInvalidInputError(
            "KSeF nie udostępnia ważnego certyfikatu SymmetricKeyEncryption do zaszyfrowania klucza sesji.",
            field="key",
        )
    key = key or SessionKey.generate()
    try:
        encryption = session_encryption(key, certificate.certificate, public_key_id=certificate.public_key_id)
    except EncryptionError as error:
        raise KsefInvalidInputError(str(error), field="key") from None
    request = ApiRequest(
        "POST",
        "/sessions/online",
        auth=Auth.ACCESS,
        json={
            "formCode": {"systemCode": code[0], "schemaVersion": code[1], "value": code[2]},
            "encryption": {
                "encryptedSymmetricKey": encryption.encrypted_symmetric_key,
                "initializationVector": encryption.initialization_vector,
                "publicKeyId": encryption.public_key_id,
            },
        },
    )
    opened = parse_model((yield from call(state, request)), OpenedSession, request)
    return OnlineSession(opened.reference_number, opened.valid_until, key, code)


def _send(
    state: ClientState,
    session: OnlineSession,
    invoice: bytes,
    *,
    offline_mode: bool,
    hash_of_corrected_invoice: str | None,
) -> Flow[str]:
    if not isinstance(invoice, bytes) or not invoice:
        raise KsefInvalidInputError("Faktura musi być niepustym ciągiem bajtów (plik XML).", field="invoice")
    encrypted = encrypt_invoice(invoice, session.key)
    body: dict[str, object] = {
        "invoiceHash": encrypted.plain.sha256_base64,
        "invoiceSize": encrypted.plain.size,
        "encryptedInvoiceHash": encrypted.encrypted.sha256_base64,
        "encryptedInvoiceSize": encrypted.encrypted.size,
        "encryptedInvoiceContent": encrypted.content_base64,
        "offlineMode": offline_mode,
    }
    if hash_of_corrected_invoice is not None:
        body["hashOfCorrectedInvoice"] = hash_of_corrected_invoice
    reference = validate_reference_number(session.reference_number)
    request = ApiRequest("POST", f"/sessions/online/{reference}/invoices", auth=Auth.ACCESS, json=body)
    return parse_model((yield from call(state, request)), SentInvoice, request).reference_number


class SessionsOperations(Face[D]):
    """Online sessions: open (the AES key made and wrapped for you), send invoices (encrypted for you), close,
    statuses, UPOs; `send_invoices` does all of it for many invoices."""

    @operation
    def open_online(
        self, form: str | tuple[str, str, str] = "FA (3)", *, key: SessionKey | None = None
    ) -> Flow[OnlineSession]:
        """`POST /sessions/online`: a new AES-256 key and IV (or `key`), wrapped with RSA-OAEP SHA-256 under KSeF's
        current SymmetricKeyEncryption certificate (`GET /security/public-key-certificates`). `form` is "FA (3)"
        (default) or "FA (2)". Keep the returned session: its key encrypts the session's invoices."""
        return _open(self._state, form, key)

    @operation
    def send_invoice(
        self,
        session: OnlineSession,
        invoice: bytes,
        *,
        offline_mode: bool = False,
        hash_of_corrected_invoice: str | None = None,
    ) -> Flow[str]:
        """`POST /sessions/online/{ref}/invoices` (never retried: a resend is a new invoice, refused as a duplicate
        once the first is numbered): encrypts `invoice` (the XML bytes exactly as hashed for KOD I) with the
        session's key, declares both hashes and sizes; returns the invoice's reference number."""
        return _send(
            self._state,
            session,
            invoice,
            offline_mode=offline_mode,
            hash_of_corrected_invoice=hash_of_corrected_invoice,
        )

    @operation
    def close(self, reference_number: str) -> Flow[None]:
        """`POST /sessions/online/{ref}/close`: no more invoices; the collective UPO is made (status 170 → 200)."""
        reference = validate_reference_number(reference_number)
        yield from call(self._state, ApiRequest("POST", f"/sessions/online/{reference}/close", auth=Auth.ACCESS))

    @operation
    def status(self, reference_number: str) -> Flow[SessionStatus]:
        """`GET /sessions/{ref}`."""
        return _session_status(self._state, validate_reference_number(reference_number))

    @operation
    def wait_closed(self, reference_number: str, timeout: float = DEFAULT_PROCESSING_TIMEOUT) -> Flow[SessionStatus]:
        """Poll `GET /sessions/{ref}` until the session is past 100/170 (after `close`)."""
        state, reference = self._state, validate_reference_number(reference_number)

        def fetch() -> Flow[SessionStatus]:
            status = yield from _session_status(state, reference)
            return status

        deadline_status = yield from poll(
            state,
            fetch,
            lambda result: result.status if result.finished else result.status.model_copy(update={"code": 150}),
            reference_number=reference,
            timeout=validate_timeout(timeout),
            on_progress=None,
            what="Sesja",
        )
        return deadline_status

    @operation
    def invoice(self, reference_number: str, invoice_reference_number: str) -> Flow[SessionInvoiceStatus]:
        """`GET /sessions/{ref}/invoices/{invoiceRef}`."""
        return _invoice_status(
            self._state,
            validate_reference_number(reference_number),
            validate_reference_number(invoice_reference_number),
        )

    @operation
    def wait_for_invoice(
        self,
        reference_number: str,
        invoice_reference_number: str,
        timeout: float = DEFAULT_PROCESSING_TIMEOUT,
        on_progress: Callable[[SessionInvoiceStatus], None] | None = None,
    ) -> Flow[SessionInvoiceStatus]:
        """Poll the invoice's status until it is final (200 with its KSeF number, or a refusal: see `.status`)."""
        state = self._state
        session, invoice = (
            validate_reference_number(reference_number),
            validate_reference_number(invoice_reference_number),
        )
        return (
            yield from poll(
                state,
                lambda: _invoice_status(state, session, invoice),
                lambda result: result.status,
                reference_number=invoice,
                timeout=validate_timeout(timeout),
                on_progress=on_progress,
                what="Faktura",
            )
        )

    @listing
    def invoices(self, reference_number: str, *, failed_only: bool = False) -> Flow[Page[SessionInvoiceStatus]]:
        """Every invoice of a session in order (`GET /sessions/{ref}/invoices`, or `/invoices/failed`)."""
        return _invoice_pages(self._state, validate_reference_number(reference_number), failed_only, None)

    @listing
    def list(self, *, session_type: str = "Online", statuses: Sequence[str] = ()) -> Flow[Page[SessionListItem]]:
        """`GET /sessions` (all pages, newest first): the context's sessions (own ones with InvoiceWrite only)."""
        return _session_pages(self._state, session_type, list(statuses), None)

    @operation
    def invoice_upo(
        self, reference_number: str, *, invoice_reference_number: str | None = None, ksef_number: str | None = None
    ) -> Flow[XmlDocument]:
        """The signed UPO of one invoice (by its reference number or its KSeF number), with `x-ms-meta-hash`."""
        reference = validate_reference_number(reference_number)
        if (invoice_reference_number is None) == (ksef_number is None):
            raise KsefInvalidInputError(
                "Podaj numer referencyjny faktury albo jej numer KSeF.", field="invoice_reference_number"
            )
        path = (
            f"/sessions/{reference}/invoices/{validate_reference_number(invoice_reference_number)}/upo"
            if invoice_reference_number is not None
            else f"/sessions/{reference}/invoices/ksef/{ksef_number}/upo"
        )
        result = yield from call(self._state, ApiRequest("GET", path, auth=Auth.ACCESS, idempotent=True))
        return _document(result)

    @operation
    def session_upo(self, reference_number: str, upo_reference_number: str) -> Flow[XmlDocument]:
        """One page of a closed session's collective UPO (`GET /sessions/{ref}/upo/{upoRef}`)."""
        reference, upo = validate_reference_number(reference_number), validate_reference_number(upo_reference_number)
        request = ApiRequest("GET", f"/sessions/{reference}/upo/{upo}", auth=Auth.ACCESS, idempotent=True)
        return _document((yield from call(self._state, request)))

    @operation
    def invoice_by_ksef_number(self, ksef_number: str) -> Flow[XmlDocument]:
        """`GET /invoices/ksef/{ksefNumber}`: the invoice file as KSeF stores it (needs InvoiceRead)."""
        if not isinstance(ksef_number, str) or not 35 <= len(ksef_number) <= 36:
            raise KsefInvalidInputError(f"Nieprawidłowy numer KSeF: {ksef_number!r}.", field="ksef_number")
        request = ApiRequest("GET", f"/invoices/ksef/{ksef_number}", auth=Auth.ACCESS, idempotent=True)
        return _document((yield from call(self._state, request)))

    @operation
    def send_invoices(
        self,
        invoices: Sequence[bytes | str | Path],
        *,
        form: str | tuple[str, str, str] = "FA (3)",
        offline_mode: bool = False,
        on_progress: SendProgress | None = None,
        timeout: float = DEFAULT_PROCESSING_TIMEOUT,
        fetch_upo: bool = True,
    ) -> Flow[SendReport]:
        """Send many invoices in one online session: open it, send each (bytes, or a path to an XML file), wait for
        every status (KSeF number or refusal), fetch each numbered invoice's UPO, close the session and wait for its
        collective UPO. `on_progress(stage, done, total)` is told after each step ("sent", "processed", "upo")."""
        items: list[tuple[str, bytes]] = []
        for index, item in enumerate(invoices):
            if isinstance(item, bytes):
                items.append((f"#{index + 1}", item))
            else:
                path = Path(item)
                try:
                    items.append((path.name, path.read_bytes()))
                except OSError as error:
                    raise KsefInvalidInputError(
                        f"Nie można odczytać pliku {path}: {error.strerror}.", field="invoices"
                    ) from None
        if not items:
            raise KsefInvalidInputError("Nie podano faktur do wysłania.", field="invoices")
        state, total = self._state, len(items)
        timeout = validate_timeout(timeout)
        session = yield from _open(state, form, None)
        references: list[str] = []
        for done, (_, content) in enumerate(items, start=1):
            references.append(
                (yield from _send(state, session, content, offline_mode=offline_mode, hash_of_corrected_invoice=None))
            )
            if on_progress is not None:
                on_progress("sent", done, total)
        statuses: list[SessionInvoiceStatus] = []
        for done, reference in enumerate(references, start=1):
            status = yield from poll(
                state,
                partial(_invoice_status, state, session.reference_number, reference),
                lambda result: result.status,
                reference_number=reference,
                timeout=timeout,
                on_progress=None,
                what="Faktura",
            )
            statuses.append(status)
            if on_progress is not None:
                on_progress("processed", done, total)
        outcomes: list[InvoiceOutcome] = []
        for done, ((name, _), reference, status) in enumerate(zip(items, references, statuses, strict=True), start=1):
            upo = None
            if fetch_upo and status.status.succeeded:
                request = ApiRequest(
                    "GET",
                    f"/sessions/{session.reference_number}/invoices/{reference}/upo",
                    auth=Auth.ACCESS,
                    idempotent=True,
                )
                upo = _document((yield from call(state, request)))
                if on_progress is not None:
                    on_progress("upo", done, total)
            outcomes.append(InvoiceOutcome(name, reference, status, upo))
        yield from call(
            state, ApiRequest("POST", f"/sessions/online/{session.reference_number}/close", auth=Auth.ACCESS)
        )
        final = yield from poll(
            state,
            lambda: _session_status(state, session.reference_number),
            lambda result: result.status if result.finished else result.status.model_copy(update={"code": 150}),
            reference_number=session.reference_number,
            timeout=timeout,
            on_progress=None,
            what="Sesja",
        )
        pages: list[XmlDocument] = []
        if fetch_upo and final.upo is not None:
            for page in final.upo.pages:
                request = ApiRequest(
                    "GET",
                    f"/sessions/{session.reference_number}/upo/{page.reference_number}",
                    auth=Auth.ACCESS,
                    idempotent=True,
                )
                pages.append(_document((yield from call(state, request))))
        return SendReport(session.reference_number, tuple(outcomes), final, tuple(pages))


def _invoice_pages(
    state: ClientState, reference: str, failed_only: bool, continuation: str | None
) -> Flow[Page[SessionInvoiceStatus]]:
    path = f"/sessions/{reference}/invoices/failed" if failed_only else f"/sessions/{reference}/invoices"
    request = ApiRequest(
        "GET",
        path,
        auth=Auth.ACCESS,
        idempotent=True,
        params={"pageSize": LIST_PAGE_SIZE},
        headers={"x-continuation-token": continuation} if continuation else None,
    )
    page = parse_model((yield from call(state, request)), SessionInvoicePage, request)
    if not (page.continuation_token and page.invoices):
        return Page(page.invoices)
    return Page(page.invoices, _invoice_pages(state, reference, failed_only, page.continuation_token))


def _session_pages(
    state: ClientState, session_type: str, statuses: list[str], continuation: str | None
) -> Flow[Page[SessionListItem]]:
    params: dict[str, str | int | list[str]] = {"sessionType": session_type, "pageSize": LIST_PAGE_SIZE}
    if statuses:
        params["statuses"] = statuses
    request = ApiRequest(
        "GET",
        "/sessions",
        auth=Auth.ACCESS,
        idempotent=True,
        params=params,
        headers={"x-continuation-token": continuation} if continuation else None,
    )
    page = parse_model((yield from call(state, request)), SessionPage, request)
    if not (page.continuation_token and page.sessions):
        return Page(page.sessions)
    return Page(page.sessions, _session_pages(state, session_type, statuses, page.continuation_token))


def encode_hash(digest: bytes) -> str:
    """A SHA-256 digest as the API writes it (standard Base64)."""
    return base64.b64encode(digest).decode("ascii")
