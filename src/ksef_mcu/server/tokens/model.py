"""Vocabulary of the KSeF-token domain."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier


class TokenStatus(enum.StrEnum):
    """`AuthenticationTokenStatus`. Tokens here are active as soon as they are made (the permissions are fixed in
    the same unit of work), so `Pending` and `Failed` never show; revocation is immediate, so neither does
    `Revoking`."""

    PENDING = "Pending"
    ACTIVE = "Active"
    REVOKING = "Revoking"
    REVOKED = "Revoked"
    FAILED = "Failed"


TOKEN_PERMISSIONS = (
    "InvoiceRead",
    "InvoiceWrite",
    "CredentialsRead",
    "CredentialsManage",
    "SubunitManage",
    "EnforcementOperations",
    "Introspection",
)
"""`TokenPermissionType`: what a token may be given."""

TOKEN_CONTEXT_PREFIXES = {ContextIdentifierType.NIP: "nip", ContextIdentifierType.INTERNAL_ID: "internalId"}
"""The contexts tokens are made in (others get 26002), with the prefix the token's text gives each."""


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One KSeF token, without its secret (only a SHA-256 of the token is ever stored)."""

    reference_number: str
    context: ContextIdentifier
    author: SubjectIdentifier
    description: str
    permissions: tuple[str, ...]
    status: TokenStatus
    created_at: datetime
    last_use_at: datetime | None = None
    status_changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GeneratedToken:
    """A token just made: the one moment its text exists outside the caller's hands."""

    reference_number: str
    token: str

    def __repr__(self) -> str:  # the token never reaches a log through repr()
        return f"GeneratedToken(reference_number={self.reference_number!r}, token=<hidden>)"


@dataclass(frozen=True, slots=True)
class TokenPage:
    items: list[TokenRecord]
    continuation_token: str | None
