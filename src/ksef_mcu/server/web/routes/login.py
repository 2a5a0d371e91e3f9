"""`/logowanie/*` — the ways to log in: Profil Zaufany (sandbox test login), Certyfikat kwalifikowany and Odcisk palca
certyfikatu kwalifikowanego (a document signed outside the browser), Certyfikat KSeF (signed in the browser)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ksef_mcu.server.errors import BadRequestError, ForbiddenError, KsefServerError
from ksef_mcu.server.http.deps import client_ip_of, endpoint_of, run_service
from ksef_mcu.server.web.fields import (
    CONTEXT_TYPE_CHOICES,
    FieldProblem,
    context_from,
    context_hint,
    nip_from,
    organization_name_from,
    person_name_from,
    pesel_from,
)
from ksef_mcu.server.web.messages import error_lines, login_refusal
from ksef_mcu.server.web.screens import begin_session, is_sandbox, screens_of, web_components
from ksef_mcu.server.web.service import LoginRefusedError, TestIdentity, WebLogin
from ksef_mcu.web.errors import PageError
from ksef_mcu.web.forms import FormErrors, read_form
from ksef_mcu.web.sessions import session_of

login_router = APIRouter(include_in_schema=False)

SMALL_FORM = 16 * 1024
QUALIFIED = "/logowanie/certyfikat-kwalifikowany"
FINGERPRINT = "/logowanie/odcisk-palca"
KSEF_CERTIFICATE = "/logowanie/certyfikat-ksef"
TEST_LOGIN = "/logowanie/profil-zaufany"


def _count_login(request: Request) -> None:
    """Logins count against the public per-IP limit, as `/v2/auth/challenge` does."""
    components = web_components(request)
    components.rate_limiter.hit(
        "public", (endpoint_of(request), client_ip_of(request)), now=components.clock.now().timestamp()
    )


def _logged_in(request: Request, login: WebLogin) -> Response:
    session = session_of(request)
    begin_session(session, login)
    if login.certificate_fingerprint and login.subject.type.value == "Fingerprint":
        session.flash(
            f"Zalogowano odciskiem palca certyfikatu. Zapisz go — przyda się przy nadawaniu uprawnień: "
            f"{login.certificate_fingerprint}",
            "sukces",
        )
    else:
        session.flash(f"Zalogowano: {login.display_name}.", "sukces")
    return RedirectResponse("/", status_code=303)


def _refusal(errors: FormErrors, error: LoginRefusedError) -> None:
    explanation = login_refusal(error.status)
    errors.add("", explanation.what)
    errors.add("", explanation.todo)


# --- Profil Zaufany (sandbox) -----------------------------------------------------------------------------------------


def _test_login_page(
    request: Request, values: dict[str, str], errors: FormErrors | None = None, *, status_code: int = 200
) -> Response:
    if not is_sandbox(web_components(request).settings):
        raise PageError(
            "Logowanie przez Profil Zaufany nie jest dostępne na tym serwerze (tryb ścisły).",
            title="Niedostępne",
        )
    context = {"values": values, "errors": errors or FormErrors()}
    return screens_of(request).render(request, "login_test.html", context, status_code=status_code)


def _prefilled_context(request: Request) -> dict[str, str]:
    """The context fields pre-filled from `?contextType=…&contextValue=…` (a valid identifier only, else the
    defaults): a convenience for links such as Obsługa Faktur's, never trusted for anything."""
    hint = context_hint(request.query_params)
    if hint is None:
        return {"kontekst-typ": "Nip"}
    return {"kontekst-typ": hint.type.value, "kontekst": hint.value}


@login_router.get(TEST_LOGIN)
async def test_login_form(request: Request) -> Response:
    hint = context_hint(request.query_params)
    values = {"rodzaj": "nip"}
    if hint is not None and hint.type.value == "Nip":
        values["nip"] = hint.value  # the test login's context is always a NIP
    return _test_login_page(request, values)


@login_router.post(TEST_LOGIN)
async def test_login(request: Request) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    values = {name: form.text(name) for name in ("rodzaj", "nip", "nazwa-firmy", "pesel", "imie", "nazwisko")}
    values["fikcyjne"] = form.text("fikcyjne")
    errors = FormErrors()
    identity = _test_identity(values, errors)
    if values["fikcyjne"] != "tak":
        errors.add("fikcyjne", "Potwierdź, że podane dane są fikcyjne — to logowanie testowe.")
    if errors or identity is None:
        return _test_login_page(request, values, errors, status_code=400)
    _count_login(request)
    components = web_components(request)
    try:
        login = await run_service(
            components, components.web_logins.sign_in_for_test, identity, client_ip=client_ip_of(request)
        )
    except LoginRefusedError as error:
        _refusal(errors, error)
        return _test_login_page(request, values, errors, status_code=400)
    except ForbiddenError as error:
        raise PageError(error.detail, title="Niedostępne") from error
    return _logged_in(request, login)


def _test_identity(values: dict[str, str], errors: FormErrors) -> TestIdentity | None:
    if values["rodzaj"] not in ("nip", "pesel"):
        errors.add("rodzaj", "Wybierz, czy logujesz się jako firma (NIP), czy jako osoba (PESEL).")
        return None
    try:
        nip = nip_from(values["nip"], field="nip")
    except FieldProblem as problem:
        errors.add(problem.field, problem.message)
        nip = ""
    if values["rodzaj"] == "nip":
        try:
            organization = organization_name_from(values["nazwa-firmy"] or "Firma testowa", field="nazwa-firmy")
        except FieldProblem as problem:
            errors.add(problem.field, problem.message)
            return None
        return TestIdentity(context_nip=nip, organization_name=organization) if nip else None
    pesel = _checked(errors, lambda: pesel_from(values["pesel"], field="pesel"))
    given_name = _checked(errors, lambda: person_name_from(values["imie"], field="imie", what="imię"))
    surname = _checked(errors, lambda: person_name_from(values["nazwisko"], field="nazwisko", what="nazwisko"))
    if errors or not (nip and pesel and given_name and surname):
        return None
    return TestIdentity(context_nip=nip, pesel=pesel, given_name=given_name, surname=surname)


def _checked(errors: FormErrors, read: Callable[[], str]) -> str | None:
    """`read()`, or None with its problem added to `errors`."""
    try:
        return read()
    except FieldProblem as problem:
        errors.add(problem.field, problem.message)
        return None


# --- Certyfikat kwalifikowany / Odcisk palca: a document signed outside the browser ----------------------------------


def _qualified_page(
    request: Request,
    *,
    by_fingerprint: bool,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "by_fingerprint": by_fingerprint,
        "action": FINGERPRINT if by_fingerprint else QUALIFIED,
        "values": values or {"kontekst-typ": "Nip"},
        "errors": errors or FormErrors(),
        "context_types": CONTEXT_TYPE_CHOICES,
    }
    return screens_of(request).render(request, "login_qualified.html", context, status_code=status_code)


async def _document(request: Request, *, by_fingerprint: bool) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    values = {"kontekst-typ": form.text("kontekst-typ"), "kontekst": form.text("kontekst")}
    try:
        context = context_from(values["kontekst-typ"], values["kontekst"])
    except FieldProblem as problem:
        errors = FormErrors()
        errors.add(problem.field, problem.message)
        return _qualified_page(request, by_fingerprint=by_fingerprint, values=values, errors=errors, status_code=400)
    _count_login(request)
    components = web_components(request)
    xml = await run_service(
        components,
        components.web_logins.document_to_sign,
        context,
        by_fingerprint=by_fingerprint,
        client_ip=client_ip_of(request),
    )
    return Response(
        xml,
        media_type="application/xml",
        headers={
            "Content-Disposition": 'attachment; filename="AuthTokenRequest.xml"',
            "Cache-Control": "no-store",
        },
    )


async def _signed(request: Request, *, by_fingerprint: bool) -> Response:
    limit = web_components(request).settings.max_request_body_bytes
    form = await read_form(request, max_bytes=limit)
    errors = FormErrors()
    upload = form.file("podpisany")
    if upload is None:
        errors.add("podpisany", "Wybierz plik z podpisanym dokumentem (XML).")
        return _qualified_page(request, by_fingerprint=by_fingerprint, errors=errors, status_code=400)
    _count_login(request)
    components = web_components(request)
    try:
        login = await run_service(
            components, components.web_logins.sign_in_with_document, upload.data, client_ip=client_ip_of(request)
        )
    except LoginRefusedError as error:
        _refusal(errors, error)
    except BadRequestError as error:
        lines = error_lines(error)
        errors.add("podpisany", "Nie można zalogować się tym dokumentem: " + " ".join(lines))
    else:
        return _logged_in(request, login)
    return _qualified_page(request, by_fingerprint=by_fingerprint, errors=errors, status_code=400)


@login_router.get(QUALIFIED)
async def qualified_form(request: Request) -> Response:
    return _qualified_page(request, by_fingerprint=False, values=_prefilled_context(request))


@login_router.post(QUALIFIED + "/dokument")
async def qualified_document(request: Request) -> Response:
    return await _document(request, by_fingerprint=False)


@login_router.post(QUALIFIED)
async def qualified_login(request: Request) -> Response:
    return await _signed(request, by_fingerprint=False)


@login_router.get(FINGERPRINT)
async def fingerprint_form(request: Request) -> Response:
    return _qualified_page(request, by_fingerprint=True, values=_prefilled_context(request))


@login_router.post(FINGERPRINT + "/dokument")
async def fingerprint_document(request: Request) -> Response:
    return await _document(request, by_fingerprint=True)


@login_router.post(FINGERPRINT)
async def fingerprint_login(request: Request) -> Response:
    return await _signed(request, by_fingerprint=True)


# --- Certyfikat KSeF: the browser signs with a key it never sends -----------------------------------------------------


def _ksef_page(
    request: Request, values: dict[str, str] | None = None, errors: FormErrors | None = None, *, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "values": values or {"kontekst-typ": "Nip"},
        "errors": errors or FormErrors(),
        "context_types": CONTEXT_TYPE_CHOICES,
    }
    return screens_of(request).render(request, "login_ksef.html", context, status_code=status_code)


@login_router.get(KSEF_CERTIFICATE)
async def ksef_form(request: Request) -> Response:
    return _ksef_page(request, _prefilled_context(request))


@login_router.post(KSEF_CERTIFICATE + "/przygotowanie")
async def ksef_prepare(request: Request) -> Response:
    """For the page's script (X-CSRF-Token header): the SignedInfo to sign for the certificate it sent. Answers the
    script, which shows people a Polish message from `error` and the field it concerns."""
    form = await read_form(request, max_bytes=SMALL_FORM)
    try:
        context = context_from(form.text("kontekst-typ"), form.text("kontekst"))
    except FieldProblem as problem:
        return JSONResponse({"error": problem.message, "field": problem.field}, status_code=400)
    _count_login(request)
    components = web_components(request)
    try:
        certificate = base64.b64decode(form.text("certyfikat"), validate=True)
    except (binascii.Error, ValueError):
        return JSONResponse({"error": "Plik certyfikatu jest nieprawidłowy.", "field": "certyfikat"}, status_code=400)
    try:
        prepared = await run_service(
            components,
            components.web_logins.prepare_ksef_certificate_login,
            certificate,
            context,
            client_ip=client_ip_of(request),
        )
    except BadRequestError as error:
        # The details say what is wrong with the certificate; the generic description adds nothing for a person.
        message = " ".join(error.details) or error.description
        return JSONResponse({"error": message, "field": "certyfikat"}, status_code=400)
    return JSONResponse(
        {"signedInfo": prepared.signed_info, "signatureMethod": prepared.signature_method, "state": prepared.state},
        headers={"Cache-Control": "no-store"},
    )


@login_router.post(KSEF_CERTIFICATE)
async def ksef_login(request: Request) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    values = {"kontekst-typ": form.text("kontekst-typ"), "kontekst": form.text("kontekst")}
    errors = FormErrors()
    state, value = form.text("stan"), form.text("podpis")
    if not state or not value:
        errors.add("", "To logowanie wymaga JavaScriptu: przeglądarka podpisuje dokument kluczem, którego nie wysyła.")
        return _ksef_page(request, values, errors, status_code=400)
    components = web_components(request)
    try:
        login = await run_service(
            components,
            components.web_logins.sign_in_with_ksef_certificate,
            state,
            value,
            client_ip=client_ip_of(request),
        )
    except LoginRefusedError as error:
        _refusal(errors, error)
    except KsefServerError as error:
        errors.add("", " ".join(error_lines(error)))
    else:
        return _logged_in(request, login)
    return _ksef_page(request, values, errors, status_code=400)
