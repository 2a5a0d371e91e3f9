"""What the MCU screens tell people when something did not work: plain Polish, what happened and what to do."""

from __future__ import annotations

from dataclasses import dataclass

from ksef_mcu.server.auth.model import AuthStatus, AuthStatusCode, CertificateProblem
from ksef_mcu.server.certificates.model import (
    CANCELLED_DETAIL,
    CERTIFICATE_LIMIT_DETAIL,
    KEY_ALREADY_CERTIFIED_DETAIL,
    EnrollmentStatus,
    EnrollmentStatusCode,
)
from ksef_mcu.server.errors import BadRequestError, KsefServerError
from ksef_mcu.server.permissions.model import OperationKind, OperationRecord, OperationStatusCode


@dataclass(frozen=True, slots=True)
class Explanation:
    """What happened (`what`) and what the person can do about it (`todo`)."""

    what: str
    todo: str


def error_lines(error: KsefServerError) -> list[str]:
    """A domain error as lines for a page: its Polish description, then each detail."""
    if isinstance(error, BadRequestError):
        return [error.description, *error.details]
    return [str(error)]


_CERTIFICATE_TODO = {
    CertificateProblem.REVOKED.value: "Ten certyfikat został unieważniony. Zaloguj się innym certyfikatem.",
    CertificateProblem.SUSPENDED.value: "Certyfikat jest zablokowany, bo trwa jego unieważnianie. Użyj innego.",
    CertificateProblem.INCORRECT.value: (
        "Do logowania służy certyfikat „Uwierzytelnienie w systemie KSeF”. Certyfikat offline służy tylko do "
        "podpisu linku we weryfikacji wystawcy (KOD II)."
    ),
    CertificateProblem.INVALID.value: "Certyfikat nie jest jeszcze ważny albo już wygasł. Użyj ważnego certyfikatu.",
    CertificateProblem.UNTRUSTED_CHAIN.value: (
        "Ten serwer nie ufa wystawcy certyfikatu (tryb ścisły). Użyj certyfikatu kwalifikowanego od zaufanego "
        "wystawcy albo certyfikatu KSeF wydanego przez ten serwer."
    ),
    CertificateProblem.CHAIN_VERIFICATION_FAILED.value: (
        "Nie udało się sprawdzić łańcucha certyfikatów. Użyj certyfikatu od zaufanego wystawcy."
    ),
}


def login_refusal(status: AuthStatus) -> Explanation:
    """Why a login that was verified did not let the person in (status other than 200), and what to do."""
    detail = " ".join(status.details)
    if status.code is AuthStatusCode.NO_PERMISSIONS:
        return Explanation(
            "Tożsamość została potwierdzona, ale nie masz uprawnień w wybranym kontekście.",
            "Sprawdź, czy wybrałeś właściwy kontekst (NIP, identyfikator wewnętrzny, NIP VAT UE), albo poproś "
            "właściciela o nadanie uprawnień.",
        )
    if status.code is AuthStatusCode.CERTIFICATE_ERROR:
        return Explanation(
            f"{status.description}: {detail}",
            _CERTIFICATE_TODO.get(detail, "Użyj innego, ważnego certyfikatu."),
        )
    if status.code is AuthStatusCode.INVALID_TOKEN:
        return Explanation(
            f"{status.description}: {detail}",
            "Dokument do podpisu jest ważny 10 minut i tylko raz. Pobierz nowy dokument i podpisz go ponownie.",
        )
    if status.code is AuthStatusCode.BLOCKED:
        return Explanation(status.description, detail)
    if status.code is AuthStatusCode.DECEASED_PERSON:
        return Explanation(f"{status.description}: {detail}", "Logowanie w tym kontekście nie jest możliwe.")
    return Explanation(f"{status.description}. {detail}".strip(), "Spróbuj zalogować się ponownie.")


def enrollment_outcome(status: EnrollmentStatus) -> Explanation | None:
    """What an ended request that did not give a certificate means and what to do; None for 100 and 200."""
    if status.code in (EnrollmentStatusCode.ACCEPTED, EnrollmentStatusCode.ISSUED):
        return None
    if status.code is EnrollmentStatusCode.REJECTED and status.details == (KEY_ALREADY_CERTIFIED_DETAIL,):
        return Explanation(
            "Wniosek odrzucony: klucz publiczny z tego wniosku jest już w certyfikacie innego podmiotu.",
            "Tego klucza nie można użyć ponownie. Wygeneruj nowy klucz i wniosek — „Wnioskuj o kolejny certyfikat”.",
        )
    if status.code is EnrollmentStatusCode.REJECTED and status.details == (CERTIFICATE_LIMIT_DETAIL,):
        return Explanation(
            "Wniosek odrzucony: gdy przyszła kolej na wystawienie, miałeś już najwyższą dozwoloną liczbę "
            "aktywnych certyfikatów.",
            "Unieważnij na liście certyfikatów certyfikat, którego już nie używasz, i wyślij wniosek ponownie z tym "
            "samym kluczem — plik .key, który już masz, nadal się przyda.",
        )
    if status.code is EnrollmentStatusCode.CANCELLED:
        return Explanation(
            f"{status.description}: {CANCELLED_DETAIL.rstrip('.')}.",
            "Wyślij wniosek ponownie z tym samym kluczem.",
        )
    detail = " ".join(status.details)
    return Explanation(
        f"{status.description}. {detail}".strip(),
        "Wyślij wniosek ponownie z tym samym kluczem. Jeśli błąd się powtórzy, skontaktuj się z nami.",
    )


@dataclass(frozen=True, slots=True)
class OperationOutcome:
    """A grant or revocation operation as the screen says it: the status, what it means, what to do, and the tone
    (`ok`, `error`, `info`) of its notice."""

    status: str
    what: str
    todo: str
    tone: str
    details: tuple[str, ...]


_OPERATION_TODO = {
    OperationStatusCode.NOT_PERMITTED: (
        "Możesz nadawać tylko te uprawnienia, które sam masz w tym kontekście, a odbierać — mając uprawnienie "
        "„zarządzanie uprawnieniami”. Poproś właściciela o brakujące uprawnienia."
    ),
    OperationStatusCode.CONTEXT_MISMATCH: (
        "Ta operacja jest dostępna w innym rodzaju kontekstu. Wyloguj się i zaloguj w kontekście NIP firmy."
    ),
    OperationStatusCode.IDENTIFIER_NOT_ALLOWED: "Sprawdź identyfikator odbiorcy i spróbuj ponownie.",
    OperationStatusCode.INCONSISTENT_IDENTIFIERS: "Sprawdź identyfikatory i spróbuj ponownie.",
    OperationStatusCode.RELATION_NOT_ALLOWED: "Sprawdź identyfikatory i spróbuj ponownie.",
    OperationStatusCode.FAILED: "Odśwież listę uprawnień — mogło zostać już odebrane — i spróbuj ponownie.",
}


def operation_outcome(record: OperationRecord) -> OperationOutcome:
    """How a permission operation ended, in plain Polish."""
    outcome = record.outcome
    status = f"{int(outcome.code)} — {outcome.description}"
    granting = record.kind is OperationKind.GRANT
    if outcome.code is OperationStatusCode.SUCCEEDED:
        if granting:
            return OperationOutcome(
                status,
                "Uprawnienia zostały nadane.",
                "Działają od najbliższego logowania (albo odświeżenia sesji) osoby lub podmiotu, któremu je nadano.",
                "ok",
                outcome.details,
            )
        return OperationOutcome(
            status,
            "Uprawnienie zostało odebrane.",
            "Przestaje działać przy najbliższym logowaniu albo odświeżeniu sesji; token dostępowy wydany wcześniej "
            "działa do swojego wygaśnięcia.",
            "ok",
            outcome.details,
        )
    if outcome.code is OperationStatusCode.ACCEPTED:
        return OperationOutcome(
            status, "Operacja jest w toku.", "Odśwież stronę za chwilę, aby zobaczyć wynik.", "info", outcome.details
        )
    what = "Nie nadano uprawnień." if granting else "Nie odebrano uprawnienia."
    todo = _OPERATION_TODO.get(
        outcome.code, "Spróbuj ponownie za chwilę. Jeśli błąd się powtórzy, skontaktuj się z nami."
    )
    return OperationOutcome(status, f"{what} Nic nie zostało zmienione.", todo, "error", outcome.details)
