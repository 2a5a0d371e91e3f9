"""`ksef-mcu cert`: KSeF certificates. This module holds the group and the local `inspect` command; the commands
that talk to a KSeF server (request, status, list, download, revoke, limits, self-signed) register on `app` too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from rich.markup import escape

from ksef_mcu.cli._common import (
    EXIT_ERROR,
    ask_key_password,
    format_name,
    load_key_file,
    print_rows,
    read_input_file,
    report_errors,
)
from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    SubjectIdentifierType,
    ValidityState,
    certificate_serial,
    classify_certificate,
    key_matches_certificate,
    load_certificate,
    read_subject_identifier,
    sha256_fingerprint,
    validity_state,
)
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import PasswordRequiredError, UnsupportedKeyError
from ksef_mcu.crypto.keys import key_kind

app = typer.Typer(
    name="cert", help="Certyfikaty KSeF: podgląd pliku certyfikatu i obsługa wniosków.", no_args_is_help=True
)

CERTIFICATE_TYPE_LABELS = {
    KsefCertificateType.AUTHENTICATION: "Typ 1 — uwierzytelnienie w systemie KSeF (Authentication)",
    KsefCertificateType.OFFLINE: "Typ 2 — podpis linku do weryfikacji wystawcy, tryb offline (Offline)",
}
VALIDITY_LABELS = {
    ValidityState.NOT_YET_VALID: "[yellow]jeszcze nieważny[/]",
    ValidityState.VALID: "[green]ważny[/]",
    ValidityState.EXPIRED: "[red]wygasł[/]",
}
IDENTIFIER_LABELS = {
    SubjectIdentifierType.NIP: "NIP",
    SubjectIdentifierType.PESEL: "PESEL",
    SubjectIdentifierType.FINGERPRINT: "odcisk SHA-256 certyfikatu",
}


def format_time(moment: dt.datetime) -> str:
    """A UTC instant as `2027-07-29 09:28:37 UTC`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe_certificate(certificate: x509.Certificate, now: dt.datetime) -> list[tuple[str, str]]:
    """(label, value) rows describing a certificate for people; values are rich markup (data escaped)."""
    certificate_type = classify_certificate(certificate)
    identifier = read_subject_identifier(certificate)
    try:
        key_label = key_kind(certificate.public_key()).label
    except UnsupportedKeyError as error:
        key_label = f"[red]{error.message}[/]"
    state = validity_state(certificate, now)
    with tolerate_ksef_quirks():
        subject, issuer = certificate.subject, certificate.issuer
    return [
        (
            "Typ",
            CERTIFICATE_TYPE_LABELS[certificate_type]
            if certificate_type is not None
            else "[yellow]to nie jest certyfikat KSeF (keyUsage inne niż digitalSignature albo nonRepudiation)[/]",
        ),
        ("Podmiot", escape(format_name(subject))),
        ("Identyfikator", f"{IDENTIFIER_LABELS[identifier.type]} {escape(identifier.value)}"),
        ("Numer seryjny", certificate_serial(certificate)),
        ("Wystawca", escape(format_name(issuer))),
        ("Ważny od", format_time(certificate.not_valid_before_utc)),
        ("Ważny do", format_time(certificate.not_valid_after_utc)),
        (f"Stan na {now.astimezone(dt.UTC):%Y-%m-%d}", VALIDITY_LABELS[state]),
        ("Klucz publiczny", key_label),
        ("Odcisk SHA-256", sha256_fingerprint(certificate)),
    ]


@app.command("inspect")
@report_errors
def inspect(
    file: Annotated[
        Path, typer.Argument(help="Plik certyfikatu: .crt/.pem (PEM), .cer/.der (DER), Base64 lub .p12/.pfx.")
    ],
    key: Annotated[
        Path | None, typer.Option("--key", help="Plik klucza prywatnego do sprawdzenia, czy pasuje do certyfikatu.")
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="Plik z hasłem do klucza (albo do pliku .p12/.pfx)."),
    ] = None,
) -> None:
    """Pokaż typ, podmiot, identyfikator, numer seryjny, wystawcę i ważność certyfikatu; sprawdź klucz."""
    data = read_input_file(file, "pliku certyfikatu")
    try:
        certificate = load_certificate(data)
    except PasswordRequiredError:
        certificate = load_certificate(data, ask_key_password(password_file, "Hasło do pliku PKCS#12"))
    rows = describe_certificate(certificate, dt.datetime.now(dt.UTC))
    matches: bool | None = None
    if key is not None:
        matches = key_matches_certificate(load_key_file(key, password_file), certificate)
        rows.append(
            ("Klucz prywatny", "[green]pasuje do certyfikatu[/]" if matches else "[red]NIE pasuje do certyfikatu[/]")
        )
    print_rows(rows)
    if matches is False:
        raise typer.Exit(EXIT_ERROR)
