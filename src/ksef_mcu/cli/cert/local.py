"""`ksef-mcu cert inspect | self-signed`: the `cert` commands that work on files only, without KSeF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu import identifiers
from ksef_mcu.cli._common import (
    CliError,
    ExitCode,
    ask_key_password,
    ask_new_key_password,
    check_new_file,
    console,
    ensure_directory,
    fail,
    format_name,
    load_key_file,
    print_rows,
    read_input_file,
    report_errors,
    write_new_file,
)
from ksef_mcu.cli._frame import add_command
from ksef_mcu.cli._lazy import certificates, compat, crypto_errors, crypto_keys, names, serialization, x509
from ksef_mcu.cli._lazy import self_signed as self_signed_crypto
from ksef_mcu.formatting import format_day, format_moment

# Keyed by the enums' string values (`KsefCertificateType`, `ValidityState`, `SubjectIdentifierType`), so that
# loading this module imports no crypto.
CERTIFICATE_TYPE_LABELS = {
    "Authentication": "Typ 1 — uwierzytelnienie w systemie KSeF (Authentication)",
    "Offline": "Typ 2 — podpis linku do weryfikacji wystawcy, tryb offline (Offline)",
}
VALIDITY_LABELS = {
    "not-yet-valid": "[yellow]jeszcze nieważny[/]",
    "valid": "[green]ważny[/]",
    "expired": "[red]wygasł[/]",
}
IDENTIFIER_LABELS = {"Nip": "NIP", "Pesel": "PESEL", "Fingerprint": "odcisk SHA-256 certyfikatu"}


def describe_certificate(certificate: x509.Certificate, now: dt.datetime) -> list[tuple[str, str]]:
    """(label, value) rows describing a certificate for people; values are rich markup (data escaped)."""
    certificate_type = certificates.classify_certificate(certificate)
    identifier = certificates.read_subject_identifier(certificate)
    try:
        key_label = crypto_keys.key_kind(certificate.public_key()).label
    except crypto_errors.UnsupportedKeyError as error:
        key_label = f"[red]{error.message}[/]"
    state = certificates.validity_state(certificate, now)
    with compat.tolerate_ksef_quirks():
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
        ("Numer seryjny", certificates.certificate_serial(certificate)),
        ("Wystawca", escape(format_name(issuer))),
        ("Ważny od", format_moment(certificate.not_valid_before_utc)),
        ("Ważny do", format_moment(certificate.not_valid_after_utc)),
        (f"Stan na {format_day(now)}", VALIDITY_LABELS[state]),
        ("Klucz publiczny", key_label),
        ("Odcisk SHA-256", certificates.sha256_fingerprint(certificate)),
    ]


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
        certificate = certificates.load_certificate(data)
    except crypto_errors.PasswordRequiredError:
        certificate = certificates.load_certificate(data, ask_key_password(password_file, "Hasło do pliku PKCS#12"))
    rows = describe_certificate(certificate, dt.datetime.now(dt.UTC))
    matches: bool | None = None
    if key is not None:
        matches = certificates.key_matches_certificate(load_key_file(key, password_file), certificate)
        rows.append(
            ("Klucz prywatny", "[green]pasuje do certyfikatu[/]" if matches else "[red]NIE pasuje do certyfikatu[/]")
        )
    print_rows(rows)
    if matches is False:
        raise typer.Exit(ExitCode.LOCAL)


@report_errors
def self_signed(
    *,
    name: Annotated[
        str,
        typer.Argument(
            help="Nazwa plików NAZWA.crt i NAZWA.key: 5–50 znaków, litery bez polskich znaków, cyfry, spacje, „-” "
            "i „_” (jak nazwa certyfikatu w MCU)."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Katalog na NAZWA.crt i NAZWA.key (powstanie, jeśli go nie ma).")
    ] = Path(),
    nip: Annotated[
        str | None, typer.Option("--nip", help="NIP: osoba fizyczna z NIP (TINPL-…) albo z --seal pieczęć firmy.")
    ] = None,
    pesel: Annotated[str | None, typer.Option("--pesel", help="PESEL: osoba fizyczna (PNOPL-…).")] = None,
    seal: Annotated[
        bool, typer.Option("--seal", help="Pieczęć firmy (organizationIdentifier VATPL-NIP) zamiast osoby.")
    ] = False,
    random_nip: Annotated[
        bool, typer.Option("--random-nip", help="Wylosuj poprawny NIP (dane w środowisku testowym są wspólne).")
    ] = False,
    given_name: Annotated[str, typer.Option("--given-name", help="Imię osoby w certyfikacie.")] = "Jan",
    surname: Annotated[str, typer.Option("--surname", help="Nazwisko osoby w certyfikacie.")] = "Testowy",
    organization: Annotated[
        str, typer.Option("--organization", help="Nazwa firmy w pieczęci (O i CN).")
    ] = "Firma testowa",
    rsa: Annotated[bool, typer.Option("--rsa", help="Klucz RSA 2048 zamiast EC P-256.")] = False,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="Plik z hasłem do klucza (zamiast pytania). Zasady hasła jak w MCU."),
    ] = None,
) -> None:
    """Certyfikat samopodpisany do logowania w środowisku testowym (jak w narzędziach testowych MF).

    Działa tylko w środowisku TEST Ministerstwa i na własnym serwerze ksef-mcu (tryb sandbox); DEMO i produkcja
    go odrzucą. Powstają NAZWA.crt (PEM) i zaszyfrowany hasłem NAZWA.key (w katalogu --out).
    """
    if random_nip:
        if nip is not None or pesel is not None:
            fail("Opcja --random-nip zastępuje --nip i --pesel.", ExitCode.USAGE)
        nip = identifiers.generate_random_nip()
    if (nip is None) == (pesel is None):
        fail(
            "Podaj dokładnie jedno: --nip NIP (z --seal dla pieczęci firmy), --pesel PESEL albo --random-nip.",
            ExitCode.USAGE,
        )
    if seal and pesel is not None:
        fail("Pieczęć firmy (--seal) wymaga numeru NIP, nie PESEL.", ExitCode.USAGE)
    if pesel is not None:
        subject = self_signed_crypto.TestSubject.person_by_pesel(pesel, given_name=given_name, surname=surname)
    elif seal:
        assert nip is not None  # noqa: S101 - exactly one of nip/pesel was given
        subject = self_signed_crypto.TestSubject.seal(nip, organization=organization)
    else:
        assert nip is not None  # noqa: S101 - exactly one of nip/pesel was given
        subject = self_signed_crypto.TestSubject.person_by_nip(nip, given_name=given_name, surname=surname)
    subject.name()  # check the name parts before asking for a password
    names.check_mcu_certificate_name(name)  # it names the files: never an unchecked name
    certificate_path = out / f"{name}.crt"
    key_path = out / f"{name}.key"
    check_new_file(certificate_path, hint="Wybierz inną nazwę albo inny katalog (--out).")
    check_new_file(key_path, hint="Wybierz inną nazwę albo inny katalog (--out).")
    password = ask_new_key_password(password_file)
    kind = crypto_keys.KeyKind.RSA_2048 if rsa else crypto_keys.KeyKind.EC_P256
    key = crypto_keys.generate_private_key(kind)
    certificate = self_signed_crypto.build_self_signed_certificate(key, subject, now=dt.datetime.now(dt.UTC))
    ensure_directory(out, private=True)
    write_new_file(key_path, crypto_keys.encrypt_private_key(key, password), mode=0o600)
    try:
        write_new_file(certificate_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    except CliError:
        key_path.unlink(missing_ok=True)  # the pair is useless half-written
        raise
    console.print(f"[green]Zapisano certyfikat testowy:[/] {certificate_path}")
    console.print(f"[green]Zapisano klucz prywatny:[/] {key_path} ({kind.label}, zaszyfrowany hasłem)")
    identifier = "PESEL " + subject.identifier if pesel is not None else "NIP " + subject.identifier
    print_rows(
        [
            ("Podmiot", escape(format_name(certificate.subject))),
            ("Identyfikator", identifier),
            ("Ważny do", format_moment(certificate.not_valid_after_utc)),
            ("Odcisk SHA-256", certificates.sha256_fingerprint(certificate)),
        ]
    )
    console.print(
        "[yellow]Uwaga:[/] certyfikat samopodpisany przyjmuje tylko środowisko testowe (--env test) i własny serwer "
        "ksef-mcu (--env local); DEMO i produkcja go odrzucą."
    )
    context = f" --nip {subject.identifier}" if pesel is None else " --nip NIP_FIRMY"
    console.print(f"Zaloguj się ({identifier}): ksef-mcu login --cert {certificate_path} --key {key_path}{context}")


@report_errors
def export_p12(
    *,
    cert: Annotated[Path, typer.Option("--cert", help="Certyfikat (np. NAZWA.crt).")],
    key: Annotated[Path, typer.Option("--key", help="Jego klucz prywatny (np. NAZWA.key).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Plik .p12 do zapisania (domyślnie obok certyfikatu: NAZWA.p12).", show_default=False
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="Plik z hasłem do klucza (zamiast pytania); nim zaszyfrowany jest .p12."),
    ] = None,
) -> None:
    """Zapisz certyfikat i jego klucz w jednym pliku PKCS#12 (.p12) — dla programów fakturowych, które go wymagają.

    Plik .p12 jest zaszyfrowany tym samym hasłem co klucz (AES-256, PBKDF2-SHA256); klucz bez hasła dostaje nowe,
    według zasad MCU. Istniejący plik nigdy nie jest nadpisywany (zawiera klucz prywatny).
    """
    target = output if output is not None else cert.with_suffix(".p12")
    check_new_file(target, hint="Wskaż inny plik (--output).")
    certificate = certificates.load_certificate(read_input_file(cert, "pliku certyfikatu"))
    key_data = read_input_file(key, "pliku klucza")
    try:
        private_key = crypto_keys.load_private_key(key_data)
        password = ask_new_key_password(password_file)  # an unencrypted key: the .p12 still needs a password
    except crypto_errors.PasswordRequiredError:
        password = ask_key_password(password_file)
        private_key = crypto_keys.load_private_key(key_data, password)
    if not certificates.key_matches_certificate(private_key, certificate):
        fail(f"Klucz {key} nie pasuje do certyfikatu {cert}.")
    bundle = crypto_keys.build_pkcs12(private_key, certificate, password, name=cert.stem)
    ensure_directory(target.parent, private=True)
    write_new_file(target, bundle, mode=0o600)
    console.print(f"[green]Zapisano plik PKCS#12:[/] {target} (certyfikat i klucz; hasło jak do klucza)")
    console.print(f"Logowanie nim: ksef-mcu login --pkcs12 {target}")


def register(group: typer.Typer) -> None:
    """Add `inspect`, `self-signed` and `export-p12` to the `cert` group."""
    add_command(group, "inspect", inspect)
    add_command(group, "self-signed", self_signed)
    add_command(group, "export-p12", export_p12)
