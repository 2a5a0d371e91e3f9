"""`/certyfikaty/*` — "Wnioskuj o certyfikat" (key and request made in the browser, then sent), the request's status
with its three choices, "Lista certyfikatów" (filters, paging, downloading 1–10, "Unieważnij")."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Path, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ksef_mcu import formatting
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.certificates.errors import (
    CertificateLimitReachedError,
    CertificateNotFoundError,
    EnrollmentLimitReachedError,
)
from ksef_mcu.server.certificates.model import (
    CertificateFilter,
    CertificateRecord,
    CertificateStatus,
    EnrollmentStatusCode,
    RevocationReason,
)
from ksef_mcu.server.certificates.policy import EnrollmentRequest, add_years, same_key_may_succeed
from ksef_mcu.server.certificates.registration import LimitsReport
from ksef_mcu.server.errors import BadRequestError
from ksef_mcu.server.http.deps import run_service
from ksef_mcu.server.web.fields import FieldProblem, certificate_name_from, validity_start_from
from ksef_mcu.server.web.messages import enrollment_outcome, error_lines
from ksef_mcu.server.web.screens import WebComponents, WebPrincipal, screens_of, web_components
from ksef_mcu.web.forms import FormErrors, read_form
from ksef_mcu.web.sessions import session_of

certificates_router = APIRouter(include_in_schema=False)

SMALL_FORM = 16 * 1024
ENROLLMENT_FORM = 64 * 1024
PAGE_SIZES = (10, 20, 50)
MAX_DOWNLOAD = 10
ENROLL = "/certyfikaty/wniosek"
LIST = "/certyfikaty/lista"
PURPOSES = [
    (KsefCertificateType.AUTHENTICATION.value, "Uwierzytelnienie w systemie KSeF"),
    (KsefCertificateType.OFFLINE.value, "Podpis linku we weryfikacji wystawcy"),
]
REVOCATION_REASONS = [
    (RevocationReason.UNSPECIFIED.value, "Nieokreślony"),
    (RevocationReason.SUPERSEDED.value, "Certyfikat został zastąpiony przez inny"),
    (RevocationReason.KEY_COMPROMISE.value, "Klucz prywatny został ujawniony (skompromitowany)"),
]
STATUS_CHOICES = [("", "Wszystkie"), *formatting.CERTIFICATE_STATUS_LABELS.items()]
TYPE_CHOICES = [("", "Wszystkie"), *formatting.CERTIFICATE_TYPE_SHORT_LABELS.items()]
SERIAL = re.compile(r"[0-9A-Fa-f]{16}")
ReferencePath = Path(min_length=36, max_length=36, pattern=r"^[0-9A-Za-z-]{36}$")
SerialPath = Path(min_length=16, max_length=16, pattern=r"^[0-9A-Fa-f]{16}$")


def _today(components: WebComponents) -> Any:
    return formatting.polish_date(components.clock.now())


def _limit_dialog(report: LimitsReport, window_days: int) -> dict[str, str] | None:
    """The "limit reached" dialog (its words follow the MCU's), or None when another request is possible."""
    if report.can_request:
        return None
    if report.certificates_remaining == 0:
        return {
            "title": "Wnioskowanie o certyfikat",
            "heading": "Osiągnięto limit",
            "text": (
                f"Wyczerpałeś limit certyfikatów: masz {report.usage.certificates} z "
                f"{report.limits.max_certificates} dozwolonych (wraz z wnioskami w realizacji). Unieważnij na liście "
                "certyfikatów ten, którego już nie używasz, albo poczekaj, aż któryś wygaśnie."
            ),
        }
    return {
        "title": "Wnioskowanie o certyfikat",
        "heading": "Osiągnięto limit",
        "text": (
            f"Wyczerpałeś limit wniosków o certyfikat: {report.limits.max_enrollments} w ciągu {window_days} dni. "
            f"Kolejny wniosek będzie możliwy, gdy najstarszy z nich będzie miał więcej niż {window_days} dni."
        ),
    }


async def _enroll_page(
    request: Request,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
    limit_error: str | None = None,
) -> Response:
    components = web_components(request)
    settings = components.settings
    report = await run_service(components, components.enrollment.limits, principal)
    data = await run_service(components, components.enrollment.enrollment_data, principal)
    today = _today(components)
    max_days = settings.max_valid_from_ahead.days
    window = max(1, round(settings.enrollment_limit_window / timedelta(days=1)))
    dialog = _limit_dialog(report, window)
    if dialog is None and limit_error is not None:
        dialog = {"title": "Wnioskowanie o certyfikat", "heading": "Osiągnięto limit", "text": limit_error}
    context = {
        "values": {"przeznaczenie": KsefCertificateType.AUTHENTICATION.value, **(values or {})},
        "errors": errors or FormErrors(),
        "enrollment_data": data.to_api(),
        "limits": report,
        "limit_window_days": window,
        "limit_dialog": dialog,
        "purposes": PURPOSES,
        "today": today.isoformat(),
        "latest": (today + timedelta(days=max_days)).isoformat(),
        "valid_to": add_years(datetime.combine(today, datetime.min.time()), 2).date().isoformat(),
        "max_days": max_days,
    }
    return screens_of(request).render(request, "enroll.html", context, status_code=status_code)


@certificates_router.get("/certyfikaty")
async def certificates_home(principal: WebPrincipal) -> Response:
    return RedirectResponse(ENROLL, status_code=303)


@certificates_router.get(ENROLL)
async def enroll_form(request: Request, principal: WebPrincipal) -> Response:
    return await _enroll_page(request, principal)


@certificates_router.post(ENROLL)
async def enroll(request: Request, principal: WebPrincipal) -> Response:
    form = await read_form(request, max_bytes=ENROLLMENT_FORM)
    components = web_components(request)
    values = {name: form.text(name) for name in ("nazwa", "csr", "przeznaczenie", "wazny-od")}
    errors = FormErrors()
    name = values["nazwa"]
    try:
        name = certificate_name_from(values["nazwa"])
    except FieldProblem as problem:
        errors.add("nazwa-certyfikatu", problem.message)
    if not values["csr"]:
        errors.add("", "Najpierw wygeneruj klucz i wniosek przyciskiem „Generuj”.")
    purposes = dict(PURPOSES)
    if values["przeznaczenie"] not in purposes:
        errors.add("przeznaczenie", "Wybierz przeznaczenie certyfikatu.")
    start = None
    try:
        start = validity_start_from(
            values["wazny-od"], today=_today(components), max_days_ahead=components.settings.max_valid_from_ahead.days
        )
    except FieldProblem as problem:
        errors.add(problem.field, problem.message)
    if errors or start is None:
        return await _enroll_page(request, principal, values=values, errors=errors, status_code=400)
    enrollment = EnrollmentRequest(
        certificate_name=name,
        certificate_type=KsefCertificateType(values["przeznaczenie"]),
        csr=values["csr"],
        valid_from=None if start.is_today else formatting.start_of_day(start.day),
    )
    try:
        accepted = await run_service(components, components.enrollment.submit, principal, enrollment)
    except (EnrollmentLimitReachedError, CertificateLimitReachedError) as error:
        return await _enroll_page(
            request, principal, values=values, status_code=400, limit_error=" ".join(error.details)
        )
    except BadRequestError as error:
        errors.add("", "Serwer nie przyjął wniosku: " + " ".join(error_lines(error)))
        errors.add("", "Nic nie zostało zapisane. Wygeneruj klucz i wniosek ponownie.")
        values["csr"] = ""
        return await _enroll_page(request, principal, values=values, errors=errors, status_code=400)
    return RedirectResponse(f"/certyfikaty/wnioski/{accepted.reference_number}", status_code=303)


# --- the request's status -------------------------------------------------------------------------------------------


@certificates_router.get("/certyfikaty/wnioski/{reference}")
async def enrollment_status(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    components = web_components(request)
    report = await run_service(components, components.enrollment.status, principal, reference)
    certificate = None
    if report.serial_number is not None:
        found = await run_service(components, components.certificates.retrieve, principal, [report.serial_number])
        certificate = found[0] if found else None
    context = {
        "reference": reference,
        "report": report,
        "certificate": certificate,
        "pending": report.status.code is EnrollmentStatusCode.ACCEPTED,
        "explanation": enrollment_outcome(report.status),
        "may_resubmit": same_key_may_succeed(report.status),
    }
    return screens_of(request).render(request, "enrollment_status.html", context)


@certificates_router.get("/certyfikaty/wnioski/{reference}/stan")
async def enrollment_state(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    """For the status page's script: the status code, to reload the page once the request has ended."""
    components = web_components(request)
    report = await run_service(components, components.enrollment.status, principal, reference)
    return JSONResponse({"code": int(report.status.code)}, headers={"Cache-Control": "no-store"})


@certificates_router.get("/certyfikaty/wnioski/{reference}/certyfikat")
async def enrollment_certificate(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    components = web_components(request)
    report = await run_service(components, components.enrollment.status, principal, reference)
    found = (
        await run_service(components, components.certificates.retrieve, principal, [report.serial_number])
        if report.serial_number
        else []
    )
    if not found:
        session_of(request).flash("Certyfikat z tego wniosku nie jest jeszcze wystawiony.", "blad")
        return RedirectResponse(f"/certyfikaty/wnioski/{reference}", status_code=303)
    return _pem_download(found[0])


@certificates_router.post("/certyfikaty/wnioski/{reference}/ponowienie")
async def resubmit(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    await read_form(request, max_bytes=SMALL_FORM)
    components = web_components(request)
    try:
        accepted = await run_service(components, components.enrollment.resubmit, principal, reference)
    except (EnrollmentLimitReachedError, CertificateLimitReachedError) as error:
        session_of(request).flash(" ".join(error.details), "blad")
        return RedirectResponse(f"/certyfikaty/wnioski/{reference}", status_code=303)
    session_of(request).flash("Wniosek wysłany ponownie z tym samym kluczem.", "sukces")
    return RedirectResponse(f"/certyfikaty/wnioski/{accepted.reference_number}", status_code=303)


# --- downloads -------------------------------------------------------------------------------------------------------


def _file_name(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip() or "certyfikat"


def _content_disposition(file_name: str) -> str:
    fallback = file_name.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name)}"


def _pem(record: CertificateRecord) -> bytes:
    return x509.load_der_x509_certificate(record.der).public_bytes(Encoding.PEM)


def _pem_download(record: CertificateRecord) -> Response:
    return Response(
        _pem(record),
        media_type="application/x-pem-file",
        headers={"Content-Disposition": _content_disposition(f"{_file_name(record.name)}.crt")},
    )


def _zip_download(records: list[CertificateRecord]) -> Response:
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            name = f"{_file_name(record.name)}.crt"
            if name.lower() in used:
                name = f"{_file_name(record.name)} ({record.serial_number}).crt"
            used.add(name.lower())
            archive.writestr(name, _pem(record))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": _content_disposition("certyfikaty-KSeF.zip")},
    )


# --- the list --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListQuery:
    values: dict[str, str]
    criteria: CertificateFilter
    page: int
    page_size: int

    def url(self, page: int) -> str:
        params = {key: value for key, value in self.values.items() if value}
        params["strona"] = str(page)
        return f"{LIST}?{urlencode(params)}"


def _list_query(request: Request, errors: FormErrors) -> ListQuery:
    params = request.query_params
    names = ("nazwa", "numer", "typ", "status", "wygasa-po", "na-stronie")
    values = {name: params.get(name, "").strip() for name in names}
    page_size = int(values["na-stronie"]) if values["na-stronie"] in {str(size) for size in PAGE_SIZES} else 10
    if page_size == PAGE_SIZES[0]:
        values["na-stronie"] = ""
    serial = values["numer"].upper() or None
    if serial is not None and not SERIAL.fullmatch(serial):
        errors.add("numer", "Numer seryjny to 16 znaków szesnastkowych (0–9, A–F).")
        serial = None
    certificate_type = KsefCertificateType(values["typ"]) if values["typ"] in ("Authentication", "Offline") else None
    status = CertificateStatus(values["status"]) if values["status"] in formatting.CERTIFICATE_STATUS_LABELS else None
    expires_after = None
    if values["wygasa-po"]:
        try:
            expires_after = formatting.start_of_day(datetime.fromisoformat(values["wygasa-po"]).date())
        except ValueError:
            errors.add("wygasa-po", "Podaj datę w formacie RRRR-MM-DD.")
    if len(values["nazwa"]) > 100:
        errors.add("nazwa", "Nazwa może mieć najwyżej 100 znaków.")
    page = int(params["strona"]) if params.get("strona", "").isdigit() and int(params["strona"]) > 0 else 1
    criteria = CertificateFilter(
        serial_number=serial,
        name=values["nazwa"][:100] or None,
        certificate_type=certificate_type,
        status=status,
        expires_after=expires_after,
    )
    return ListQuery(values, criteria, page, page_size)


async def _list_page(
    request: Request, principal: Principal, *, errors: FormErrors | None = None, status_code: int = 200
) -> Response:
    errors = errors or FormErrors()
    query = _list_query(request, errors)
    components = web_components(request)
    page = await run_service(
        components,
        components.certificates.query,
        principal,
        query.criteria,
        page_size=query.page_size,
        page_offset=query.page - 1,
    )
    rows = [(record, record.status_at(page.as_of)) for record in page.certificates]
    context = {
        "rows": rows,
        "query": query,
        "has_more": page.has_more,
        "errors": errors,
        "status_choices": STATUS_CHOICES,
        "type_choices": TYPE_CHOICES,
        "max_download": MAX_DOWNLOAD,
        "page_sizes": [(str(size), str(size)) for size in PAGE_SIZES],
        "filtered": any(query.values.values()),
    }
    return screens_of(request).render(request, "certificates.html", context, status_code=status_code)


@certificates_router.get(LIST)
async def certificate_list(request: Request, principal: WebPrincipal) -> Response:
    return await _list_page(request, principal)


@certificates_router.post(LIST + "/pobierz")
async def download(request: Request, principal: WebPrincipal) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    serials = list(dict.fromkeys(serial.strip().upper() for serial in form.texts("certyfikat")))
    errors = FormErrors()
    if not serials:
        errors.add("", "Zaznacz co najmniej jeden certyfikat do pobrania.")
    elif len(serials) > MAX_DOWNLOAD:
        errors.add(
            "",
            f"Zaznaczono {len(serials)} certyfikatów — naraz można pobrać od 1 do {MAX_DOWNLOAD}. "
            "Odznacz część i spróbuj ponownie.",
        )
    elif bad := [serial for serial in serials if not SERIAL.fullmatch(serial)]:
        errors.add("", f"Nieprawidłowy numer seryjny: {', '.join(bad)}.")
    if errors:
        return await _list_page(request, principal, errors=errors, status_code=400)
    components = web_components(request)
    records = await run_service(components, components.certificates.retrieve, principal, serials)
    found = {record.serial_number for record in records}
    now = components.clock.now()
    for serial in serials:
        if serial not in found:
            errors.add("", f"Nie znaleziono certyfikatu o numerze {serial} wśród Twoich certyfikatów.")
    for record in records:
        status = record.status_at(now)
        if status is not CertificateStatus.ACTIVE:
            label = formatting.CERTIFICATE_STATUS_LABELS[status.value].lower()
            errors.add("", f"Certyfikat {record.serial_number} ({record.name}) jest {label} — pobrać można aktywne.")
    if errors:
        return await _list_page(request, principal, errors=errors, status_code=400)
    return _pem_download(records[0]) if len(records) == 1 else _zip_download(records)


# --- revocation ------------------------------------------------------------------------------------------------------


async def _own_certificate(request: Request, principal: Principal, serial: str) -> CertificateRecord | None:
    components = web_components(request)
    found = await run_service(components, components.certificates.retrieve, principal, [serial.upper()])
    return found[0] if found else None


async def _revoke_page(
    request: Request,
    principal: Principal,
    serial: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    record = await _own_certificate(request, principal, serial)
    if record is None:
        raise CertificateNotFoundError(serial.upper())
    context = {
        "certificate": record,
        "status": record.status_at(web_components(request).clock.now()),
        "reasons": REVOCATION_REASONS,
        "values": values or {"powod": RevocationReason.UNSPECIFIED.value},
        "errors": errors or FormErrors(),
    }
    return screens_of(request).render(request, "revoke.html", context, status_code=status_code)


@certificates_router.get("/certyfikaty/{serial}/uniewaznienie")
async def revoke_form(request: Request, principal: WebPrincipal, serial: str = SerialPath) -> Response:
    return await _revoke_page(request, principal, serial)


@certificates_router.post("/certyfikaty/{serial}/uniewaznienie")
async def revoke(request: Request, principal: WebPrincipal, serial: str = SerialPath) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    values = {"powod": form.text("powod"), "potwierdzenie": form.text("potwierdzenie")}
    errors = FormErrors()
    if values["powod"] not in dict(REVOCATION_REASONS):
        errors.add("powod", "Wybierz powód unieważnienia.")
    if values["potwierdzenie"] != "tak":
        errors.add("potwierdzenie", "Potwierdź, że rozumiesz, iż unieważnienia nie można cofnąć.")
    if errors:
        return await _revoke_page(request, principal, serial, values=values, errors=errors, status_code=400)
    components = web_components(request)
    record = await _own_certificate(request, principal, serial)
    await run_service(components, components.certificates.revoke, principal, serial, RevocationReason(values["powod"]))
    name = record.name if record is not None else serial
    session_of(request).flash(f"Certyfikat {name} ({serial.upper()}) został unieważniony.", "sukces")
    return RedirectResponse(LIST, status_code=303)
