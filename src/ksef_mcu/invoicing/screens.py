"""The pages of Obsługa Faktur. Routes only read the input, call one service and shape the page; the services hold
the policy. Blocking work (password hashing, the database, the live KSeF login) runs in a thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ksef_mcu.invoicing.errors import AccessDeniedError, InvoicingError, NotFoundError, UploadRefusedError
from ksef_mcu.invoicing.model import SLOT_TITLES, Company, Slot, User
from ksef_mcu.invoicing.offline import OfflineInvoice
from ksef_mcu.invoicing.passwords import MIN_PASSWORD_LENGTH
from ksef_mcu.invoicing.sending import SendJob
from ksef_mcu.invoicing.services import Invoicing
from ksef_mcu.invoicing.uploads import CertificateUpload
from ksef_mcu.web.errors import LoginRequiredError, PageError, PayloadTooLargeError, SessionExpiredError
from ksef_mcu.web.forms import FormErrors, SubmittedForm, read_form
from ksef_mcu.web.pages import ErrorPages, install_error_pages
from ksef_mcu.web.sessions import session_of
from ksef_mcu.web.static import StaticAssets
from ksef_mcu.web.templates import Templates

__all__ = ["Screens"]

P = ParamSpec("P")
R = TypeVar("R")

SMALL_FORM = 16_384
UPLOAD_FORM = 12 * 1_048_576
"""A certificate form: up to two files; a file over 1 MB gets a message by the checks, a form over 12 MB a page."""
INVOICE_FORM = 11 * 1_048_576
"""An invoice file: 1 MB, or 3 MB with attachments (KSeF's limits); the form is cut off above that."""
SEND_FORM = 50 * 1_048_576
MAX_SEND_FILES = 100
USER_KEY = "uzytkownik"
COMPANY_KEY = "firma"


def _slot(request: Request) -> Slot:
    try:
        return Slot(int(request.path_params["slot"]))
    except (ValueError, KeyError):
        raise PageError(title="Nie znaleziono strony", message="Nie ma takiego certyfikatu.") from None


class Screens:
    def __init__(self, invoicing: Invoicing, static: StaticAssets) -> None:
        self.invoicing = invoicing
        self.templates = Templates(
            [invoicing_templates()],
            static=static,
            globals={
                "app_name": "Obsługa Faktur",
                "contact_url": "https://www.podatki.gov.pl/ksef/",
                "layout": "layout.html",
                "environment_label": invoicing.config.environment_label,
                "slot_titles": {int(slot): title for slot, title in SLOT_TITLES.items()},
            },
            context=self._page_context,
        )
        self.pages = ErrorPages(self.templates)

    # --- plumbing -----------------------------------------------------------------------------------------------------

    def install(self, app: Starlette) -> None:
        install_error_pages(app, self.pages, on_login_required=lambda _request, _error: _redirect("/logowanie"))

    def routes(self) -> list[Route]:
        return [
            Route("/", self.start, methods=["GET"]),
            Route("/pierwsze-uruchomienie", self.setup_form, methods=["GET"]),
            Route("/pierwsze-uruchomienie", self.setup, methods=["POST"]),
            Route("/logowanie", self.login_form, methods=["GET"]),
            Route("/logowanie", self.login, methods=["POST"]),
            Route("/wyloguj", self.logout, methods=["POST"]),
            Route("/firmy", self.companies, methods=["GET"]),
            Route("/firmy", self.add_company, methods=["POST"]),
            Route("/firma", self.choose_company, methods=["POST"]),
            Route("/ustawienia", self.settings_root, methods=["GET"]),
            Route("/ustawienia/ksef", self.settings_ksef, methods=["GET"]),
            Route("/ustawienia/ksef/dodaj/{slot}", self.add_form, methods=["GET"]),
            Route("/ustawienia/ksef/dodaj/{slot}", self.add_certificate, methods=["POST"]),
            Route("/ustawienia/ksef/{slot}/usun", self.remove_certificate, methods=["POST"]),
            Route("/ustawienia/ksef/{slot}/sprawdz", self.check, methods=["POST"]),
            Route("/ustawienia/ksef/polaczenie", self.proceed, methods=["POST"]),
            Route("/faktury", self.invoices, methods=["GET"]),
            Route("/faktury/offline", self.offline_form, methods=["GET"]),
            Route("/faktury/offline", self.issue_offline, methods=["POST"]),
            Route("/faktury/wyslij", self.send_form, methods=["GET"]),
            Route("/faktury/wyslij", self.send, methods=["POST"]),
            Route("/faktury/wysylka/{job:int}", self.send_progress, methods=["GET"]),
            Route("/faktury/wysylka/{job:int}/stan", self.send_status, methods=["GET"]),
            Route("/faktury/offline/wyslij", self.send_queued, methods=["POST"]),
            Route("/faktury/wyslane/{sent:int}/upo.xml", self.upo, methods=["GET"]),
            Route("/faktury/{invoice:int}", self.invoice, methods=["GET"]),
            Route("/faktury/{invoice:int}/kod-{code:int}.{kind}", self.invoice_code, methods=["GET"]),
        ]

    @staticmethod
    async def _run(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(function, *args, **kwargs)

    def _page_context(self, request: Request) -> Mapping[str, Any]:
        company: Company | None = request.scope.get("invoicing.company")
        config = self.invoicing.config
        return {
            "user": request.scope.get("invoicing.user"),
            "company": company,
            "companies": request.scope.get("invoicing.companies", []),
            "platform_url": config.platform_url_for(company.context_type, company.context_value)
            if company
            else config.platform_url,
        }

    def render(
        self, request: Request, name: str, context: Mapping[str, Any] | None = None, *, status: int = 200
    ) -> Response:
        return self.templates.render(request, name, context, status_code=status)

    async def _user(self, request: Request) -> User:
        """The logged-in user (and the selected company in the request's scope), or a redirect to the login."""
        session = session_of(request)
        user_id = session.get(USER_KEY)
        if user_id is None:
            if session.expired:
                raise SessionExpiredError()
            raise LoginRequiredError()
        user = await self._run(self.invoicing.accounts.user, int(user_id))
        if user is None:
            session.rotate()
            raise LoginRequiredError()
        companies = await self._run(self.invoicing.accounts.companies_for, user)
        chosen = next((company for company in companies if company.id == session.get(COMPANY_KEY)), None)
        chosen = chosen or (companies[0] if companies else None)
        request.scope["invoicing.user"] = user
        request.scope["invoicing.company"] = chosen
        request.scope["invoicing.companies"] = companies
        return user

    async def _company(self, request: Request) -> tuple[User, Company]:
        user = await self._user(request)
        company = request.scope["invoicing.company"]
        if company is None:
            raise PageError(
                title="Brak firmy",
                message="Nie masz jeszcze dostępu do żadnej firmy. Administrator dodaje firmy w zakładce „Firmy”.",
            )
        return user, company

    # --- first run, login, logout ----------------------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        if not await self._run(self.invoicing.accounts.has_users):
            return _redirect("/pierwsze-uruchomienie")
        await self._user(request)
        company = request.scope["invoicing.company"]
        certificates = await self._run(self.invoicing.settings.certificates, company) if company else []
        warnings = await self._run(self.invoicing.settings.expiry_warnings, request.scope["invoicing.companies"])
        context = {"certificates": certificates, "warnings": warnings, "now": self.invoicing.clock.now()}
        return self.render(request, "start.html", context)

    async def setup_form(self, request: Request) -> Response:
        if await self._run(self.invoicing.accounts.has_users):
            return _redirect("/logowanie")
        return self.render(request, "setup.html", {"values": {}, "min_length": MIN_PASSWORD_LENGTH})

    async def setup(self, request: Request) -> Response:
        form = await read_form(request, max_bytes=SMALL_FORM)
        values = {"login": form.text("login")}
        errors = FormErrors()
        password = form.text("haslo", strip=False)
        if password != form.text("haslo-powtorz", strip=False):
            errors.add("haslo-powtorz", "Hasła różnią się – wpisz to samo hasło dwa razy.")
        if not errors:
            try:
                user = await self._run(
                    self.invoicing.accounts.add_user, values["login"], password, is_admin=True, first_only=True
                )
            except InvoicingError as error:
                errors.add(error.field, error.message)
        if errors:
            context = {"values": values, "errors": errors, "min_length": MIN_PASSWORD_LENGTH}
            return self.render(request, "setup.html", context, status=400)
        session = session_of(request)
        session.rotate()
        session[USER_KEY] = user.id
        session.flash(f"Utworzono konto administratora {user.login}. Dodaj pierwszą firmę.", "sukces")
        return _redirect("/firmy")

    async def login_form(self, request: Request) -> Response:
        if not await self._run(self.invoicing.accounts.has_users):
            return _redirect("/pierwsze-uruchomienie")
        return self.render(request, "login.html", {"values": {}})

    async def login(self, request: Request) -> Response:
        form = await read_form(request, max_bytes=SMALL_FORM)
        values = {"login": form.text("login")}
        try:
            user = await self._run(
                self.invoicing.accounts.authenticate, values["login"], form.text("haslo", strip=False)
            )
        except InvoicingError as error:
            errors = FormErrors()
            errors.add("", error.message)
            return self.render(request, "login.html", {"values": values, "errors": errors}, status=400)
        session = session_of(request)
        session.rotate()
        session[USER_KEY] = user.id
        return _redirect("/")

    async def logout(self, request: Request) -> Response:
        await read_form(request, max_bytes=SMALL_FORM)
        session = session_of(request)
        session.rotate()
        session.flash("Wylogowano.", "sukces")
        return _redirect("/logowanie")

    # --- companies ------------------------------------------------------------------------------------------------

    async def companies(self, request: Request) -> Response:
        await self._user(request)
        return self.render(request, "companies.html", {"values": {}})

    async def add_company(self, request: Request) -> Response:
        user = await self._user(request)
        form = await read_form(request, max_bytes=SMALL_FORM)
        if not user.is_admin:
            raise PageError(title="Brak dostępu", message="Firmy dodaje administrator.")
        values = {"nip": form.text("nip"), "nazwa": form.text("nazwa")}
        try:
            company = await self._run(self.invoicing.accounts.add_company, values["nip"], values["nazwa"])
            await self._run(self.invoicing.accounts.grant, company.context_value, user.login)
        except InvoicingError as error:
            errors = FormErrors()
            errors.add(error.field, error.message)
            return self.render(request, "companies.html", {"values": values, "errors": errors}, status=400)
        session = session_of(request)
        session[COMPANY_KEY] = company.id
        session.flash(f"Dodano firmę {company.name}. Teraz dodaj jej certyfikat KSeF.", "sukces")
        return _redirect("/ustawienia/ksef")

    async def choose_company(self, request: Request) -> Response:
        user = await self._user(request)
        form = await read_form(request, max_bytes=SMALL_FORM)
        try:
            company = await self._run(self.invoicing.accounts.require_access, user, int(form.text("firma") or 0))
        except (AccessDeniedError, NotFoundError, ValueError) as error:
            raise PageError(title="Brak dostępu", message=getattr(error, "message", "Nie ma takiej firmy.")) from error
        session_of(request)[COMPANY_KEY] = company.id
        return _redirect(form.text("dalej") if form.text("dalej").startswith("/") else "/")

    # --- Ustawienia → KSeF ----------------------------------------------------------------------------------------

    async def settings_root(self, request: Request) -> Response:
        return _redirect("/ustawienia/ksef")

    async def settings_ksef(self, request: Request) -> Response:
        _user, company = await self._company(request)
        stored = await self._run(self.invoicing.settings.certificates, company)
        cards = {int(item.slot): item for item in stored}
        warnings = await self._run(self.invoicing.settings.expiry_warnings, [company])
        context = {
            "warnings": warnings,
            "cards": cards,
            "now": self.invoicing.clock.now(),
            "access": await self._run(self.invoicing.accounts.logins_with_access, company),
        }
        return self.render(request, "settings_ksef.html", context)

    async def add_form(self, request: Request) -> Response:
        await self._company(request)
        slot = _slot(request)
        return self.render(request, "add_certificate.html", {"slot": int(slot)})

    async def add_certificate(self, request: Request) -> Response:
        user, company = await self._company(request)
        slot = _slot(request)
        errors = FormErrors()
        try:
            form = await read_form(request, max_bytes=UPLOAD_FORM, max_files=3)
        except PayloadTooLargeError:
            errors.add(
                "",
                "Przesłane pliki są za duże (razem ponad 12 MB). Plik certyfikatu lub klucza KSeF ma kilka "
                "kilobajtów – sprawdź, czy wybrano właściwe pliki. Nic nie zostało zapisane.",
            )
            return self.render(request, "add_certificate.html", {"slot": int(slot), "errors": errors}, status=413)
        upload = _upload(form)
        try:
            stored, notes = await self._run(
                self.invoicing.settings.add_certificate, company, slot, upload, added_by=user.login
            )
        except UploadRefusedError as error:
            errors.add(error.field, error.message)
            return self.render(request, "add_certificate.html", {"slot": int(slot), "errors": errors}, status=400)
        session = session_of(request)
        session.flash(f"Zapisano: {stored.slot.title.split(' –')[0]} „{stored.common_name}”.", "sukces")
        for note in notes:
            session.flash(note, "informacja")
        return _redirect("/ustawienia/ksef")

    async def remove_certificate(self, request: Request) -> Response:
        _user, company = await self._company(request)
        slot = _slot(request)
        await read_form(request, max_bytes=SMALL_FORM)
        try:
            await self._run(self.invoicing.settings.remove, company, slot)
        except NotFoundError as error:
            raise PageError(message=error.message, title="Nie znaleziono") from error
        session_of(request).flash(f"Usunięto: {slot.title.split(' –')[0]}.", "sukces")
        return _redirect("/ustawienia/ksef")

    async def check(self, request: Request) -> Response:
        _user, company = await self._company(request)
        slot = _slot(request)
        await read_form(request, max_bytes=SMALL_FORM)
        return await self._connection_page(request, company, slot)

    async def proceed(self, request: Request) -> Response:
        _user, company = await self._company(request)
        await read_form(request, max_bytes=SMALL_FORM)
        return await self._connection_page(request, company, Slot.AUTHENTICATION)

    async def _connection_page(self, request: Request, company: Company, slot: Slot) -> Response:
        try:
            result = await self._run(self.invoicing.settings.check_connection, company, slot)
        except NotFoundError as error:
            raise PageError(message=error.message, title="Nie znaleziono") from error
        return self.render(request, "connection.html", {"result": result, "slot": int(slot)}, status=200)

    # --- invoices (offline) -----------------------------------------------------------------------------------------

    async def invoices(self, request: Request) -> Response:
        _user, company = await self._company(request)
        items = await self._run(self.invoicing.offline.list, company)
        sent = await self._run(self.invoicing.sending.sent, company)
        return self.render(request, "invoices.html", {"invoices": items, "sent": sent})

    async def send_form(self, request: Request) -> Response:
        await self._company(request)
        return self.render(request, "send.html", {})

    async def send(self, request: Request) -> Response:
        user, company = await self._company(request)
        errors = FormErrors()
        try:
            form = await read_form(request, max_bytes=SEND_FORM, max_files=MAX_SEND_FILES)
        except PayloadTooLargeError:
            errors.add("faktury", "Pliki są za duże: razem najwyżej 50 MB. Wyślij je w kilku częściach.")
            return self.render(request, "send.html", {"errors": errors}, status=413)
        files = [(upload.filename or "faktura.xml", upload.data) for upload in form.files("faktury")]
        try:
            job_id = await self._run(self.invoicing.sending.start_job, company, files, sent_by=user.login)
        except InvoicingError as error:
            errors.add("faktury", error.message)
            return self.render(request, "send.html", {"errors": errors}, status=400)
        return _redirect(f"/faktury/wysylka/{job_id}")

    async def _job(self, request: Request) -> SendJob:
        _user, company = await self._company(request)
        try:
            return await self._run(self.invoicing.sending.job, company, int(request.path_params["job"]))
        except NotFoundError as error:
            raise PageError(title="Nie znaleziono", message=error.message) from error

    async def send_progress(self, request: Request) -> Response:
        """The sending's page: its state when loaded (also without JavaScript, or after a reload); send-progress.js
        then follows `send_status`."""
        job = await self._job(request)
        return self.render(request, "send_progress.html", {"job": job})

    async def send_status(self, request: Request) -> Response:
        """The sending's progress as JSON for the page's script: a read of the logged-in user's own company only
        (same-origin, the session cookie; a GET that changes nothing, so no CSRF token is needed)."""
        _user, company = await self._company(request)
        headers = {"Cache-Control": "no-store"}
        try:
            job = await self._run(self.invoicing.sending.job, company, int(request.path_params["job"]))
        except NotFoundError as error:
            return JSONResponse({"error": error.message}, status_code=404, headers=headers)
        return JSONResponse(job.to_json(), headers=headers)

    async def send_queued(self, request: Request) -> Response:
        user, company = await self._company(request)
        await read_form(request, max_bytes=SMALL_FORM)
        try:
            result = await self._run(self.invoicing.sending.send_queued, company, sent_by=user.login)
        except InvoicingError as error:
            session_of(request).flash(f"Nie wysłano faktur offline: {error.message}", "blad")
            return _redirect("/faktury")
        if result is None:
            session_of(request).flash("Nie ma faktur offline czekających na wysłanie.", "informacja")
            return _redirect("/faktury")
        return self.render(request, "sent.html", {"result": result})

    async def upo(self, request: Request) -> Response:
        _user, company = await self._company(request)
        try:
            item = await self._run(self.invoicing.sending.sent_invoice, company, int(request.path_params["sent"]))
        except NotFoundError as error:
            raise PageError(title="Nie znaleziono", message=error.message) from error
        if item.upo is None:
            raise PageError(title="Brak UPO", message="Ta faktura nie ma UPO (nie otrzymała numeru KSeF).")
        name = f"UPO-{item.ksef_number}.xml"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        return Response(item.upo, media_type="application/xml", headers=headers)

    async def offline_form(self, request: Request) -> Response:
        _user, company = await self._company(request)
        readiness = await self._run(self.invoicing.offline.readiness, company)
        return self.render(request, "offline_issue.html", {"readiness": readiness})

    async def issue_offline(self, request: Request) -> Response:
        user, company = await self._company(request)
        errors = FormErrors()
        readiness = await self._run(self.invoicing.offline.readiness, company)
        try:
            form = await read_form(request, max_bytes=INVOICE_FORM, max_files=1)
        except PayloadTooLargeError:
            errors.add("faktura", "Plik faktury jest za duży (najwyżej 3 MB, z załącznikami – 10 MB).")
            context = {"readiness": readiness, "errors": errors}
            return self.render(request, "offline_issue.html", context, status=413)
        upload = form.file("faktura")
        if upload is None:
            errors.add("faktura", "Wybierz plik faktury (FA(3), XML).")
        else:
            try:
                invoice, notes = await self._run(
                    self.invoicing.offline.issue, company, upload.data, issued_by=user.login
                )
            except InvoicingError as error:
                errors.add(error.field or "faktura", error.message)
        if errors:
            context = {"readiness": readiness, "errors": errors}
            return self.render(request, "offline_issue.html", context, status=400)
        session = session_of(request)
        session.flash(f"Wystawiono fakturę offline {invoice.invoice_number}. Czeka na wysłanie do KSeF.", "sukces")
        for note in notes:
            session.flash(note, "informacja")
        return _redirect(f"/faktury/{invoice.id}")

    async def invoice(self, request: Request) -> Response:
        _user, company = await self._company(request)
        item = await self._invoice(company, request)
        return self.render(request, "invoice.html", {"invoice": item})

    async def invoice_code(self, request: Request) -> Response:
        _user, company = await self._company(request)
        item = await self._invoice(company, request)
        code, kind = request.path_params["code"], request.path_params["kind"]
        if code not in (1, 2) or kind not in ("png", "svg"):
            raise PageError(title="Nie znaleziono strony", message="Nie ma takiego kodu QR.")
        body = await self._run(item.image, code, kind)
        media = "image/png" if kind == "png" else "image/svg+xml"
        name = f"{'KOD-I' if code == 1 else 'KOD-II'}-{item.id}.{kind}"
        disposition = "attachment" if request.query_params.get("pobierz") else "inline"
        headers = {"Content-Disposition": f'{disposition}; filename="{name}"', "Cache-Control": "no-store"}
        return Response(body, media_type=media, headers=headers)

    async def _invoice(self, company: Company, request: Request) -> OfflineInvoice:
        try:
            return await self._run(self.invoicing.offline.get, company, int(request.path_params["invoice"]))
        except NotFoundError as error:
            raise PageError(title="Nie znaleziono", message=error.message) from error


def _upload(form: SubmittedForm) -> CertificateUpload:
    certificate = form.file("certyfikat")
    key = form.file("klucz")
    pkcs12 = form.file("pkcs12")
    password = form.text("haslo", strip=False)
    if pkcs12 is not None:
        return CertificateUpload(pkcs12=pkcs12.data, password=password, pkcs12_name=pkcs12.filename)
    return CertificateUpload(
        certificate=certificate.data if certificate else None,
        key=key.data if key else None,
        password=password,
        certificate_name=certificate.filename if certificate else "",
        key_name=key.filename if key else "",
    )


def _redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def invoicing_templates() -> Path:
    return Path(__file__).resolve().parent / "templates"
