"""`/v2/auth/*`: challenge, XAdES login, status, token redemption and refresh; authentication sessions.

HTTP only: each route reads its input, makes one service call and shapes the answer.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from ksef_mcu.server.auth.deps import AccessPrincipal, token_of_kinds
from ksef_mcu.server.auth.model import METHOD_INFO, AuthenticationRecord
from ksef_mcu.server.auth.schemas import (
    AuthenticationChallengeResponse,
    AuthenticationInitResponse,
    AuthenticationListItem,
    AuthenticationListResponse,
    AuthenticationMethodInfoModel,
    AuthenticationOperationStatusResponse,
    AuthenticationTokenRefreshResponse,
    AuthenticationTokensResponse,
    InitTokenAuthenticationRequest,
    TokenInfo,
)
from ksef_mcu.server.auth.service import AuthenticationService, ChallengeService
from ksef_mcu.server.auth.tokens import IssuedToken, TokenKind, VerifiedToken
from ksef_mcu.server.errors import InputValidationError
from ksef_mcu.server.http.deps import BearerToken, HttpComponents, PublicCall, get_components, public_call, run_service
from ksef_mcu.server.http.schemas import StatusInfo
from ksef_mcu.server.settings import ServerSettings


class AuthComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def settings(self) -> ServerSettings: ...

    @property
    def challenges(self) -> ChallengeService: ...

    @property
    def authentication(self) -> AuthenticationService: ...


Components = Annotated[AuthComponents, Depends(get_components)]
Public = Annotated[PublicCall[AuthComponents], Depends(public_call())]
"""The official public endpoints' limit: 60 requests per second per IP."""

ReferenceNumberPath = Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)]

_XML_CONTENT_TYPES = ("application/xml", "text/xml")

# Like the official API, fields without a value are left out of responses rather than sent as null.
auth_router = APIRouter(prefix="/v2", tags=["Uzyskiwanie dostępu"])
sessions_router = APIRouter(prefix="/v2", tags=["Aktywne sesje"])


def _token_info(token: IssuedToken) -> TokenInfo:
    return TokenInfo(token=token.token, valid_until=token.valid_until)


def status_response(record: AuthenticationRecord) -> AuthenticationOperationStatusResponse:
    info = METHOD_INFO[record.authentication_method]
    return AuthenticationOperationStatusResponse(
        start_date=record.started_at,
        authentication_method=record.authentication_method,
        authentication_method_info=AuthenticationMethodInfoModel(
            category=info.category, code=info.code, display_name=info.display_name
        ),
        status=StatusInfo(
            code=int(record.status.code),
            description=record.status.description,
            details=list(record.status.details) or None,
        ),
        is_token_redeemed=record.is_token_redeemed,
        last_token_refresh_date=record.last_token_refresh_at,
        refresh_token_valid_until=record.refresh_token_valid_until,
    )


async def _read_xml_body(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type and content_type not in _XML_CONTENT_TYPES and not content_type.endswith("+xml"):
        raise InputValidationError(f"Nieobsługiwany typ treści {content_type!r}: oczekiwano application/xml.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputValidationError(f"Treść żądania jest za duża (najwyżej {limit} bajtów).")
        chunks.append(chunk)
    return b"".join(chunks)


@auth_router.post("/auth/challenge", summary="Inicjalizacja uwierzytelnienia")
async def create_challenge(call: Public) -> AuthenticationChallengeResponse:
    issued = await run_service(call.components, call.components.challenges.issue, call.client_ip)
    return AuthenticationChallengeResponse(
        challenge=issued.challenge,
        timestamp=issued.timestamp,
        timestamp_ms=issued.timestamp_ms,
        client_ip=issued.client_ip,
    )


@auth_router.post(
    "/auth/xades-signature",
    summary="Uwierzytelnienie z wykorzystaniem podpisu XAdES",
    status_code=202,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}},
    },
)
async def submit_xades_signature(
    request: Request,
    call: Public,
    verify_certificate_chain: Annotated[bool | None, Query(alias="verifyCertificateChain")] = None,
) -> AuthenticationInitResponse:
    components = call.components
    xml = await _read_xml_body(request, components.settings.max_request_body_bytes)
    started = await run_service(
        components,
        components.authentication.start_xades,
        xml,
        verify_certificate_chain=bool(verify_certificate_chain),
        client_ip=call.client_ip,
    )
    return AuthenticationInitResponse(
        reference_number=started.reference_number, authentication_token=_token_info(started.authentication_token)
    )


@auth_router.post("/auth/ksef-token", summary="Uwierzytelnienie z wykorzystaniem tokena KSeF", status_code=202)
async def submit_ksef_token(call: Public, body: InitTokenAuthenticationRequest) -> AuthenticationInitResponse:
    components = call.components
    context = body.context_identifier.identifier()
    started = await run_service(
        components,
        components.authentication.start_ksef_token,
        challenge=body.challenge,
        context=context,
        encrypted_token=body.encrypted_token,
        public_key_id=body.public_key_id,
        allowed_ips=body.allowed_ips(),
        client_ip=call.client_ip,
    )
    return AuthenticationInitResponse(
        reference_number=started.reference_number, authentication_token=_token_info(started.authentication_token)
    )


@auth_router.post("/auth/token/redeem", summary="Pobranie tokenów dostępowych")
async def redeem_tokens(call: Public, token: BearerToken) -> AuthenticationTokensResponse:
    redeemed = await run_service(call.components, call.components.authentication.redeem, token)
    return AuthenticationTokensResponse(
        access_token=_token_info(redeemed.access_token), refresh_token=_token_info(redeemed.refresh_token)
    )


@auth_router.post("/auth/token/refresh", summary="Odświeżenie tokena dostępowego")
async def refresh_access_token(call: Public, token: BearerToken) -> AuthenticationTokenRefreshResponse:
    refreshed = await run_service(call.components, call.components.authentication.refresh, token)
    return AuthenticationTokenRefreshResponse(access_token=_token_info(refreshed))


# The app lists the /auth/sessions routes first (`sessions_router`), so that "sessions" is not a reference number.
@auth_router.get(
    "/auth/{referenceNumber}",
    summary="Pobranie statusu uwierzytelniania",
    response_model_exclude_none=True,
)
async def authentication_status(
    call: Public, token: BearerToken, reference_number: ReferenceNumberPath
) -> AuthenticationOperationStatusResponse:
    record = await run_service(call.components, call.components.authentication.status, reference_number, token)
    return status_response(record)


@sessions_router.get("/auth/sessions", summary="Pobranie listy aktywnych sesji", response_model_exclude_none=True)
def list_sessions(
    components: Components,
    principal: AccessPrincipal,
    page_size: Annotated[int, Query(alias="pageSize", ge=10, le=100)] = 10,
    continuation_token: Annotated[str | None, Header(alias="x-continuation-token")] = None,
) -> AuthenticationListResponse:
    page = components.authentication.list_sessions(
        principal, page_size=page_size, continuation_token=continuation_token or None
    )
    items = [
        AuthenticationListItem(
            **status_response(record).model_dump(),
            reference_number=record.reference_number,
            is_current=record.reference_number == principal.reference_number,
        )
        for record in page.items
    ]
    return AuthenticationListResponse(continuation_token=page.continuation_token, items=items)


@sessions_router.delete(
    "/auth/sessions/current",
    summary="Unieważnienie aktualnej sesji uwierzytelnienia",
    status_code=204,
    response_class=Response,
)
def revoke_current_session(
    components: Components,
    verified: Annotated[VerifiedToken, Depends(token_of_kinds(TokenKind.ACCESS, TokenKind.REFRESH))],
) -> Response:
    components.authentication.revoke_current(verified)
    return Response(status_code=204)


@sessions_router.delete(
    "/auth/sessions/{referenceNumber}",
    summary="Unieważnienie sesji uwierzytelnienia",
    status_code=204,
    response_class=Response,
)
def revoke_session(
    components: Components, principal: AccessPrincipal, reference_number: ReferenceNumberPath
) -> Response:
    components.authentication.revoke(principal, reference_number)
    return Response(status_code=204)
