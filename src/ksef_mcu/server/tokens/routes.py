"""`/v2/tokens`: generate, list, read and revoke KSeF tokens. HTTP only."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from ksef_mcu.identifiers import SubjectIdentifierType
from ksef_mcu.server.auth.deps import AccessPrincipal
from ksef_mcu.server.http.deps import HttpComponents, get_components, json_response, run_service
from ksef_mcu.server.http.schemas import case_insensitive
from ksef_mcu.server.tokens.model import TokenStatus
from ksef_mcu.server.tokens.schemas import (
    GenerateTokenRequest,
    GenerateTokenResponse,
    QueryTokensResponse,
    TokenStatusResponse,
    token_item,
)
from ksef_mcu.server.tokens.service import KsefTokenService


class TokenComponents(HttpComponents, Protocol):
    @property
    def ksef_tokens(self) -> KsefTokenService: ...


Services = Annotated[TokenComponents, Depends(get_components)]
ReferenceNumberPath = Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)]

tokens_router = APIRouter(prefix="/v2", tags=["Tokeny KSeF"])


@tokens_router.post(
    "/tokens", summary="Wygenerowanie nowego tokena", status_code=202, response_model=GenerateTokenResponse
)
async def generate_token(services: Services, principal: AccessPrincipal, body: GenerateTokenRequest) -> Response:
    generated = await run_service(
        services, services.ksef_tokens.generate, principal, [p.value for p in body.permissions], body.description
    )
    response = GenerateTokenResponse(reference_number=generated.reference_number, token=generated.token)
    return json_response(response, status_code=202)


@tokens_router.get("/tokens", summary="Pobranie listy wygenerowanych tokenów", response_model=QueryTokensResponse)
def list_tokens(
    services: Services,
    principal: AccessPrincipal,
    *,
    status: Annotated[list[Annotated[TokenStatus, case_insensitive(TokenStatus)]] | None, Query()] = None,
    description: Annotated[str | None, Query(min_length=3)] = None,
    author_identifier: Annotated[str | None, Query(alias="authorIdentifier", min_length=3)] = None,
    author_identifier_type: Annotated[
        SubjectIdentifierType | None, Query(alias="authorIdentifierType"), case_insensitive(SubjectIdentifierType)
    ] = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=10, le=100)] = 10,
    continuation_token: Annotated[str | None, Header(alias="x-continuation-token")] = None,
) -> Response:
    page = services.ksef_tokens.list(
        principal,
        statuses=status,
        description=description,
        author_identifier=author_identifier,
        author_type=author_identifier_type,
        page_size=page_size,
        continuation_token=continuation_token or None,
    )
    body = QueryTokensResponse(
        continuation_token=page.continuation_token, tokens=[token_item(record) for record in page.items]
    )
    return json_response(body)


@tokens_router.get("/tokens/{referenceNumber}", summary="Pobranie statusu tokena", response_model=TokenStatusResponse)
def token_status(services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath) -> Response:
    return json_response(token_item(services.ksef_tokens.get(principal, reference_number)))


@tokens_router.delete(
    "/tokens/{referenceNumber}", summary="Unieważnienie tokena", status_code=204, response_class=Response
)
def revoke_token(services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath) -> Response:
    services.ksef_tokens.revoke(principal, reference_number)
    return Response(status_code=204)
