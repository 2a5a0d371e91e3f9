"""The "Nadaj uprawnienie" form: what a person types, checked field by field with Polish messages, then turned into
the very request body `/v2/permissions/persons/grants` or `/v2/permissions/entities/grants` takes — validated by the
API's own models, so the screen cannot accept what the API would refuse — and handed to the same service.

Two kinds ("Rodzaj uprawnienia"): to a person for work in KSeF (identified by NIP, PESEL or a certificate
fingerprint; a fingerprint needs either the person's NIP/PESEL or their date of birth and identity document, as the
API's subject details do) and to an entity (NIP) for invoices, each invoice permission optionally with the right to
pass it on ("canDelegate").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ksef_mcu.formatting import PERMISSION_LABELS
from ksef_mcu.server.errors import InputValidationError
from ksef_mcu.server.permissions.schemas import (
    EntityPermissionsGrantRequest,
    InvoicePermissionType,
    PersonPermissionsGrantRequest,
    PersonPermissionType,
)
from ksef_mcu.server.permissions.service import SubjectInput
from ksef_mcu.server.web.fields import FieldProblem, nip_from, pesel_from
from ksef_mcu.web.forms import FormErrors, SubmittedForm

__all__ = [
    "ENTITY",
    "ENTITY_PERMISSIONS",
    "IDENTIFIER_CHOICES",
    "PERSON",
    "PERSON_PERMISSIONS",
    "RECIPIENT_CHOICES",
    "TEXT_FIELDS",
    "EntityGrant",
    "PersonGrant",
    "capitalised",
    "read_grant",
]

PERSON = "osoba"
ENTITY = "podmiot"
RECIPIENT_CHOICES = [
    (PERSON, "Osobie fizycznej do pracy w KSeF"),
    (ENTITY, "Podmiotowi do wystawiania i przeglądania faktur"),
]
"""The guide's "Rodzaj uprawnienia" (the two kinds the screen offers)."""
IDENTIFIER_CHOICES = [("Pesel", "PESEL"), ("Nip", "NIP"), ("Fingerprint", "Odcisk palca certyfikatu")]
PERSON_PERMISSIONS = [permission.value for permission in PersonPermissionType]
ENTITY_PERMISSIONS = [permission.value for permission in InvoicePermissionType]
TEXT_FIELDS = (
    "rodzaj",
    "typ-identyfikatora",
    "identyfikator",
    "imie",
    "nazwisko",
    "identyfikator-osoby",
    "data-urodzenia",
    "dokument-rodzaj",
    "dokument-numer",
    "dokument-kraj",
    "nip-podmiotu",
    "nazwa-podmiotu",
    "opis",
)
"""The form's text fields (sent back as typed when the form has errors)."""

_HEX64 = re.compile(r"[0-9A-F]{64}")
_COUNTRY = re.compile(r"[A-Z]{2}")


def capitalised(permission: str) -> str:
    """A permission's Polish name as a label ("Wystawianie faktur")."""
    label = PERMISSION_LABELS.get(permission, permission)
    return label[:1].upper() + label[1:]


@dataclass(frozen=True, slots=True)
class PersonGrant:
    subject: SubjectInput
    permissions: list[str]
    description: str


@dataclass(frozen=True, slots=True)
class EntityGrant:
    subject: SubjectInput
    permissions: list[tuple[str, bool]]
    """Each permission with its "canDelegate"."""
    description: str


def _text(value: str) -> str:
    return " ".join(value.split())


def _name(value: str, *, field: str, what: str, longest: int) -> str:
    value = _text(value)
    if not value:
        raise FieldProblem(field, f"Podaj {what}.")
    if not 2 <= len(value) <= longest:
        raise FieldProblem(field, f"Pole „{what}” musi mieć od 2 do {longest} znaków (ma {len(value)}).")
    if not all(character.isalpha() or character in " -'." for character in value):
        raise FieldProblem(field, f"Pole „{what}” może zawierać tylko litery, spacje, „-”, „.” i apostrof.")
    return value


def _fingerprint(value: str, *, field: str) -> str:
    cleaned = re.sub(r"[\s:]", "", value).upper()
    if not _HEX64.fullmatch(cleaned):
        raise FieldProblem(
            field,
            "Odcisk palca certyfikatu to 64 znaki szesnastkowe (0–9, A–F) — skrót SHA-256 certyfikatu; "
            f"podano {len(cleaned)} znaków.",
        )
    return cleaned


def _nip_or_pesel(value: str, *, field: str) -> tuple[str, str]:
    digits = value.strip().replace("-", "").replace(" ", "")
    if len(digits) == 11:
        return "Pesel", pesel_from(digits, field=field)
    if len(digits) == 10:
        return "Nip", nip_from(digits, field=field)
    raise FieldProblem(field, "Podaj NIP (10 cyfr) albo PESEL (11 cyfr) osoby.")


def _description(value: str) -> str:
    value = value.strip()
    if not 5 <= len(value) <= 256:
        raise FieldProblem("opis", f"Opis musi mieć od 5 do 256 znaków (ma {len(value)}).")
    return value


def _birth_date(value: str, *, today: dt.date) -> str:
    if not value:
        raise FieldProblem("data-urodzenia", "Podaj datę urodzenia albo NIP lub PESEL osoby.")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as error:
        raise FieldProblem("data-urodzenia", "Podaj datę w formacie RRRR-MM-DD.") from error
    if not dt.date(1900, 1, 1) <= day <= today:
        raise FieldProblem("data-urodzenia", f"Data urodzenia musi być między 1900-01-01 a dziś ({today.isoformat()}).")
    return day.isoformat()


def _document_part(value: str, *, field: str, what: str) -> str:
    value = _text(value)
    if not value:
        raise FieldProblem(field, f"Podaj {what} (albo NIP lub PESEL osoby).")
    if len(value) > 20:
        raise FieldProblem(field, f"Pole „{what}” może mieć najwyżej 20 znaków (ma {len(value)}).")
    return value


class _Collector:
    """Runs field readers, keeping each `FieldProblem` as the field's message."""

    def __init__(self, errors: FormErrors) -> None:
        self.errors = errors

    def __call__(self, read: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return read(*args, **kwargs)
        except FieldProblem as problem:
            self.errors.add(problem.field, problem.message)
            return None


def _checked_permissions(
    chosen: Sequence[str], known: Collection[str], errors: FormErrors, *, field: str
) -> list[str] | None:
    unique = list(dict.fromkeys(chosen))
    if not unique:
        errors.add(field, "Zaznacz co najmniej jedno uprawnienie.")
        return None
    unknown = [value for value in unique if value not in known]
    if unknown:
        errors.add(field, f"Nieznane uprawnienie: {', '.join(unknown)}. Wybierz spośród podanych.")
        return None
    return unique


def _api_problem(errors: FormErrors, error: ValidationError | InputValidationError) -> None:
    """What the API's own validation still refused (the fields above should have caught it first)."""
    if isinstance(error, InputValidationError):
        errors.extend("", [error.description, *error.details])
        return
    fields = sorted({".".join(str(part) for part in problem["loc"]) for problem in error.errors()})
    errors.add("", f"Dane nie spełniają wymagań KSeF (pola: {', '.join(fields)}). Sprawdź je i spróbuj ponownie.")


def _person(form: SubmittedForm, values: dict[str, str], errors: FormErrors, today: dt.date) -> PersonGrant | None:
    take = _Collector(errors)
    kind = values["typ-identyfikatora"]
    value: str | None = None
    if kind == "Pesel":
        value = take(pesel_from, values["identyfikator"].replace(" ", ""), field="identyfikator")
    elif kind == "Nip":
        value = take(nip_from, values["identyfikator"], field="identyfikator")
    elif kind == "Fingerprint":
        value = take(_fingerprint, values["identyfikator"], field="identyfikator")
    else:
        errors.add("typ-identyfikatora", "Wybierz typ identyfikatora: NIP, PESEL albo odcisk palca certyfikatu.")
    first = take(_name, values["imie"], field="imie", what="imię", longest=30)
    last = take(_name, values["nazwisko"], field="nazwisko", what="nazwisko", longest=81)
    details: dict[str, Any] = {}
    if kind == "Fingerprint":
        if values["identyfikator-osoby"]:
            person = take(_nip_or_pesel, values["identyfikator-osoby"], field="identyfikator-osoby")
            if person is not None:
                details = {
                    "subjectDetailsType": "PersonByFingerprintWithIdentifier",
                    "personByFpWithId": {
                        "firstName": first,
                        "lastName": last,
                        "identifier": {"type": person[0], "value": person[1]},
                    },
                }
        else:
            born = take(_birth_date, values["data-urodzenia"], today=today)
            document = take(_document_part, values["dokument-rodzaj"], field="dokument-rodzaj", what="rodzaj dokumentu")
            number = take(_document_part, values["dokument-numer"], field="dokument-numer", what="numer dokumentu")
            country = values["dokument-kraj"].strip().upper()
            if not _COUNTRY.fullmatch(country):
                errors.add("dokument-kraj", "Podaj kraj wydania dokumentu jako dwuliterowy kod ISO, np. DE.")
            details = {
                "subjectDetailsType": "PersonByFingerprintWithoutIdentifier",
                "personByFpNoId": {
                    "firstName": first,
                    "lastName": last,
                    "birthDate": born,
                    "idDocument": {"type": document, "number": number, "country": country},
                },
            }
    else:
        details = {"subjectDetailsType": "PersonByIdentifier", "personById": {"firstName": first, "lastName": last}}
    permissions = _checked_permissions(form.texts("uprawnienie"), PERSON_PERMISSIONS, errors, field="uprawnienia")
    description = take(_description, values["opis"])
    if errors or value is None or permissions is None:
        return None
    body = {
        "subjectIdentifier": {"type": kind, "value": value},
        "permissions": permissions,
        "description": description,
        "subjectDetails": details,
    }
    try:
        request = PersonPermissionsGrantRequest.model_validate(body)
        return PersonGrant(request.subject(), [p.value for p in request.permissions], request.description)
    except (ValidationError, InputValidationError) as error:
        _api_problem(errors, error)
        return None


def _entity(form: SubmittedForm, values: dict[str, str], errors: FormErrors) -> EntityGrant | None:
    take = _Collector(errors)
    nip = take(nip_from, values["nip-podmiotu"], field="nip-podmiotu")
    name = _text(values["nazwa-podmiotu"])
    if not 5 <= len(name) <= 90:
        errors.add("nazwa-podmiotu", f"Pełna nazwa podmiotu musi mieć od 5 do 90 znaków (ma {len(name)}).")
    permissions = _checked_permissions(
        form.texts("uprawnienie-podmiotu"), ENTITY_PERMISSIONS, errors, field="uprawnienia-podmiotu"
    )
    delegable = list(dict.fromkeys(form.texts("przekazywanie")))
    if permissions is not None and (extra := [p for p in delegable if p not in permissions]):
        labels = ", ".join(f"„{PERMISSION_LABELS.get(p, p)}”" for p in extra)
        errors.add("uprawnienia-podmiotu", f"Prawo do dalszego przekazywania dotyczy zaznaczonych uprawnień: {labels}.")
    description = take(_description, values["opis"])
    if errors or nip is None or permissions is None:
        return None
    body = {
        "subjectIdentifier": {"type": "Nip", "value": nip},
        "permissions": [{"type": p, "canDelegate": p in delegable} for p in permissions],
        "description": description,
        "subjectDetails": {"fullName": name},
    }
    try:
        request = EntityPermissionsGrantRequest.model_validate(body)
        chosen = [(p.type.value, bool(p.can_delegate)) for p in request.permissions]
        return EntityGrant(request.subject(), chosen, request.description)
    except (ValidationError, InputValidationError) as error:
        _api_problem(errors, error)
        return None


def read_grant(
    form: SubmittedForm, errors: FormErrors, *, today: dt.date
) -> tuple[dict[str, str], PersonGrant | EntityGrant | None]:
    """The form's values as typed, and the grant when every field is right (else None, with `errors` filled)."""
    values = {name: form.text(name) for name in TEXT_FIELDS}
    if values["rodzaj"] == PERSON:
        return values, _person(form, values, errors, today)
    if values["rodzaj"] == ENTITY:
        return values, _entity(form, values, errors)
    errors.add("rodzaj", "Wybierz rodzaj uprawnienia.")
    return values, None
