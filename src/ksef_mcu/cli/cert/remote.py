"""`ksef-mcu cert status | list | download | revoke | limits`: the `cert` commands that follow and manage the subject's
certificates in KSeF — the MCU's "Odśwież", "Lista certyfikatów", "Pobierz certyfikat" and "Unieważnij".

Everything acts on the logged-in subject (see `ksef-mcu login`); the request journey lives in `cert.request`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ksef_mcu.cli._common import (
    ExitCode,
    check_new_file,
    confirm,
    console,
    ensure_directory,
    error_console,
    fail,
    print_json,
    print_rows,
    report_errors,
    write_new_file,
    write_private_file_replacing,
)
from ksef_mcu.cli._frame import Choice, add_command
from ksef_mcu.cli._lazy import box, client, client_validation, crypto_errors, names, rich_console, rich_table
from ksef_mcu.cli._network import (
    BaseUrlOption,
    EnvironmentChoice,
    EnvironmentOption,
    Session,
    connect,
    parse_date,
    print_done,
    spinner,
)
from ksef_mcu.cli.cert._shared import (
    DEFAULT_WAIT_SECONDS,
    TYPE_CHOICE,
    TYPE_LABELS,
    JsonOption,
    environment_flag,
    limit_reached,
    limits_rows,
    print_next_steps,
    status_label,
    status_text,
)
from ksef_mcu.formatting import (
    CERTIFICATE_STATUS_REASONS,
    CERTIFICATE_TYPE_SHORT_LABELS,
    format_day,
    format_moment,
    plural,
    start_of_day,
)

RETRIEVE_MAX = 10
LIST_WIDTH_WHEN_PIPED = 160


STATUS_CHOICE = Choice(
    {"aktywny": "Active", "zablokowany": "Blocked", "unieważniony": "Revoked", "wygasły": "Expired"},
    also={
        "uniewazniony": "Revoked",
        "wygasly": "Expired",
        "active": "Active",
        "blocked": "Blocked",
        "revoked": "Revoked",
        "expired": "Expired",
    },
)
"""`--status` (the MCU list's words; the API's English names and spellings without diacritics are accepted)."""
REASON_CHOICE = Choice(
    {"nieokreślony": "Unspecified", "zastąpiony": "Superseded", "kompromitacja-klucza": "KeyCompromise"},
    also={
        "nieokreslony": "Unspecified",
        "zastapiony": "Superseded",
        "unspecified": "Unspecified",
        "superseded": "Superseded",
        "key-compromise": "KeyCompromise",
        "keycompromise": "KeyCompromise",
    },
)
"""`--reason` (`CertificateRevocationReason`)."""


REASON_LABELS = {
    "Unspecified": "nieokreślony",
    "Superseded": "certyfikat został zastąpiony przez inny",
    "KeyCompromise": "klucz prywatny został skompromitowany",
}
"""`CertificateRevocationReason` values → Polish."""


def _limits_json(limits: client.CertificateLimits) -> dict[str, Any]:
    return limits.model_dump(mode="python", by_alias=True)


# --- status -------------------------------------------------------------------------------------------------------


def _status_json(reference_number: str, status: client.CertificateEnrollmentStatus) -> dict[str, Any]:
    return {"referenceNumber": reference_number, **status.model_dump(mode="python", by_alias=True)}


@report_errors
def status(
    *,
    reference_number: Annotated[str, typer.Argument(help="Numer referencyjny wniosku (z cert request).")],
    follow: Annotated[bool, typer.Option("--follow", help="Czekaj, aż wniosek się zakończy (jak „Odśwież”).")] = False,
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Pokaż status wniosku o certyfikat (100 w realizacji, 200 wydany, 400 odrzucony, 500/550 błąd)."""
    try:
        reference = client_validation.validate_reference_number(reference_number)
    except client.KsefInvalidInputError as error:
        fail(error.message, ExitCode.USAGE)
    with connect(environment, base_url) as session:
        enrollment = session.client.certificates.enrollment(reference)
        if follow:
            try:
                with spinner("Odświeżanie statusu wniosku…") as progress:
                    result = enrollment.wait(
                        timeout=DEFAULT_WAIT_SECONDS, on_progress=lambda s: progress.update(status_text(s))
                    )
            except client.KsefEnrollmentFailedError:
                result = enrollment.status()
        else:
            with spinner("Pobieranie statusu wniosku…"):
                result = enrollment.status()
    info = result.status
    if as_json:
        print_json(_status_json(reference, result))
    else:
        color = "green" if info.succeeded else "yellow" if info.in_progress else "red"
        rows = [
            ("Wniosek", reference),
            ("Złożony", format_moment(result.request_date)),
            ("Status", f"[{color}]{info.code} — {escape(info.description)}[/]"),
        ]
        rows += [("Szczegóły", escape(detail)) for detail in info.details]
        if result.serial_number:
            rows.append(("Numer seryjny", result.serial_number))
        print_rows(rows)
        if result.serial_number:
            print_next_steps([f"pobierz certyfikat: ksef-mcu cert download {result.serial_number} --out KATALOG"])
    if info.failed:
        raise typer.Exit(ExitCode.UNAVAILABLE if info.code >= 500 else ExitCode.REFUSED)


# --- list ---------------------------------------------------------------------------------------------------------


def _item_json(item: client.CertificateListItem) -> dict[str, Any]:
    return item.model_dump(mode="python", by_alias=True)


@report_errors
def list_certificates(
    *,
    status_filter: Annotated[
        str | None,
        typer.Option(
            "--status", parser=STATUS_CHOICE.parse, metavar=STATUS_CHOICE.metavar, help="Tylko o tym statusie."
        ),
    ] = None,
    type_filter: Annotated[
        str | None,
        typer.Option("--type", parser=TYPE_CHOICE.parse, metavar=TYPE_CHOICE.metavar, help="Tylko tego typu."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Nazwa zawiera ten tekst.")] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="Dokładnie ten numer seryjny (16 znaków).")] = None,
    expires_after: Annotated[
        str | None, typer.Option("--expires-after", help="Wygasające po tym dniu (RRRR-MM-DD).")
    ] = None,
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Lista certyfikatów (wszystkie strony), najnowsze wnioski na górze; filtry jak w MCU."""
    after = start_of_day(parse_date(expires_after, "--expires-after")) if expires_after is not None else None
    with connect(environment, base_url) as session, spinner("Pobieranie listy certyfikatów…"):
        items = list(
            session.client.certificates.query(
                serial_number=serial,
                name=name,
                type=type_filter,
                status=status_filter,
                expires_after=after,
            )
        )
    if as_json:
        print_json([_item_json(item) for item in items])
        return
    if not items:
        filtered = any(value is not None for value in (status_filter, type_filter, name, serial, expires_after))
        if filtered:
            console.print("Brak certyfikatów spełniających kryteria.")
        else:
            console.print(
                f"Nie masz jeszcze certyfikatów w tym środowisku ({session.environment.value}). Wnioskuj o pierwszy: "
                f"ksef-mcu cert request NAZWA --type uwierzytelnienie{environment_flag(session.environment.value)}"
            )
        return
    table = rich_table.Table(title="Lista certyfikatów", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in ("Nazwa", "Numer seryjny", "Typ", "Status", "Ważny od", "Ważny do", "Ostatnie użycie"):
        table.add_column(column, no_wrap=column != "Nazwa")
    for item in items:
        table.add_row(
            escape(item.name),
            item.serial_number,
            CERTIFICATE_TYPE_SHORT_LABELS[item.type],
            status_label(item.status),
            format_day(item.valid_from),
            format_day(item.valid_to),
            format_moment(item.last_use_date),
        )
    # Piped output is not squeezed to 80 columns: every row stays on one line for grep and friends.
    target = (
        console
        if console.is_terminal
        else rich_console.Console(file=console.file, width=LIST_WIDTH_WHEN_PIPED, highlight=False)
    )
    target.print(table)
    console.print(f"{len(items)} {plural(len(items), 'certyfikat', 'certyfikaty', 'certyfikatów')}")


# --- download -----------------------------------------------------------------------------------------------------


def _file_name(certificate_name: str, serial: str) -> str:
    """NAZWA.crt from the certificate's name when it passes the MCU screen's name rule (the API accepts wider names:
    Polish letters, leading spaces, 100 characters); otherwise the serial, and the user is told why. A file name never
    comes from an unchecked name."""
    try:
        names.check_mcu_certificate_name(certificate_name)
    except crypto_errors.CertificateNameError as error:
        console.print(
            f"[yellow]Uwaga:[/] nazwa certyfikatu {serial} „{escape(certificate_name)}” nie nadaje się na nazwę "
            f"pliku ({escape(error.message)}) — zapisuję go jako {serial}.crt; inną nazwę podaj opcją --name."
        )
        return f"{serial}.crt"
    return f"{certificate_name}.crt"


def _not_found(serials: Sequence[str]) -> str:
    if len(serials) == 1:
        return f"Nie znaleziono certyfikatu o numerze {serials[0]}"
    return f"Nie znaleziono certyfikatów o numerach {', '.join(serials)}"


def _find(session: Session, serials: Sequence[str]) -> dict[str, client.CertificateListItem]:
    """The list entries of `serials` (stops reading pages once all are found)."""
    wanted = set(serials)
    found: dict[str, client.CertificateListItem] = {}
    for item in session.client.certificates.query():
        if item.serial_number in wanted:
            found[item.serial_number] = item
            if len(found) == len(wanted):
                break
    return found


def _normalize_serials(serials: Sequence[str]) -> list[str]:
    try:
        unique = list(dict.fromkeys(client_validation.normalize_serial_number(serial) for serial in serials))
    except client.KsefInvalidInputError as error:
        fail(error.message, ExitCode.USAGE)
    if not 1 <= len(unique) <= RETRIEVE_MAX:
        fail(f"Podaj od 1 do {RETRIEVE_MAX} numerów seryjnych (podano {len(unique)}).", ExitCode.USAGE)
    return unique


@report_errors
def _targets(
    found: dict[str, client.CertificateListItem], wanted: list[str], out: Path, name: str | None, *, force: bool
) -> dict[str, Path]:
    """Where each certificate goes: `--name` or the certificate's name (checked), in `--out`; no two in one file, and
    no existing file unless `--force`."""
    if name is not None:
        targets = {wanted[0]: out / f"{name}.crt"}
    else:
        targets = {serial: out / _file_name(found[serial].name, serial) for serial in wanted}
    by_path: dict[Path, list[str]] = {}
    for serial, path in targets.items():
        by_path.setdefault(path, []).append(serial)
    for path, owners in by_path.items():
        if len(owners) > 1:
            fail(
                f"Certyfikaty {', '.join(owners)} mają tę samą nazwę ({path.name}) — pobierz je osobno, każdy pod "
                "własną nazwą (--name) albo do innego katalogu (--out)."
            )
        if path.is_dir():
            fail(f"{path} jest katalogiem — wskaż inną nazwę (--name).")
        if not force:
            check_new_file(
                path, hint="Nadpisz go (--force), zapisz pod inną nazwą (--name) albo w innym katalogu (--out)."
            )
    return targets


@report_errors
def download(
    serials: Annotated[list[str], typer.Argument(help="Numery seryjne certyfikatów (1–10).", show_default=False)],
    *,
    out: Annotated[
        Path, typer.Option("--out", help="Katalog na pliki NAZWA.crt (powstanie, jeśli go nie ma).")
    ] = Path(),
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Zapisz jako NAZWA.crt zamiast nazwy certyfikatu (przy jednym certyfikacie).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Nadpisz istniejące pliki certyfikatów.")] = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Pobierz certyfikat(y) jako pliki PEM nazwane jak certyfikaty (NAZWA.crt); tylko aktywne."""
    wanted = _normalize_serials(serials)
    if name is not None:
        if len(wanted) != 1:
            fail("Opcja --name dotyczy pobierania jednego certyfikatu.", ExitCode.USAGE)
        names.check_mcu_certificate_name(name)
    with connect(environment, base_url) as session:
        with spinner("Sprawdzanie certyfikatów…"):
            found = _find(session, wanted)
        missing = [serial for serial in wanted if serial not in found]
        if missing:
            fail(f"{_not_found(missing)} wśród Twoich certyfikatów.", ExitCode.REFUSED)
        for serial in wanted:
            item = found[serial]
            if item.status is not client.CertificateStatus.ACTIVE:
                fail(
                    f"Certyfikat {serial} ({item.name}) {CERTIFICATE_STATUS_REASONS[item.status]} — pobrać można tylko "
                    "aktywny certyfikat.",
                    ExitCode.REFUSED,
                )
        targets = _targets(found, wanted, out, name, force=force)
        with spinner("Pobieranie certyfikatów…"):
            retrieved = {item.serial_number: item for item in session.client.certificates.retrieve(wanted)}
    not_returned = [serial for serial in wanted if serial not in retrieved]
    if not_returned:
        what = plural(len(not_returned), "certyfikatu", "certyfikatów", "certyfikatów")
        fail(f"KSeF nie zwrócił {what} {', '.join(not_returned)}; nic nie zapisano.", ExitCode.UNAVAILABLE)
    ensure_directory(out)
    _write_all(targets, retrieved, replace=force)


def _write_all(targets: dict[str, Path], retrieved: dict[str, client.RetrievedCertificate], *, replace: bool) -> None:
    """Write every file or none: a failure part-way removes the new files this command already wrote (a file
    `--force` replaced holds the new certificate, which is as good)."""
    written: list[Path] = []
    try:
        for serial, path in targets.items():
            data = retrieved[serial].pem.encode("ascii")
            if replace and path.exists():
                write_private_file_replacing(path, data)
                path.chmod(0o644)  # a certificate is public; the replacing writer makes 0600 files
                continue
            write_new_file(path, data, mode=0o644)
            written.append(path)
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    for serial, path in targets.items():
        item = retrieved[serial]
        print_done(f"Zapisano {escape(str(path))} — {TYPE_LABELS[item.type]}, numer seryjny {serial}")


# --- revoke -------------------------------------------------------------------------------------------------------


@report_errors
def revoke(
    serial: Annotated[str, typer.Argument(help="Numer seryjny certyfikatu do unieważnienia.")],
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            parser=REASON_CHOICE.parse,
            metavar=REASON_CHOICE.metavar,
            help="Powód: nieokreślony, zastąpiony (przez inny certyfikat), kompromitacja-klucza (klucz prywatny "
            "skompromitowany).",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Nie pytaj o potwierdzenie (dla skryptów).")] = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Unieważnij certyfikat. Operacja jest nieodwracalna."""
    [wanted] = _normalize_serials([serial])
    revocation_reason = reason
    with connect(environment, base_url) as session:
        with spinner("Sprawdzanie certyfikatu…"):
            found = _find(session, [wanted])
        item = found.get(wanted)
        if item is None:
            fail(f"{_not_found([wanted])} wśród Twoich certyfikatów.", ExitCode.REFUSED)
        if item.status in (client.CertificateStatus.REVOKED, client.CertificateStatus.BLOCKED):
            fail(f"Certyfikat {wanted} ({item.name}) {CERTIFICATE_STATUS_REASONS[item.status]}.", ExitCode.REFUSED)
        print_rows(
            [
                ("Nazwa", escape(item.name)),
                ("Numer seryjny", item.serial_number),
                ("Typ", TYPE_LABELS[item.type]),
                ("Status", status_label(item.status)),
                ("Ważny do", format_moment(item.valid_to)),
                ("Powód", REASON_LABELS[revocation_reason] if revocation_reason else "nie podano"),
            ]
        )
        logged_in_with = session.profile.login.certificate_serial.upper() if session.profile is not None else None
        if logged_in_with == wanted:
            error_console.print(
                "[bold yellow]Uwaga:[/] tym certyfikatem jesteś teraz zalogowany (ksef-mcu whoami). Po unieważnieniu "
                "nie zalogujesz się nim ponownie — do logowania potrzebny będzie inny certyfikat."
            )
        if not yes and not confirm("Unieważnienia nie można cofnąć. Czy na pewno unieważnić ten certyfikat?"):
            error_console.print("Nie unieważniono certyfikatu.")
            raise typer.Exit(ExitCode.CANCELLED)
        with spinner("Unieważnianie certyfikatu…"):
            session.client.certificates.revoke(wanted, revocation_reason)
    print_done(f"Certyfikat {wanted} ({escape(item.name)}) został unieważniony.")
    if item.type is client.CertificateType.AUTHENTICATION:
        console.print("Nie można się już nim logować do KSeF.")
    else:
        console.print("Kody QR (KOD II) podpisane tym certyfikatem nie przejdą już weryfikacji.")


# --- limits -------------------------------------------------------------------------------------------------------


@report_errors
def limits(
    as_json: JsonOption = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Pokaż limity: ile wniosków i aktywnych certyfikatów jeszcze pozostało."""
    with connect(environment, base_url) as session, spinner("Sprawdzanie limitów…"):
        result = session.client.certificates.limits()
    if as_json:
        print_json(_limits_json(result))
        return
    print_rows(limits_rows(result))
    if not result.can_request:
        console.print(f"[yellow]{escape(limit_reached(result))}[/]")


@report_errors
def enrollment_data(
    *,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Zapisz do pliku JSON (np. data.json) zamiast na ekran.", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Nadpisz istniejący plik.")] = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Pobierz dane podmiotu do wniosku (GET /certificates/enrollments/data) jako JSON — dla `ksef-mcu csr create`."""
    if output is not None and not force:
        check_new_file(output, hint="Nadpisz go (--force) albo wskaż inny plik (--output).")
    with connect(environment, base_url) as session, spinner("Pobieranie danych podmiotu do wniosku…"):
        data = session.client.certificates.enrollment_data()
    text = json.dumps(data.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
        return
    ensure_directory(output.parent)
    if force and output.exists():
        write_private_file_replacing(output, (text + "\n").encode("utf-8"))
    else:
        write_new_file(output, (text + "\n").encode("utf-8"), mode=0o600)
    print_done(f"Zapisano dane do wniosku: {escape(str(output))}")
    console.print(f'Wniosek CSR z nich: ksef-mcu csr create --key NAZWA.key --enrollment-data "{escape(str(output))}"')


def register(group: typer.Typer) -> None:
    """Add `status`, `list`, `download`, `revoke` and `limits` to the `cert` group."""
    add_command(group, "status", status)
    add_command(group, "list", list_certificates)
    add_command(group, "download", download)
    add_command(group, "revoke", revoke)
    add_command(group, "limits", limits)
    add_command(group, "enrollment-data", enrollment_data)
