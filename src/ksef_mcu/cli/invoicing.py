"""`ksef-mcu invoicing …`: run Obsługa Faktur and manage it (users, companies, KSeF certificates, connection checks).

The application stack is imported inside the commands, so `ksef-mcu --help` stays fast.
"""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ksef_mcu.cli._common import ExitCode
from ksef_mcu.cli._frame import add_command, new_group

if TYPE_CHECKING:
    from ksef_mcu.invoicing.model import Company
    from ksef_mcu.invoicing.services import Invoicing


class Env(enum.StrEnum):
    LOCAL = "local"
    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Katalog danych Obsługi Faktur (baza SQLite, klucz główny). Domyślnie ./data-invoicing "
        "(albo KSEF_MCU_INVOICING_DATA_DIR).",
        show_default=False,
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Adres bazy: sqlite:///ścieżka albo postgresql+psycopg://użytkownik@host/baza. Domyślnie SQLite w "
        "katalogu danych.",
        show_default=False,
    ),
]
EnvOption = Annotated[
    Env | None,
    typer.Option(
        "--env", help="Środowisko KSeF: local (nasz serwer), test, demo, prod. Domyślnie local.", show_default=False
    ),
]
KsefUrl = Annotated[
    str | None,
    typer.Option(
        "--ksef-url",
        help="Adres API KSeF (np. http://127.0.0.1:8000); domyślnie adres wybranego środowiska.",
        show_default=False,
    ),
]
CompanyOption = Annotated[
    str | None,
    typer.Option("--company", help="NIP (albo identyfikator wewnętrzny) firmy; przy jednej firmie niepotrzebne."),
]


def _open(data_dir: Path | None, database_url: str | None, env: Env | None, ksef_url: str | None) -> Invoicing:
    from ksef_mcu.client import KsefInvalidInputError  # noqa: PLC0415
    from ksef_mcu.invoicing.config import InvoicingConfig  # noqa: PLC0415
    from ksef_mcu.invoicing.services import open_invoicing  # noqa: PLC0415

    try:
        config = InvoicingConfig.from_options(
            data_dir=data_dir, environment=env.value if env else None, ksef_url=ksef_url, database_url=database_url
        )
    except KsefInvalidInputError as error:
        raise _fail(error.message, ExitCode.USAGE) from error
    return open_invoicing(config)


def _fail(message: str, code: ExitCode) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(int(code))


def _read_password(path: Path) -> str:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as error:
        raise _fail(f"Nie można odczytać pliku z hasłem {path}: {error.strerror}.", ExitCode.LOCAL) from error
    return text.rstrip("\r\n")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _fail(f"Nie można odczytać pliku {path}: {error.strerror}.", ExitCode.LOCAL) from error


def _company(invoicing: Invoicing, identifier: str | None) -> Company:
    from ksef_mcu.invoicing.errors import NotFoundError  # noqa: PLC0415

    if identifier:
        try:
            return invoicing.accounts.company(identifier)
        except NotFoundError as error:
            raise _fail(error.message, ExitCode.LOCAL) from error
    companies = invoicing.accounts.companies_for(None)
    if len(companies) != 1:
        raise _fail("Podaj firmę: --company NIP (ksef-mcu invoicing company list).", ExitCode.USAGE)
    return companies[0]


# --- serve ------------------------------------------------------------------------------------------------------------


def serve(  # noqa: PLR0917 - typer maps each option to a parameter
    host: Annotated[str, typer.Option("--host", help="Adres, na którym aplikacja nasłuchuje.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port HTTP.")] = 8001,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    env: EnvOption = None,
    ksef_url: KsefUrl = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Poziom logowania (info, warning, debug).")] = "info",
) -> None:
    """Uruchom Obsługę Faktur (ekrany pod http://HOST:PORT). Migracje bazy są stosowane przy starcie."""
    import uvicorn  # noqa: PLC0415

    from ksef_mcu.client import KsefInvalidInputError  # noqa: PLC0415
    from ksef_mcu.invoicing.app import create_app  # noqa: PLC0415
    from ksef_mcu.invoicing.config import InvoicingConfig  # noqa: PLC0415

    try:
        config = InvoicingConfig.from_options(
            data_dir=data_dir, environment=env.value if env else None, ksef_url=ksef_url, database_url=database_url
        )
    except KsefInvalidInputError as error:
        raise _fail(error.message, ExitCode.USAGE) from error
    interval = float(os.environ.get("KSEF_MCU_INVOICING_QUEUE_INTERVAL", "60"))
    app = create_app(config, queue_interval=interval)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - comparing, not binding
    typer.echo(
        "\n".join(
            [
                "",
                "Obsługa Faktur",
                "",
                f"  Aplikacja        http://{shown}:{port}",
                f"  KSeF (API)       {config.api_base_url} ({config.environment_label})",
                f"  Platforma KSeF   {config.platform_url}",
                f"  Katalog danych   {config.data_dir.resolve()}",
                "",
            ]
        ),
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), proxy_headers=False, server_header=False)


# --- users ------------------------------------------------------------------------------------------------------------


def user_add(
    login: Annotated[str, typer.Argument(help="Login nowego użytkownika.")],
    password_file: Annotated[
        Path,
        typer.Option("--password-file", help="Plik z hasłem (pierwszy wiersz); '-' czyta ze standardowego wejścia."),
    ],
    admin: Annotated[
        bool | None,
        typer.Option(
            "--admin/--no-admin", help="Administrator (domyślnie: tylko pierwszy użytkownik).", show_default=False
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Dodaj użytkownika Obsługi Faktur (pierwszy zostaje administratorem)."""
    from ksef_mcu.invoicing.errors import InvoicingError  # noqa: PLC0415

    password = _read_password(password_file)
    invoicing = _open(data_dir, database_url, None, None)
    try:
        is_admin = admin if admin is not None else not invoicing.accounts.has_users()
        user = invoicing.accounts.add_user(login, password, is_admin=is_admin)
    except InvoicingError as error:
        raise _fail(error.message, ExitCode.LOCAL) from error
    finally:
        invoicing.close()
    typer.echo(f"Dodano użytkownika {user.login}{' (administrator)' if user.is_admin else ''}.")


def user_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Pokaż użytkowników."""
    from ksef_mcu.formatting import format_moment  # noqa: PLC0415

    invoicing = _open(data_dir, database_url, None, None)
    try:
        for user in invoicing.accounts.list_users():
            role = "administrator" if user.is_admin else "użytkownik"
            last = format_moment(user.last_login_at) if user.last_login_at else "nigdy"
            typer.echo(f"{user.login}\t{role}\tostatnie logowanie: {last}")
    finally:
        invoicing.close()


def user_remove(
    login: Annotated[str, typer.Argument(help="Login użytkownika.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Usuń użytkownika."""
    from ksef_mcu.invoicing.errors import InvoicingError  # noqa: PLC0415

    invoicing = _open(data_dir, database_url, None, None)
    try:
        invoicing.accounts.remove_user(login)
    except InvoicingError as error:
        raise _fail(error.message, ExitCode.LOCAL) from error
    finally:
        invoicing.close()
    typer.echo(f"Usunięto użytkownika {login}.")


# --- companies --------------------------------------------------------------------------------------------------------


def company_add(
    identifier: Annotated[str, typer.Argument(help="NIP firmy albo identyfikator wewnętrzny (NIP-XXXXX).")],
    name: Annotated[str, typer.Option("--name", help="Nazwa firmy.")],
    users: Annotated[
        list[str] | None, typer.Option("--user", help="Login użytkownika z dostępem do firmy (można powtórzyć).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Dodaj firmę (kontekst KSeF) i daj użytkownikom dostęp do niej."""
    from ksef_mcu.invoicing.errors import InvoicingError  # noqa: PLC0415

    invoicing = _open(data_dir, database_url, None, None)
    try:
        company = invoicing.accounts.add_company(identifier, name)
        for login in users or []:
            invoicing.accounts.grant(company.context_value, login)
    except InvoicingError as error:
        raise _fail(error.message, ExitCode.LOCAL) from error
    finally:
        invoicing.close()
    typer.echo(f"Dodano firmę {company.name} ({company.context_type} {company.context_value}).")


def company_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Pokaż firmy i użytkowników z dostępem."""
    invoicing = _open(data_dir, database_url, None, None)
    try:
        for company in invoicing.accounts.companies_for(None):
            logins = ", ".join(invoicing.accounts.logins_with_access(company)) or "tylko administratorzy"
            typer.echo(f"{company.context_value}\t{company.context_type}\t{company.name}\tdostęp: {logins}")
    finally:
        invoicing.close()


# --- settings ---------------------------------------------------------------------------------------------------------


def add_cert(  # noqa: PLR0917 - typer maps each option to a parameter
    certificate_type: Annotated[int, typer.Option("--type", min=1, max=2, help="1: uwierzytelniający, 2: offline.")],
    company: CompanyOption = None,
    cert: Annotated[Path | None, typer.Option("--cert", help="Certyfikat (.crt/.cer/.pem).")] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Klucz prywatny (.key).")] = None,
    pkcs12: Annotated[
        Path | None, typer.Option("--pkcs12", help="Plik PKCS#12 (.p12/.pfx) zamiast --cert/--key.")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Plik z hasłem do klucza ('-': standardowe wejście).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    env: EnvOption = None,
    ksef_url: KsefUrl = None,
) -> None:
    """Dodaj (albo zamień) certyfikat KSeF firmy — te same sprawdzenia co w Ustawieniach → KSeF."""
    from ksef_mcu.invoicing.errors import UploadRefusedError  # noqa: PLC0415
    from ksef_mcu.invoicing.model import Slot  # noqa: PLC0415
    from ksef_mcu.invoicing.uploads import CertificateUpload  # noqa: PLC0415

    if (pkcs12 is None) == (cert is None or key is None) or (pkcs12 is not None and (cert or key)):
        raise _fail("Podaj --cert i --key albo --pkcs12.", ExitCode.USAGE)
    password = _read_password(password_file) if password_file else ""
    if pkcs12 is not None:
        upload = CertificateUpload(pkcs12=_read(pkcs12), password=password, pkcs12_name=pkcs12.name)
    else:
        if cert is None or key is None:  # pragma: no cover - checked above
            raise _fail("Podaj --cert i --key albo --pkcs12.", ExitCode.USAGE)
        upload = CertificateUpload(
            certificate=_read(cert), key=_read(key), password=password, certificate_name=cert.name, key_name=key.name
        )
    invoicing = _open(data_dir, database_url, env, ksef_url)
    try:
        target = _company(invoicing, company)
        stored, notes = invoicing.settings.add_certificate(
            target, Slot(certificate_type), upload, added_by=os.environ.get("USER", "cli")
        )
    except UploadRefusedError as error:
        raise _fail(f"Nie zapisano certyfikatu: {error.message}", ExitCode.LOCAL) from error
    finally:
        invoicing.close()
    typer.echo(f"Zapisano: {stored.slot.title} „{stored.common_name}”, numer seryjny {stored.serial_number}.")
    for note in notes:
        typer.echo(note)


def show(
    company: CompanyOption = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    env: EnvOption = None,
    ksef_url: KsefUrl = None,
) -> None:
    """Pokaż ustawienia KSeF firm: środowisko i certyfikaty (bez kluczy i haseł)."""
    from ksef_mcu.formatting import format_moment  # noqa: PLC0415

    invoicing = _open(data_dir, database_url, env, ksef_url)
    try:
        companies = [_company(invoicing, company)] if company else invoicing.accounts.companies_for(None)
        now = invoicing.clock.now()
        typer.echo(f"Środowisko KSeF: {invoicing.config.environment_label} ({invoicing.config.api_base_url})")
        for item in companies:
            typer.echo(f"\n{item.name} ({item.context_type} {item.context_value})")
            stored = {certificate.slot: certificate for certificate in invoicing.settings.certificates(item)}
            from ksef_mcu.invoicing.model import Slot  # noqa: PLC0415

            for slot in Slot:
                certificate = stored.get(slot)
                if certificate is None:
                    typer.echo(f"  {slot.title}: brak")
                    continue
                last = format_moment(certificate.last_login_at) if certificate.last_login_at else "—"
                typer.echo(
                    f"  {slot.title}: {certificate.common_name}, numer seryjny {certificate.serial_number}, "
                    f"{certificate.subject_identifier_type} {certificate.subject_identifier_value}, ważny "
                    f"{format_moment(certificate.valid_from)} → {format_moment(certificate.valid_to)} (wygasa za "
                    f"{certificate.days_left(now)} dni), status w KSeF: {certificate.ksef_status or 'nie sprawdzono'}"
                    f", ostatnie logowanie: {last}, dodał {certificate.added_by} {format_moment(certificate.added_at)}"
                )
    finally:
        invoicing.close()


def connect(
    company: CompanyOption = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    env: EnvOption = None,
    ksef_url: KsefUrl = None,
) -> None:
    """Zaloguj się do KSeF certyfikatem uwierzytelniającym firmy i odczytaj uprawnienia ("Przejdź dalej")."""
    invoicing = _open(data_dir, database_url, env, ksef_url)
    try:
        result = invoicing.settings.check_connection(_company(invoicing, company))
    finally:
        invoicing.close()
    typer.echo(result.title)
    typer.echo(result.message)
    for detail in result.details:
        typer.echo(f"  {detail}")
    if not result.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


def check(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    env: EnvOption = None,
    ksef_url: KsefUrl = None,
) -> None:
    """Sprawdź certyfikaty wszystkich firm (do crona i monitoringu): kod wyjścia 1, gdy któryś wygasa w ciągu 60
    dni, wygasł, ostatnie połączenie się nie udało albo firmie brakuje certyfikatu uwierzytelniającego."""
    from ksef_mcu.invoicing.model import Slot  # noqa: PLC0415

    invoicing = _open(data_dir, database_url, env, ksef_url)
    problems: list[str] = []
    try:
        companies = invoicing.accounts.companies_for(None)
        problems += [warning.text for warning in invoicing.settings.expiry_warnings(companies)]
        for company in companies:
            stored = {certificate.slot: certificate for certificate in invoicing.settings.certificates(company)}
            if Slot.AUTHENTICATION not in stored:
                problems.append(
                    f"Firma {company.name} ({company.context_value}) nie ma certyfikatu uwierzytelniającego."
                )
            problems += [
                f"{certificate.slot.title} firmy {company.context_value}: {certificate.check_message}"
                for certificate in stored.values()
                if certificate.check_ok is False and certificate.check_message
            ]
    finally:
        invoicing.close()
    if problems:
        for problem in problems:
            typer.echo(problem)
        raise typer.Exit(int(ExitCode.REFUSED))
    typer.echo("Certyfikaty KSeF w porządku.")


def send(  # noqa: PLR0917 - typer maps each option to a parameter
    files: Annotated[list[Path] | None, typer.Argument(help="Pliki faktur FA(3) (XML).", show_default=False)] = None,
    company: CompanyOption = None,
    queued: Annotated[
        bool, typer.Option("--queued", help="Wyślij faktury offline czekające w kolejce (offlineMode=true).")
    ] = False,
    upo_dir: Annotated[
        Path, typer.Option("--upo-dir", help="Katalog na pobrane UPO (NUMER-KSEF.xml).", show_default=True)
    ] = Path("upo"),
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    env: EnvOption = None,
    ksef_url: KsefUrl = None,
) -> None:
    """Wyślij faktury do KSeF w sesji interaktywnej: numery KSeF, UPO, zamknięcie sesji."""
    from ksef_mcu.invoicing.errors import InvoicingError  # noqa: PLC0415
    from ksef_mcu.invoicing.sending import STAGES  # noqa: PLC0415

    if bool(files) == queued:
        raise _fail("Podaj pliki faktur albo --queued.", ExitCode.USAGE)
    contents = [(path.name, _read(path)) for path in files or []]

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"{STAGES.get(stage, stage)}: {done}/{total}", err=True)

    invoicing = _open(data_dir, database_url, env, ksef_url)
    try:
        target = _company(invoicing, company)
        user = os.environ.get("USER", "cli")
        if queued:
            result = invoicing.sending.send_queued(target, sent_by=user, on_progress=progress)
            if result is None:
                typer.echo("Kolejka faktur offline jest pusta.")
                return
        else:
            result = invoicing.sending.send(target, contents, sent_by=user, on_progress=progress)
        sent = {item.id: item for item in invoicing.sending.sent(target)}
    except InvoicingError as error:
        raise _fail(error.message, ExitCode.REFUSED) from error
    finally:
        invoicing.close()
    typer.echo(f"Sesja {result.session_reference}: {'zamknięta' if result.session_closed else 'niezamknięta'}.")
    for outcome in result.outcomes:
        if outcome.ok:
            record = sent.get(outcome.sent_id)
            where = ""
            if record is not None and record.upo is not None:
                upo_dir.mkdir(parents=True, exist_ok=True)
                path = upo_dir / f"{outcome.ksef_number}.xml"
                path.write_bytes(record.upo)
                where = f", UPO: {path}"
            typer.echo(f"{outcome.name}: numer KSeF {outcome.ksef_number}{where}")
        else:
            details = f" ({'; '.join(outcome.details)})" if outcome.details else ""
            typer.echo(f"{outcome.name}: odrzucona – {outcome.status_code}: {outcome.status_description}{details}")
    if any(not outcome.ok for outcome in result.outcomes):
        raise typer.Exit(int(ExitCode.REFUSED))


def register(parent: typer.Typer) -> None:
    """Add the `invoicing` group to the `ksef-mcu` command."""
    group = new_group("invoicing", "Obsługa Faktur: aplikacja, użytkownicy, firmy, certyfikaty KSeF.")
    add_command(group, "serve", serve)
    users = new_group("user", "Użytkownicy Obsługi Faktur: dodaj, lista, usuń.")
    add_command(users, "add", user_add)
    add_command(users, "list", user_list)
    add_command(users, "remove", user_remove)
    group.add_typer(users)
    companies = new_group("company", "Firmy (konteksty KSeF): dodaj, lista.")
    add_command(companies, "add", company_add)
    add_command(companies, "list", company_list)
    group.add_typer(companies)
    settings = new_group("settings", "Ustawienia → KSeF: certyfikaty firm.")
    add_command(settings, "add-cert", add_cert)
    add_command(settings, "show", show)
    group.add_typer(settings)
    add_command(group, "connect", connect)
    add_command(group, "send", send)
    add_command(group, "check", check)
    parent.add_typer(group)
