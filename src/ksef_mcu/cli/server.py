"""`ksef-mcu serve`, `worker` and `db …`: run the KSeF-compatible server and its issuance worker, manage its database.

The server stack (FastAPI, SQLAlchemy, uvicorn) takes about a second to import, so it is imported inside the commands
that need it (`noqa: PLC0415`) and every other `ksef-mcu` command starts fast.
"""

from __future__ import annotations

import enum
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ksef_mcu import __version__
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli._lazy import pydantic, server_settings, sqlalchemy_exc

if TYPE_CHECKING:
    from ksef_mcu.server.certificates.ca import CertificateAuthority


class Mode(enum.StrEnum):
    """`--mode` (the values of `server.settings.ServerMode`, without importing the server to show them)."""

    SANDBOX = "sandbox"
    STRICT = "strict"


DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Katalog danych (baza SQLite, klucze serwera). Domyślnie ./data.", show_default=False
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Adres bazy: sqlite:///ścieżka albo postgresql+psycopg://użytkownik@host/baza. Domyślnie SQLite w "
        "katalogu danych.",
        show_default=False,
    ),
]


def quiet_migrations() -> None:
    """Alembic's INFO lines ("Context impl …", "Will assume …") are noise for an operator."""
    logging.getLogger("alembic").setLevel(logging.WARNING)


def operator_error(message: str, exit_code: ExitCode) -> typer.Exit:
    """Print `message` for the server's operator; the `typer.Exit` to raise (with the kind's exit code)."""
    typer.echo(f"Błąd: {message}", err=True)
    return typer.Exit(code=exit_code)


def settings_from(**overrides: Any) -> server_settings.ServerSettings:
    try:
        return server_settings.ServerSettings(**{key: value for key, value in overrides.items() if value is not None})
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise operator_error(f"nieprawidłowe ustawienia serwera ({problems}).", ExitCode.USAGE) from error


def log_config(level: str) -> dict[str, Any]:
    import uvicorn.config  # noqa: PLC0415

    config: dict[str, Any] = {**uvicorn.config.LOGGING_CONFIG}
    config["loggers"] = {
        **config["loggers"],
        "ksef_mcu": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        # What the issuance worker did is always worth a line, whatever the level.
        "ksef_mcu.server.issuance": {"level": "INFO"},
    }
    return config


def prepare(settings: server_settings.ServerSettings) -> None:
    """For `serve`: create the data directory and keys (the only command that may), and bring the schema up to date
    (before any worker starts)."""
    from ksef_mcu.server.auth.trust import StaticTrustAnchors  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStoreError, open_server_keys  # noqa: PLC0415

    try:
        StaticTrustAnchors.from_pem_files(settings.trust_anchors)
    except ValueError as error:
        raise operator_error(
            f"nie można wczytać zaufanych certyfikatów (KSEF_MCU_TRUST_ANCHORS): {error}", ExitCode.LOCAL
        ) from error
    try:
        open_server_keys(settings, now=datetime.now(UTC))
    except (KeyStoreError, OSError) as error:
        raise operator_error(
            f"nie można otworzyć kluczy serwera w {settings.data_dir}: {error}", ExitCode.LOCAL
        ) from error
    upgrade_schema(settings)


def missing_ca_files(settings: server_settings.ServerSettings) -> list[str]:
    """The CA files (keys and certificates) missing from the data directory's key store."""
    from ksef_mcu.server.certificates.ca import ISSUING_KEY_NAME, ROOT_KEY_NAME  # noqa: PLC0415

    names = [f"{name}{suffix}" for name in (ROOT_KEY_NAME, ISSUING_KEY_NAME) for suffix in (".crt", ".key")]
    return [name for name in names if not (settings.keys_dir / name).is_file()]


def no_ca_message(settings: server_settings.ServerSettings, missing: list[str]) -> str:
    """Where the CA was looked for and how to point the command at the right place."""
    return (
        f"nie ma urzędu certyfikacji w {settings.keys_dir.resolve()} (brak {', '.join(missing)}). To nie jest katalog "
        "danych serwera ksef-mcu: wskaż go opcją --data-dir KATALOG (albo zmienną KSEF_MCU_DATA_DIR). Urząd "
        "powstaje przy pierwszym uruchomieniu `ksef-mcu serve`; żadne inne polecenie go nie tworzy."
    )


def open_existing_ca(settings: server_settings.ServerSettings) -> CertificateAuthority:
    """The CA in the data directory — never a new one: a command pointed at the wrong directory must not mint a CA
    (and keys, and a secret) nobody trusts. Raises the `typer.Exit` of `operator_error` (exit code 3)."""
    from ksef_mcu.server.certificates.ca import open_certificate_authority  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStore, KeyStoreError, load_or_create_secret  # noqa: PLC0415

    if missing := missing_ca_files(settings):
        raise operator_error(no_ca_message(settings, missing), ExitCode.LOCAL)
    if settings.secret is None and not settings.resolved_secret_file.is_file():
        raise operator_error(
            "brak hasła kluczy urzędu certyfikacji: nie ustawiono KSEF_MCU_SECRET i nie ma pliku "
            f"{settings.resolved_secret_file.resolve()}.",
            ExitCode.LOCAL,
        )
    try:
        store = KeyStore(settings.keys_dir, load_or_create_secret(settings))  # the secret exists: nothing is created
        return open_certificate_authority(
            store, now=datetime.now(UTC), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
    except (KeyStoreError, OSError) as error:
        raise operator_error(
            f"nie można otworzyć kluczy urzędu certyfikacji w {settings.data_dir}: {error}", ExitCode.LOCAL
        ) from error


def upgrade_schema(settings: server_settings.ServerSettings) -> None:
    """Bring the database schema up to date (safe when several processes do it at once)."""
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.migrations import upgrade_database  # noqa: PLC0415

    quiet_migrations()
    database = open_database(settings)
    try:
        upgrade_database(database)
    except sqlalchemy_exc.SQLAlchemyError as error:
        raise operator_error(
            f"nie można przygotować bazy danych ({type(error).__name__}): {error.args[0]}", ExitCode.UNAVAILABLE
        ) from error
    finally:
        database.dispose()


def _export(settings: server_settings.ServerSettings) -> None:
    """Hand the effective settings to worker processes (they read `KSEF_MCU_*`)."""
    os.environ["KSEF_MCU_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["KSEF_MCU_DATABASE_URL"] = settings.resolved_database_url
    os.environ["KSEF_MCU_MODE"] = settings.mode.value
    os.environ["KSEF_MCU_PUBLIC_URL"] = settings.resolved_public_url


SERVER_ADDRESSES: list[tuple[str, str]] = [
    ("API KSeF 2.0", "/v2"),
    ("Dokumentacja API", "/docs"),
    ("Stan serwera", "/healthz"),
    ("Certyfikaty urzędu (CA)", "/ca/certificate"),
    ("Weryfikacja kodów QR", "/qr"),
]
"""What `serve` prints the address of: (label, path under the server's root). The MCU web screens and the invoicing
app add their lines here when they come."""


def startup_banner(settings: server_settings.ServerSettings, *, root: str) -> str:
    """What `ksef-mcu serve` (and so `make run`) prints before it listens: where everything is and what to try next."""
    api = f"{root}/v2"
    local = api == "http://127.0.0.1:8000/v2"
    connect = "" if local else f" --base-url {root}"
    rows = [(label, f"{root}{path}") for label, path in SERVER_ADDRESSES]
    rows += [
        ("Tryb", settings.mode.value),
        ("Katalog danych", str(settings.data_dir.resolve())),
        ("Baza danych", _shown_database(settings.resolved_database_url)),
    ]
    width = max(len(label) for label, _ in rows)
    lines = ["", f"ksef-mcu {__version__} — serwer KSeF (MCU)", ""]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    lines += [
        "",
        "Wypróbuj w drugim terminalu:",
        "  ksef-mcu cert self-signed logowanie-testowe --random-nip",
        f"  ksef-mcu login --cert logowanie-testowe.crt --key logowanie-testowe.key{connect}",
        f'  ksef-mcu cert request "Moj certyfikat" --type uwierzytelnienie{connect}',
        "",
    ]
    return "\n".join(lines)


def _shown_database(url: str) -> str:
    """The database URL without a password."""
    scheme, separator, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{separator}{credentials.split(':', 1)[0]}:***@{location}"


def serve(  # noqa: PLR0917 - typer maps each option to a parameter
    host: Annotated[str, typer.Option("--host", help="Adres, na którym serwer nasłuchuje.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port HTTP.")] = 8000,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    mode: Annotated[
        Mode | None,
        typer.Option(
            "--mode",
            help="sandbox: jak środowisko testowe KSeF (certyfikaty samopodpisane, /v2/testdata); strict: tylko "
            "certyfikaty z zaufanych urzędów. Domyślnie sandbox.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Liczba procesów obsługujących żądania.")] = 1,
    log_level: Annotated[str, typer.Option("--log-level", help="Poziom logowania (info, warning, debug).")] = "info",
) -> None:
    """Uruchom serwer KSeF (API /v2, dokumentacja pod /docs). Migracje bazy są stosowane przy starcie."""
    import uvicorn  # noqa: PLC0415

    from ksef_mcu.server.app import create_app  # noqa: PLC0415

    settings = settings_from(data_dir=data_dir, database_url=database_url, mode=mode.value if mode else None)
    if settings.public_url is None:
        # Issued certificates name <public_url>/ca/crl; without a configured address, the one we listen on.
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - comparing, not binding
        settings = settings.model_copy(update={"public_url": f"http://{shown_host}:{port}"})
    prepare(settings)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": log_config(log_level),
        "log_level": log_level.lower(),
        # Forwarded headers are the app's business: it believes them only from `KSEF_MCU_TRUSTED_PROXIES`
        # (uvicorn's default would trust any local caller's X-Forwarded-For).
        "proxy_headers": False,
        "server_header": False,
    }
    typer.echo(startup_banner(settings, root=settings.resolved_public_url), err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
    else:
        _export(settings)
        uvicorn.run("ksef_mcu.server.app:create_app_from_environment", factory=True, workers=workers, **options)


def worker(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Poziom logowania (info, warning, debug).")] = "info",
) -> None:
    """Wystawiaj certyfikaty z wniosków i przetwarzaj faktury z sesji zapisane w bazie (osobny proces obok
    `ksef-mcu serve`).

    Kilka takich procesów i kilka serwerów może pracować na jednej bazie PostgreSQL; kończy pracę po SIGTERM/SIGINT,
    dokończywszy bieżącą partię wniosków.
    """
    import asyncio  # noqa: PLC0415
    import logging.config  # noqa: PLC0415
    import signal  # noqa: PLC0415

    from ksef_mcu.clock import SystemClock  # noqa: PLC0415
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.certificates.worker import IssuanceWorker  # noqa: PLC0415
    from ksef_mcu.server.composition import build_invoice_worker  # noqa: PLC0415
    from ksef_mcu.server.keys import open_server_keys  # noqa: PLC0415

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    authority = open_existing_ca(settings)
    upgrade_schema(settings)
    logging.config.dictConfig(log_config(log_level))
    database = open_database(settings)
    clock = SystemClock()
    issuance = IssuanceWorker(settings=settings, database=database, clock=clock, issuer=authority.issuer)
    keys = open_server_keys(settings, now=clock.now())
    invoices = build_invoice_worker(settings, database, clock, keys)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for received in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(received, stop.set)
        await asyncio.gather(issuance.run(stop), invoices.run(stop))

    typer.echo(f"ksef-mcu worker {issuance.worker_id}: baza {database!r}", err=True)
    try:
        asyncio.run(run())
    finally:
        database.dispose()


def db_upgrade(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Zastosuj migracje schematu bazy danych (bezpieczne przy równoczesnym uruchomieniu)."""
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.migrations import current_revision, upgrade_database  # noqa: PLC0415

    quiet_migrations()
    settings = settings_from(data_dir=data_dir, database_url=database_url)
    database = open_database(settings)
    try:
        upgrade_database(database)
        typer.echo(f"Schemat bazy jest aktualny (wersja {current_revision(database)}).")
    except sqlalchemy_exc.SQLAlchemyError as error:
        raise operator_error(
            f"migracja nie powiodła się ({type(error).__name__}): {error.args[0]}", ExitCode.UNAVAILABLE
        ) from error
    finally:
        database.dispose()


def db_current(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Pokaż wersję schematu bazy danych i najnowszą dostępną."""
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.migrations import current_revision, head_revision  # noqa: PLC0415

    quiet_migrations()
    settings = settings_from(data_dir=data_dir, database_url=database_url)
    database = open_database(settings)
    try:
        current = current_revision(database)
    except sqlalchemy_exc.SQLAlchemyError as error:
        raise operator_error(
            f"nie można odczytać bazy ({type(error).__name__}): {error.args[0]}", ExitCode.UNAVAILABLE
        ) from error
    finally:
        database.dispose()
    head = head_revision()
    typer.echo(f"Baza: {current or 'pusta'}; najnowsza migracja: {head}.")
    if current != head:
        typer.echo("Uruchom `ksef-mcu db upgrade`, aby zaktualizować schemat.")


def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="Opis migracji.")],
    empty: Annotated[bool, typer.Option("--empty", help="Pusta migracja zamiast porównania ze schematem.")] = False,
) -> None:
    """(Dla programistów) Utwórz plik migracji z różnicy między tabelami w kodzie a schematem."""
    from ksef_mcu.server.migrations import create_revision  # noqa: PLC0415

    quiet_migrations()
    typer.echo(str(create_revision(message, autogenerate=not empty)))


def register(parent: typer.Typer) -> None:
    """Add `serve`, `db` and `worker` to the `ksef-mcu` command."""
    add_command(parent, "serve", serve)
    group = new_group("db", "Baza danych serwera: migracje schematu.")
    add_command(group, "upgrade", db_upgrade)
    add_command(group, "current", db_current)
    add_command(group, "revision", db_revision, hidden=True)
    parent.add_typer(group)
    add_command(parent, "worker", worker)
