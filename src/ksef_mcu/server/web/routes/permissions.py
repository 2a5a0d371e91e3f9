"""`/uprawnienia/*` — "Nadaj uprawnienie" (to a person or an entity), "Uprawnienia nadane" (with filters, paging and
"Odbierz uprawnienie"), "Uprawnienia otrzymane", and the status of each grant or revocation operation.

Over the same `PermissionService` as `/v2/permissions/*`; what each page may do is the API operation's required
permissions (`abilities.py`), and the service keeps its own rules (only permissions one holds can be granted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from ksef_mcu import formatting, identifiers
from ksef_mcu.server.auth.model import Principal
from ksef_mcu.server.errors import GoneError, InputValidationError
from ksef_mcu.server.http.deps import run_service
from ksef_mcu.server.permissions.model import (
    Identifier,
    ListedGrant,
    OperationKind,
    OperationRecord,
    OperationStatusCode,
    Page,
    PermissionState,
)
from ksef_mcu.server.permissions.schemas import PersonalPermissionType
from ksef_mcu.server.web import abilities
from ksef_mcu.server.web.abilities import allowed
from ksef_mcu.server.web.errors import ScreenGoneError, ScreenNotFoundError, ScreenRefusedError
from ksef_mcu.server.web.grant_form import (
    ENTITY,
    ENTITY_PERMISSIONS,
    IDENTIFIER_CHOICES,
    PERSON,
    PERSON_PERMISSIONS,
    RECIPIENT_CHOICES,
    TEXT_FIELDS,
    EntityGrant,
    PersonGrant,
    capitalised,
    read_grant,
)
from ksef_mcu.server.web.messages import operation_outcome
from ksef_mcu.server.web.screens import WebPrincipal, screens_of, web_components
from ksef_mcu.web.forms import FormErrors, read_form
from ksef_mcu.web.sessions import session_of

permissions_router = APIRouter(include_in_schema=False)

GRANT = "/uprawnienia/nadaj"
GRANTED = "/uprawnienia/nadane"
RECEIVED = "/uprawnienia/otrzymane"
OPERATIONS_KEY = "operacje-uprawnien"
RECENT_OPERATIONS = 5
SMALL_FORM = 16 * 1024
PAGE_SIZES = (10, 20, 50)
PermissionIdPath = Path(min_length=36, max_length=36, pattern=r"^[0-9A-Za-z-]{36}$")
ReferencePath = Path(min_length=36, max_length=36, pattern=r"^[0-9A-Za-z-]{36}$")
STATE_CHOICES = [
    ("", "Wszystkie"),
    (PermissionState.ACTIVE.value, "Aktywne"),
    (PermissionState.INACTIVE.value, "Nieaktywne"),
]
STATE_LABELS = {PermissionState.ACTIVE.value: "Aktywne", PermissionState.INACTIVE.value: "Nieaktywne"}
RECIPIENT_FILTERS = [("osoby", "Osobom fizycznym"), ("podmioty", "Podmiotom")]


def _refuse_granting() -> ScreenRefusedError:
    return ScreenRefusedError(
        "W tym kontekście nie możesz nadawać uprawnień: może to robić właściciel i osoba z uprawnieniem "
        "„zarządzanie uprawnieniami” (CredentialsManage). Poproś właściciela o nadanie Ci tego uprawnienia.",
        title="Brak uprawnień do nadawania uprawnień",
    )


def _require(request: Request, principal: Principal, endpoint: str, refusal: ScreenRefusedError) -> None:
    if not allowed(principal, web_components(request).required_permissions, endpoint):
        raise refusal


def _require_granted_list(request: Request, principal: Principal) -> None:
    _require(
        request,
        principal,
        abilities.LIST_GRANTED,
        ScreenRefusedError(
            "Listę uprawnień nadanych w tym kontekście widzi właściciel i osoba z uprawnieniem „zarządzanie "
            "uprawnieniami” albo „przeglądanie uprawnień”. Swoje uprawnienia zobaczysz w „Uprawnienia otrzymane”.",
            title="Brak dostępu do listy uprawnień nadanych",
        ),
    )


def _remember_operation(request: Request, reference: str) -> None:
    session = session_of(request)
    recent = [value for value in session.get(OPERATIONS_KEY, []) if isinstance(value, str) and value != reference]
    session[OPERATIONS_KEY] = [reference, *recent][:RECENT_OPERATIONS]


def _permission_label(permission: str) -> str:
    return capitalised(permission)


def _who(listed: ListedGrant) -> str:
    """The holder as people name them: the name from the subject details, or the entity's full name."""
    details = listed.record.details
    person = details.get("person") or {}
    entity = details.get("entity") or {}
    name = " ".join(part for part in (person.get("firstName"), person.get("lastName")) if part)
    return name or str(entity.get("fullName") or "")


def _identifier_text(identifier: Identifier) -> str:
    kind = {"Nip": "NIP", "Pesel": "PESEL", "Fingerprint": "Odcisk palca", "InternalId": "Identyfikator wewnętrzny"}
    if identifier.type == "System":
        return "System (dane testowe)"
    if identifier.type == "AllPartners":
        return "Wszyscy klienci"
    return f"{kind.get(identifier.type, identifier.type)} {identifier.value}".strip()


# --- "Nadaj uprawnienie" ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypedGrant:
    """The form as typed, shown again with its errors."""

    values: dict[str, str]
    chosen: list[str]
    chosen_for_entity: list[str]
    delegable: list[str]


def _grant_page(
    request: Request,
    principal: Principal,
    typed: TypedGrant | None = None,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    can = _grant_abilities(request, principal)
    held = set(principal.permissions)
    recipients = [
        (value, label)
        for value, label in RECIPIENT_CHOICES
        if (value == PERSON and can["persons"]) or (value == ENTITY and can["entities"])
    ]
    typed = typed or TypedGrant({}, [], [], [])
    context = {
        "values": {
            **dict.fromkeys(TEXT_FIELDS, ""),
            "rodzaj": recipients[0][0],
            "typ-identyfikatora": "Pesel",
            **typed.values,
        },
        "chosen": typed.chosen,
        "chosen_for_entity": typed.chosen_for_entity,
        "delegable": typed.delegable,
        "errors": errors or FormErrors(),
        "recipients": recipients,
        "identifier_types": IDENTIFIER_CHOICES,
        "person_permissions": [(p, _permission_label(p)) for p in PERSON_PERMISSIONS if p in held],
        "entity_permissions": [(p, _permission_label(p)) for p in ENTITY_PERMISSIONS if p in held],
        "today": formatting.polish_date(web_components(request).clock.now()).isoformat(),
    }
    return screens_of(request).render(request, "permission_grant.html", context, status_code=status_code)


def _grant_abilities(request: Request, principal: Principal) -> dict[str, bool]:
    required = web_components(request).required_permissions
    can = {
        "persons": allowed(principal, required, abilities.GRANT_TO_PERSONS),
        "entities": allowed(principal, required, abilities.GRANT_TO_ENTITIES),
    }
    if not any(can.values()):
        raise _refuse_granting()
    return can


@permissions_router.get("/uprawnienia")
async def permissions_home(request: Request, principal: WebPrincipal) -> Response:
    may_list = allowed(principal, web_components(request).required_permissions, abilities.LIST_GRANTED)
    return RedirectResponse(GRANTED if may_list else RECEIVED, status_code=303)


@permissions_router.get(GRANT)
async def grant_form(request: Request, principal: WebPrincipal) -> Response:
    return _grant_page(request, principal)


@permissions_router.post(GRANT)
async def grant(request: Request, principal: WebPrincipal) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    can = _grant_abilities(request, principal)
    components = web_components(request)
    errors = FormErrors()
    values, chosen = read_grant(form, errors, today=formatting.polish_date(components.clock.now()))
    if (isinstance(chosen, PersonGrant) and not can["persons"]) or (
        isinstance(chosen, EntityGrant) and not can["entities"]
    ):
        raise _refuse_granting()
    typed = TypedGrant(
        values, form.texts("uprawnienie"), form.texts("uprawnienie-podmiotu"), form.texts("przekazywanie")
    )
    if chosen is None:
        return _grant_page(request, principal, typed, errors=errors, status_code=400)
    service = components.permission_service
    try:
        if isinstance(chosen, PersonGrant):
            reference = await run_service(
                components, service.grant_to_person, principal, chosen.subject, chosen.permissions, chosen.description
            )
        else:
            reference = await run_service(
                components, service.grant_to_entity, principal, chosen.subject, chosen.permissions, chosen.description
            )
    except InputValidationError as error:  # what the service checks once more (identifiers, details)
        field = "identyfikator" if values["rodzaj"] == PERSON else "nip-podmiotu"
        errors.extend(field, [*error.details] or [error.description])
        return _grant_page(request, principal, typed, errors=errors, status_code=400)
    _remember_operation(request, reference)
    return RedirectResponse(f"/uprawnienia/operacje/{reference}", status_code=303)


# --- operations ------------------------------------------------------------------------------------------------------


async def _operation(request: Request, principal: Principal, reference: str) -> OperationRecord | None:
    components = web_components(request)
    try:
        return await run_service(components, components.permission_service.operation, principal, reference)
    except (InputValidationError, GoneError):
        return None


@permissions_router.get("/uprawnienia/operacje/{reference}")
async def operation_status(request: Request, principal: WebPrincipal, reference: str = ReferencePath) -> Response:
    components = web_components(request)
    try:
        record = await run_service(components, components.permission_service.operation, principal, reference)
    except InputValidationError as error:
        raise ScreenNotFoundError(
            "Nie ma takiej operacji wśród operacji rozpoczętych w tym kontekście. Nic nie zostało zmienione.",
            title="Nie znaleziono operacji",
        ) from error
    except GoneError as error:
        raise ScreenGoneError(
            "Status operacji jest dostępny przez 30 dni od jej rozpoczęcia; ten już wygasł.",
            title="Status operacji wygasł",
        ) from error
    context = {
        "operation": record,
        "outcome": operation_outcome(record),
        "pending": record.outcome.code is OperationStatusCode.ACCEPTED,
        "granting": record.kind is OperationKind.GRANT,
    }
    return screens_of(request).render(request, "permission_operation.html", context)


# --- lists ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListQuery:
    path: str
    values: dict[str, str]
    page: int
    page_size: int

    def url(self, page: int) -> str:
        params = {key: value for key, value in self.values.items() if value}
        params["strona"] = str(page)
        return f"{self.path}?{urlencode(params)}"

    @property
    def filtered(self) -> bool:
        return any(value for key, value in self.values.items() if key not in ("odbiorca", "na-stronie"))


def _list_query(request: Request, path: str, names: tuple[str, ...]) -> ListQuery:
    params = request.query_params
    values = {name: params.get(name, "").strip()[:100] for name in (*names, "na-stronie")}
    page_size = int(values["na-stronie"]) if values["na-stronie"] in {str(size) for size in PAGE_SIZES} else 10
    if page_size == PAGE_SIZES[0]:
        values["na-stronie"] = ""
    raw_page = params.get("strona", "")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 10_000 else 1
    return ListQuery(path, values, page, page_size)


def _holder_filter(value: str, errors: FormErrors, *, field: str) -> Identifier | None:
    """The "Identyfikator" filter: a NIP, a PESEL or a fingerprint, told apart by their shape."""
    cleaned = value.replace(" ", "").replace("-", "").replace(":", "")
    if not cleaned:
        return None
    try:
        if len(cleaned) == 10:
            return Identifier("Nip", identifiers.check_nip(cleaned))
        if len(cleaned) == 11:
            return Identifier("Pesel", identifiers.check_pesel(cleaned))
        if len(cleaned) == 64 and identifiers.FINGERPRINT_PATTERN.fullmatch(cleaned):
            return Identifier("Fingerprint", cleaned.upper())
    except identifiers.IdentifierError as error:
        errors.add(field, error.message)
        return None
    errors.add(field, "Podaj NIP (10 cyfr), PESEL (11 cyfr) albo odcisk palca certyfikatu (64 znaki szesnastkowe).")
    return None


def _choice(value: str, allowed_values: list[str], errors: FormErrors, *, field: str, what: str) -> str | None:
    if not value:
        return None
    if value not in allowed_values:
        errors.add(field, f"Wybierz {what} z listy.")
        return None
    return value


def _page_size_choices() -> list[tuple[str, str]]:
    return [(str(size), str(size)) for size in PAGE_SIZES]


async def _recent_operations(request: Request, principal: Principal) -> list[tuple[OperationRecord, Any]]:
    found = []
    for reference in session_of(request).get(OPERATIONS_KEY, []):
        if isinstance(reference, str) and len(reference) == 36:
            record = await _operation(request, principal, reference)
            if record is not None:
                found.append((record, operation_outcome(record)))
    return found


@permissions_router.get(GRANTED)
async def granted_list(request: Request, principal: WebPrincipal) -> Response:
    _require_granted_list(request, principal)
    components = web_components(request)
    errors = FormErrors()
    query = _list_query(request, GRANTED, ("odbiorca", "identyfikator", "uprawnienie", "stan"))
    entities = query.values["odbiorca"] == "podmioty"
    if query.values["odbiorca"] not in ("", "osoby", "podmioty"):
        errors.add("odbiorca", "Wybierz, komu nadano uprawnienia.")
    holder = _holder_filter(query.values["identyfikator"], errors, field="identyfikator")
    known = ENTITY_PERMISSIONS if entities else PERSON_PERMISSIONS
    permission = _choice(query.values["uprawnienie"], known, errors, field="uprawnienie", what="uprawnienie")
    state = _choice(query.values["stan"], list(STATE_LABELS), errors, field="stan", what="stan")
    service = components.permission_service
    page: Page
    if entities:
        page = await run_service(
            components,
            service.query_granted_entities,
            principal,
            authorized=holder,
            permission_types=[permission] if permission else None,
            page_offset=query.page - 1,
            page_size=query.page_size,
        )
    else:
        page = await run_service(
            components,
            service.query_persons,
            principal,
            granted_here=True,
            author=None,
            authorized=holder,
            context=None,
            target=None,
            permission_types=[permission] if permission else None,
            state=PermissionState(state) if state else None,
            page_offset=query.page - 1,
            page_size=query.page_size,
        )
    context = {
        "query": query,
        "entities": entities,
        "rows": page.items,
        "has_more": page.has_more,
        "errors": errors,
        "recipient_filters": RECIPIENT_FILTERS,
        "permission_choices": [("", "Wszystkie"), *((p, _permission_label(p)) for p in known)],
        "state_choices": STATE_CHOICES,
        "page_sizes": _page_size_choices(),
        "may_revoke": allowed(principal, components.required_permissions, abilities.REVOKE),
        "recent": await _recent_operations(request, principal),
        "who": _who,
        "identifier_text": _identifier_text,
        "permission_label": _permission_label,
        "state_labels": STATE_LABELS,
    }
    return screens_of(request).render(request, "permissions_granted.html", context)


@permissions_router.get(RECEIVED)
async def received_list(request: Request, principal: WebPrincipal) -> Response:
    components = web_components(request)
    _require(
        request,
        principal,
        abilities.LIST_OWN,
        ScreenRefusedError("Nie możesz przeglądać uprawnień w tym kontekście.", title="Brak dostępu"),
    )
    errors = FormErrors()
    query = _list_query(request, RECEIVED, ("uprawnienie", "stan"))
    known = [p.value for p in PersonalPermissionType]
    permission = _choice(query.values["uprawnienie"], known, errors, field="uprawnienie", what="uprawnienie")
    state = _choice(query.values["stan"], list(STATE_LABELS), errors, field="stan", what="stan")
    page = await run_service(
        components,
        components.permission_service.query_personal,
        principal,
        context=None,
        target=None,
        permission_types=[permission] if permission else None,
        state=PermissionState(state) if state else None,
        page_offset=query.page - 1,
        page_size=query.page_size,
    )
    context = {
        "query": query,
        "rows": page.items,
        "has_more": page.has_more,
        "errors": errors,
        "permission_choices": [("", "Wszystkie"), *((p, _permission_label(p)) for p in known)],
        "state_choices": STATE_CHOICES,
        "page_sizes": _page_size_choices(),
        "me": Identifier.of(principal.subject),
        "session_permissions": [_permission_label(p) for p in principal.permissions],
        "who": _who,
        "identifier_text": _identifier_text,
        "permission_label": _permission_label,
        "state_labels": STATE_LABELS,
    }
    return screens_of(request).render(request, "permissions_received.html", context)


# --- "Odbierz uprawnienie" -------------------------------------------------------------------------------------------


async def _own_grant(request: Request, principal: Principal, permission_id: str) -> ListedGrant:
    _require(
        request,
        principal,
        abilities.REVOKE,
        ScreenRefusedError(
            "W tym kontekście nie możesz odbierać uprawnień: może to robić właściciel i osoba z uprawnieniem "
            "„zarządzanie uprawnieniami” (CredentialsManage).",
            title="Brak uprawnień do odbierania uprawnień",
        ),
    )
    components = web_components(request)
    listed = await run_service(components, components.permission_service.granted, principal, permission_id)
    if listed is None:
        raise ScreenNotFoundError(
            "Nie ma takiego uprawnienia wśród nadanych w tym kontekście (albo zostało już odebrane). "
            "Nic nie zostało zmienione.",
            title="Nie znaleziono uprawnienia",
        )
    return listed


def _revoke_page(
    request: Request, listed: ListedGrant, *, errors: FormErrors | None = None, status_code: int = 200
) -> Response:
    context = {
        "grant": listed,
        "errors": errors or FormErrors(),
        "who": _who,
        "identifier_text": _identifier_text,
        "permission_label": _permission_label,
        "state_labels": STATE_LABELS,
    }
    return screens_of(request).render(request, "permission_revoke.html", context, status_code=status_code)


@permissions_router.get("/uprawnienia/nadane/{permission_id}/odebranie")
async def revoke_form(request: Request, principal: WebPrincipal, permission_id: str = PermissionIdPath) -> Response:
    return _revoke_page(request, await _own_grant(request, principal, permission_id))


@permissions_router.post("/uprawnienia/nadane/{permission_id}/odebranie")
async def revoke(request: Request, principal: WebPrincipal, permission_id: str = PermissionIdPath) -> Response:
    form = await read_form(request, max_bytes=SMALL_FORM)
    listed = await _own_grant(request, principal, permission_id)
    if form.text("potwierdzenie") != "tak":
        errors = FormErrors()
        errors.add("potwierdzenie", "Potwierdź, że chcesz odebrać to uprawnienie.")
        return _revoke_page(request, listed, errors=errors, status_code=400)
    components = web_components(request)
    reference = await run_service(components, components.permission_service.revoke, principal, permission_id)
    _remember_operation(request, reference)
    return RedirectResponse(f"/uprawnienia/operacje/{reference}", status_code=303)
