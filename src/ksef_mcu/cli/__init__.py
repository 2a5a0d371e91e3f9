"""The `ksef-mcu` command line.

Each command group lives in its own module and registers itself on `app`; this module only assembles them.
User-facing text is Polish, like KSeF.
"""

from __future__ import annotations

import typer

from ksef_mcu import __version__

app = typer.Typer(
    name="ksef-mcu",
    help="ksef-mcu: certyfikaty KSeF (MCU) — serwer, klient i narzędzia lokalne.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


from ksef_mcu.cli import server as _server  # noqa: E402 - command groups register on `app`

_server.register(app)

from ksef_mcu.cli import certificates as _certificates  # noqa: E402

_certificates.register(app)

from ksef_mcu.cli import login as _login  # noqa: E402

_login.register(app)


@app.command("version")
def version() -> None:
    """Pokaż wersję programu."""
    typer.echo(__version__)


from ksef_mcu.cli import cert, cert_remote, csr, keys, qr, testdata  # noqa: E402, F401 - groups register themselves

app.add_typer(keys.app)
app.add_typer(csr.app)
app.add_typer(cert.app)  # `cert_remote` adds the commands that talk to KSeF (request, status, list, ...) to this group
app.add_typer(qr.app)
app.add_typer(testdata.app)


def main() -> None:
    """Console-script entry point."""
    app()
