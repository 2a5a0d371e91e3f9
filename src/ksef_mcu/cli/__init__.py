"""The `ksef-mcu` command line.

One room per command group (`server`: serve, worker, db; `ca`; `login`; `keys`; `csr`; `cert/`; `qr`; `testdata`);
each has `register(parent)`, which adds its commands or its group to the top-level command. This module only builds
that command and calls them in order. The frame (help, usage errors, `-h`, `--lang`) is `_frame`'s; user-facing text
is Polish, like KSeF.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ksef_mcu import __version__
from ksef_mcu.cli import ca, cert, csr, invoicing, keys, login, permissions, qr, server, testdata, tokens
from ksef_mcu.cli._frame import add_command, new_group


def version() -> None:
    """Pokaż wersję programu."""
    typer.echo(__version__)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit


def options(
    _version: Annotated[
        bool,
        typer.Option("--version", help="Pokaż wersję programu i zakończ.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """ksef-mcu: certyfikaty KSeF (MCU) — serwer, klient i narzędzia lokalne."""


def build() -> typer.Typer:
    """The `ksef-mcu` command with every group registered (in the order `--help` lists them)."""
    command = new_group("ksef-mcu", "ksef-mcu: certyfikaty KSeF (MCU) — serwer, klient i narzędzia lokalne.")
    command.callback()(options)
    server.register(command)
    ca.register(command)
    login.register(command)
    add_command(command, "version", version)
    for room in (keys, csr, cert, qr, permissions, tokens, testdata, invoicing):
        room.register(command)
    return command


app = build()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ksef-mcu")
