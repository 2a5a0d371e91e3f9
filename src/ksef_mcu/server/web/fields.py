"""Reading what people type into the MCU screens' forms: contexts, identifiers, names and dates, each with the
Polish message the field shows when it is wrong. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ksef_mcu import identifiers
from ksef_mcu.crypto.errors import CertificateNameError
from ksef_mcu.crypto.names import check_mcu_certificate_name
from ksef_mcu.identifiers import CONTEXT_VALUE_SHAPES, ContextIdentifier, ContextIdentifierType

CONTEXT_TYPE_LABELS: dict[str, str] = {
    ContextIdentifierType.NIP.value: "NIP",
    ContextIdentifierType.INTERNAL_ID.value: "Identyfikator wewnętrzny",
    ContextIdentifierType.NIP_VAT_UE.value: "NIP VAT UE",
}
"""The login contexts the screens offer (the guide's "kontekst logowania"), in its words."""

CONTEXT_TYPE_CHOICES: list[tuple[str, str]] = list(CONTEXT_TYPE_LABELS.items())


class FieldProblem(ValueError):  # noqa: N818 - a value problem with its field, not an error of the program
    """A value a person typed is not acceptable; `field` names the form field, `message` is Polish."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def context_from(type_value: str, value: str, *, field: str = "kontekst") -> ContextIdentifier:
    """The login context typed into a form. Raises `FieldProblem`."""
    if type_value not in CONTEXT_TYPE_LABELS:
        raise FieldProblem(f"{field}-typ", "Wybierz rodzaj identyfikatora kontekstu.")
    value = value.strip().replace(" ", "")
    kind = ContextIdentifierType(type_value)
    if not value:
        raise FieldProblem(field, f"Podaj {CONTEXT_TYPE_LABELS[type_value]} kontekstu logowania.")
    context = ContextIdentifier(kind, value)
    if not context.is_valid():
        raise FieldProblem(
            field,
            f"Nieprawidłowy {CONTEXT_TYPE_LABELS[type_value]}: oczekiwano {CONTEXT_VALUE_SHAPES[kind]}, z poprawną "
            "cyfrą kontrolną.",
        )
    return context


CONTEXT_TYPE_PARAMETER = "contextType"
CONTEXT_VALUE_PARAMETER = "contextValue"
"""The query parameters that pre-fill the login context (e.g. Obsługa Faktur's "Przejdź do platformy KSeF" link):
`/?contextType=Nip&contextValue=5265877635`."""


def context_hint(query: Mapping[str, str]) -> ContextIdentifier | None:
    """The login context suggested by the address, or None when it is absent or not a valid identifier (ignored
    without a message). Only a pre-fill of the form fields: the context a person logs in to is what the form sends
    and what the signed document says — this is never used to decide anything."""
    type_value = query.get(CONTEXT_TYPE_PARAMETER, "")
    value = query.get(CONTEXT_VALUE_PARAMETER, "")
    if type_value not in CONTEXT_TYPE_LABELS or not value or len(value) > 64:
        return None
    context = ContextIdentifier(ContextIdentifierType(type_value), value)
    return context if context.is_valid() else None


def nip_from(value: str, *, field: str) -> str:
    """Raises `FieldProblem` with `identifiers.check_nip`'s message."""
    try:
        return identifiers.check_nip(value.strip().replace("-", "").replace(" ", ""))
    except identifiers.IdentifierError as error:
        raise FieldProblem(field, error.message) from error


def pesel_from(value: str, *, field: str) -> str:
    try:
        return identifiers.check_pesel(value.strip())
    except identifiers.IdentifierError as error:
        raise FieldProblem(field, error.message) from error


def person_name_from(value: str, *, field: str, what: str) -> str:
    """A first name or surname for a test login: 1–64 letters, spaces, '-' or apostrophes."""
    value = " ".join(value.split())
    if not value:
        raise FieldProblem(field, f"Podaj {what}.")
    if len(value) > 64 or not all(character.isalpha() or character in " -'" for character in value):
        raise FieldProblem(field, f"Pole „{what}” może zawierać tylko litery, spacje, „-” i apostrof (do 64 znaków).")
    return value


def organization_name_from(value: str, *, field: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise FieldProblem(field, "Podaj nazwę firmy.")
    if len(value) > 64 or any(character in ',;=+<>#"\\' for character in value):
        raise FieldProblem(field, 'Nazwa firmy może mieć do 64 znaków, bez przecinków, średników i znaków =+<>#"\\.')
    return value


def certificate_name_from(value: str, *, field: str = "nazwa") -> str:
    """The MCU rule (5–50: ASCII letters, digits, spaces, '-', '_'). Raises `FieldProblem` naming every rule."""
    try:
        return check_mcu_certificate_name(value)
    except CertificateNameError as error:
        raise FieldProblem(field, " ".join(error.failures)) from error


@dataclass(frozen=True, slots=True)
class ValidityStart:
    day: dt.date
    """The Polish calendar day chosen."""
    is_today: bool


def validity_start_from(value: str, *, today: dt.date, max_days_ahead: int, field: str = "wazny-od") -> ValidityStart:
    """ "Certyfikat ważny od": today by default, at most `max_days_ahead` days ahead, never in the past."""
    if not value:
        return ValidityStart(today, True)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as error:
        raise FieldProblem(field, "Podaj datę w formacie RRRR-MM-DD.") from error
    if day < today:
        raise FieldProblem(field, f"Data nie może być wcześniejsza niż dziś ({today.isoformat()}).")
    latest = today + dt.timedelta(days=max_days_ahead)
    if day > latest:
        raise FieldProblem(
            field, f"Certyfikat może zaczynać ważność najpóźniej {max_days_ahead} dni od dziś ({latest.isoformat()})."
        )
    return ValidityStart(day, day == today)
