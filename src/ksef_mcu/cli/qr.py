"""`ksef-mcu qr`: KSeF verification links and QR images — KOD I for an invoice, KOD II for an offline invoice."""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu.cli._common import (
    CliError,
    ExitCode,
    ask_key_password,
    check_new_file,
    console,
    ensure_directory,
    error_console,
    fail,
    load_key_file,
    read_input_file,
    report_errors,
    write_new_file,
)
from ksef_mcu.cli._frame import add_command, new_group
from ksef_mcu.cli._lazy import certificates, client_environments, crypto_errors, etree, qr_crypto, qr_images
from ksef_mcu.cli._lazy import client as client_api
from ksef_mcu.cli._network import BASE_URL_VARIABLE, ENVIRONMENT_VARIABLE, same_host_as_local_server
from ksef_mcu.cli._profiles import load_profile


class ImageFormat(enum.StrEnum):
    """Image formats we write, chosen by the output file's extension."""

    PNG = ".png"
    SVG = ".svg"


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What KOD I needs from an invoice file: its hash, and (when the XML has them) seller NIP and P_1 date."""

    invoice_hash: qr_crypto.InvoiceHash
    seller_nip: str | None
    issue_date: dt.date | None


def _safe_parser() -> etree.XMLParser:
    """No DTDs, no entities, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def read_invoice_facts(path: Path) -> InvoiceFacts:
    """Hash the invoice file's bytes; read the seller NIP (Podmiot1) and the issue date (P_1) if it is FA XML."""
    data = read_input_file(path, "pliku faktury")
    nip: str | None = None
    issue_date: dt.date | None = None
    root = None
    if b"<!DOCTYPE" not in data.upper():  # FA(3) has no DTD; a file with one is only hashed, never parsed
        try:
            root = etree.fromstring(data, _safe_parser())
        except etree.XMLSyntaxError:
            root = None
    if root is not None:
        nips = root.xpath("//*[local-name()='Podmiot1']/*[local-name()='DaneIdentyfikacyjne']/*[local-name()='NIP']")
        dates = root.xpath("//*[local-name()='Fa']/*[local-name()='P_1']")
        if isinstance(nips, list) and nips and isinstance(nips[0], etree._Element):
            nip = (nips[0].text or "").strip() or None
        if isinstance(dates, list) and dates and isinstance(dates[0], etree._Element):
            try:
                issue_date = dt.date.fromisoformat((dates[0].text or "").strip())
            except ValueError:
                issue_date = None
    return InvoiceFacts(qr_crypto.InvoiceHash.of(data), nip, issue_date)


_OFFICIAL_HOST = re.compile(r"^https?://([a-z0-9-]+\.)*mf\.gov\.pl(:\d+)?(/|$)", re.IGNORECASE)


def _is_official(url: str) -> bool:
    return _OFFICIAL_HOST.match(url) is not None


def _local_server(api_url: str, source: str) -> str:
    """The QR base URL of our server whose API is at `api_url`: `<origin and path before /v2>/qr`, where
    `ksef-mcu serve` answers the verification pages."""
    try:
        return client_environments.qr_base_url_for("local", same_host_as_local_server(api_url))
    except client_api.KsefInvalidInputError as error:
        fail(f"{error.message} (z {source})", ExitCode.USAGE)


@dataclass(frozen=True, slots=True)
class LinkBase:
    url: str
    explicit: bool = False
    """`--base-url` was given: the user chose the address, nothing is warned about it."""
    official_api: str | None = None
    """A Ministry API address configured for `local` (and where from): the link cannot name that server."""


def _link_base(environment: LinkEnvironment, base_url: str | None) -> LinkBase:
    """Where the link points: `--base-url` as given; an official environment's QR host; for `local`, the server
    actually configured — `KSEF_MCU_API_URL`, else the server the `local` login profile logged in to, else the
    default `http://127.0.0.1:8000/qr` of `ksef-mcu serve`. A Ministry API address there is not a ksef-mcu server:
    the default is kept and `warn_if_real_invoice` says so."""
    if base_url is not None:
        return LinkBase(base_url, explicit=True)
    if environment is not LinkEnvironment.LOCAL:
        return LinkBase(qr_crypto.QR_BASE_URLS[qr_crypto.QrEnvironment(environment.value)])
    configured = os.environ.get(BASE_URL_VARIABLE, "").strip()
    source = f"zmienna {BASE_URL_VARIABLE}"
    if not configured:
        profile = load_profile(client_api.Environment.LOCAL)
        configured, source = (profile.base_url, "profil logowania local") if profile is not None else ("", "")
    if not configured:
        return LinkBase(qr_crypto.QR_BASE_URLS[qr_crypto.QrEnvironment.LOCAL])
    if _is_official(configured):
        return LinkBase(qr_crypto.QR_BASE_URLS[qr_crypto.QrEnvironment.LOCAL], official_api=f"{configured} ({source})")
    return LinkBase(_local_server(configured, source))


def _production_sellers() -> set[str]:
    """The NIPs the production login profile acts for (its context's NIP), if there is such a profile."""
    try:
        profile = load_profile(client_api.Environment.PROD)
    except CliError:
        return set()  # a damaged production profile is `login --env prod`'s business, not this command's
    if profile is None:
        return set()
    nip = profile.login.context_value.split("-", 1)[0]
    return {nip}


def warn_if_real_invoice(environment: LinkEnvironment, base: LinkBase, seller_nip: str) -> None:
    """Warn (stderr, Polish) when a link for the local sandbox is printed for what is evidently a real invoice:

    - the server configured for `local` (`KSEF_MCU_API_URL` or the `local` profile) is the Ministry's KSeF, so the
      invoice goes there while the link names a sandbox; or
    - the seller is the NIP you are logged in as in production (`ksef-mcu login --env prod`): your real company.

    Such a link verifies only on a ksef-mcu server; whoever scans the printed invoice cannot check it in KSeF. An
    explicit `--base-url` is the user's choice and is not warned about.
    """
    if environment is not LinkEnvironment.LOCAL or base.explicit:
        return
    reasons = []
    if base.official_api is not None:
        reasons.append(f"skonfigurowany serwer {base.official_api} to KSeF Ministerstwa Finansów")
    if seller_nip in _production_sellers():
        reasons.append(f"sprzedawca {seller_nip} to podmiot, do którego jesteś zalogowany w środowisku produkcyjnym")
    if reasons:
        error_console.print(
            f"[yellow]Uwaga:[/] ten link wskazuje serwer ksef-mcu (piaskownicę: {escape(base.url)}), "
            f"a {escape('; '.join(reasons))}. Kto zeskanuje kod z prawdziwej faktury, nie zweryfikuje go w KSeF — "
            "dla faktury wysyłanej do KSeF Ministerstwa Finansów użyj --env prod (albo test/demo)."
        )


def _image_format(out: Path) -> ImageFormat:
    try:
        return ImageFormat(out.suffix.lower())
    except ValueError:
        fail(
            f"Nieobsługiwany format obrazu „{out.suffix or out.name}”: użyj rozszerzenia .png albo .svg.",
            ExitCode.USAGE,
        )


def _write_image(out: Path, link: str, label: str) -> None:
    image_format = _image_format(out)
    data = (
        qr_images.render_qr_png(link, label)
        if image_format is ImageFormat.PNG
        else qr_images.render_qr_svg(link, label)
    )
    ensure_directory(out.parent)
    write_new_file(out, data, mode=0o644)
    console.print(f"[green]Zapisano kod QR:[/] {out} (podpis pod kodem: {label})")


def _invoice_inputs(invoice: Path | None, invoice_hash: str | None) -> InvoiceFacts:
    if (invoice is None) == (invoice_hash is None):
        fail("Podaj plik faktury (--invoice) albo jej skrót SHA-256 (--hash) — dokładnie jedno z nich.", ExitCode.USAGE)
    if invoice is not None:
        return read_invoice_facts(invoice)
    assert invoice_hash is not None  # noqa: S101 - exactly one of the two was given
    return InvoiceFacts(qr_crypto.InvoiceHash.parse(invoice_hash), None, None)


def _inputs(
    out: Path | None, invoice: Path | None, invoice_hash: str | None, nip: str | None
) -> tuple[InvoiceFacts, str]:
    """What both codes start from: a writable image path (checked before any work), the invoice and the seller."""
    if out is not None:
        _image_format(out)
        check_new_file(out, hint="Usuń go albo wskaż inny plik (--output).")
    facts = _invoice_inputs(invoice, invoice_hash)
    seller_nip = nip or facts.seller_nip
    if seller_nip is None:
        fail("Nie znaleziono NIP sprzedawcy w pliku faktury — podaj go opcją --nip.", ExitCode.USAGE)
    return facts, seller_nip


InvoiceOption = Annotated[
    Path | None,
    typer.Option(
        "--invoice", help="Plik XML faktury dokładnie taki, jak wysłany do KSeF (z niego liczony jest skrót)."
    ),
]
HashOption = Annotated[
    str | None,
    typer.Option("--hash", help="Skrót SHA-256 faktury (Base64 z API albo Base64URL) zamiast pliku faktury."),
]
NipOption = Annotated[str | None, typer.Option("--nip", help="NIP sprzedawcy (domyślnie z Podmiot1 w pliku faktury).")]


class LinkEnvironment(enum.StrEnum):
    """`--env`: whose verification host the link names (the values of `crypto.qr.QrEnvironment`)."""

    LOCAL = "local"
    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


class ContextType(enum.StrEnum):
    """`--context-type` (the values of `crypto.qr.ContextIdentifierType`)."""

    NIP = "Nip"
    INTERNAL_ID = "InternalId"
    NIP_VAT_UE = "NipVatUe"
    PEPPOL_ID = "PeppolId"


EnvironmentOption = Annotated[
    LinkEnvironment,
    typer.Option(
        "--env",
        envvar=ENVIRONMENT_VARIABLE,
        help="Środowisko KSeF, którego adres ma link (local: serwer ksef-mcu z KSEF_MCU_API_URL albo profilu "
        "logowania, domyślnie http://127.0.0.1:8000).",
        case_sensitive=False,
    ),
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", help="Własny adres bazowy linków (zamiast adresu środowiska).")
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Zapisz obraz kodu QR do pliku .png albo .svg.", show_default=False),
]


@report_errors
def invoice_code(
    *,
    invoice: InvoiceOption = None,
    invoice_hash: HashOption = None,
    nip: NipOption = None,
    issue_date: Annotated[
        str | None,
        typer.Option("--date", help="Data wystawienia faktury (P_1) RRRR-MM-DD (domyślnie z pliku faktury)."),
    ] = None,
    ksef_number: Annotated[
        str | None,
        typer.Option("--ksef-number", help="Numer KSeF faktury — napis pod kodem (bez niego: OFFLINE)."),
    ] = None,
    environment: EnvironmentOption = LinkEnvironment.LOCAL,
    base_url: BaseUrlOption = None,
    output: OutputOption = None,
) -> None:
    """KOD I: link do weryfikacji faktury w KSeF (i obraz z numerem KSeF albo napisem OFFLINE)."""
    facts, seller_nip = _inputs(output, invoice, invoice_hash, nip)
    if issue_date is not None:
        try:
            date = dt.date.fromisoformat(issue_date)
        except ValueError:
            fail(f"Nieprawidłowa data {issue_date!r}: oczekiwano RRRR-MM-DD.", ExitCode.USAGE)
    elif facts.issue_date is not None:
        date = facts.issue_date
    else:
        fail(
            "Nie znaleziono daty wystawienia (P_1) w pliku faktury — podaj ją opcją --date RRRR-MM-DD.", ExitCode.USAGE
        )
    label = qr_crypto.check_ksef_number(ksef_number) if ksef_number is not None else qr_crypto.LABEL_OFFLINE
    base = _link_base(environment, base_url)
    link = qr_crypto.build_invoice_link(base.url, seller_nip, date, facts.invoice_hash)
    typer.echo(link)
    warn_if_real_invoice(environment, base, seller_nip)
    if output is not None:
        _write_image(output, link, label)


@report_errors
def offline_code(
    *,
    cert: Annotated[Path, typer.Option("--cert", help="Certyfikat KSeF typu Offline (Typ 2), np. NAZWA.crt.")],
    key: Annotated[Path, typer.Option("--key", help="Klucz prywatny tego certyfikatu, np. NAZWA.key.")],
    invoice: InvoiceOption = None,
    invoice_hash: HashOption = None,
    nip: NipOption = None,
    context_type: Annotated[
        ContextType,
        typer.Option("--context-type", help="Typ kontekstu, w którym wystawiono fakturę.", case_sensitive=False),
    ] = ContextType.NIP,
    context_value: Annotated[
        str | None, typer.Option("--context-value", help="Identyfikator kontekstu (domyślnie NIP sprzedawcy).")
    ] = None,
    ecdsa_der: Annotated[
        bool, typer.Option("--ecdsa-der", help="Podpis ECDSA w formacie DER zamiast zalecanego IEEE P1363.")
    ] = False,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Plik z hasłem do klucza (zamiast pytania o hasło).")
    ] = None,
    environment: EnvironmentOption = LinkEnvironment.LOCAL,
    base_url: BaseUrlOption = None,
    output: OutputOption = None,
) -> None:
    """KOD II: link potwierdzający wystawcę faktury offline, podpisany certyfikatem Offline (napis CERTYFIKAT)."""
    facts, seller_nip = _inputs(output, invoice, invoice_hash, nip)
    certificate_data = read_input_file(cert, "pliku certyfikatu")
    try:
        certificate = certificates.load_certificate(certificate_data)
    except crypto_errors.PasswordRequiredError:
        certificate = certificates.load_certificate(
            certificate_data, ask_key_password(password_file, "Hasło do pliku PKCS#12")
        )
    private_key = load_key_file(key, password_file)
    base = _link_base(environment, base_url)
    link_base = base.url
    context = context_value if context_value is not None else seller_nip
    # The options first (a bad NIP or context is a usage error), then the files (a certificate or key that cannot
    # sign KOD II is a local problem).
    qr_crypto.unsigned_offline_qr_link(
        link_base,
        context_type=qr_crypto.ContextIdentifierType(context_type.value),
        context_value=context,
        seller_nip=seller_nip,
        certificate_serial=certificates.certificate_serial(certificate),
        invoice=facts.invoice_hash,
    )
    try:
        link = qr_crypto.build_offline_qr_link(
            link_base,
            context_type=qr_crypto.ContextIdentifierType(context_type.value),
            context_value=context,
            seller_nip=seller_nip,
            invoice=facts.invoice_hash,
            certificate=certificate,
            key=private_key,
            ecdsa_encoding=qr_crypto.EcdsaSignatureEncoding.DER
            if ecdsa_der
            else qr_crypto.EcdsaSignatureEncoding.P1363,
            now=dt.datetime.now(dt.UTC),
        )
    except crypto_errors.QrError as error:
        fail(error.message, ExitCode.LOCAL)
    typer.echo(link)
    warn_if_real_invoice(environment, base, seller_nip)
    if output is not None:
        _write_image(output, link, qr_crypto.LABEL_CERTIFICATE)


def register(parent: typer.Typer) -> None:
    """Add the `qr` group to the `ksef-mcu` command."""
    group = new_group(
        "qr", "Kody QR KSeF: KOD I (weryfikacja faktury) i KOD II (weryfikacja wystawcy faktury offline)."
    )
    add_command(group, "invoice", invoice_code)
    add_command(group, "offline", offline_code)
    parent.add_typer(group)
