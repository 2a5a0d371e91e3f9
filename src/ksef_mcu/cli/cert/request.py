"""`ksef-mcu cert request`: the user guide's "Wnioskuj o certyfikat" journey, one small step per function.

Everything local is checked before the network is touched; the key is generated on this machine and saved as
`NAZWA.key` before anything about it is sent; the enrollment data becomes a CSR ("Wyślij wniosek o wydanie
certyfikatu"); the status is followed live like "Odśwież"; "Pobierz certyfikat" writes `NAZWA.crt` beside the key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu.cli._common import (
    CliError,
    ExitCode,
    ask_key_password,
    ask_new_key_password,
    check_new_file,
    client_exit_code,
    console,
    crypto_exit_code,
    describe_client_error,
    describe_crypto_error,
    describe_transport_error,
    ensure_directory,
    error_console,
    fail,
    format_name,
    print_rows,
    read_input_file,
    report_errors,
    write_new_file,
)
from ksef_mcu.cli._frame import add_command
from ksef_mcu.cli._lazy import certificates, client, crypto_errors, crypto_keys, csr_crypto, httpx, names
from ksef_mcu.cli._network import (
    BaseUrlOption,
    EnvironmentChoice,
    EnvironmentOption,
    Session,
    connect,
    parse_date,
    print_done,
    spinner,
    today,
)
from ksef_mcu.cli.cert._shared import (
    AUTHENTICATION,
    DEFAULT_WAIT_SECONDS,
    TYPE_CHOICE,
    TYPE_LABELS,
    environment_flag,
    limit_reached,
    limits_rows,
    print_next_steps,
    status_text,
)
from ksef_mcu.formatting import format_moment, polish_date, start_of_day


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """What the options ask for, checked before anything is generated or sent."""

    name: str
    certificate_type: str
    """The API's `CertificateType` value, `Authentication` or `Offline`."""
    valid_from: dt.datetime | None
    """None: valid from issuance."""
    key_path: Path
    certificate_path: Path
    existing_key: bool
    key_kind: crypto_keys.KeyKind
    password_file: Path | None = None
    wait: float = DEFAULT_WAIT_SECONDS
    connection: str = ""
    """` --env X --base-url URL` as the user gave them, for suggested commands."""


MAX_VALID_FROM_AHEAD_DAYS = 90
"""The latest start of validity the MCU screen offers (and our server and KSeF's accept): 90 days from today."""


def _valid_from(text: str | None) -> dt.datetime | None:
    """`--valid-from`: today (or nothing) → valid from issuance; a later day, up to 90 days ahead → from its midnight,
    Polish time. Checked here, before anything is generated, because the server would refuse it only after."""
    if text is None:
        return None
    day = parse_date(text, "--valid-from")
    current = today()
    latest = current + dt.timedelta(days=MAX_VALID_FROM_AHEAD_DAYS)
    if day < current:
        fail(f"Data „ważny od” ({day}) nie może być wcześniejsza niż dzisiejsza ({current}).", ExitCode.USAGE)
    if day > latest:
        fail(
            f"Data „ważny od” ({day}) może być najpóźniej {MAX_VALID_FROM_AHEAD_DAYS} dni od dziś, czyli {latest}.",
            ExitCode.USAGE,
        )
    if day == current:
        return None
    return start_of_day(day)


def plan_request(
    name: str,
    certificate_type: str,
    valid_from: str | None,
    *,
    rsa: bool,
    key: Path | None,
    out: Path,
    password_file: Path | None = None,
    wait: float = DEFAULT_WAIT_SECONDS,
    connection: str = "",
) -> RequestPlan:
    """Check every rule the server will apply that can be checked here — the name, the start date — and the files
    (never overwritten; an existing key must be there) before anything is generated or sent."""
    names.check_mcu_certificate_name(name)
    start = _valid_from(valid_from)
    if key is not None:
        if rsa:
            fail("Opcja --rsa dotyczy nowego klucza; z --key typ klucza wynika z pliku.", ExitCode.USAGE)
        key_path = key
        certificate_path = key.parent / f"{name}.crt"
        if not key.is_file():
            fail(f"Nie znaleziono pliku klucza: {key}")
    else:
        key_path = out / f"{name}.key"
        certificate_path = out / f"{name}.crt"
        check_new_file(key_path, hint="Wybierz inną nazwę albo inny katalog (--out).")
    check_new_file(certificate_path, hint="Wybierz inną nazwę albo inny katalog (--out).")
    kind = crypto_keys.KeyKind.RSA_2048 if rsa else crypto_keys.KeyKind.EC_P256
    return RequestPlan(
        name,
        certificate_type,
        start,
        key_path,
        certificate_path,
        key is not None,
        kind,
        password_file=password_file,
        wait=wait,
        connection=connection,
    )


def retry_command(plan: RequestPlan, *, new_key_as: str | None = None) -> str:
    """The command that sends the request again with the key already saved (or, with `new_key_as`, with a new key
    under that name) — with every option that still applies (a later start of validity, the password file, the time
    to wait, the environment and server)."""
    name = plan.name if new_key_as is None else new_key_as
    parts = [f'ksef-mcu cert request "{name}" --type {TYPE_CHOICE.name_of(plan.certificate_type)}']
    if new_key_as is None:
        parts.append(f'--key "{plan.key_path}"')
    elif plan.key_path.parent != Path():
        parts.append(f'--out "{plan.key_path.parent}"')
    if plan.valid_from is not None:
        parts.append(f"--valid-from {polish_date(plan.valid_from).isoformat()}")
    if plan.password_file is not None:
        parts.append(f'--password-file "{plan.password_file}"')
    if plan.wait != DEFAULT_WAIT_SECONDS:
        parts.append(f"--wait {plan.wait:g}")
    return " ".join(parts) + plan.connection


@contextlib.contextmanager
def _hint_on_failure(hint: str) -> Iterator[None]:
    """Add `hint` (what was kept or sent, and what to run next) to the error message when the block fails."""
    try:
        yield
    except (client.KsefEnrollmentFailedError, client.KsefPollingTimeoutError):
        raise  # the caller explains these itself
    except CliError as error:
        raise CliError(f"{error.message}\n{hint}", error.exit_code) from error
    except client.KsefClientError as error:
        raise CliError(f"{describe_client_error(error)}\n{hint}", client_exit_code(error)) from error
    except crypto_errors.KsefCryptoError as error:
        raise CliError(f"{describe_crypto_error(error)}\n{hint}", crypto_exit_code(error)) from error
    except httpx.TransportError as error:
        raise CliError(f"{describe_transport_error(error)}\n{hint}", ExitCode.UNAVAILABLE) from error


def check_limits(session: Session) -> None:
    """Like the MCU's limit dialog: nothing is generated or sent when no request can be made."""
    with spinner("Sprawdzanie limitów certyfikatów…"):
        limits = session.client.certificates.limits()
    if not limits.can_request:
        fail(limit_reached(limits), ExitCode.REFUSED)  # said once, naming the limit that is used up
    print_rows(limits_rows(limits))


def generate_and_save_key(plan: RequestPlan, password: str) -> crypto_keys.PrivateKey:
    """A new key, saved encrypted before anything about it is sent: a certificate is useless without its key."""
    with spinner(f"Generowanie klucza {plan.key_kind.label}…"):
        private_key = crypto_keys.generate_private_key(plan.key_kind)
        encrypted = crypto_keys.encrypt_private_key(private_key, password)
    ensure_directory(plan.key_path.parent, private=True)
    write_new_file(plan.key_path, encrypted, mode=0o600)
    print_done(f"Zapisano klucz prywatny: {escape(str(plan.key_path))} ({plan.key_kind.label})")
    console.print("Zapamiętaj hasło — nie da się go odzyskać ani zresetować.")
    return private_key


def send_request(
    session: Session, plan: RequestPlan, private_key: crypto_keys.PrivateKey, retry: str
) -> client.Enrollment:
    """Enrollment data → CSR (checked as the server will) → "Wyślij wniosek o wydanie certyfikatu"."""
    with _hint_on_failure(f"Klucz prywatny został zachowany: {plan.key_path}. Ponów wniosek: {retry}"):
        with spinner("Pobieranie danych podmiotu do wniosku…"):
            subject = session.client.certificates.enrollment_data().to_enrollment_data()
        csr = csr_crypto.create_csr(private_key, subject)
        info = csr_crypto.check_csr(csr, subject)
        console.print(f"Podmiot certyfikatu: {escape(format_name(info.subject_name))}")
        with spinner("Wysyłanie wniosku o wydanie certyfikatu…"):
            enrollment = session.client.certificates.enroll(plan.name, plan.certificate_type, csr, plan.valid_from)
    print_done(f"Wysłano wniosek o wydanie certyfikatu; numer referencyjny: {enrollment.reference_number}")
    return enrollment


KEY_OF_ANOTHER_SUBJECT = "Klucz publiczny został już certyfikowany przez inny podmiot."
"""KSeF's detail for a key another subject holds a certificate for: that key can never be certified for you."""


def _print_rejection(error: client.KsefEnrollmentFailedError, plan: RequestPlan, retry: str) -> None:
    """What KSeF said, once, and what can be done: a retry with the same key only when the key is not the cause."""
    heading = "Wniosek odrzucony" if error.status_code < 500 else "Wniosek nie został zrealizowany"
    description = error.description.strip().rstrip(".")
    said = "" if description.lower() in (heading.lower(), "wniosek odrzucony") else f": {escape(error.description)}"
    error_console.print(f"[bold red]{heading} przez KSeF[/] (status {error.status_code}){said}")
    for detail in error.details:
        error_console.print(f"  {escape(detail)}")
    if any(KEY_OF_ANOTHER_SUBJECT.rstrip(".") in detail for detail in error.details):
        fresh = retry_command(plan, new_key_as="NOWA NAZWA")
        error_console.print(
            f"Tego klucza ({escape(str(plan.key_path))}) nie da się certyfikować dla Ciebie — ani teraz, ani później. "
            f"Złóż wniosek z nowym kluczem (bez --key), pod nową nazwą:\n  {escape(fresh)}"
        )
        return
    error_console.print(
        f"Klucz prywatny został zachowany: {escape(str(plan.key_path))}. Po usunięciu przyczyny możesz ponowić "
        f"wniosek z tym samym kluczem:\n  {escape(retry)}"
    )


def wait_for_certificate(enrollment: client.Enrollment, plan: RequestPlan, retry: str, wait: float) -> str:
    """Follow the status live ("Odśwież") until the certificate is issued; its serial number."""
    follow = f"ksef-mcu cert status {enrollment.reference_number}{plan.connection}"
    try:
        with (
            _hint_on_failure(f"Wniosek został wysłany; sprawdź jego status: {follow}"),
            spinner("Wniosek przyjęty do realizacji…") as status,
        ):
            issued = enrollment.wait(timeout=wait, on_progress=lambda s: status.update(status_text(s)))
    except client.KsefEnrollmentFailedError as error:
        _print_rejection(error, plan, retry)
        raise typer.Exit(client_exit_code(error)) from error
    except (client.KsefPollingTimeoutError, KeyboardInterrupt) as error:
        error_console.print(
            f"[yellow]Certyfikat nie jest jeszcze gotowy.[/] Wniosek {enrollment.reference_number} jest nadal "
            f"realizowany. Sprawdź go później: {follow}"
        )
        stopped = isinstance(error, KeyboardInterrupt)
        raise typer.Exit(ExitCode.CANCELLED if stopped else ExitCode.UNAVAILABLE) from error
    serial = issued.serial_number
    if serial is None:
        fail(
            f"KSeF zgłosił wydanie certyfikatu bez numeru seryjnego (wniosek {enrollment.reference_number}).",
            ExitCode.UNAVAILABLE,
        )
    print_done(f"Certyfikat wydany; numer seryjny: {serial}")
    return serial


def save_issued(session: Session, serial: str, plan: RequestPlan, private_key: crypto_keys.PrivateKey) -> None:
    """ "Pobierz certyfikat": retrieve the issued certificate, check it belongs to our key, write NAZWA.crt."""
    with spinner("Pobieranie certyfikatu…"):
        retrieved = session.client.certificates.retrieve([serial])
    match = next((item for item in retrieved if item.serial_number == serial), None)
    if match is None:
        fail(
            f"KSeF nie zwrócił wydanego certyfikatu {serial}. Pobierz go później: "
            f"ksef-mcu cert download {serial}{plan.connection}",
            ExitCode.UNAVAILABLE,
        )
    if not certificates.key_matches_certificate(private_key, match.certificate):
        fail(f"Certyfikat {serial} nie pasuje do klucza {plan.key_path} — nie zapisuję go.", ExitCode.UNAVAILABLE)
    try:
        write_new_file(plan.certificate_path, match.pem.encode("ascii"), mode=0o644)
    except CliError:
        error_console.print(
            f"Certyfikat {serial} jest wydany; pobierz go: ksef-mcu cert download {serial} --out KATALOG"
            f"{plan.connection}"
        )
        raise
    print_done(
        f"Zapisano certyfikat: {escape(str(plan.certificate_path))} (PEM), obok klucza {escape(str(plan.key_path))}"
    )
    print_rows(
        [
            ("Nazwa", escape(plan.name)),
            ("Typ", TYPE_LABELS[match.type]),
            ("Numer seryjny", serial),
            ("Ważny od", format_moment(match.certificate.not_valid_before_utc)),
            ("Ważny do", format_moment(match.certificate.not_valid_after_utc)),
            (
                "Klucz",
                f"{crypto_keys.key_kind(private_key).label}, "
                f"odcisk {crypto_keys.public_key_sha256_fingerprint(private_key)}",
            ),
        ]
    )


def next_steps(plan: RequestPlan, serial: str) -> list[str]:
    env = plan.connection
    files = f'--cert "{plan.certificate_path}" --key "{plan.key_path}"'
    steps = [
        f"pobierz go ponownie: ksef-mcu cert download {serial} --out KATALOG{env}",
        f"lista certyfikatów: ksef-mcu cert list{env}",
    ]
    if plan.certificate_type == AUTHENTICATION:
        steps += [
            f"zaloguj się nowym certyfikatem: ksef-mcu login {files}{env}",
            f"wnioskuj o kolejny certyfikat, np. offline do kodów QR: ksef-mcu cert request NAZWA --type offline{env}",
        ]
    else:
        steps += [
            f"podpisz KOD II faktury offline: ksef-mcu qr offline {files} --invoice faktura.xml{env}",
            f"wnioskuj o kolejny certyfikat: ksef-mcu cert request NAZWA --type uwierzytelnienie{env}",
        ]
    return steps


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
        str,
        typer.Option(
            "--type",
            parser=TYPE_CHOICE.parse,
            metavar=TYPE_CHOICE.metavar,
            help="Przeznaczenie: uwierzytelnienie (Typ 1, logowanie do KSeF) albo offline (Typ 2, podpis linku do "
            "weryfikacji wystawcy — KOD II).",
        ),
    ],
    valid_from: Annotated[
        str | None,
        typer.Option(
            "--valid-from",
            help="Ważny od (RRRR-MM-DD, od dziś do 90 dni naprzód; domyślnie od chwili wydania). Ważność: 2 lata.",
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
    out: Annotated[
        Path,
        typer.Option("--out", help="Katalog na NAZWA.key i NAZWA.crt (dla nowego klucza; powstanie, jeśli go nie ma)."),
    ] = Path(),
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
    connection = environment_flag(str(environment))
    if base_url is not None:
        connection += f" --base-url {base_url}"
    plan = plan_request(
        name,
        certificate_type,
        valid_from,
        rsa=rsa,
        key=key,
        out=out,
        password_file=password_file,
        wait=wait,
        connection=connection,
    )
    with connect(environment, base_url) as session:
        if plan.existing_key:
            private_key: crypto_keys.PrivateKey | None = crypto_keys.load_private_key(
                read_input_file(plan.key_path, "pliku klucza"), ask_key_password(password_file)
            )
            password = None
        else:
            password = ask_new_key_password(password_file)
            private_key = None
        check_limits(session)
        if private_key is None:
            assert password is not None  # noqa: S101 - asked above for a new key
            private_key = generate_and_save_key(plan, password)
        retry = retry_command(plan)
        enrollment = send_request(session, plan, private_key, retry)
        serial = wait_for_certificate(enrollment, plan, retry, wait)
        save_issued(session, serial, plan, private_key)
    print_next_steps(next_steps(plan, serial))


def register(group: typer.Typer) -> None:
    """Add `request` to the `cert` group."""
    add_command(group, "request", request)
