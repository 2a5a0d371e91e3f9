"""`ksef-mcu login`, `logout`, `whoami`: a certificate (XAdES) login to KSeF kept in a per-environment profile."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu.cli._common import (
    ExitCode,
    ask_key_password,
    console,
    describe_client_error,
    describe_transport_error,
    error_console,
    fail,
    format_name,
    print_json,
    print_rows,
    read_input_file,
    read_password_file,
    report_errors,
)
from ksef_mcu.cli._frame import add_command
from ksef_mcu.cli._lazy import certificates, client, compat, crypto_errors, httpx, x509
from ksef_mcu.cli._network import (
    BaseUrlOption,
    EnvironmentChoice,
    EnvironmentOption,
    Session,
    connect,
    login_hint,
    print_done,
    spinner,
)
from ksef_mcu.cli._profiles import LoginInfo, Profile, delete_profile, load_profile, profile_path
from ksef_mcu.formatting import format_moment

IDENTIFIER_LABELS = {
    "Nip": "NIP",
    "Pesel": "PESEL",
    "Fingerprint": "odcisk certyfikatu",
    "InternalId": "identyfikator wewnętrzny",
    "NipVatUe": "NIP-VAT UE",
    "PeppolId": "identyfikator Peppol",
    "Token": "token KSeF",
}


def _labelled(kind: str, value: str) -> str:
    return f"{IDENTIFIER_LABELS.get(kind, kind)} {escape(value)}"


def _read_credentials(
    cert: Path | None, key: Path | None, pkcs12: Path | None, password_file: Path | None
) -> client.CertificateCredentials:
    """The login certificate and key: `--cert` + `--key`, or `--pkcs12`; a password is asked only when needed.

    Files that cannot log in (wrong password, a key of another certificate, an Offline certificate) are local
    problems (exit code 3)."""
    try:
        return _load_credentials(cert, key, pkcs12, password_file)
    except client.KsefInvalidInputError as error:
        fail(error.message, ExitCode.LOCAL)


def _load_credentials(
    cert: Path | None, key: Path | None, pkcs12: Path | None, password_file: Path | None
) -> client.CertificateCredentials:
    if pkcs12 is not None:
        if cert is not None or key is not None:
            fail("Podaj plik PKCS#12 (--pkcs12) albo parę --cert i --key, nie jedno i drugie.", ExitCode.USAGE)
        data = read_input_file(pkcs12, "pliku PKCS#12")
        password = read_password_file(password_file) if password_file is not None else None
        try:
            return client.CertificateCredentials.from_pkcs12(data, password)
        except client.KsefInvalidInputError as error:
            if password is not None or not isinstance(
                error.__cause__, (crypto_errors.PasswordRequiredError, crypto_errors.WrongPasswordError)
            ):
                raise
        return client.CertificateCredentials.from_pkcs12(data, ask_key_password(None, "Hasło do pliku PKCS#12"))
    if cert is None or key is None:
        fail("Podaj certyfikat i klucz: --cert PLIK.crt --key PLIK.key (albo --pkcs12 PLIK.p12).", ExitCode.USAGE)
    certificate_data = read_input_file(cert, "pliku certyfikatu")
    key_data = read_input_file(key, "pliku klucza")
    password = read_password_file(password_file) if password_file is not None else None
    try:
        return client.CertificateCredentials.from_files_content(certificate_data, key_data, password)
    except client.KsefInvalidInputError as error:
        if password is not None or not isinstance(error.__cause__, crypto_errors.PasswordRequiredError):
            raise
    return client.CertificateCredentials.from_files_content(certificate_data, key_data, ask_key_password(None))


def _context(
    credentials: client.CertificateCredentials,
    nip: str | None,
    internal_id: str | None,
    nip_vat_ue: str | None,
    peppol_id: str | None,
) -> client.ContextIdentifier:
    """The login context from the options; without one, the NIP the certificate itself names."""
    given = [
        (client.ContextIdentifierType.NIP, nip),
        (client.ContextIdentifierType.INTERNAL_ID, internal_id),
        (client.ContextIdentifierType.NIP_VAT_UE, nip_vat_ue),
        (client.ContextIdentifierType.PEPPOL_ID, peppol_id),
    ]
    chosen = [(kind, value) for kind, value in given if value is not None]
    if len(chosen) > 1:
        fail("Podaj jeden kontekst logowania: --nip, --internal-id, --nip-vat-ue albo --peppol-id.", ExitCode.USAGE)
    if chosen:
        kind, value = chosen[0]
        return client.ContextIdentifier(kind, value.strip())
    identifier = credentials.subject_identifier
    if identifier.type is certificates.SubjectIdentifierType.NIP:
        return client.ContextIdentifier(client.ContextIdentifierType.NIP, identifier.value)
    fail(
        "Certyfikat nie zawiera numeru NIP, więc podaj kontekst logowania: --nip NIP firmy (albo --internal-id, "
        "--nip-vat-ue, --peppol-id).",
        ExitCode.USAGE,
    )


def _is_self_signed(certificate: x509.Certificate) -> bool:
    with compat.tolerate_ksef_quirks():
        return certificate.issuer == certificate.subject


_LOGIN_PROGRESS = {100: "Uwierzytelnianie w toku (KSeF sprawdza podpis i certyfikat)…"}


def _login_progress(status: client.AuthenticationOperationStatus) -> str:
    return _LOGIN_PROGRESS.get(status.status.code, f"Uwierzytelnianie: {status.status.description}…")


@report_errors
def login(
    *,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="Certyfikat do logowania: .crt/.pem/.cer (np. NAZWA.crt).")
    ] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Klucz prywatny certyfikatu (np. NAZWA.key).")] = None,
    pkcs12: Annotated[
        Path | None, typer.Option("--pkcs12", help="Zamiast --cert i --key: plik PKCS#12 (.p12/.pfx).")
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="Plik z hasłem do klucza albo pliku PKCS#12 (zamiast pytania)."),
    ] = None,
    nip: Annotated[str | None, typer.Option("--nip", help="Kontekst: NIP firmy (domyślnie NIP z certyfikatu).")] = None,
    internal_id: Annotated[
        str | None, typer.Option("--internal-id", help="Kontekst: identyfikator wewnętrzny (NIP-5 cyfr).")
    ] = None,
    nip_vat_ue: Annotated[
        str | None, typer.Option("--nip-vat-ue", help="Kontekst: NIP-VAT UE (np. 5265877635-DE123456789).")
    ] = None,
    peppol_id: Annotated[
        str | None, typer.Option("--peppol-id", help="Kontekst: identyfikator dostawcy Peppol.", hidden=True)
    ] = None,
    fingerprint: Annotated[
        bool,
        typer.Option(
            "--fingerprint",
            help="Identyfikuj się odciskiem certyfikatu (certificateFingerprint) zamiast NIP/PESEL z certyfikatu.",
        ),
    ] = False,
    verify_chain: Annotated[
        bool | None,
        typer.Option(
            "--verify-chain/--no-verify-chain",
            help="verifyCertificateChain: czy KSeF ma sprawdzić łańcuch zaufania certyfikatu. Domyślnie "
            "--no-verify-chain dla certyfikatu samopodpisanego w local/test, inaczej decyduje KSeF.",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        bool,
        typer.Option(
            "--token",
            help="Zaloguj się tokenem KSeF zamiast certyfikatem: z pliku --token-file albo ze zmiennej "
            f"{TOKEN_VARIABLE}.",
        ),
    ] = False,
    token_file: Annotated[
        Path | None, typer.Option("--token-file", help="Plik z tokenem KSeF (jedna linia; token nie jest wypisywany).")
    ] = None,
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    base_url: BaseUrlOption = None,
) -> None:
    """Zaloguj się do KSeF certyfikatem (podpis XAdES) albo tokenem KSeF i zapamiętaj tokeny w profilu środowiska."""
    env = client.Environment.parse(str(environment))
    previous = load_profile(env)
    if token or token_file is not None:
        if cert is not None or key is not None or pkcs12 is not None or fingerprint:
            fail(
                "Podaj certyfikat (--cert/--key, --pkcs12) albo token KSeF (--token), nie jedno i drugie.",
                ExitCode.USAGE,
            )
        _login_with_token(env, previous, _read_token(token_file), nip=nip, internal_id=internal_id, base_url=base_url)
        return
    credentials = _read_credentials(cert, key, pkcs12, password_file)
    context = _context(credentials, nip, internal_id, nip_vat_ue, peppol_id)
    now = dt.datetime.now(dt.UTC)
    try:
        credentials.check_valid_at(now)
    except client.KsefInvalidInputError as error:
        fail(error.message, ExitCode.LOCAL)  # the certificate file is expired or not yet valid
    self_signed = _is_self_signed(credentials.certificate)
    if verify_chain is None and self_signed and env in (client.Environment.LOCAL, client.Environment.TEST):
        verify_chain = False
    if self_signed and env in (client.Environment.DEMO, client.Environment.PROD):
        error_console.print(
            f"[yellow]Uwaga:[/] certyfikat jest samopodpisany — środowisko {env.value} go nie przyjmie "
            "(samopodpisane certyfikaty działają tylko w local i test)."
        )
    with connect(env, base_url, login_required=False) as session:
        console.print(
            f"Logowanie do KSeF ({env.value}, {escape(session.base_url)}) w kontekście "
            f"{_labelled(context.type.value, context.value)}…"
        )
        with spinner("Wysyłanie podpisanego żądania uwierzytelnienia…") as status:
            tokens = session.client.auth.login_with_certificate(
                credentials,
                context,
                subject_identifier_type=(
                    client.SubjectIdentifierTypeXml.CERTIFICATE_FINGERPRINT
                    if fingerprint
                    else client.SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
                ),
                verify_certificate_chain=verify_chain,
                on_progress=lambda progress: status.update(_login_progress(progress)),
            )
        identifier = certificates.read_subject_identifier(credentials.certificate)
        if fingerprint:
            identifier_type, identifier_value = (
                certificates.SubjectIdentifierType.FINGERPRINT.value,
                credentials.fingerprint,
            )
        else:
            identifier_type, identifier_value = identifier.type.value, identifier.value
        with compat.tolerate_ksef_quirks():
            subject = format_name(credentials.certificate.subject)
        profile = Profile(
            environment=env,
            base_url=session.base_url,
            tokens=tokens,
            login=LoginInfo(
                subject=subject,
                identifier_type=identifier_type,
                identifier_value=identifier_value,
                context_type=context.type.value,
                context_value=context.value,
                certificate_serial=certificates.certificate_serial(credentials.certificate),
                certificate_fingerprint=credentials.fingerprint,
                certificate_valid_to=credentials.certificate.not_valid_after_utc,
                logged_in_at=now,
            ),
        )
        if previous is not None and previous.base_url == session.base_url:
            _end_previous_session(session, previous)
        session.attach(profile)
    print_done(f"Zalogowano do KSeF ({env.value}).")
    _print_profile(profile)


TOKEN_VARIABLE = "KSEF_MCU_TOKEN"  # noqa: S105 - the name of an environment variable


def _read_token(token_file: Path | None) -> str:
    """The KSeF token from `--token-file`, else from `KSEF_MCU_TOKEN`; never printed."""
    if token_file is not None:
        text = read_input_file(token_file, "pliku z tokenem").decode("utf-8", errors="replace")
    else:
        text = os.environ.get(TOKEN_VARIABLE, "")
        if not text.strip():
            fail(
                f"Podaj token KSeF: w pliku (--token-file PLIK) albo w zmiennej środowiskowej {TOKEN_VARIABLE}.",
                ExitCode.USAGE,
            )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        fail("Plik z tokenem KSeF musi zawierać dokładnie jedną niepustą linię (sam token).", ExitCode.LOCAL)
    return lines[0]


def _token_context(token: str, nip: str | None, internal_id: str | None) -> client.ContextIdentifier:
    """The context from `--nip`/`--internal-id`, else the one the token names (`ref|nip-NIP|…`)."""
    if nip is not None and internal_id is not None:
        fail("Podaj jeden kontekst logowania: --nip albo --internal-id.", ExitCode.USAGE)
    if nip is not None:
        return client.ContextIdentifier(client.ContextIdentifierType.NIP, nip.strip())
    if internal_id is not None:
        return client.ContextIdentifier(client.ContextIdentifierType.INTERNAL_ID, internal_id.strip())
    parts = token.split("|")
    if len(parts) == 3 and "-" in parts[1]:
        kind, _, value = parts[1].partition("-")
        types = {"nip": client.ContextIdentifierType.NIP, "internalid": client.ContextIdentifierType.INTERNAL_ID}
        if kind.lower() in types:
            return client.ContextIdentifier(types[kind.lower()], value)
    fail("Z tokena nie da się odczytać kontekstu: podaj --nip NIP firmy (albo --internal-id).", ExitCode.USAGE)


def _login_with_token(
    env: client.Environment,
    previous: Profile | None,
    token: str,
    *,
    nip: str | None,
    internal_id: str | None,
    base_url: str | None,
) -> None:
    context = _token_context(token, nip, internal_id)
    now = dt.datetime.now(dt.UTC)
    reference = token.split("|", 1)[0]
    with connect(env, base_url, login_required=False) as session:
        console.print(
            f"Logowanie tokenem KSeF do KSeF ({env.value}, {escape(session.base_url)}) w kontekście "
            f"{_labelled(context.type.value, context.value)}…"
        )
        with spinner("Wysyłanie zaszyfrowanego tokena…") as status:
            tokens = session.client.auth.login_with_ksef_token(
                token, context, on_progress=lambda progress: status.update(_login_progress(progress))
            )
        refresh = tokens.refresh_token
        profile = Profile(
            environment=env,
            base_url=session.base_url,
            tokens=tokens,
            login=LoginInfo(
                subject=f"Token KSeF {reference}",
                identifier_type="Token",
                identifier_value=reference,
                context_type=context.type.value,
                context_value=context.value,
                certificate_serial="",
                certificate_fingerprint="",
                certificate_valid_to=refresh.valid_until if refresh is not None else tokens.access_token.valid_until,
                logged_in_at=now,
            ),
        )
        if previous is not None and previous.base_url == session.base_url:
            _end_previous_session(session, previous)
        session.attach(profile)
    print_done(f"Zalogowano do KSeF tokenem KSeF ({env.value}).")
    _print_profile(profile)


def _end_previous_session(session: Session, previous: Profile) -> None:
    """End, on the server, the session of the login this one replaces (best effort: it would expire anyway)."""
    current = session.client.tokens
    session.client.tokens = previous.tokens
    try:
        session.client.auth.logout()
    except (client.KsefClientError, httpx.TransportError) as error:
        reason = (
            describe_transport_error(error) if isinstance(error, httpx.TransportError) else describe_client_error(error)
        )
        error_console.print(
            f"[yellow]Nie udało się zakończyć poprzedniej sesji w KSeF[/] (wygaśnie sama): {escape(reason)}"
        )
    else:
        console.print("Poprzednia sesja w tym środowisku została zakończona.")
    finally:
        session.client.tokens = current


def _print_profile(profile: Profile) -> None:
    tokens = profile.tokens
    info = profile.login
    rows = [
        ("Środowisko", f"{profile.environment.value} ({escape(profile.base_url)})"),
        ("Certyfikat", escape(info.subject)),
        ("Podmiot", _labelled(info.identifier_type, info.identifier_value)),
        ("Kontekst", _labelled(info.context_type, info.context_value)),
        ("Zalogowano", format_moment(info.logged_in_at)),
        ("Token dostępu ważny do", format_moment(tokens.access_token.valid_until)),
        (
            "Sesja ważna do",
            format_moment(tokens.refresh_token.valid_until) if tokens.refresh_token else "—",
        ),
        ("Profil", escape(str(profile_path(profile.environment)))),
    ]
    print_rows(rows)


@report_errors
def logout(environment: EnvironmentOption = EnvironmentChoice.LOCAL, base_url: BaseUrlOption = None) -> None:
    """Wyloguj się: zakończ sesję w KSeF i usuń zapisane tokeny tego środowiska."""
    env = client.Environment.parse(str(environment))
    profile = load_profile(env)
    if profile is None:
        fail(f"Nie jesteś zalogowany do środowiska {env.value} — nie ma czego wylogować.")
    ended = True
    with connect(env, base_url) as session:
        try:
            session.client.auth.logout()
        except client.KsefClientError as error:  # the local tokens are removed anyway
            ended = False
            error_console.print(
                f"[yellow]Nie udało się zakończyć sesji w KSeF:[/] {escape(describe_client_error(error))}"
            )
        except httpx.TransportError as error:
            ended = False
            error_console.print(
                f"[yellow]Nie udało się zakończyć sesji w KSeF:[/] {escape(describe_transport_error(error))}"
            )
    delete_profile(env)
    if ended:
        print_done(f"Wylogowano z KSeF ({env.value}); sesja zakończona, tokeny usunięte.")
    else:
        print_done(f"Usunięto zapisane tokeny ({env.value}); sesja w KSeF wygaśnie sama.")


def _session_active(profile: Profile, now: dt.datetime) -> bool:
    refresh = profile.tokens.refresh_token
    return profile.tokens.access_token.is_valid(now) or (refresh is not None and refresh.is_valid(now))


def _profile_json(profile: Profile, now: dt.datetime) -> dict[str, object]:
    """Who is logged in, for scripts; never the tokens themselves."""
    info = profile.login
    refresh = profile.tokens.refresh_token
    return {
        "environment": profile.environment.value,
        "baseUrl": profile.base_url,
        "subject": info.subject,
        "identifier": {"type": info.identifier_type, "value": info.identifier_value},
        "context": {"type": info.context_type, "value": info.context_value},
        "certificateSerial": info.certificate_serial,
        "certificateFingerprint": info.certificate_fingerprint,
        "certificateValidTo": info.certificate_valid_to,
        "loggedInAt": info.logged_in_at,
        "accessTokenValidUntil": profile.tokens.access_token.valid_until,
        "sessionValidUntil": refresh.valid_until if refresh is not None else None,
        "sessionActive": _session_active(profile, now),
        "profile": str(profile_path(profile.environment)),
    }


@report_errors
def whoami(
    environment: EnvironmentOption = EnvironmentChoice.LOCAL,
    as_json: Annotated[bool, typer.Option("--json", help="Wynik jako JSON (dla skryptów); bez tokenów.")] = False,
) -> None:
    """Pokaż, kto jest zalogowany w danym środowisku (bez łączenia z KSeF)."""
    env = client.Environment.parse(str(environment))
    profile = load_profile(env)
    if profile is None:
        fail(f"Nie jesteś zalogowany do środowiska {env.value}. Zaloguj się: {login_hint(env)}")
    now = dt.datetime.now(dt.UTC)
    if as_json:
        print_json(_profile_json(profile, now))
        return
    _print_profile(profile)
    if not _session_active(profile, now):
        error_console.print(f"[yellow]Sesja wygasła — zaloguj się ponownie:[/] {login_hint(env)}")


def register(parent: typer.Typer) -> None:
    """Add `login`, `logout` and `whoami` to the `ksef-mcu` command."""
    add_command(parent, "login", login)
    add_command(parent, "logout", logout)
    add_command(parent, "whoami", whoami)
