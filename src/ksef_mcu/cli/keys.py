"""`ksef-mcu keys`: private keys generated on this machine, saved as MCU-style encrypted `.key` files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ksef_mcu.cli._common import (
    ask_new_key_password,
    check_new_file,
    console,
    ensure_directory,
    report_errors,
    write_new_file,
)
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli._lazy import crypto_keys, names


@report_errors
def generate(
    name: Annotated[
        str,
        typer.Argument(
            help="Nazwa certyfikatu, zarazem nazwa pliku NAZWA.key: 5–50 znaków, litery bez polskich znaków, "
            "cyfry, spacje, „-” i „_”."
        ),
    ],
    rsa: Annotated[bool, typer.Option("--rsa", help="Klucz RSA 2048 zamiast domyślnego EC P-256.")] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Katalog na plik NAZWA.key (powstanie, jeśli go nie ma).")
    ] = Path(),
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="Plik z hasłem (zamiast pytania o hasło). Hasło: 15–32 znaki, wielka i mała litera, cyfra "
            "i znak specjalny spośród !@#$%^&*()-_=+.",
        ),
    ] = None,
) -> None:
    """Wygeneruj klucz prywatny i zapisz go jako zaszyfrowany plik NAZWA.key (uprawnienia 0600)."""
    names.check_mcu_certificate_name(name)
    target = out / f"{name}.key"
    check_new_file(target, hint="Wybierz inną nazwę albo inny katalog (--out).")
    password = ask_new_key_password(password_file)
    kind = crypto_keys.KeyKind.RSA_2048 if rsa else crypto_keys.KeyKind.EC_P256
    key = crypto_keys.generate_private_key(kind)
    ensure_directory(out, private=True)
    write_new_file(target, crypto_keys.encrypt_private_key(key, password), mode=0o600)
    console.print(f"[green]Zapisano klucz prywatny:[/] {target}")
    console.print(f"Typ klucza: {kind.label}")
    console.print(f"Odcisk SHA-256 klucza publicznego: {crypto_keys.public_key_sha256_fingerprint(key)}")
    console.print(
        "Zapamiętaj hasło — nie da się go odzyskać ani zresetować. Plik .key przechowuj bezpiecznie; "
        "klucz nie opuszcza tego komputera."
    )


def register(parent: typer.Typer) -> None:
    """Add the `keys` group to the `ksef-mcu` command."""
    group = new_group(
        "keys", "Klucze prywatne: generowanie na tym komputerze i zapis jako zaszyfrowany plik .key (jak w MCU)."
    )
    add_command(group, "generate", generate)
    parent.add_typer(group)
