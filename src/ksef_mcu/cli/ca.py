"""`ksef-mcu ca export | block | unblock`: the server's certificate authority, for its operator.

The commands read the same settings as `ksef-mcu serve` (`KSEF_MCU_*`, `--data-dir`, `--database-url`) and use the CA
in the data directory, so they act on the CA every process sharing that directory uses. None of them creates one:
only `ksef-mcu serve` creates key material.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cryptography import x509

    from ksef_mcu.server.settings import ServerSettings

from ksef_mcu.cli._common import ExitCode
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli.server import (
    DatabaseUrlOption,
    DataDirOption,
    no_ca_message,
    open_existing_ca,
    operator_error,
    settings_from,
    upgrade_schema,
)


def _local_chain(settings: ServerSettings) -> list[x509.Certificate]:
    """The CA certificates from the data directory — public files, read without the CA passphrase."""
    from cryptography import x509  # noqa: PLC0415

    from ksef_mcu.server.certificates.ca import ISSUING_KEY_NAME, ROOT_KEY_NAME  # noqa: PLC0415

    paths = [settings.keys_dir / f"{name}.crt" for name in (ISSUING_KEY_NAME, ROOT_KEY_NAME)]
    if missing := [path.name for path in paths if not path.is_file()]:
        raise operator_error(
            no_ca_message(settings, missing)
            + " Możesz też pobrać certyfikaty z działającego serwera: ksef-mcu ca export --url http://127.0.0.1:8000",
            ExitCode.LOCAL,
        )
    try:
        return [x509.load_pem_x509_certificate(path.read_bytes()) for path in paths]
    except (OSError, ValueError) as error:
        raise operator_error(
            f"nie można odczytać certyfikatów urzędu w {settings.keys_dir}: {error}", ExitCode.LOCAL
        ) from error


def _remote_chain(url: str) -> list[x509.Certificate]:
    """`GET <server>/ca/certificate` of a running ksef-mcu server (`/v2` or a trailing slash in `url` is ignored)."""
    import httpx  # noqa: PLC0415
    from cryptography import x509  # noqa: PLC0415

    from ksef_mcu.cli._common import describe_transport_error  # noqa: PLC0415
    from ksef_mcu.cli._network import same_host_as_local_server  # noqa: PLC0415

    base = same_host_as_local_server(url).rstrip("/").removesuffix("/v2")
    if not base.startswith(("http://", "https://")):
        raise operator_error(f"--url musi zaczynać się od http:// albo https:// (podano {url!r}).", ExitCode.USAGE)
    address = f"{base}/ca/certificate"
    try:
        response = httpx.get(address, timeout=30)
    except httpx.TransportError as error:
        raise operator_error(describe_transport_error(error), ExitCode.UNAVAILABLE) from error
    if response.status_code != 200:
        code = ExitCode.UNAVAILABLE if response.status_code >= 500 else ExitCode.REFUSED
        raise operator_error(f"{address} odpowiedział HTTP {response.status_code} — czy to serwer ksef-mcu?", code)
    try:
        chain = x509.load_pem_x509_certificates(response.content)
    except ValueError as error:
        raise operator_error(f"{address} nie zwrócił certyfikatów PEM.", ExitCode.UNAVAILABLE) from error
    return chain


def _checked(chain: list[x509.Certificate], where: str) -> tuple[x509.Certificate, x509.Certificate]:
    """(issuing, root): two certificates, the root self-signed and the issuing CA signed by it."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415

    if len(chain) != 2:
        raise operator_error(
            f"{where}: oczekiwano 2 certyfikatów (wystawca i główny), jest {len(chain)}.", ExitCode.UNAVAILABLE
        )
    issuing, root = chain
    try:
        root.verify_directly_issued_by(root)
        issuing.verify_directly_issued_by(root)
    except (InvalidSignature, ValueError, TypeError) as error:
        raise operator_error(
            f"{where}: certyfikat wystawcy nie jest podpisany certyfikatem głównym.", ExitCode.UNAVAILABLE
        ) from error
    return issuing, root


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
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Pobierz certyfikaty z działającego serwera (GET /ca/certificate), np. http://127.0.0.1:8000, "
            "zamiast czytać je z katalogu danych.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Zapisz certyfikaty urzędu certyfikacji serwera (PEM: wystawca certyfikatów, potem główny).

    Czyta certyfikaty z katalogu danych serwera (--data-dir) albo pobiera je z działającego serwera (--url). Nigdy nie
    tworzy nowego urzędu: bez niego kończy się błędem, który mówi, gdzie szukał.
    """
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

    if url is not None and data_dir is not None:
        raise operator_error("podaj --url albo --data-dir, nie oba.", ExitCode.USAGE)
    if url is not None:
        issuing, root = _checked(_remote_chain(url), url)
    else:
        settings = settings_from(data_dir=data_dir)
        issuing, root = _checked(_local_chain(settings), str(settings.keys_dir.resolve()))
    chain = [root] if root_only else [issuing, root]
    pem = b"".join(certificate.public_bytes(Encoding.PEM) for certificate in chain)
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
    from ksef_mcu.clock import SystemClock  # noqa: PLC0415
    from ksef_mcu.server.app import open_database  # noqa: PLC0415
    from ksef_mcu.server.certificates.service import CertificateService  # noqa: PLC0415
    from ksef_mcu.server.errors import BadRequestError  # noqa: PLC0415

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    authority = open_existing_ca(settings)
    upgrade_schema(settings)
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
