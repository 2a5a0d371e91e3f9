"""`ksef-mcu worker` (the issuance worker as its own process) and `ksef-mcu ca export` (the CA certificates).

Both read the same settings as `ksef-mcu serve` (`KSEF_MCU_*`, `--data-dir`, `--database-url`) and use the CA keys in
the data directory, so every process that shares the data directory and the database works as one CA.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ksef_mcu.cli.server import DatabaseUrlOption, DataDirOption, _fail, _log_config, _prepare, _settings

ca_app = typer.Typer(
    name="ca", help="Urząd certyfikacji serwera: certyfikaty CA, blokowanie certyfikatów.", no_args_is_help=True
)


def worker(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Poziom logowania (info, warning, debug).")] = "info",
) -> None:
    """Wystawiaj certyfikaty z wniosków zapisanych w bazie (osobny proces obok `ksef-mcu serve`).

    Kilka takich procesów i kilka serwerów może pracować na jednej bazie PostgreSQL; kończy pracę po SIGTERM/SIGINT,
    dokończywszy bieżącą partię wniosków.
    """
    import logging.config  # noqa: PLC0415

    from ksef_mcu.clock import SystemClock  # noqa: PLC0415
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.certificates.ca import open_certificate_authority  # noqa: PLC0415
    from ksef_mcu.server.certificates.worker import IssuanceWorker  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStore, KeyStoreError, load_or_create_secret  # noqa: PLC0415

    settings = _settings(data_dir=data_dir, database_url=database_url)
    _prepare(settings)
    logging.config.dictConfig(_log_config(log_level))
    try:
        store = KeyStore(settings.keys_dir, load_or_create_secret(settings))
        authority = open_certificate_authority(
            store, now=datetime.now(UTC), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
    except (KeyStoreError, OSError) as error:
        raise _fail(f"nie można otworzyć kluczy urzędu certyfikacji w {settings.data_dir}: {error}") from error
    database = open_database(settings)
    issuance = IssuanceWorker(settings=settings, database=database, clock=SystemClock(), issuer=authority.issuer)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for received in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(received, stop.set)
        await issuance.run(stop)

    typer.echo(f"ksef-mcu worker {issuance.worker_id}: baza {database!r}", err=True)
    try:
        asyncio.run(run())
    finally:
        database.dispose()


@ca_app.command("export")
def ca_export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Plik PEM do zapisania; bez tej opcji certyfikaty trafiają na ekran."),
    ] = None,
    root_only: Annotated[
        bool, typer.Option("--root", help="Tylko certyfikat główny (do magazynu zaufanych certyfikatów).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Nadpisz istniejący plik.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Zapisz certyfikaty urzędu certyfikacji serwera (PEM: wystawca certyfikatów, potem główny)."""
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

    from ksef_mcu.server.certificates.ca import open_certificate_authority  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStore, KeyStoreError, load_or_create_secret  # noqa: PLC0415

    settings = _settings(data_dir=data_dir)
    try:
        store = KeyStore(settings.keys_dir, load_or_create_secret(settings))
        authority = open_certificate_authority(
            store, now=datetime.now(UTC), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
    except (KeyStoreError, OSError) as error:
        raise _fail(f"nie można otworzyć kluczy urzędu certyfikacji w {settings.data_dir}: {error}") from error
    pem = authority.root_certificate.public_bytes(Encoding.PEM) if root_only else authority.chain_pem()
    if output is None:
        sys.stdout.write(pem.decode("ascii"))
        return
    if output.exists() and not force:
        raise _fail(f"plik {output} już istnieje; użyj --force, aby go nadpisać.")
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(pem)
        os.replace(temporary, output)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _fail(f"nie można zapisać {output}: {error.strerror}") from error
    what = "certyfikat główny" if root_only else "certyfikaty urzędu (wystawca i główny)"
    typer.echo(f"Zapisano {what} do {output}.")


SerialArgument = Annotated[str, typer.Argument(help="Numer seryjny certyfikatu (16 cyfr szesnastkowych).")]


def _set_blocked(serial: str, *, blocked: bool, data_dir: Path | None, database_url: str | None) -> None:
    from ksef_mcu.clock import SystemClock  # noqa: PLC0415
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.certificates.ca import open_certificate_authority  # noqa: PLC0415
    from ksef_mcu.server.certificates.service import CertificateService  # noqa: PLC0415
    from ksef_mcu.server.errors import BadRequestError  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStore, KeyStoreError, load_or_create_secret  # noqa: PLC0415

    settings = _settings(data_dir=data_dir, database_url=database_url)
    _prepare(settings)
    try:
        store = KeyStore(settings.keys_dir, load_or_create_secret(settings))
        authority = open_certificate_authority(
            store, now=datetime.now(UTC), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
    except (KeyStoreError, OSError) as error:
        raise _fail(f"nie można otworzyć kluczy urzędu certyfikacji w {settings.data_dir}: {error}") from error
    database = open_database(settings)
    try:
        service = CertificateService(settings=settings, database=database, clock=SystemClock(), authority=authority)
        record = service.set_blocked(serial, blocked=blocked)
    except BadRequestError as error:
        raise _fail(" ".join([error.description, *error.details])) from error
    finally:
        database.dispose()
    state = "zablokowany (lista CRL wymienia go jako wstrzymany)" if blocked else "znów aktywny"
    typer.echo(f"Certyfikat {record.serial_number} „{record.name}” jest {state}.")


@ca_app.command("block")
def ca_block(serial: SerialArgument, data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Zablokuj certyfikat (status Blocked): przestaje działać przy logowaniu, trafia na listę CRL."""
    _set_blocked(serial, blocked=True, data_dir=data_dir, database_url=database_url)


@ca_app.command("unblock")
def ca_unblock(serial: SerialArgument, data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Odblokuj zablokowany certyfikat (status Active)."""
    _set_blocked(serial, blocked=False, data_dir=data_dir, database_url=database_url)


def register(app: typer.Typer) -> None:
    """Add `worker` and `ca` to the `ksef-mcu` command."""
    app.command("worker")(worker)
    app.add_typer(ca_app, name="ca")


logging.getLogger("ksef_mcu.server.issuance").setLevel(logging.INFO)
