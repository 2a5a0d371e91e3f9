"""`/tokeny/*` — "Generuj token" (the token shown exactly once, with "Kopiuj token"), the token list with its filters,
and "Unieważnij token" with a confirmation.

Over the same `KsefTokenService` as `/v2/tokens`: its scoping rules decide whose tokens a person sees and may revoke,
and which permissions a token may get. The token's text exists only in the answer to "Generuj token": it is not
kept in the session, the database (only its SHA-256) or any log, and the page is `no-store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from ksef_mcu import formatting
from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.errors import BadRequestError, InputValidationError, InvalidContinuationTokenError
from ksef_mcu.server.http.deps import run_service
from ksef_mcu.server.tokens.model import TOKEN_PERMISSIONS, TokenPage, TokenRecord, TokenStatus
from ksef_mcu.server.web import abilities
from ksef_mcu.server.web.abilities import allowed
from ksef_mcu.server.web.errors import ScreenNotFoundError, ScreenRefusedError
from ksef_mcu.server.web.grant_form import capitalised
from ksef_mcu.server.web.screens import WebPrincipal, screens_of, web_components
from ksef_mcu.server.web.screens import abilities as abilities_of_request
from ksef_mcu.web.forms import FormErrors, read_form
from ksef_mcu.web.sessions import session_of

tokens_router = APIRouter(include_in_schema=False)

LIST = "/tokeny"
GENERATE = "/tokeny/generuj"
SMALL_FORM = 16 * 1024
PAGE_SIZES = (10, 20, 50)
ReferencePath = Path(min_length=36, max_length=36, pattern=r"^[0-9A-Za-z-]{36}$")
STATUS_CHOICES = [("", "Wszystkie")] + [
    (status.value, formatting.TOKEN_STATUS_LABELS[status.value].capitalize())
    for status in (TokenStatus.ACTIVE, TokenStatus.REVOKED)
]
"""The statuses a token here can have (made active at once, revoked at once)."""


def _status_label(status: TokenStatus) -> str:
    return formatting.TOKEN_STATUS_LABELS[status.value].capitalize()


def _require_tokens(request: Request, principal: Principal) -> None:
    """The "Tokeny" screens exist in Nip and InternalId contexts (tokens are made only there)."""
    if not abilities_of_request(request, principal).tokens:
        raise ScreenRefusedError(
            "Tokeny KSeF tworzy się i przegląda w kontekście NIP albo identyfikatora wewnętrznego. Wyloguj się "
            "i zaloguj w takim kontekście.",
            title="Tokeny są niedostępne w tym kontekście",
        )


def _require_generating(request: Request, principal: Principal) -> None:
    _require_tokens(request, principal)
    if not abilities_of_request(request, principal).generate_tokens:
        raise ScreenRefusedError(
            "Token może dostać tylko uprawnienia, które sam masz w tym kontekście (wystawianie lub przeglądanie "
            "faktur, uprawnienia administracyjne), a nie masz żadnego z nich.",
            title="Nie możesz wygenerować tokena",
        )


# --- "Generuj token" -------------------------------------------------------------------------------------------------


def _generate_page(
    request: Request,
    principal: Principal,
    *,
    description: str = "",
    chosen: list[str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    held = set(principal.permissions)
    context = {
        "permissions": [(p, capitalised(p)) for p in TOKEN_PERMISSIONS if p in held],
        "chosen": chosen or [],
        "description": description,
        "errors": errors or FormErrors(),
    }
    return screens_of(request).render(request, "token_generate.html", context, status_code=status_code)


@tokens_router.get(GENERATE)
async def generate_form(request: Request, principal: WebPrincipal) -> Response:
    _require_generating(request, principal)
    return _generate_page(request, principal)


@tokens_router.post(GENERATE)
async def generate(request: Request, principal: WebPrincipal) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    _require_generating(request, principal)
    chosen = list(dict.fromkeys(form.texts("uprawnienie")))
    description = form.text("opis")
    errors = FormErrors()
    if not chosen:
        errors.add("uprawnienia", "Zaznacz co najmniej jedno uprawnienie tokena.")
    elif unknown := [value for value in chosen if value not in TOKEN_PERMISSIONS]:
        errors.add("uprawnienia", f"Nieznane uprawnienie: {', '.join(unknown)}. Wybierz spośród podanych.")
    if not 5 <= len(description) <= 256:
        errors.add("opis", f"Opis tokena musi mieć od 5 do 256 znaków (ma {len(description)}).")
    if errors:
        return _generate_page(
            request, principal, description=description, chosen=chosen, errors=errors, status_code=400
        )
    components = web_components(request)
    try:
        generated = await run_service(components, components.ksef_tokens.generate, principal, chosen, description)
    except BadRequestError as error:  # 26001: a permission the person does not hold; 26002: the context type
        errors.add("uprawnienia" if error.code == 26001 else "", error.description)
        errors.extend("uprawnienia" if error.code == 26001 else "", list(error.details))
        return _generate_page(
            request, principal, description=description, chosen=chosen, errors=errors, status_code=400
        )
    record = await run_service(components, components.ksef_tokens.get, principal, generated.reference_number)
    context = {
        "token": generated.token,
        "record": record,
        "permission_labels": [capitalised(p) for p in record.permissions],
    }
    return screens_of(request).render(request, "token_generated.html", context)


# --- the list --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenQuery:
    values: dict[str, str]
    page_size: int
    continuation: str | None

    def url(self, continuation: str | None = None) -> str:
        params = {key: value for key, value in self.values.items() if value}
        if continuation:
            params["dalej"] = continuation
        return f"{LIST}?{urlencode(params)}" if params else LIST

    @property
    def filtered(self) -> bool:
        return any(value for key, value in self.values.items() if key != "na-stronie")


def _token_query(request: Request, errors: FormErrors) -> TokenQuery:
    params = request.query_params
    values = {name: params.get(name, "").strip()[:256] for name in ("status", "opis", "autor", "na-stronie")}
    page_size = int(values["na-stronie"]) if values["na-stronie"] in {str(size) for size in PAGE_SIZES} else 10
    if page_size == PAGE_SIZES[0]:
        values["na-stronie"] = ""
    if values["status"] and values["status"] not in {status.value for status in TokenStatus}:
        errors.add("status", "Wybierz status z listy.")
        values["status"] = ""
    for name, what in (("opis", "Opis"), ("autor", "Identyfikator autora")):
        if values[name] and len(values[name]) < 3:
            errors.add(name, f"{what}: podaj co najmniej 3 znaki.")
    continuation = params.get("dalej", "")[:512] or None
    return TokenQuery(values, page_size, continuation)


def _may_revoke(principal: Principal, record: TokenRecord) -> bool:
    """Whether to offer "Unieważnij" (the service decides): an active token, and CredentialsManage or one's own."""
    return record.status is TokenStatus.ACTIVE and (
        "CredentialsManage" in principal.permissions or record.author == principal.subject
    )


@tokens_router.get(LIST)
async def token_list(request: Request, principal: WebPrincipal) -> Response:
    _require_tokens(request, principal)
    components = web_components(request)
    errors = FormErrors()
    query = _token_query(request, errors)
    values = query.values

    async def search(continuation: str | None) -> TokenPage:
        return await run_service(
            components,
            components.ksef_tokens.list,
            principal,
            statuses=[TokenStatus(values["status"])] if values["status"] else None,
            description=values["opis"] if len(values["opis"]) >= 3 else None,
            author_identifier=values["autor"] if len(values["autor"]) >= 3 else None,
            author_type=None,
            page_size=query.page_size,
            continuation_token=continuation,
        )

    continuation = query.continuation
    try:
        page = await search(continuation)
    except InvalidContinuationTokenError:
        errors.add("", "Adres strony listy był nieprawidłowy — pokazujemy pierwszą stronę.")
        continuation = None
        page = await search(None)
    context = {
        "page": page,
        "query": query,
        "first_page": continuation is not None,
        "errors": errors,
        "status_choices": STATUS_CHOICES,
        "page_sizes": [(str(size), str(size)) for size in PAGE_SIZES],
        "status_label": _status_label,
        "permission_list": lambda permissions: ", ".join(capitalised(p) for p in permissions),
        "may_revoke": lambda record: _may_revoke(principal, record),
        "may_generate": abilities_of_request(request, principal).generate_tokens,
    }
    return screens_of(request).render(request, "tokens.html", context)


# --- "Unieważnij token" ----------------------------------------------------------------------------------------------


async def _visible_token(request: Request, principal: Principal, reference: str) -> TokenRecord:
    _require_tokens(request, principal)
    components = web_components(request)
    try:
        return await run_service(components, components.ksef_tokens.get, principal, reference)
    except InputValidationError as error:
        raise ScreenNotFoundError(
            "Nie ma takiego tokena wśród tokenów, które możesz zobaczyć w tym kontekście. Nic nie zostało zmienione.",
            title="Nie znaleziono tokena",
        ) from error


def _revoke_page(
    request: Request, record: TokenRecord, *, errors: FormErrors | None = None, status_code: int = 200
) -> Response:
    context = {
        "record": record,
        "errors": errors or FormErrors(),
        "status_label": _status_label,
        "permission_labels": [capitalised(p) for p in record.permissions],
    }
    return screens_of(request).render(request, "token_revoke.html", context, status_code=status_code)


@tokens_router.get("/tokeny/{reference}/uniewaznienie")
async def revoke_form(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    return _revoke_page(request, await _visible_token(request, principal, reference))


@tokens_router.post("/tokeny/{reference}/uniewaznienie")
async def revoke(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    record = await _visible_token(request, principal, reference)
    if not allowed(principal, web_components(request).required_permissions, abilities.TOKENS_REVOKE):
        raise ScreenRefusedError("Nie możesz unieważniać tokenów w tym kontekście.", title="Brak uprawnień")
    if form.text("potwierdzenie") != "tak":
        errors = FormErrors()
        errors.add("potwierdzenie", "Potwierdź, że chcesz unieważnić ten token.")
        return _revoke_page(request, record, errors=errors, status_code=400)
    components = web_components(request)
    try:
        await run_service(components, components.ksef_tokens.revoke, principal, reference)
    except InputValidationError as error:  # visible, but not this person's to revoke
        raise ScreenRefusedError(
            "Ten token może unieważnić jego autor albo osoba z uprawnieniem „zarządzanie uprawnieniami”. "
            "Nic nie zostało zmienione.",
            title="Nie możesz unieważnić tego tokena",
        ) from error
    session_of(request).flash(
        f"Token „{record.description}” ({record.reference_number}) został unieważniony. Logowanie nim nie jest już "
        "możliwe.",
        "sukces",
    )
    return RedirectResponse(LIST, status_code=303)
