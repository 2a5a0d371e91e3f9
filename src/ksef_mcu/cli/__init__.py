"""The `ksef-mcu` command line.

One room per command group (`server`: serve, worker, db; `ca`; `login`; `keys`; `csr`; `cert/`; `qr`; `testdata`);
each has `register(parent)`, which adds its commands or its group to the top-level command. This module only builds
that command and calls them in order. User-facing text is Polish, like KSeF.
"""

from __future__ import annotations

import typer

from ksef_mcu import __version__
from ksef_mcu.cli import ca, cert, csr, keys, login, qr, server, testdata


def version() -> None:
    """Pokaż wersję programu."""
    typer.echo(__version__)


def build() -> typer.Typer:
    """The `ksef-mcu` command with every group registered (in the order `--help` lists them)."""
    command = typer.Typer(
        name="ksef-mcu",
        help="ksef-mcu: certyfikaty KSeF (MCU) — serwer, klient i narzędzia lokalne.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    server.register(command)
    ca.register(command)
    login.register(command)
    command.command("version")(version)
    for room in (keys, csr, cert, qr, testdata):
        room.register(command)
    return command


app = build()


def main() -> None:
    """Console-script entry point."""
    app()
