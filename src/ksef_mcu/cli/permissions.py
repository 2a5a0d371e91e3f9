"""`ksef-mcu permissions grant|revoke|list|status`: permissions in the logged-in context (the MCU's "Uprawnienia").

A grant or revocation is an operation in KSeF: the command waits for its outcome (unless `--no-wait`) and prints it;
`status` shows an operation's outcome later. Granting needs CredentialsManage (the owner has it).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ksef_mcu import formatting, identifiers
from ksef_mcu.cli._common import ExitCode, console, fail, print_json, report_errors
from ksef_mcu.cli._frame import Choice, add_command, new_group
from ksef_mcu.cli._lazy import box, certificates, rich_console, rich_table
from ksef_mcu.cli._network import BaseUrlOption, EnvironmentChoice, EnvironmentOption, connect, print_done, spinner
from ksef_mcu.formatting import format_moment

if TYPE_CHECKING:
    from ksef_mcu.crypto.certificates import SubjectIdentifier

JsonOption = Annotated[bool, typer.Option("--json", help="Wynik jako JSON (dla skryptów).")]

PERMISSION_LABELS = {
    permission: formatting.PERMISSION_LABELS[permission]
    for permission in (
        "InvoiceWrite",
        "InvoiceRead",
        "CredentialsManage",
        "CredentialsRead",
        "Introspection",
        "SubunitManage",
        "EnforcementOperations",
        "VatUeManage",
    )
}
"""The permissions a person can hold, with their Polish names (`uprawnienia.md`, shared in `formatting`)."""

PERMISSION_CHOICE = Choice(
    {
        "wystawianie-faktur": "InvoiceWrite",
        "przegladanie-faktur": "InvoiceRead",
        "zarzadzanie-uprawnieniami": "CredentialsManage",
        "przegladanie-uprawnien": "CredentialsRead",
        "historia-sesji": "Introspection",
        "jednostki-podrzedne": "SubunitManage",
        "egzekucja": "EnforcementOperations",
    },
    also={value.lower(): value for value in PERMISSION_LABELS}
    | {
        "invoice-write": "InvoiceWrite",
        "invoice-read": "InvoiceRead",
        "credentials-manage": "CredentialsManage",
        "credentials-read": "CredentialsRead",
        "introspection": "Introspection",
        "subunit-manage": "SubunitManage",
        "enforcement-operations": "EnforcementOperations",
    },
)


class Recipient(enum.StrEnum):
    PERSON = "person"
    ENTITY = "entity"


RECIPIENT_CHOICE = Choice(
    {"osoba": Recipient.PERSON, "podmiot": Recipient.ENTITY},
    also={"person": Recipient.PERSON, "entity": Recipient.ENTITY},
)


LIST_WIDTH_WHEN_PIPED = 200


def print_table(table: Any) -> None:
    """Print a listing; piped output is not squeezed to 80 columns, so every row stays on one line for grep."""
    target = (
        console
        if console.is_terminal
        else rich_console.Console(file=console.file, width=LIST_WIDTH_WHEN_PIPED, highlight=False)
    )
    target.print(table)


def label(permission: str) -> str:
    return PERMISSION_LABELS.get(permission, permission)


def _subject(nip: str | None, pesel: str | None, fingerprint: str | None) -> SubjectIdentifier:
    given = [
        (t, v)
        for t, v in (
            (certificates.SubjectIdentifierType.NIP, nip),
            (certificates.SubjectIdentifierType.PESEL, pesel),
            (certificates.SubjectIdentifierType.FINGERPRINT, fingerprint),
        )
        if v
    ]
    if len(given) != 1:
        fail("Wskaż jedną osobę lub podmiot: --nip, --pesel albo --fingerprint.", ExitCode.USAGE)
    kind, value = given[0]
    value = value.strip()
    if kind is certificates.SubjectIdentifierType.NIP:
        value = identifiers.check_nip(value)
    elif kind is certificates.SubjectIdentifierType.PESEL:
        value = identifiers.check_pesel(value)
    elif not identifiers.FINGERPRINT_PATTERN.fullmatch(value):
        fail("Odcisk certyfikatu (--fingerprint) to 64 cyfry szesnastkowe (SHA-256).", ExitCode.USAGE)
    return certificates.SubjectIdentifier(
        kind, value.upper() if kind is certificates.SubjectIdentifierType.FINGERPRINT else value
    )


def _outcome(session: Any, reference: str, wait: bool, done: str) -> None:
    if not wait:
        print_done(f"Operację przyjęto: {reference}. Wynik: ksef-mcu permissions status {reference}")
        return
    with spinner("Oczekiwanie na wynik operacji…"):
        final = session.client.permissions.wait(reference)
    status = final.status
    if not status.succeeded:
        details = "; ".join(status.details)
        fail(f"KSeF odmówił ({status.code}: {status.description}). {details}".strip(), ExitCode.REFUSED)
    print_done(done)


@report_errors
def grant(
    *,
    nip: Annotated[str | None, typer.Option("--nip", help="NIP osoby albo podmiotu.")] = None,
    pesel: Annotated[str | None, typer.Option("--pesel", help="PESEL osoby.")] = None,
    fingerprint: Annotated[
        str | None, typer.Option("--fingerprint", help="Odcisk certyfikatu osoby (SHA-256).")
    ] = None,
    recipient: Annotated[
        Recipient,
        typer.Option(
            "--to",
            parser=RECIPIENT_CHOICE.parse,
            metavar=RECIPIENT_CHOICE.metavar,
            help="Komu: osobie fizycznej do pracy w KSeF albo podmiotowi (np. biuru rachunkowemu) do obsługi faktur.",
        ),
    ] = Recipient.PERSON,
    permission: Annotated[
        list[str],
        typer.Option(
            "--permission",
            "-p",
            parser=PERMISSION_CHOICE.parse,
            metavar=PERMISSION_CHOICE.metavar,
            help="Uprawnienie (można powtarzać).",
        ),
    ],
    first_name: Annotated[str | None, typer.Option("--first-name", help="Imię osoby.")] = None,
    last_name: Annotated[str | None, typer.Option("--last-name", help="Nazwisko osoby.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Pełna nazwa podmiotu (--to podmiot).")] = None,
    can_delegate: Annotated[
        bool, typer.Option("--can-delegate", help="Podmiot może przekazywać te uprawnienia dalej (np. pracownikom).")
    ] = False,
    description: Annotated[str, typer.Option("--description", help="Opis (5–256 znaków).")],
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Czekaj na wynik operacji.")] = True,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Nadaj uprawnienie osobie (NIP, PESEL, odcisk certyfikatu) albo podmiotowi w bieżącym kontekście."""
    if not 5 <= len(description.strip()) <= 256:
        fail("Opis (--description) musi mieć od 5 do 256 znaków.", ExitCode.USAGE)
    subject = _subject(nip, pesel, fingerprint)
    permissions = list(dict.fromkeys(permission))
    with connect(environment, base_url) as session:
        with spinner("Nadawanie uprawnienia…"):
            if recipient is Recipient.ENTITY:
                if subject.type is not certificates.SubjectIdentifierType.NIP or not name:
                    fail("Podmiotowi nadaje się uprawnienia po NIP (--nip) z pełną nazwą (--name).", ExitCode.USAGE)
                operation = session.client.permissions.grant_to_entity(
                    subject.value,
                    permissions,
                    description.strip(),
                    full_name=name,
                    can_delegate=permissions if can_delegate else (),
                )
            else:
                if not first_name or not last_name:
                    fail("Podaj imię i nazwisko osoby: --first-name i --last-name.", ExitCode.USAGE)
                operation = session.client.permissions.grant_to_person(
                    subject, permissions, description.strip(), first_name=first_name, last_name=last_name
                )
        labels = ", ".join(label(p) for p in permissions)
        _outcome(
            session,
            operation.reference_number,
            wait,
            f"Nadano uprawnienia ({labels}): {subject.type.value} {subject.value}.",
        )


@report_errors
def revoke(
    permission_id: Annotated[str, typer.Argument(help="Identyfikator uprawnienia (z ksef-mcu permissions list).")],
    authorization: Annotated[
        bool, typer.Option("--authorization", help="To uprawnienie podmiotowe (samofakturowanie, …).")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Czekaj na wynik operacji.")] = True,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Odbierz uprawnienie o podanym identyfikatorze (skutek przy następnym logowaniu lub odświeżeniu)."""
    with connect(environment, base_url) as session:
        with spinner("Odbieranie uprawnienia…"):
            api = session.client.permissions
            operation = api.revoke_authorization(permission_id) if authorization else api.revoke(permission_id)
        _outcome(session, operation.reference_number, wait, f"Odebrano uprawnienie {escape(permission_id)}.")


class Listing(enum.StrEnum):
    GRANTED = "granted"
    OWN = "own"
    ENTITIES = "entities"


LISTING_CHOICE = Choice(
    {"nadane": Listing.GRANTED, "wlasne": Listing.OWN, "podmiotu": Listing.ENTITIES},
    also={"granted": Listing.GRANTED, "own": Listing.OWN, "entities": Listing.ENTITIES, "własne": Listing.OWN},
)


@report_errors
def list_permissions(
    *,
    which: Annotated[
        Listing,
        typer.Option(
            "--which",
            parser=LISTING_CHOICE.parse,
            metavar=LISTING_CHOICE.metavar,
            help="Nadane w bieżącym kontekście, własne, albo otrzymane przez podmiot do obsługi faktur.",
        ),
    ] = Listing.GRANTED,
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Lista uprawnień (wszystkie strony), najnowsze na górze."""
    with connect(environment, base_url) as session, spinner("Pobieranie listy uprawnień…"):
        api = session.client.permissions
        if which is Listing.OWN:
            items = list(api.personal())
        elif which is Listing.ENTITIES:
            items = list(api.entities())
        else:
            items = list(api.persons())
    if as_json:
        print_json([item.model_dump(mode="python", by_alias=True, exclude_none=True) for item in items])
        return
    if not items:
        console.print("Brak uprawnień.")
        return
    table = rich_table.Table(title="Uprawnienia", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in ("Identyfikator", "Uprawnienie", "Komu", "Kontekst", "Stan", "Od", "Opis"):
        table.add_column(column, no_wrap=column not in ("Opis", "Komu"))
    for item in items:
        holder = " ".join(part for part in (item.holder, item.holder_name) if part)
        state = {"Active": "aktywne", "Inactive": "nieaktywne"}.get(str(item.permission_state or ""), "aktywne")
        table.add_row(
            item.id,
            label(item.scope),
            escape(holder or "—"),
            escape(str(item.context_identifier or "—")),
            state,
            format_moment(item.start_date),
            escape(item.description),
        )
    print_table(table)


@report_errors
def status(
    reference_number: Annotated[str, typer.Argument(help="Numer referencyjny operacji nadania lub odebrania.")],
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Wynik operacji nadania lub odebrania uprawnień."""
    with connect(environment, base_url) as session:
        result = session.client.permissions.operation_status(reference_number)
    if as_json:
        print_json(result.model_dump(mode="python", by_alias=True))
        return
    info = result.status
    console.print(f"{info.code}: {escape(info.description)}")
    for detail in info.details:
        console.print(f"  {escape(detail)}")
    if info.failed:
        raise typer.Exit(ExitCode.REFUSED)


@report_errors
def attachments(
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Czy bieżący kontekst ma zgodę na wystawianie faktur z załącznikiem (wymaga CredentialsManage lub
    CredentialsRead)."""
    with connect(environment, base_url) as session:
        result = session.client.permissions.attachment_status()
    if as_json:
        print_json(result.model_dump(mode="json", by_alias=True))
        return
    if result.is_attachment_allowed:
        ending = f"; wygasa {format_moment(result.revoked_date)}" if result.revoked_date else " (bezterminowo)"
        console.print(f"Faktury z załącznikiem: dozwolone{ending}.")
    elif result.revoked_date is not None:
        console.print(f"Faktury z załącznikiem: niedozwolone (zgoda wygasła {format_moment(result.revoked_date)}).")
    else:
        console.print("Faktury z załącznikiem: niedozwolone (brak zgody zgłoszonej w e-Urzędzie Skarbowym).")


def register(parent: typer.Typer) -> None:
    """Add the `permissions` group to the `ksef-mcu` command."""
    group = new_group(
        "permissions",
        "Uprawnienia w bieżącym kontekście: nadaj, odbierz, lista, status operacji, zgoda na załączniki.",
    )
    add_command(group, "grant", grant)
    add_command(group, "revoke", revoke)
    add_command(group, "list", list_permissions)
    add_command(group, "status", status)
    add_command(group, "attachments", attachments)
    parent.add_typer(group)
