"""`ksef-mcu tokens create|list|revoke`: KSeF tokens of the logged-in context (the MCU's "Tokeny").

`create` prints the token once (to stdout, or into a new 0600 file with `--output`); it is a secret and never shown
again. Log in with it: `ksef-mcu login --token --token-file PLIK`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu import formatting
from ksef_mcu.cli._common import ExitCode, console, error_console, fail, print_json, report_errors
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli._lazy import box, rich_table
from ksef_mcu.cli._network import BaseUrlOption, EnvironmentChoice, EnvironmentOption, connect, print_done, spinner
from ksef_mcu.cli.permissions import PERMISSION_CHOICE, label, print_table
from ksef_mcu.formatting import format_moment
from ksef_mcu.storage.files import write_new_file

JsonOption = Annotated[bool, typer.Option("--json", help="Wynik jako JSON (dla skryptów).")]
STATUS_LABELS = formatting.TOKEN_STATUS_LABELS


@report_errors
def create(
    *,
    permission: Annotated[
        list[str],
        typer.Option(
            "--permission",
            "-p",
            parser=PERMISSION_CHOICE.parse,
            metavar=PERMISSION_CHOICE.metavar,
            help="Uprawnienie tokena (można powtarzać); tylko takie, które sam masz.",
        ),
    ],
    description: Annotated[str, typer.Option("--description", help="Opis tokena (5–256 znaków).")],
    output: Annotated[
        Path | None, typer.Option("--output", help="Zapisz token do nowego pliku (0600) zamiast go wypisać.")
    ] = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Wygeneruj token KSeF z wybranymi uprawnieniami (pokazywany tylko raz)."""
    if not 5 <= len(description.strip()) <= 256:
        fail("Opis (--description) musi mieć od 5 do 256 znaków.", ExitCode.USAGE)
    if output is not None and output.exists():
        fail(f"Plik {output} już istnieje — token zapisuje się tylko do nowego pliku.", ExitCode.LOCAL)
    with connect(environment, base_url) as session, spinner("Generowanie tokena…"):
        generated = session.client.ksef_tokens.generate(list(dict.fromkeys(permission)), description.strip())
    if output is not None:
        write_new_file(output, (generated.token + "\n").encode("utf-8"))
        print_done(f"Wygenerowano token {generated.reference_number}; zapisano go w {escape(str(output))} (0600).")
    else:
        print_done(f"Wygenerowano token {generated.reference_number}.")
        error_console.print("[yellow]Token jest pokazywany tylko raz — zapisz go w bezpiecznym miejscu:[/]")
        typer.echo(generated.token)


@report_errors
def list_tokens(
    *,
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Lista tokenów KSeF w bieżącym kontekście (najnowsze na górze); nigdy same tokeny."""
    with connect(environment, base_url) as session, spinner("Pobieranie listy tokenów…"):
        items = list(session.client.ksef_tokens.list())
    if as_json:
        print_json([item.model_dump(mode="python", by_alias=True) for item in items])
        return
    if not items:
        console.print("Brak tokenów KSeF w tym kontekście.")
        return
    table = rich_table.Table(title="Tokeny KSeF", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in ("Numer referencyjny", "Opis", "Uprawnienia", "Status", "Utworzony", "Ostatnie użycie"):
        table.add_column(column, no_wrap=column in ("Numer referencyjny", "Status"))
    for item in items:
        table.add_row(
            item.reference_number,
            escape(item.description),
            ", ".join(label(p) for p in item.requested_permissions),
            STATUS_LABELS.get(str(item.status), str(item.status)),
            format_moment(item.date_created),
            format_moment(item.last_use_date),
        )
    print_table(table)


@report_errors
def revoke(
    reference_number: Annotated[str, typer.Argument(help="Numer referencyjny tokena (z ksef-mcu tokens list).")],
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Unieważnij token KSeF (kolejne logowanie nim się nie powiedzie)."""
    with connect(environment, base_url) as session, spinner("Unieważnianie tokena…"):
        session.client.ksef_tokens.revoke(reference_number)
    print_done(f"Unieważniono token {escape(reference_number)}.")


def register(parent: typer.Typer) -> None:
    """Add the `tokens` group to the `ksef-mcu` command."""
    group = new_group("tokens", "Tokeny KSeF w bieżącym kontekście: wygeneruj, lista, unieważnij.")
    add_command(group, "create", create)
    add_command(group, "list", list_tokens)
    add_command(group, "revoke", revoke)
    parent.add_typer(group)
