"""The server's domain error tree. No web imports: `server/http/problems.py` is the one place that renders these.

Every error carries the HTTP status and what the KSeF error body needs: for 400 the KSeF exception `code`, its
Polish `description` and `details`; for 401/403/410/429 a Polish `detail` (403 also a `reason_code`).
Messages are safe to show: they never contain internal text, stack traces or key material.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

EXCEPTION_DESCRIPTIONS: Mapping[int, str] = {
    9101: "Nieprawidłowy dokument.",
    9102: "Brak podpisu.",
    9103: "Przekroczona liczba dozwolonych podpisów.",
    9105: "Nieprawidłowy podpis.",
    21001: "Nieczytelna treść.",
    21111: "Nieprawidłowe wyzwanie autoryzacyjne.",
    21115: "Nieprawidłowy certyfikat.",
    21117: "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
    21217: "Nieprawidłowe kodowanie znaków.",
    21301: "Brak autoryzacji.",
    21304: "Brak uwierzytelnienia.",
    21308: "Próba wykorzystania metod autoryzacyjnych osoby zmarłej.",
    21401: "Dokument nie jest zgodny ze schemą (xsd).",
    21405: "Błąd walidacji danych wejściowych.",
    21406: "Konflikt podpisu i typu uwierzytelnienia.",
    21418: "Przekazany token kontynuacji ma nieprawidłowy format.",
    21470: "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
    25001: "Brak możliwości pobrania danych do CSR dla wykorzystanego sposobu uwierzytelnienia.",
    25002: "Brak możliwości złożenia wniosku certyfikacyjnego dla wykorzystanego sposobu uwierzytelnienia.",
    25003: "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym.",
    25004: "Niepoprawny format CSR lub niepoprawny podpis CSR.",
    25005: "Wniosek certyfikacyjny o podanym numerze referencyjnym nie istnieje.",
    25006: "Osiągnięto limit możliwych do złożenia wniosków certyfikacyjnych.",
    25007: "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów.",
    25008: "Certyfikat o podanym numerze seryjnym nie istnieje.",
    25009: "Nie można odwołać wskazanego certyfikatu, ponieważ jest już odwołany, zablokowany lub nieważny.",
    25010: "Nieprawidłowy typ lub długość klucza.",
    25011: "Nieprawidłowy algorytm podpisu CSR.",
    30001: "Podmiot lub uprawnienie już istnieje.",
}
"""Polish descriptions of the KSeF exception codes, worded as the official API words them."""


class KsefServerError(Exception):
    """Root of every error the server reports to a caller."""

    http_status: ClassVar[int] = 500


# --- 400: the KSeF exception codes ----------------------------------------------------------------------------------


class BadRequestError(KsefServerError):
    """HTTP 400 with a KSeF exception code. Subclasses fix `code`; ad-hoc codes (e.g. from XAdES) pass `code=`."""

    http_status: ClassVar[int] = 400
    default_code: ClassVar[int] = 21405

    def __init__(
        self,
        *details: str,
        code: int | None = None,
        description: str | None = None,
        reference_number: str | None = None,
    ) -> None:
        self.code = code if code is not None else self.default_code
        self.description = description or EXCEPTION_DESCRIPTIONS.get(self.code, "Nieprawidłowe żądanie.")
        self.details: list[str] = list(details)
        self.reference_number = reference_number
        super().__init__(" ".join([self.description, *self.details]))


class InputValidationError(BadRequestError):
    """21405: the request does not pass validation; `details` say which field and why."""

    default_code = 21405


class InvalidChallengeError(BadRequestError):
    default_code = 21111


class NotAuthorizedError(BadRequestError):
    """21301: the authentication's state does not allow this (tokens already redeemed, status not 200, …)."""

    default_code = 21301


class AuthenticationNotFoundError(BadRequestError):
    """21304: no authentication operation with that reference number (for this caller)."""

    default_code = 21304

    def __init__(self, reference_number: str) -> None:
        super().__init__(
            f"Operacja uwierzytelniania o numerze referencyjnym {reference_number} nie została znaleziona.",
            reference_number=reference_number,
        )


class DeceasedPersonError(BadRequestError):
    default_code = 21308


class InvalidContinuationTokenError(BadRequestError):
    default_code = 21418


class AlreadyExistsError(BadRequestError):
    """30001: test data with that identifier already exists."""

    default_code = 30001


# --- 401 / 403 / 404 / 410 / 429 -------------------------------------------------------------------------------------


class UnauthorizedError(KsefServerError):
    """401: no token, or a token that is malformed, forged, expired or of the wrong kind."""

    http_status: ClassVar[int] = 401

    def __init__(self, detail: str = "Wymagane jest uwierzytelnienie.") -> None:
        self.detail = detail
        super().__init__(detail)


class ForbiddenError(KsefServerError):
    """403 with a `reasonCode` from the official list (`missing-permissions`, `ip-not-allowed`, …)."""

    http_status: ClassVar[int] = 403

    def __init__(self, detail: str, *, reason_code: str, security: Mapping[str, Any] | None = None) -> None:
        self.detail = detail
        self.reason_code = reason_code
        self.security = dict(security) if security is not None else None
        super().__init__(detail)


class NotFoundError(KsefServerError):
    """404: no such endpoint (or an endpoint switched off in this mode)."""

    http_status: ClassVar[int] = 404

    def __init__(self, detail: str = "Nie znaleziono zasobu.") -> None:
        self.detail = detail
        super().__init__(detail)


class GoneError(KsefServerError):
    """410: an asynchronous operation's status is past its retention period."""

    http_status: ClassVar[int] = 410

    def __init__(self, detail: str = "Operacja wygasła i nie jest już dostępna.") -> None:
        self.detail = detail
        super().__init__(detail)


class TooManyRequestsError(KsefServerError):
    """429: a rate limit was hit; `retry_after` is in whole seconds."""

    http_status: ClassVar[int] = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(detail)


class PayloadTooLargeError(KsefServerError):
    """413: the request body is bigger than the server accepts (refused before it is read whole)."""

    http_status: ClassVar[int] = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.detail = f"Treść żądania jest za duża (najwyżej {limit} bajtów)."
        super().__init__(self.detail)


class ServiceUnavailableError(KsefServerError):
    """503: the database is busy (a lock held elsewhere) or unreachable; nothing was written, `retry_after` seconds
    later the same request may succeed."""

    http_status: ClassVar[int] = 503

    def __init__(self, detail: str, *, retry_after: int) -> None:
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(detail)


def join_details(details: Sequence[str]) -> str:
    """One line from several details (for the problem-details `detail` field)."""
    return " ".join(d.strip() for d in details if d.strip())
