"""The sessions domain's errors: KSeF exception codes of the session, invoice and UPO endpoints, worded as the
official API words them (descriptions and details from `open-api.json`)."""

from __future__ import annotations

from ksef_mcu.server.errors import BadRequestError


class SessionNotFoundError(BadRequestError):
    default_code = 21173

    def __init__(self, reference_number: str) -> None:
        super().__init__(
            f"Sesja o numerze referencyjnym {reference_number} nie została znaleziona.",
            description="Brak sesji o wskazanym numerze referencyjnym.",
        )


class SessionStatusError(BadRequestError):
    default_code = 21180

    def __init__(self, status_code: int, action: str = "wysyłkę faktur") -> None:
        super().__init__(
            f"Status sesji {status_code} uniemożliwia {action}.",
            description="Status sesji nie pozwala na wykonanie operacji.",
        )


class SessionInvoiceLimitError(BadRequestError):
    default_code = 21155

    def __init__(self, reference_number: str, limit: int) -> None:
        super().__init__(
            f"Sesja o numerze referencyjnym {reference_number} osiągnęła dozwolony limit liczby faktur {limit}.",
            description="Przekroczono dozwoloną liczbę faktur w sesji.",
        )


class FileSizeMismatchError(BadRequestError):
    default_code = 21402

    def __init__(self, detail: str = "Długość treści nie zgadza się z rozmiarem pliku.") -> None:
        super().__init__(detail, description="Nieprawidłowy rozmiar pliku.")


class FileHashMismatchError(BadRequestError):
    default_code = 21403

    def __init__(self, detail: str = "Skrót treści nie zgadza się ze skrótem pliku.") -> None:
        super().__init__(detail, description="Nieprawidłowy skrót pliku.")


class UnknownKeyError(BadRequestError):
    default_code = 21470

    def __init__(self, key_id: str) -> None:
        super().__init__(f"Klucz o identyfikatorze {key_id} nie jest wspierany.")


class InvoiceNotFoundError(BadRequestError):
    """21164: no invoice with that KSeF number (in the caller's context)."""

    default_code = 21164

    def __init__(self, ksef_number: str) -> None:
        super().__init__(
            f"Faktura o numerze KSeF {ksef_number} nie została znaleziona.",
            description="Faktura o podanym identyfikatorze nie istnieje.",
        )


class SessionInvoiceNotFoundError(BadRequestError):
    """21405 with the detail KSeF gives for an unknown invoice reference number in a session."""

    default_code = 21405

    def __init__(self, session_reference: str, invoice_reference: str) -> None:
        super().__init__(
            f"Faktura o numerze referencyjnym {invoice_reference} nie została znaleziona w sesji {session_reference}."
        )


class UpoNotFoundError(BadRequestError):
    default_code = 21178

    def __init__(self, detail: str) -> None:
        super().__init__(detail, description="Nie znaleziono UPO dla podanych kryteriów.")
