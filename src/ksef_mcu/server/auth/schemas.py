"""JSON bodies of `/v2/auth/*`, field for field as `open-api.json` names them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from ksef_mcu.identifiers import CONTEXT_VALUE_SHAPES, AllowedIps, ContextIdentifier, ContextIdentifierType
from ksef_mcu.server.auth.model import AuthenticationMethod, AuthenticationMethodCategory
from ksef_mcu.server.errors import InputValidationError
from ksef_mcu.server.http.schemas import RequestModel, ResponseModel, StatusInfo, case_insensitive


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


_IP4 = r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"


class AllowedIpsModel(RequestModel):
    ip4_addresses: list[Annotated[str, Field(pattern=rf"^{_IP4}$")]] | None = Field(
        default=None, alias="ip4Addresses", max_length=10
    )
    ip4_ranges: list[Annotated[str, Field(pattern=rf"^{_IP4}-{_IP4}$")]] | None = Field(
        default=None, alias="ip4Ranges", max_length=10
    )
    ip4_masks: list[Annotated[str, Field(pattern=rf"^{_IP4}/(0|[1-9]|[12][0-9]|3[0-2])$")]] | None = Field(
        default=None, alias="ip4Masks", max_length=10
    )

    def policy(self) -> AllowedIps:
        return AllowedIps(tuple(self.ip4_addresses or ()), tuple(self.ip4_ranges or ()), tuple(self.ip4_masks or ()))


class AuthorizationPolicyModel(RequestModel):
    allowed_ips: AllowedIpsModel | None = Field(default=None, alias="allowedIps")


class AuthenticationContextIdentifierModel(RequestModel):
    type: Annotated[ContextIdentifierType, case_insensitive(ContextIdentifierType)]
    value: str

    def identifier(self) -> ContextIdentifier:
        context = ContextIdentifier(self.type, self.value)
        if not context.is_valid():
            shape = CONTEXT_VALUE_SHAPES[self.type]
            raise InputValidationError(
                f"contextIdentifier.value: {self.value!r} nie jest prawidłowym identyfikatorem {self.type.value} "
                f"({shape})."
            )
        return context


class InitTokenAuthenticationRequest(RequestModel):
    challenge: Annotated[str, Field(min_length=36, max_length=36)]
    context_identifier: AuthenticationContextIdentifierModel = Field(alias="contextIdentifier")
    encrypted_token: Annotated[str, Field(min_length=1)] = Field(alias="encryptedToken")
    public_key_id: Annotated[str | None, Field(min_length=44, max_length=44)] = Field(default=None, alias="publicKeyId")
    authorization_policy: AuthorizationPolicyModel | None = Field(default=None, alias="authorizationPolicy")

    def allowed_ips(self) -> AllowedIps | None:
        policy = self.authorization_policy
        if policy is None or policy.allowed_ips is None:
            return None
        return policy.allowed_ips.policy()
