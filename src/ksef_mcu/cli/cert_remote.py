"""`ksef-mcu cert request | status | list | download | revoke | limits`: the `cert` commands that talk to KSeF — the
MCU certificate journey.

The user guide's screens, from the terminal: "Wnioskuj o certyfikat" (key generated on this machine and saved as
`NAZWA.key` before the request is sent; enrollment data → CSR → "Wyślij wniosek o wydanie certyfikatu"; the status
followed live like "Odśwież"; "Pobierz certyfikat" writes `NAZWA.crt`), "Lista certyfikatów" with its filters, and
"Unieważnij". Everything acts on the logged-in subject (see `ksef-mcu login`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ksef_mcu.cli._common import (
    EXIT_ERROR,
    CliError,
    ask_key_password,
    ask_new_key_password,
    confirm,
    console,
    describe_client_error,
    describe_transport_error,
    error_console,
    fail,
    format_name,
    print_rows,
    read_input_file,
    refuse_existing,
    report_errors,
    write_new_file,
)
from ksef_mcu.cli._network import (
    STATUS_LABELS,
    STATUS_REASONS,
    TYPE_LABELS,
    BaseUrlOption,
    EnvironmentChoice,
    EnvironmentOption,
    Session,
    connect,
    format_day,
    format_moment,
    parse_date,
    print_done,
    spinner,
    start_of_day,
    today,
)
from ksef_mcu.cli.cert import app
from ksef_mcu.client import (
    CertificateEnrollmentStatus,
    CertificateLimits,
    CertificateListItem,
    CertificateStatus,
    CertificateType,
    KsefClientError,
    KsefEnrollmentFailedError,
    KsefInvalidInputError,
    KsefPollingTimeoutError,
    RetrievedCertificate,
    RevocationReason,
)
from ksef_mcu.client.validation import normalize_serial_number, validate_reference_number
from ksef_mcu.crypto.certificates import key_matches_certificate
from ksef_mcu.crypto.csr import check_csr, create_csr
from ksef_mcu.crypto.errors import KsefCryptoError
from ksef_mcu.crypto.keys import (
    KeyKind,
    PrivateKey,
    encrypt_private_key,
    generate_private_key,
    key_kind,
    load_private_key,
    public_key_sha256_fingerprint,
)
from ksef_mcu.crypto.names import check_mcu_certificate_name

RETRIEVE_MAX = 10
LIST_WIDTH_WHEN_PIPED = 160
SHORT_TYPE_LABELS = {CertificateType.AUTHENTICATION: "Uwierzytelnienie", CertificateType.OFFLINE: "Offline"}
DEFAULT_WAIT_SECONDS = 300.0

LIMIT_REACHED = (
    "Osiągnięto limit. Wyczerpałeś limit certyfikatów. Możesz zawnioskować o certyfikat nie wcześniej niż na "
    "30 dni przed upływem ważności Twojego najstarszego certyfikatu."
)
ENROLLMENT_PROGRESS = {
    100: "Wniosek przyjęty do realizacji — trwa wydawanie certyfikatu…",
}


class CertificateTypeChoice(enum.StrEnum):
    """`--type` values: the two purposes of a KSeF certificate."""

    AUTHENTICATION = "authentication"
    OFFLINE = "offline"

    @property
    def api(self) -> CertificateType:
        return (
            CertificateType.AUTHENTICATION if self is CertificateTypeChoice.AUTHENTICATION else CertificateType.OFFLINE
        )


class StatusChoice(enum.StrEnum):
    """`--status` values."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ReasonChoice(enum.StrEnum):
    """`--reason` values (`CertificateRevocationReason`)."""

    UNSPECIFIED = "unspecified"
    SUPERSEDED = "superseded"
    KEY_COMPROMISE = "key-compromise"


REASON_LABELS = {
    RevocationReason.UNSPECIFIED: "nieokreślony",
    RevocationReason.SUPERSEDED: "certyfikat został zastąpiony przez inny",
    RevocationReason.KEY_COMPROMISE: "klucz prywatny został skompromitowany",
}

JsonOption = Annotated[bool, typer.Option("--json", help="Wynik jako JSON (dla skryptów) zamiast tabeli.")]


def _json_out(document: Any) -> None:
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def _limits_rows(limits: CertificateLimits) -> list[tuple[str, str]]:
    return [
        (
            "Wnioski o certyfikat",
            f"pozostało {limits.enrollment.remaining} z {limits.enrollment.limit}",
        ),
        (
            "Aktywne certyfikaty",
            f"pozostało {limits.certificate.remaining} z {limits.certificate.limit}",
        ),
        ("Można złożyć wniosek", "[green]tak[/]" if limits.can_request else "[red]nie[/]"),
    ]


def _limits_json(limits: CertificateLimits) -> dict[str, Any]:
    return limits.model_dump(mode="json", by_alias=True)


# --- request ------------------------------------------------------------------------------------------------------


def _valid_from(text: str | None) -> dt.datetime | None:
    """`--valid-from`: today (or nothing) → valid from issuance; a later day → from its midnight, Polish time."""
    if text is None:
        return None
    day = parse_date(text, "--valid-from")
    current = today()
    if day < current:
        fail(f"Data „ważny od” ({day}) nie może być wcześniejsza niż dzisiejsza ({current}).")
    if day == current:
        return None
    return start_of_day(day)


def _load_existing_key(path: Path, password_file: Path | None) -> PrivateKey:
    data = read_input_file(path, "pliku klucza")
    return load_private_key(data, ask_key_password(password_file))


def _status_text(status: CertificateEnrollmentStatus) -> str:
    return ENROLLMENT_PROGRESS.get(status.status.code, f"Status {status.status.code}: {status.status.description}")


def _next_steps(lines: Sequence[str]) -> None:
    console.print("\n[bold]Co dalej:[/]")
    for line in lines:
        console.print(f"  • {line}")


def _rejected(error: KsefEnrollmentFailedError, key_path: Path, retry: str) -> None:
    error_console.print(f"[bold red]Wniosek odrzucony[/] (status {error.status_code}): {escape(error.description)}")
    for detail in error.details:
        error_console.print(f"  {escape(detail)}")
    error_console.print(
        f"Klucz prywatny został zachowany: {escape(str(key_path))}. Po usunięciu przyczyny możesz ponowić wniosek "
        f"z tym samym kluczem:\n  {escape(retry)}"
    )


@contextlib.contextmanager
def _hint_on_failure(hint: str) -> Iterator[None]:
    """Add `hint` (what was kept or sent, and what to run next) to the error message when the block fails."""
    try:
        yield
    except (KsefEnrollmentFailedError, KsefPollingTimeoutError):
        raise  # the caller explains these itself
    except CliError as error:
        raise CliError(f"{error.message}\n{hint}", error.exit_code) from error
    except KsefClientError as error:
        raise CliError(f"{describe_client_error(error)}\n{hint}") from error
    except KsefCryptoError as error:
        code = f" [kod {error.code}]" if error.code is not None else ""
        raise CliError(f"{error.message}{code}\n{hint}") from error
    except httpx.TransportError as error:
        raise CliError(f"{describe_transport_error(error)}\n{hint}") from error


def _retry_command(name: str, certificate_type: CertificateTypeChoice, key_path: Path, environment: str) -> str:
    env = "" if environment == "local" else f" --env {environment}"
    return f'ksef-mcu cert request "{name}" --type {certificate_type.value} --key "{key_path}"{env}'


@app.command("request")
@report_errors
def request(
    *,
    name: Annotated[
        str,
        typer.Argument(
            help="Nazwa certyfikatu, zarazem nazwa plików NAZWA.key i NAZWA.crt: 5–50 znaków, litery bez polskich "
            "znaków, cyfry, spacje, „-” i „_”."
        ),
    ],
    certificate_type: Annotated[
        CertificateTypeChoice,
        typer.Option(
            "--type",
            case_sensitive=False,
            help="Przeznaczenie: authentication (Typ 1, uwierzytelnienie w systemie KSeF) albo offline (Typ 2, "
            "podpis linku do weryfikacji wystawcy — KOD II).",
        ),
    ],
    valid_from: Annotated[
        str | None,
        typer.Option(
            "--valid-from",
            help="Certyfikat ważny od (RRRR-MM-DD, najwcześniej dziś; domyślnie od chwili wydania). Ważność: 2 lata.",
            show_default=False,
        ),
    ] = None,
    rsa: Annotated[bool, typer.Option("--rsa", help="Nowy klucz RSA 2048 zamiast domyślnego EC P-256.")] = False,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Użyj istniejącego klucza (np. po odrzuceniu wniosku) zamiast generować nowy; NAZWA.crt trafi obok.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Katalog na NAZWA.key i NAZWA.crt (dla nowego klucza).")] = Path(),
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="Plik z hasłem klucza (zamiast pytania). Hasło: 15–32 znaki, wielka i mała litera, cyfra i znak "
            "specjalny spośród !@#$%^&*()-_=+.",
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", min=1, help="Jak długo (sekundy) czekać na wydanie certyfikatu.")
    ] = DEFAULT_WAIT_SECONDS,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Wnioskuj o certyfikat: klucz powstaje na tym komputerze, wniosek idzie do KSeF, certyfikat trafi do NAZWA.crt."""
    check_mcu_certificate_name(name)
    start = _valid_from(valid_from)
    if key is not None:
        if rsa:
            fail("Opcja --rsa dotyczy nowego klucza; z --key typ klucza wynika z pliku.")
        key_path = key
        certificate_path = key.parent / f"{name}.crt"
    else:
        key_path = out / f"{name}.key"
        certificate_path = out / f"{name}.crt"
        refuse_existing(key_path)
    refuse_existing(certificate_path)

    with connect(environment, base_url) as session:
        if key is not None:
            private_key = _load_existing_key(key, password_file)
            password = None
        else:
            password = ask_new_key_password(password_file)
            private_key = None

        # Like the MCU's limit dialog: nothing is generated or sent when no request can be made.
        with spinner("Sprawdzanie limitów certyfikatów…"):
            limits = session.client.certificates.limits()
        print_rows(_limits_rows(limits))
        if not limits.can_request:
            fail(LIMIT_REACHED)

        if private_key is None:
            assert password is not None  # noqa: S101 - asked above for a new key
            kind = KeyKind.RSA_2048 if rsa else KeyKind.EC_P256
            with spinner(f"Generowanie klucza {kind.label}…"):
                private_key = generate_private_key(kind)
                encrypted = encrypt_private_key(private_key, password)
            # Saved before anything about it is sent: a certificate is useless without its key.
            write_new_file(key_path, encrypted, mode=0o600)
            print_done(f"Zapisano klucz prywatny: {escape(str(key_path))} ({kind.label})")
            console.print("Zapamiętaj hasło — nie da się go odzyskać ani zresetować.")

        retry = _retry_command(name, certificate_type, key_path, session.environment.value)
        with _hint_on_failure(f"Klucz prywatny został zachowany: {key_path}. Ponów wniosek: {retry}"):
            with spinner("Pobieranie danych podmiotu do wniosku…"):
                subject = session.client.certificates.enrollment_data().to_enrollment_data()
            csr = create_csr(private_key, subject)
            info = check_csr(csr, subject)
            console.print(f"Podmiot certyfikatu: {escape(format_name(info.subject_name))}")
            with spinner("Wysyłanie wniosku o wydanie certyfikatu…"):
                enrollment = session.client.certificates.enroll(name, certificate_type.api, csr, start)
        print_done(f"Wysłano wniosek o wydanie certyfikatu; numer referencyjny: {enrollment.reference_number}")

        follow = f"ksef-mcu cert status {enrollment.reference_number}"
        try:
            with (
                _hint_on_failure(f"Wniosek został wysłany; sprawdź jego status: {follow}"),
                spinner("Wniosek przyjęty do realizacji…") as status,
            ):
                issued = enrollment.wait(timeout=wait, on_progress=lambda s: status.update(_status_text(s)))
        except KsefEnrollmentFailedError as error:
            _rejected(error, key_path, retry)
            raise typer.Exit(EXIT_ERROR) from error
        except (KsefPollingTimeoutError, KeyboardInterrupt) as error:
            error_console.print(
                f"[yellow]Certyfikat nie jest jeszcze gotowy.[/] Wniosek {enrollment.reference_number} jest nadal "
                f"realizowany. Sprawdź go później: {follow}"
            )
            raise typer.Exit(EXIT_ERROR) from error
        serial = issued.serial_number
        if serial is None:
            fail(f"KSeF zgłosił wydanie certyfikatu bez numeru seryjnego (wniosek {enrollment.reference_number}).")
        print_done(f"Certyfikat wydany; numer seryjny: {serial}")
        _save_issued(session, serial, name, private_key, certificate_path=certificate_path, key_path=key_path)

    env = "" if session.environment.value == "local" else f" --env {session.environment.value}"
    files = f'--cert "{certificate_path}" --key "{key_path}"'
    steps = [
        f"pobierz go ponownie: ksef-mcu cert download {serial} --out KATALOG{env}",
        f"lista certyfikatów: ksef-mcu cert list{env}",
    ]
    if certificate_type is CertificateTypeChoice.AUTHENTICATION:
        steps += [
            f"zaloguj się nowym certyfikatem: ksef-mcu login {files}{env}",
            f"wnioskuj o kolejny certyfikat, np. offline do kodów QR: ksef-mcu cert request NAZWA --type offline{env}",
        ]
    else:
        steps += [
            f"podpisz KOD II faktury offline: ksef-mcu qr offline {files} --invoice faktura.xml{env}",
            f"wnioskuj o kolejny certyfikat: ksef-mcu cert request NAZWA --type authentication{env}",
        ]
    _next_steps(steps)


def _save_issued(
    session: Session, serial: str, name: str, private_key: PrivateKey, *, certificate_path: Path, key_path: Path
) -> None:
    """ "Pobierz certyfikat": retrieve the issued certificate, check it belongs to our key, write NAZWA.crt."""
    with spinner("Pobieranie certyfikatu…"):
        retrieved = session.client.certificates.retrieve([serial])
    match = next((item for item in retrieved if item.serial_number == serial), None)
    if match is None:
        fail(f"KSeF nie zwrócił wydanego certyfikatu {serial}. Pobierz go później: ksef-mcu cert download {serial}")
    if not key_matches_certificate(private_key, match.certificate):
        fail(f"Certyfikat {serial} nie pasuje do klucza {key_path} — nie zapisuję go.")
    try:
        write_new_file(certificate_path, match.pem.encode("ascii"), mode=0o644)
    except CliError:
        error_console.print(
            f"Certyfikat {serial} jest wydany; pobierz go: ksef-mcu cert download {serial} --out KATALOG"
        )
        raise
    print_done(f"Zapisano certyfikat: {escape(str(certificate_path))} (PEM), obok klucza {escape(str(key_path))}")
    print_rows(
        [
            ("Nazwa", escape(name)),
            ("Typ", TYPE_LABELS[match.type]),
            ("Numer seryjny", serial),
            ("Ważny od", format_moment(match.certificate.not_valid_before_utc)),
            ("Ważny do", format_moment(match.certificate.not_valid_after_utc)),
            ("Klucz", f"{key_kind(private_key).label}, odcisk {public_key_sha256_fingerprint(private_key)}"),
        ]
    )


# --- status -------------------------------------------------------------------------------------------------------


def _status_json(reference_number: str, status: CertificateEnrollmentStatus) -> dict[str, Any]:
    return {"referenceNumber": reference_number, **status.model_dump(mode="json", by_alias=True)}


@app.command("status")
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
        reference = validate_reference_number(reference_number)
    except KsefInvalidInputError as error:
        fail(error.message)
    with connect(environment, base_url) as session:
        enrollment = session.client.certificates.enrollment(reference)
        if follow:
            try:
                with spinner("Odświeżanie statusu wniosku…") as progress:
                    result = enrollment.wait(
                        timeout=DEFAULT_WAIT_SECONDS, on_progress=lambda s: progress.update(_status_text(s))
                    )
            except KsefEnrollmentFailedError:
                result = enrollment.status()
        else:
            with spinner("Pobieranie statusu wniosku…"):
                result = enrollment.status()
    info = result.status
    if as_json:
        _json_out(_status_json(reference, result))
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
            _next_steps([f"pobierz certyfikat: ksef-mcu cert download {result.serial_number} --out KATALOG"])
    if info.failed:
        raise typer.Exit(EXIT_ERROR)


# --- list ---------------------------------------------------------------------------------------------------------


def _item_json(item: CertificateListItem) -> dict[str, Any]:
    return item.model_dump(mode="json", by_alias=True)


@app.command("list")
@report_errors
def list_certificates(
    *,
    status_filter: Annotated[
        StatusChoice | None, typer.Option("--status", case_sensitive=False, help="Tylko o tym statusie.")
    ] = None,
    type_filter: Annotated[
        CertificateTypeChoice | None, typer.Option("--type", case_sensitive=False, help="Tylko tego typu.")
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
                type=type_filter.api if type_filter is not None else None,
                status=CertificateStatus.parse(status_filter.value) if status_filter is not None else None,
                expires_after=after,
            )
        )
    if as_json:
        _json_out([_item_json(item) for item in items])
        return
    if not items:
        console.print("Brak certyfikatów spełniających kryteria.")
        return
    table = Table(title="Lista certyfikatów", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in ("Nazwa", "Numer seryjny", "Typ", "Status", "Ważny od", "Ważny do", "Ostatnie użycie"):
        table.add_column(column, no_wrap=column != "Nazwa")
    for item in items:
        table.add_row(
            escape(item.name),
            item.serial_number,
            SHORT_TYPE_LABELS[item.type],
            STATUS_LABELS[item.status],
            format_day(item.valid_from),
            format_day(item.valid_to),
            format_moment(item.last_use_date),
        )
    # Piped output is not squeezed to 80 columns: every row stays on one line for grep and friends.
    target = (
        console if console.is_terminal else Console(file=console.file, width=LIST_WIDTH_WHEN_PIPED, highlight=False)
    )
    target.print(table)
    console.print(f"Certyfikatów: {len(items)}")


# --- download -----------------------------------------------------------------------------------------------------

_SAFE_FILE_NAME = re.compile(r"[^/\\\x00-\x1f]{1,120}")


def _file_name(certificate_name: str, serial: str) -> str:
    """NAZWA.crt from the certificate's name; a name unusable as a file name (KSeF never sends one) → the serial."""
    name = certificate_name.strip()
    if not _SAFE_FILE_NAME.fullmatch(name) or name.startswith(".") or name != certificate_name:
        return f"{serial}.crt"
    return f"{name}.crt"


def _find(session: Session, serials: Sequence[str]) -> dict[str, CertificateListItem]:
    """The list entries of `serials` (stops reading pages once all are found)."""
    wanted = set(serials)
    found: dict[str, CertificateListItem] = {}
    for item in session.client.certificates.query():
        if item.serial_number in wanted:
            found[item.serial_number] = item
            if len(found) == len(wanted):
                break
    return found


def _normalize_serials(serials: Sequence[str]) -> list[str]:
    try:
        unique = list(dict.fromkeys(normalize_serial_number(serial) for serial in serials))
    except KsefInvalidInputError as error:
        fail(error.message)
    if not 1 <= len(unique) <= RETRIEVE_MAX:
        fail(f"Podaj od 1 do {RETRIEVE_MAX} numerów seryjnych (podano {len(unique)}).")
    return unique


@app.command("download")
@report_errors
def download(
    serials: Annotated[list[str], typer.Argument(help="Numery seryjne certyfikatów (1–10).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Katalog, do którego zapisać pliki NAZWA.crt.")] = Path(),
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Pobierz certyfikat(y) jako pliki PEM nazwane jak certyfikaty (NAZWA.crt); tylko aktywne."""
    wanted = _normalize_serials(serials)
    if not out.is_dir():
        fail(f"Katalog {out} nie istnieje.")
    with connect(environment, base_url) as session:
        with spinner("Sprawdzanie certyfikatów…"):
            found = _find(session, wanted)
        missing = [serial for serial in wanted if serial not in found]
        if missing:
            fail(f"Nie znaleziono certyfikatu o numerze {', '.join(missing)} wśród Twoich certyfikatów.")
        for serial in wanted:
            item = found[serial]
            if item.status is not CertificateStatus.ACTIVE:
                fail(
                    f"Certyfikat {serial} ({item.name}) {STATUS_REASONS[item.status]} — pobrać można tylko aktywny "
                    "certyfikat."
                )
        targets = {serial: out / _file_name(found[serial].name, serial) for serial in wanted}
        by_path: dict[Path, list[str]] = {}
        for serial, path in targets.items():
            by_path.setdefault(path, []).append(serial)
        for path, owners in by_path.items():
            if len(owners) > 1:
                fail(
                    f"Certyfikaty {', '.join(owners)} mają tę samą nazwę ({path.name}) — pobierz je osobno do różnych "
                    "katalogów (--out)."
                )
            refuse_existing(path)
        with spinner("Pobieranie certyfikatów…"):
            retrieved = {item.serial_number: item for item in session.client.certificates.retrieve(wanted)}
    not_returned = [serial for serial in wanted if serial not in retrieved]
    if not_returned:
        fail(f"KSeF nie zwrócił certyfikatu {', '.join(not_returned)}; nic nie zapisano.")
    _write_all(targets, retrieved)


def _write_all(targets: dict[str, Path], retrieved: dict[str, RetrievedCertificate]) -> None:
    """Write every file or none: a failure part-way removes the files this command already wrote."""
    written: list[Path] = []
    try:
        for serial, path in targets.items():
            write_new_file(path, retrieved[serial].pem.encode("ascii"), mode=0o644)
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


@app.command("revoke")
@report_errors
def revoke(
    serial: Annotated[str, typer.Argument(help="Numer seryjny certyfikatu do unieważnienia.")],
    reason: Annotated[
        ReasonChoice | None,
        typer.Option(
            "--reason",
            case_sensitive=False,
            help="Powód: unspecified (nieokreślony), superseded (zastąpiony przez inny), key-compromise (klucz "
            "prywatny skompromitowany).",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Nie pytaj o potwierdzenie (dla skryptów).")] = False,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Unieważnij certyfikat. Operacja jest nieodwracalna."""
    [wanted] = _normalize_serials([serial])
    revocation_reason = RevocationReason.parse(reason.value) if reason is not None else None
    with connect(environment, base_url) as session:
        with spinner("Sprawdzanie certyfikatu…"):
            found = _find(session, [wanted])
        item = found.get(wanted)
        if item is None:
            fail(f"Nie znaleziono certyfikatu o numerze {wanted} wśród Twoich certyfikatów.")
        if item.status in (CertificateStatus.REVOKED, CertificateStatus.BLOCKED):
            fail(f"Certyfikat {wanted} ({item.name}) {STATUS_REASONS[item.status]}.")
        print_rows(
            [
                ("Nazwa", escape(item.name)),
                ("Numer seryjny", item.serial_number),
                ("Typ", TYPE_LABELS[item.type]),
                ("Status", STATUS_LABELS[item.status]),
                ("Ważny do", format_moment(item.valid_to)),
                ("Powód", REASON_LABELS[revocation_reason] if revocation_reason else "nie podano"),
            ]
        )
        if not yes and not confirm("Unieważnienia nie można cofnąć. Czy na pewno unieważnić ten certyfikat?"):
            error_console.print("Nie unieważniono certyfikatu.")
            raise typer.Exit(EXIT_ERROR)
        with spinner("Unieważnianie certyfikatu…"):
            session.client.certificates.revoke(wanted, revocation_reason)
    print_done(f"Certyfikat {wanted} ({escape(item.name)}) został unieważniony.")
    if item.type is CertificateType.AUTHENTICATION:
        console.print("Nie można się już nim logować do KSeF.")
    else:
        console.print("Kody QR (KOD II) podpisane tym certyfikatem nie przejdą już weryfikacji.")


# --- limits -------------------------------------------------------------------------------------------------------


@app.command("limits")
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
        _json_out(_limits_json(result))
        return
    print_rows(_limits_rows(result))
    if not result.can_request:
        console.print(f"[yellow]{LIMIT_REACHED}[/]")
