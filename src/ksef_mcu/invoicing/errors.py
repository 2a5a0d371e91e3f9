"""Obsługa Faktur's errors: each carries a Polish message safe to show (and `field` for a form field)."""

from __future__ import annotations

__all__ = ["AccessDeniedError", "InvoicingError", "LoginRefusedError", "NotFoundError", "UploadRefusedError"]


class InvoicingError(Exception):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LoginRefusedError(InvoicingError):
    """Wrong login or password, or the account is locked after repeated failures."""


class AccessDeniedError(InvoicingError):
    """The user has no access to this company."""


class NotFoundError(InvoicingError):
    """No such user, company or certificate."""


class UploadRefusedError(InvoicingError):
    """A certificate upload failed one of the checks; nothing was stored."""
