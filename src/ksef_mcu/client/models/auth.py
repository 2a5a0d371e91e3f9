"""Models of the API tag "Uzyskiwanie dostępu" / "Aktywne sesje": challenge, login operation, tokens, sessions."""

from __future__ import annotations

import enum

from ksef_mcu.client.models.common import KsefModel, ReferenceNumber, StatusInfo, TokenInfo, UtcDatetime

__all__ = [
    "AuthenticationChallenge",
    "AuthenticationInit",
    "AuthenticationMethod",
    "AuthenticationMethodCategory",
    "AuthenticationMethodInfo",
    "AuthenticationOperationStatus",
    "AuthenticationSession",
    "AuthenticationSessionPage",
    "AuthenticationTokenRefresh",
    "AuthenticationTokens",
]


class AuthenticationMethod(enum.StrEnum):
    """`AuthenticationMethod` (deprecated by KSeF in favour of `AuthenticationMethodInfo`)."""

    TOKEN = "Token"  # noqa: S105 - an enum value, not a secret
    TRUSTED_PROFILE = "TrustedProfile"
    INTERNAL_CERTIFICATE = "InternalCertificate"
    QUALIFIED_SIGNATURE = "QualifiedSignature"
    QUALIFIED_SEAL = "QualifiedSeal"
    PERSONAL_SIGNATURE = "PersonalSignature"
    PEPPOL_SIGNATURE = "PeppolSignature"


class AuthenticationMethodCategory(enum.StrEnum):
    """`AuthenticationMethodCategory`."""

    XADES_SIGNATURE = "XadesSignature"
    NATIONAL_NODE = "NationalNode"
    TOKEN = "Token"  # noqa: S105 - an enum value, not a secret
    OTHER = "Other"


class AuthenticationChallenge(KsefModel):
    """`AuthenticationChallengeResponse` of `POST /auth/challenge` (the challenge is valid for 10 minutes)."""

    challenge: ReferenceNumber
    timestamp: UtcDatetime
    timestamp_ms: int
    client_ip: str | None = None


class AuthenticationInit(KsefModel):
    """`AuthenticationInitResponse` of `POST /auth/xades-signature` and `POST /auth/ksef-token` (HTTP 202)."""

    reference_number: ReferenceNumber
    authentication_token: TokenInfo


class AuthenticationMethodInfo(KsefModel):
    """`AuthenticationMethodInfo`, e.g. category XadesSignature, code `xades.ksef-certificate`."""

    category: AuthenticationMethodCategory | str
    code: str
    display_name: str = ""


class AuthenticationOperationStatus(KsefModel):
    """`AuthenticationOperationStatusResponse` of `GET /auth/{referenceNumber}`."""

    start_date: UtcDatetime
    status: StatusInfo
    authentication_method: AuthenticationMethod | str | None = None
    authentication_method_info: AuthenticationMethodInfo | None = None
    is_token_redeemed: bool | None = None
    last_token_refresh_date: UtcDatetime | None = None
    refresh_token_valid_until: UtcDatetime | None = None


class AuthenticationTokens(KsefModel):
    """`AuthenticationTokensResponse` of `POST /auth/token/redeem` (can be redeemed once)."""

    access_token: TokenInfo
    refresh_token: TokenInfo


class AuthenticationTokenRefresh(KsefModel):
    """`AuthenticationTokenRefreshResponse` of `POST /auth/token/refresh`."""

    access_token: TokenInfo


class AuthenticationSession(KsefModel):
    """`AuthenticationListItem`: one authentication session of `GET /auth/sessions`."""

    reference_number: ReferenceNumber
    start_date: UtcDatetime
    status: StatusInfo
    authentication_method: AuthenticationMethod | str | None = None
    authentication_method_info: AuthenticationMethodInfo | None = None
    is_token_redeemed: bool | None = None
    last_token_refresh_date: UtcDatetime | None = None
    refresh_token_valid_until: UtcDatetime | None = None
    is_current: bool = False


class AuthenticationSessionPage(KsefModel):
    """`AuthenticationListResponse`: one page of sessions; no `continuation_token` means the last page."""

    items: tuple[AuthenticationSession, ...]
    continuation_token: str | None = None
