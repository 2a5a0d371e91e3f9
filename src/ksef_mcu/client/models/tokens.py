"""Models of the API tag "Tokeny KSeF"."""

from __future__ import annotations

import enum

from pydantic import Field

from ksef_mcu.client.models.common import KsefModel, ReferenceNumber, TextList, UtcDatetime
from ksef_mcu.client.models.permissions import Identifier

__all__ = ["GeneratedKsefToken", "KsefTokenInfo", "KsefTokenPage", "KsefTokenPermission", "KsefTokenStatus"]


class KsefTokenPermission(enum.StrEnum):
    """`TokenPermissionType`: what a KSeF token may be given (a subset of its author's permissions)."""

    INVOICE_READ = "InvoiceRead"
    INVOICE_WRITE = "InvoiceWrite"
    CREDENTIALS_READ = "CredentialsRead"
    CREDENTIALS_MANAGE = "CredentialsManage"
    SUBUNIT_MANAGE = "SubunitManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    INTROSPECTION = "Introspection"


class KsefTokenStatus(enum.StrEnum):
    PENDING = "Pending"
    ACTIVE = "Active"
    REVOKING = "Revoking"
    REVOKED = "Revoked"
    FAILED = "Failed"


class GeneratedKsefToken(KsefModel):
    """`GenerateTokenResponse`: the token is shown only this once; it never appears in `repr()`."""

    reference_number: ReferenceNumber
    token: str = Field(repr=False)


class KsefTokenInfo(KsefModel):
    """`TokenStatusResponse` / an item of `GET /tokens`: what is known of a token (never the token itself)."""

    reference_number: ReferenceNumber
    author_identifier: Identifier
    context_identifier: Identifier
    description: str
    requested_permissions: tuple[str, ...]
    date_created: UtcDatetime
    last_use_date: UtcDatetime | None = None
    status: KsefTokenStatus | str
    status_details: TextList = ()


class KsefTokenPage(KsefModel):
    continuation_token: str | None = None
    tokens: tuple[KsefTokenInfo, ...]
