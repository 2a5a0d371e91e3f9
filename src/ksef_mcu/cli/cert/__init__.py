"""`ksef-mcu cert`: KSeF certificates — local files (`local`), the request journey (`request`) and the commands that
follow and manage certificates in KSeF (`remote`)."""

from __future__ import annotations

import typer

from ksef_mcu.cli._frame import new_group
from ksef_mcu.cli.cert import local, remote, request


def register(parent: typer.Typer) -> None:
    """Add the `cert` group to the `ksef-mcu` command."""
    group = new_group("cert", "Certyfikaty KSeF: podgląd pliku certyfikatu i obsługa wniosków.")
    local.register(group)
    request.register(group)
    remote.register(group)
    parent.add_typer(group)
