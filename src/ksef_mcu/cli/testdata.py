"""`ksef-mcu testdata`: set up test data the way the Ministry's TEST environment allows (`/v2/testdata/*`).

Subjects (VAT groups, local government units, enforcement authorities), persons with a NIP–PESEL binding, permissions
as if granted by a ZAW-FA form, and blocking logins into a context. Only `local` (our server in sandbox mode) and
`test` have these endpoints; DEMO and production refuse them, so the commands do too, before sending anything.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ksef_mcu import identifiers
from ksef_mcu.cli._common import ExitCode, fail, report_errors
from ksef_mcu.cli._frame import Choice, add_command, new_group
from ksef_mcu.cli._lazy import client
from ksef_mcu.cli._network import (
    BaseUrlOption,
    EnvironmentChoice,
    EnvironmentOption,
    connect,
    parse_date,
    print_done,
    spinner,
)


class SubjectType(enum.StrEnum):
    """`subjectType` of `POST /testdata/subject`."""

    VAT_GROUP = "VatGroup"
    JST = "JST"
    ENFORCEMENT_AUTHORITY = "EnforcementAuthority"


SUBJECT_TYPE_CHOICE = Choice(
    {
        "grupa-vat": SubjectType.VAT_GROUP,
        "jst": SubjectType.JST,
        "organ-egzekucyjny": SubjectType.ENFORCEMENT_AUTHORITY,
    },
    also={"vat-group": SubjectType.VAT_GROUP, "enforcement-authority": SubjectType.ENFORCEMENT_AUTHORITY},
)


class PermissionChoice(enum.StrEnum):
    INVOICE_READ = "invoice-read"
    INVOICE_WRITE = "invoice-write"
    INTROSPECTION = "introspection"
    CREDENTIALS_READ = "credentials-read"
    CREDENTIALS_MANAGE = "credentials-manage"
    ENFORCEMENT_OPERATIONS = "enforcement-operations"
    SUBUNIT_MANAGE = "subunit-manage"

    @property
    def api(self) -> str:
        return "".join(part.capitalize() for part in self.value.split("-"))


def _description(text: str, option: str = "--description") -> str:
    value = text.strip()
    if not 5 <= len(value) <= 256:
        fail(f"Opis ({option}) musi mieć od 5 do 256 znaków.", ExitCode.USAGE)
    return value


def _refuse_official_production(environment: EnvironmentChoice) -> client.Environment:
    env = client.Environment.parse(environment.value)
    if env in (client.Environment.DEMO, client.Environment.PROD):
        fail(
            f"Dane testowe są dostępne tylko w środowisku test i na własnym serwerze (local), nie w {env.value}.",
            ExitCode.USAGE,
        )
    return env


def _post(environment: EnvironmentChoice, base_url: str | None, path: str, body: dict[str, Any], what: str) -> None:
    env = _refuse_official_production(environment)
    with connect(env, base_url, login_required=False) as session, spinner(f"{what}…"):
        session.client.request("POST", path, json=body, authenticated=False)


@report_errors
def subject_create(
    *,
    nip: Annotated[str, typer.Argument(help="NIP podmiotu.")],
    subject_type: Annotated[
        SubjectType,
        typer.Option(
            "--type",
            parser=SUBJECT_TYPE_CHOICE.parse,
            metavar=SUBJECT_TYPE_CHOICE.metavar,
            help="Rodzaj podmiotu: grupa VAT, jednostka samorządu terytorialnego (JST) albo organ egzekucyjny.",
        ),
    ],
    description: Annotated[str, typer.Option("--description", help="Opis (5–256 znaków).")] = "Podmiot testowy",
    subunits: Annotated[
        list[str] | None,
        typer.Option("--subunit", help="Jednostka podrzędna: NIP albo NIP=opis (można powtarzać).", show_default=False),
    ] = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Utwórz podmiot (grupa VAT, JST z jednostkami podrzędnymi, organ egzekucyjny)."""
    units = []
    for entry in subunits or []:
        unit_nip, _, unit_description = entry.partition("=")
        units.append(
            {
                "subjectNip": identifiers.check_nip(unit_nip.strip()),
                "description": _description(unit_description or f"Jednostka {unit_nip.strip()}", "--subunit"),
            }
        )
    body: dict[str, Any] = {
        "subjectNip": identifiers.check_nip(nip),
        "subjectType": subject_type.value,
        "description": _description(description),
    }
    if units:
        body["subunits"] = units
    _post(environment, base_url, "/testdata/subject", body, "Tworzenie podmiotu")
    print_done(f"Utworzono podmiot {nip} ({subject_type.value}).")


@report_errors
def subject_remove(
    nip: Annotated[str, typer.Argument(help="NIP podmiotu.")],
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Usuń podmiot (z jednostkami podrzędnymi)."""
    _post(
        environment,
        base_url,
        "/testdata/subject/remove",
        {"subjectNip": identifiers.check_nip(nip)},
        "Usuwanie podmiotu",
    )
    print_done(f"Usunięto podmiot {nip}.")


@report_errors
def person_create(
    *,
    nip: Annotated[str, typer.Option("--nip", help="NIP osoby (kontekst, w którym będzie właścicielem).")],
    pesel: Annotated[str, typer.Option("--pesel", help="PESEL osoby.")],
    description: Annotated[str, typer.Option("--description", help="Opis (5–256 znaków).")] = "Osoba testowa",
    bailiff: Annotated[bool, typer.Option("--bailiff", help="Komornik sądowy (uprawnienie egzekucyjne).")] = False,
    deceased: Annotated[bool, typer.Option("--deceased", help="Osoba zmarła (logowanie odmówione).")] = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Utwórz osobę fizyczną: powiązanie NIP–PESEL i prawa właściciela w kontekście NIP."""
    body = {
        "nip": identifiers.check_nip(nip),
        "pesel": identifiers.check_pesel(pesel),
        "isBailiff": bailiff,
        "isDeceased": deceased,
        "description": _description(description),
    }
    _post(environment, base_url, "/testdata/person", body, "Tworzenie osoby")
    print_done(f"Utworzono osobę: PESEL {pesel}, NIP {nip}. Może logować się certyfikatem z PESEL w kontekście {nip}.")


@report_errors
def person_remove(
    nip: Annotated[str, typer.Argument(help="NIP osoby.")],
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Usuń osobę i wszystkie jej uprawnienia."""
    _post(environment, base_url, "/testdata/person/remove", {"nip": identifiers.check_nip(nip)}, "Usuwanie osoby")
    print_done(f"Usunięto osobę o NIP {nip}.")


def _authorized(nip: str | None, pesel: str | None, fingerprint: str | None) -> dict[str, str]:
    given = [(kind, value) for kind, value in (("Nip", nip), ("Pesel", pesel), ("Fingerprint", fingerprint)) if value]
    if len(given) != 1:
        fail("Wskaż dokładnie jednego uprawnionego: --nip, --pesel albo --fingerprint.", ExitCode.USAGE)
    kind, value = given[0]
    if kind == "Nip":
        value = identifiers.check_nip(value)
    elif kind == "Pesel":
        value = identifiers.check_pesel(value)
    else:
        value = value.strip().upper()
        if len(value) != 64 or any(character not in "0123456789ABCDEF" for character in value):
            fail("Odcisk certyfikatu (--fingerprint) to 64 cyfry szesnastkowe SHA-256.", ExitCode.USAGE)
    return {"type": kind, "value": value}


ContextNipOption = Annotated[str, typer.Option("--context-nip", help="NIP kontekstu (firmy), w którym nadać.")]
AuthorizedNip = Annotated[str | None, typer.Option("--nip", help="Uprawniony: NIP.")]
AuthorizedPesel = Annotated[str | None, typer.Option("--pesel", help="Uprawniony: PESEL.")]
AuthorizedFingerprint = Annotated[
    str | None, typer.Option("--fingerprint", help="Uprawniony: odcisk SHA-256 certyfikatu.")
]


@report_errors
def permissions_grant(
    *,
    context_nip: ContextNipOption,
    permissions: Annotated[
        list[PermissionChoice],
        typer.Option("--permission", case_sensitive=False, help="Uprawnienie (można powtarzać)."),
    ],
    nip: AuthorizedNip = None,
    pesel: AuthorizedPesel = None,
    fingerprint: AuthorizedFingerprint = None,
    description: Annotated[str, typer.Option("--description", help="Opis (5–256 znaków).")] = "Uprawnienie testowe",
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Nadaj uprawnienia w kontekście NIP (symulacja ZAW-FA)."""
    text = _description(description)
    body = {
        "contextIdentifier": {"type": "Nip", "value": identifiers.check_nip(context_nip)},
        "authorizedIdentifier": _authorized(nip, pesel, fingerprint),
        "permissions": [
            {"permissionType": permission.api, "description": text} for permission in dict.fromkeys(permissions)
        ],
    }
    _post(environment, base_url, "/testdata/permissions", body, "Nadawanie uprawnień")
    names = ", ".join(permission.api for permission in dict.fromkeys(permissions))
    print_done(f"Nadano uprawnienia {names} w kontekście NIP {context_nip}.")


@report_errors
def permissions_revoke(
    *,
    context_nip: ContextNipOption,
    nip: AuthorizedNip = None,
    pesel: AuthorizedPesel = None,
    fingerprint: AuthorizedFingerprint = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Odbierz uprawnienia nadane danymi testowymi w kontekście NIP."""
    body = {
        "contextIdentifier": {"type": "Nip", "value": identifiers.check_nip(context_nip)},
        "authorizedIdentifier": _authorized(nip, pesel, fingerprint),
    }
    _post(environment, base_url, "/testdata/permissions/revoke", body, "Odbieranie uprawnień")
    print_done(f"Odebrano uprawnienia w kontekście NIP {context_nip}.")


def _context(nip: str | None, internal_id: str | None, nip_vat_ue: str | None, peppol_id: str | None) -> dict[str, Any]:
    given = [
        (kind, value)
        for kind, value in (
            ("Nip", nip),
            ("InternalId", internal_id),
            ("NipVatUe", nip_vat_ue),
            ("PeppolId", peppol_id),
        )
        if value
    ]
    if len(given) != 1:
        fail("Wskaż dokładnie jeden kontekst: --nip, --internal-id, --nip-vat-ue albo --peppol-id.", ExitCode.USAGE)
    kind, value = given[0]
    return {
        "contextIdentifier": {"type": kind, "value": identifiers.check_nip(value) if kind == "Nip" else value.strip()}
    }


ContextNip = Annotated[str | None, typer.Option("--nip", help="Kontekst: NIP.")]
ContextInternalId = Annotated[str | None, typer.Option("--internal-id", help="Kontekst: identyfikator wewnętrzny.")]
ContextNipVatUe = Annotated[str | None, typer.Option("--nip-vat-ue", help="Kontekst: NIP-VAT UE.")]
ContextPeppolId = Annotated[str | None, typer.Option("--peppol-id", help="Kontekst: identyfikator Peppol.")]


@report_errors
def context_block(
    *,
    nip: ContextNip = None,
    internal_id: ContextInternalId = None,
    nip_vat_ue: ContextNipVatUe = None,
    peppol_id: ContextPeppolId = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Zablokuj logowanie w kontekście (uwierzytelnienie kończy się statusem 480)."""
    body = _context(nip, internal_id, nip_vat_ue, peppol_id)
    _post(environment, base_url, "/testdata/context/block", body, "Blokowanie kontekstu")
    print_done(f"Zablokowano uwierzytelnianie w kontekście {body['contextIdentifier']['value']}.")


@report_errors
def context_unblock(
    *,
    nip: ContextNip = None,
    internal_id: ContextInternalId = None,
    nip_vat_ue: ContextNipVatUe = None,
    peppol_id: ContextPeppolId = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Odblokuj logowanie w kontekście."""
    body = _context(nip, internal_id, nip_vat_ue, peppol_id)
    _post(environment, base_url, "/testdata/context/unblock", body, "Odblokowywanie kontekstu")
    print_done(f"Odblokowano uwierzytelnianie w kontekście {body['contextIdentifier']['value']}.")


AttachmentNip = Annotated[str, typer.Option("--nip", help="NIP podmiotu (kontekstu).")]


@report_errors
def attachment_allow(
    *,
    nip: AttachmentNip,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Zezwól podmiotowi na wystawianie faktur z załącznikiem (jak zgoda zgłoszona w e-Urzędzie Skarbowym)."""
    value = identifiers.check_nip(nip.strip())
    _post(environment, base_url, "/testdata/attachment", {"nip": value}, "Nadawanie zgody")
    print_done(f"Podmiot {value} może wystawiać faktury z załącznikiem.")


@report_errors
def attachment_revoke(
    *,
    nip: AttachmentNip,
    end_date: Annotated[
        str | None,
        typer.Option(
            "--end-date", help="Dzień wycofania zgody (RRRR-MM-DD, nie wcześniejszy niż dziś); domyślnie od razu."
        ),
    ] = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Wycofaj zgodę podmiotu na wystawianie faktur z załącznikiem (od razu albo od wskazanego dnia)."""
    value = identifiers.check_nip(nip.strip())
    body: dict[str, Any] = {"nip": value}
    if end_date is not None:
        body["expectedEndDate"] = parse_date(end_date, "--end-date").isoformat()
    _post(environment, base_url, "/testdata/attachment/revoke", body, "Wycofywanie zgody")
    when = f" od {body['expectedEndDate']}" if end_date is not None else ""
    print_done(f"Wycofano zgodę podmiotu {value} na faktury z załącznikiem{when}.")


@report_errors
def limits_set(
    *,
    max_enrollments: Annotated[
        int | None, typer.Option("--max-enrollments", min=0, help="Najwięcej wniosków o certyfikat.")
    ] = None,
    max_certificates: Annotated[
        int | None, typer.Option("--max-certificates", min=0, help="Najwięcej aktywnych certyfikatów.")
    ] = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Zmień limity certyfikatów zalogowanego podmiotu (np. żeby sprawdzić komunikat o wyczerpanym limicie)."""
    if max_enrollments is None and max_certificates is None:
        fail("Podaj --max-enrollments albo --max-certificates (albo oba).", ExitCode.USAGE)
    body: dict[str, Any] = {}
    if max_enrollments is not None:
        body["enrollment"] = {"maxEnrollments": max_enrollments}
    if max_certificates is not None:
        body["certificate"] = {"maxCertificates": max_certificates}
    env = _refuse_official_production(environment)
    with connect(env, base_url) as session, spinner("Zmiana limitów…"):
        session.client.request("POST", "/testdata/limits/subject/certificate", json=body)
    print_done("Zmieniono limity certyfikatów; sprawdź je: ksef-mcu cert limits")


@report_errors
def limits_reset(
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Przywróć domyślne limity certyfikatów zalogowanego podmiotu."""
    env = _refuse_official_production(environment)
    with connect(env, base_url) as session, spinner("Przywracanie limitów…"):
        session.client.request("DELETE", "/testdata/limits/subject/certificate")
    print_done("Przywrócono domyślne limity certyfikatów.")


def register(parent: typer.Typer) -> None:
    """Add the `testdata` group (subjects, persons, permissions, contexts, limits) to the `ksef-mcu` command."""
    group = new_group(
        "testdata",
        "Dane testowe (tylko local i test): podmioty, osoby, uprawnienia, blokada kontekstu, załączniki, limity.",
    )
    subgroups: list[tuple[str, str, dict[str, Callable[..., None]]]] = [
        (
            "subject",
            "Podmioty: grupa VAT, JST, organ egzekucyjny.",
            {"create": subject_create, "remove": subject_remove},
        ),
        ("person", "Osoby fizyczne z powiązaniem NIP–PESEL.", {"create": person_create, "remove": person_remove}),
        (
            "permissions",
            "Uprawnienia (jak z formularza ZAW-FA).",
            {"grant": permissions_grant, "revoke": permissions_revoke},
        ),
        ("context", "Blokada uwierzytelniania w kontekście.", {"block": context_block, "unblock": context_unblock}),
        (
            "attachment",
            "Zgoda na wystawianie faktur z załącznikiem.",
            {"allow": attachment_allow, "revoke": attachment_revoke},
        ),
        (
            "limits",
            "Limity certyfikatów zalogowanego podmiotu (wymaga zalogowania).",
            {"set": limits_set, "reset": limits_reset},
        ),
    ]
    for name, text, commands in subgroups:
        subgroup = new_group(name, text)
        for verb, function in commands.items():
            add_command(subgroup, verb, function)
        group.add_typer(subgroup)
    parent.add_typer(group)
