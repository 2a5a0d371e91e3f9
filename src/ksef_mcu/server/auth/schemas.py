"""JSON bodies of `/v2/auth/*`, field for field as `open-api.json` names them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ksef_mcu.server.auth.model import AuthenticationMethod, AuthenticationMethodCategory
from ksef_mcu.server.http.schemas import ResponseModel, StatusInfo


class TokenInfo(ResponseModel):
    token: str
    valid_until: datetime = Field(alias="validUntil")


class AuthenticationMethodInfoModel(ResponseModel):
    category: AuthenticationMethodCategory
    code: str
    display_name: str = Field(alias="displayName")


class AuthenticationChallengeResponse(ResponseModel):
    challenge: str
    timestamp: datetime
    timestamp_ms: int = Field(alias="timestampMs")
    client_ip: str = Field(alias="clientIp")


class AuthenticationInitResponse(ResponseModel):
    reference_number: str = Field(alias="referenceNumber")
    authentication_token: TokenInfo = Field(alias="authenticationToken")


class AuthenticationOperationStatusResponse(ResponseModel):
    start_date: datetime = Field(alias="startDate")
    authentication_method: AuthenticationMethod = Field(alias="authenticationMethod")
    authentication_method_info: AuthenticationMethodInfoModel = Field(alias="authenticationMethodInfo")
    status: StatusInfo
    is_token_redeemed: bool | None = Field(default=None, alias="isTokenRedeemed")
    last_token_refresh_date: datetime | None = Field(default=None, alias="lastTokenRefreshDate")
    refresh_token_valid_until: datetime | None = Field(default=None, alias="refreshTokenValidUntil")


class AuthenticationTokensResponse(ResponseModel):
    access_token: TokenInfo = Field(alias="accessToken")
    refresh_token: TokenInfo = Field(alias="refreshToken")


class AuthenticationTokenRefreshResponse(ResponseModel):
    access_token: TokenInfo = Field(alias="accessToken")


class AuthenticationListItem(AuthenticationOperationStatusResponse):
    reference_number: str = Field(alias="referenceNumber")
    is_current: bool = Field(alias="isCurrent")


class AuthenticationListResponse(ResponseModel):
    continuation_token: str | None = Field(default=None, alias="continuationToken")
    items: list[AuthenticationListItem]
