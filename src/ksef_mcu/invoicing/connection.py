"""'Przejdź dalej' / 'Sprawdź połączenie': a live XAdES login with the Type 1 certificate into the company's context,
then a read of what it may do there (its permissions) and of the certificate's status in KSeF — through
`ksef_mcu.client` only. Every failure becomes a Polish reason with what to do."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ksef_mcu.client import (
    CertificateCredentials,
    ContextIdentifier,
    ContextIdentifierType,
    KsefApiError,
    KsefAuthenticationFailedError,
    KsefClient,
    KsefClientError,
    KsefInvalidInputError,
    KsefPollingTimeoutError,
    KsefRateLimitError,
    KsefResponseError,
)
from ksef_mcu.formatting import PERMISSION_LABELS
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.model import Company, StoredCertificate

__all__ = ["ConnectionResult", "connect"]

CONNECTED = "Połączono z KSeF"
NOT_CONNECTED = "Nie udało się połączyć z KSeF"
LOGIN_TIMEOUT = 60.0
PLATFORM_HINT = "platformie KSeF (menu „Przejdź do platformy KSeF”)"

STATUS_LABELS = {"Active": "Aktywny", "Blocked": "Zablokowany", "Revoked": "Unieważniony", "Expired": "Wygasły"}


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    ok: bool
    message: str
    details: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    ksef_status: str | None = None
    revoked: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return CONNECTED if self.ok else NOT_CONNECTED


def connect(
    config: InvoicingConfig,
    company: Company,
    certificate: StoredCertificate,
    credentials: CertificateCredentials,
    *,
    now: datetime,
    transport: httpx.BaseTransport | None = None,
) -> ConnectionResult:
    """Log in with `credentials` into `company`'s context and read what the login may do there."""
    context = ContextIdentifier(ContextIdentifierType(company.context_type), company.context_value)
    try:
        with KsefClient(config.environment, base_url=config.api_base_url, transport=transport, timeout=20) as client:
            client.auth.login_with_certificate(credentials, context, timeout=LOGIN_TIMEOUT)
            try:
                scopes = sorted(
                    {
                        grant.permission_scope or grant.authorization_scope or ""
                        for grant in client.permissions.personal()
                    }
                    - {""}
                )
                status = _certificate_status(client, certificate.serial_number)
            finally:
                _logout(client)
    except (KsefClientError, httpx.TransportError) as error:
        return explain_failure(error, config, company)
    labels = tuple(PERMISSION_LABELS.get(scope, scope) for scope in scopes)
    details = [f"Kontekst: {company.context_type} {company.context_value} ({company.name})"]
    details.append(f"Certyfikat: {certificate.common_name}, numer seryjny {certificate.serial_number}")
    if status is not None:
        details.append(f"Status certyfikatu w KSeF: {STATUS_LABELS.get(status, status)}")
    own = certificate.subject_identifier_value == company.context_value.split("-", 1)[0]
    if labels:
        details.append("Uprawnienia w kontekście: " + ", ".join(labels))
    elif own:
        details.append("Certyfikat firmy w jej własnym kontekście: pełne uprawnienia właściciela.")
    if not own and "InvoiceWrite" not in scopes:
        details.append(
            "Brak uprawnienia do wystawiania faktur (InvoiceWrite) w tym kontekście – wysyłanie faktur nie zadziała. "
            f"Właściciel firmy nadaje je na {PLATFORM_HINT}: Uprawnienia → Nadaj uprawnienie."
        )
    return ConnectionResult(True, CONNECTED, tuple(details), labels, status)


def explain_failure(
    error: KsefClientError | httpx.TransportError, config: InvoicingConfig, company: Company
) -> ConnectionResult:
    """What a failed call to KSeF means for the user, in Polish, with what to do."""
    if isinstance(error, KsefAuthenticationFailedError):
        return _refused_login(error, company)
    if isinstance(error, KsefRateLimitError):
        wait = f" Odczekaj {int(error.retry_after)} s" if error.retry_after else " Odczekaj chwilę"
        return ConnectionResult(False, f"KSeF ogranicza liczbę zapytań (429).{wait} i spróbuj ponownie.")
    if isinstance(error, KsefApiError):
        return _api_error(error, config)
    if isinstance(error, KsefPollingTimeoutError):
        return ConnectionResult(
            False, "KSeF nie zakończył operacji w wyznaczonym czasie. Spróbuj ponownie za kilka minut."
        )
    if isinstance(error, KsefResponseError):
        return ConnectionResult(
            False,
            f"Pod adresem {config.api_base_url} odpowiada coś, co nie jest API KSeF 2.0. Sprawdź adres KSeF w "
            "ustawieniach instalacji (--ksef-url).",
        )
    if isinstance(error, KsefInvalidInputError):
        return ConnectionResult(False, error.message)
    if isinstance(error, KsefClientError):
        return ConnectionResult(False, error.message)
    if isinstance(error, httpx.TimeoutException):
        return ConnectionResult(
            False,
            f"KSeF ({config.api_base_url}) nie odpowiedział w wyznaczonym czasie. Sprawdź połączenie z internetem; "
            "jeśli działa, KSeF może być chwilowo niedostępny – spróbuj później.",
        )
    return ConnectionResult(
        False,
        f"Nie można połączyć się z KSeF pod adresem {config.api_base_url}. Sprawdź połączenie z internetem i "
        "adres KSeF; jeśli wszystko jest w porządku, KSeF może być chwilowo niedostępny – spróbuj później.",
    )


def _certificate_status(client: KsefClient, serial: str) -> str | None:
    """The certificate's status in KSeF when the login may read it (its own certificates), else None."""
    try:
        for item in client.certificates.query(serial_number=serial):
            return str(item.status.value)
    except KsefClientError:
        return None
    return None


def _logout(client: KsefClient) -> None:
    with contextlib.suppress(KsefClientError, httpx.TransportError):  # the tokens expire by themselves
        client.auth.logout()


def _refused_login(error: KsefAuthenticationFailedError, company: Company) -> ConnectionResult:
    code = error.status_code
    described = f" (KSeF: {code} – {error.description})"
    if code == 415:
        message = (
            f"Brak uprawnień: certyfikat nie ma żadnych uprawnień w kontekście firmy {company.context_value}"
            f"{described}. Właściciel firmy nadaje je na {PLATFORM_HINT}: Uprawnienia → Nadaj uprawnienie."
        )
        return ConnectionResult(False, message)
    if code == 460:
        message = (
            f"Certyfikat unieważniony, zawieszony albo nieważny{described}. Uzyskaj nowy certyfikat na "
            f"{PLATFORM_HINT} i dodaj go tutaj („Zamień certyfikat”)."
        )
        return ConnectionResult(False, message, revoked=True)
    if code == 480:
        message = (
            f"Uwierzytelnianie w kontekście firmy {company.context_value} jest zablokowane{described}. Skontaktuj "
            "się z KSeF (Krajowa Informacja Skarbowa), aby wyjaśnić blokadę."
        )
        return ConnectionResult(False, message)
    details = tuple(error.details)
    return ConnectionResult(False, f"KSeF odrzucił logowanie{described}.", details)


def _api_error(error: KsefApiError, config: InvoicingConfig) -> ConnectionResult:
    described = f" (KSeF: {error.code} – {error.description})" if error.code else f" (HTTP {error.http_status})"
    if error.has_code(21115):
        return ConnectionResult(
            False,
            f"KSeF nie uznał certyfikatu{described}. Najczęściej to certyfikat z innego środowiska niż "
            f"{config.environment_label} – uzyskaj certyfikat w tym środowisku.",
        )
    if error.has_code(21117):
        return ConnectionResult(
            False,
            f"Identyfikator podmiotu z certyfikatu nie pasuje do kontekstu firmy{described}. Sprawdź NIP firmy "
            "albo użyj certyfikatu tej firmy lub osoby z uprawnieniami w jej kontekście.",
        )
    if error.http_status >= 500:
        return ConnectionResult(
            False, f"KSeF ma chwilowe problemy{described}. Spróbuj ponownie za kilka minut.", tuple(error.details)
        )
    return ConnectionResult(False, f"KSeF odrzucił żądanie{described}.", tuple(error.details))
