"""JSON bodies of `/v2/tokens`, field for field as `open-api.json` names them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from ksef_mcu.server.http.schemas import RequestModel, ResponseModel, case_insensitive
from ksef_mcu.server.tokens.model import TokenRecord


class TokenPermissionType(enum.StrEnum):
    INVOICE_READ = "InvoiceRead"
    INVOICE_WRITE = "InvoiceWrite"
    CREDENTIALS_READ = "CredentialsRead"
    CREDENTIALS_MANAGE = "CredentialsManage"
    SUBUNIT_MANAGE = "SubunitManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    INTROSPECTION = "Introspection"


class GenerateTokenRequest(RequestModel):
    permissions: list[Annotated[TokenPermissionType, case_insensitive(TokenPermissionType)]]
    description: Annotated[str, Field(min_length=5, max_length=256)]


class _Response(ResponseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, alias_generator=to_camel)


class GenerateTokenResponse(_Response):
    reference_number: str
    token: str


class TypedIdentifier(_Response):
    type: str
    value: str


class TokenStatusResponse(_Response):
    reference_number: str
    author_identifier: TypedIdentifier
    context_identifier: TypedIdentifier
    description: str
    requested_permissions: list[str]
    date_created: datetime
    last_use_date: datetime | None = None
    status: str
    status_details: list[str] | None = None


class QueryTokensResponse(_Response):
    continuation_token: str | None = None
    tokens: list[TokenStatusResponse]


def token_item(record: TokenRecord) -> TokenStatusResponse:
    return TokenStatusResponse(
        reference_number=record.reference_number,
        author_identifier=TypedIdentifier(type=record.author.type.value, value=record.author.value),
        context_identifier=TypedIdentifier(type=record.context.type.value, value=record.context.value),
        description=record.description,
        requested_permissions=list(record.permissions),
        date_created=record.created_at,
        last_use_date=record.last_use_at,
        status=record.status.value,
    )
