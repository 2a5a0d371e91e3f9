"""`ksef-mcu ca export | block | unblock`: the server's certificate authority, for its operator.

The commands read the same settings as `ksef-mcu serve` (`KSEF_MCU_*`, `--data-dir`, `--database-url`) and use the CA
keys in the data directory, so they act on the CA every process sharing that directory uses.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ksef_mcu.cli._common import ExitCode
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli.server import DatabaseUrlOption, DataDirOption, operator_error, prepare, settings_from


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

    from ksef_mcu.server.enrollment.ca import open_certificate_authority  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStore, KeyStoreError, load_or_create_secret  # noqa: PLC0415

    settings = settings_from(data_dir=data_dir)
    try:
        store = KeyStore(settings.keys_dir, load_or_create_secret(settings))
        authority = open_certificate_authority(
            store, now=datetime.now(UTC), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
    except (KeyStoreError, OSError) as error:
        raise operator_error(
            f"nie można otworzyć kluczy urzędu certyfikacji w {settings.data_dir}: {error}", ExitCode.LOCAL
        ) from error
    pem = authority.root_certificate.public_bytes(Encoding.PEM) if root_only else authority.chain_pem()
    if output is None:
        sys.stdout.write(pem.decode("ascii"))
        return
    if output.exists() and not force:
        raise operator_error(f"plik {output} już istnieje; użyj --force, aby go nadpisać.", ExitCode.LOCAL)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(pem)
        os.replace(temporary, output)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise operator_error(f"nie można zapisać {output}: {error.strerror}", ExitCode.LOCAL) from error
    what = "certyfikat główny" if root_only else "certyfikaty urzędu (wystawca i główny)"
    typer.echo(f"Zapisano {what} do {output}.")


SerialArgument = Annotated[str, typer.Argument(help="Numer seryjny certyfikatu (16 cyfr szesnastkowych).")]


def _set_blocked(serial: str, *, blocked: bool, data_dir: Path | None, database_url: str | None) -> None:
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.certificates.service import CertificateService  # noqa: PLC0415
    from ksef_mcu.server.clock import SystemClock  # noqa: PLC0415
    from ksef_mcu.server.enrollment.ca import open_certificate_authority  # noqa: PLC0415
    from ksef_mcu.server.errors import BadRequestError  # noqa: PLC0415
    from ksef_mcu.server.keys import KeyStore, KeyStoreError, load_or_create_secret  # noqa: PLC0415

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    prepare(settings)
    try:
        store = KeyStore(settings.keys_dir, load_or_create_secret(settings))
        authority = open_certificate_authority(
            store, now=datetime.now(UTC), crl_url=f"{settings.resolved_public_url}/ca/crl"
        )
    except (KeyStoreError, OSError) as error:
        raise operator_error(
            f"nie można otworzyć kluczy urzędu certyfikacji w {settings.data_dir}: {error}", ExitCode.LOCAL
        ) from error
    database = open_database(settings)
    try:
        service = CertificateService(settings=settings, database=database, clock=SystemClock(), authority=authority)
        record = service.set_blocked(serial, blocked=blocked)
    except BadRequestError as error:
        raise operator_error(" ".join([error.description, *error.details]), ExitCode.REFUSED) from error
    finally:
        database.dispose()
    state = "zablokowany (lista CRL wymienia go jako wstrzymany)" if blocked else "znów aktywny"
    typer.echo(f"Certyfikat {record.serial_number} „{record.name}” jest {state}.")


def ca_block(serial: SerialArgument, data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Zablokuj certyfikat (status Blocked): przestaje działać przy logowaniu, trafia na listę CRL."""
    _set_blocked(serial, blocked=True, data_dir=data_dir, database_url=database_url)


def ca_unblock(serial: SerialArgument, data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Odblokuj zablokowany certyfikat (status Active)."""
    _set_blocked(serial, blocked=False, data_dir=data_dir, database_url=database_url)


def register(parent: typer.Typer) -> None:
    """Add the `ca` group to the `ksef-mcu` command."""
    group = new_group("ca", "Urząd certyfikacji serwera: certyfikaty CA, blokowanie certyfikatów.")
    add_command(group, "export", ca_export)
    add_command(group, "block", ca_block)
    add_command(group, "unblock", ca_unblock)
    parent.add_typer(group)
