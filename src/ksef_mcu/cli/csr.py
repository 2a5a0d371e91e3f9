"""`ksef-mcu csr`: certificate signing requests (PKCS#10) built from KSeF enrollment data."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu.cli._common import (
    check_new_file,
    console,
    ensure_directory,
    fail,
    format_name,
    load_key_file,
    read_input_file,
    report_errors,
    write_new_file,
)
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli._lazy import crypto_keys, csr_crypto


def read_enrollment_data(path: Path) -> csr_crypto.EnrollmentData:
    """The enrollment data saved from `GET /certificates/enrollments/data` (a JSON object)."""
    data = read_input_file(path, "pliku z danymi do wniosku")
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        fail(f"Plik {path} nie jest tekstem UTF-8.")
    except json.JSONDecodeError as error:
        fail(f"Plik {path} nie jest poprawnym JSON-em (wiersz {error.lineno}, kolumna {error.colno}): {error.msg}.")
    return csr_crypto.EnrollmentData.from_api(payload)


@report_errors
def create(
    *,
    key: Annotated[Path, typer.Option("--key", help="Plik klucza prywatnego (np. NAZWA.key).")],
    enrollment_data: Annotated[
        Path,
        typer.Option(
            "--enrollment-data", help="Plik JSON z odpowiedzią GET /certificates/enrollments/data (dane podmiotu)."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Katalog na plik NAZWA.csr (NAZWA jak pliku klucza; domyślnie katalog klucza; powstanie, jeśli go "
            "nie ma).",
            show_default=False,
        ),
    ] = None,
    pem: Annotated[
        bool, typer.Option("--pem", help="Zapisz w formacie PEM zamiast Base64 DER w jednej linii (jak w API).")
    ] = False,
    rsa_pss: Annotated[
        bool, typer.Option("--rsa-pss", help="Dla klucza RSA: podpis RSA-PSS zamiast PKCS#1 v1.5.")
    ] = False,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Plik z hasłem do klucza (zamiast pytania o hasło).")
    ] = None,
) -> None:
    """Utwórz wniosek CSR podpisany kluczem z pliku, z podmiotem dokładnie takim, jak w danych z KSeF."""
    directory = out if out is not None else key.parent
    target = directory / f"{key.stem}.csr"
    check_new_file(target, hint="Usuń go albo wskaż inny katalog (--out).")
    subject = read_enrollment_data(enrollment_data)
    private_key = load_key_file(key, password_file)
    text = csr_crypto.create_csr(private_key, subject, rsa_padding="pss" if rsa_pss else "pkcs1")
    info = csr_crypto.check_csr(text, subject)  # the same checks the server runs: what we write is what KSeF accepts
    content = crypto_keys.pem_encode("CERTIFICATE REQUEST", base64.b64decode(text)) if pem else text.encode("ascii")
    ensure_directory(directory)
    write_new_file(target, content, mode=0o644)
    console.print(f"[green]Zapisano wniosek CSR:[/] {target} ({'PEM' if pem else 'Base64 DER w jednej linii'})")
    console.print(f"Podmiot: {escape(format_name(info.subject_name))}")
    console.print(f"Klucz: {info.key_kind.label}, podpis: {info.signature_algorithm}")
    console.print(f"Odcisk SHA-256 klucza publicznego: {info.spki_sha256}")


def register(parent: typer.Typer) -> None:
    """Add the `csr` group to the `ksef-mcu` command."""
    group = new_group("csr", "Wnioski certyfikacyjne (CSR, PKCS#10) z danych zwróconych przez KSeF.")
    add_command(group, "create", create)
    parent.add_typer(group)
