"""JWTs: the authentication (operation) token, access tokens and refresh tokens.

All three are ES256 JWTs signed with the server's `token-signing` key and told apart by the `typ` claim; none is
accepted where another kind is expected. Claims follow what the official clients read from real KSeF tokens
(`PersonTokenService` in the C# client and its ports):

    typ  OperationToken | ContextToken | RefreshToken       arn  the authentication's reference number
    cit  context identifier type        civ  its value      aum  authentication method (`QualifiedSeal`, …)
    sud  subject details (JSON string: SubjectIdentifier{Type,Value}, GivenNames, Surname, …)
    per  permissions held (JSON array string, `Owner` for owners)     pep  effective permissions (Owner expanded)
    rol  roles of the context entity (JSON array string, when any)    ipp  IP policy (JSON string, when one was set)

plus `iss`, `aud`, `iat`, `exp` and a unique `jti`. Expiry is checked against the injected clock, not the wall clock.
"""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.server.auth.model import (
    AllowedIps,
    AuthenticationMethod,
    ContextPermissions,
    Principal,
    SubjectDetails,
)
from ksef_mcu.server.errors import UnauthorizedError
from ksef_mcu.server.identifiers import ContextIdentifier, ContextIdentifierType

ALGORITHM = "ES256"
_CLOCK_SKEW = timedelta(seconds=60)


class TokenKind(enum.StrEnum):
    AUTHENTICATION = "OperationToken"
    ACCESS = "ContextToken"
    REFRESH = "RefreshToken"

    @property
    def polish_name(self) -> str:
        return {
            TokenKind.AUTHENTICATION: "token operacji uwierzytelnienia",
            TokenKind.ACCESS: "token dostępowy",
            TokenKind.REFRESH: "token odświeżający",
        }[self]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    valid_until: datetime
    token_id: str


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token whose signature, issuer, kind and lifetime checked out."""

    kind: TokenKind
    reference_number: str
    token_id: str
    issued_at: datetime
    expires_at: datetime
    claims: dict[str, Any]

    def principal(self) -> Principal:
        """The caller behind an access token. Raises `UnauthorizedError` if the claims are incomplete."""
        try:
            context = ContextIdentifier(ContextIdentifierType(self.claims["cit"]), str(self.claims["civ"]))
            subject = SubjectDetails.from_json(json.loads(self.claims["sud"])).identifier
            method = AuthenticationMethod(self.claims["aum"])
            permissions = tuple(json.loads(self.claims.get("pep", "[]")))
            ip_policy = json.loads(self.claims["ipp"]) if "ipp" in self.claims else None
        except (KeyError, ValueError, TypeError) as error:
            raise UnauthorizedError("Nieprawidłowy token dostępowy.") from error
        allowed_ips = AllowedIps.from_json(ip_policy["allowedIps"]) if ip_policy else None
        return Principal(
            reference_number=self.reference_number,
            context=context,
            subject=subject,
            authentication_method=method,
            permissions=permissions,
            allowed_ips=allowed_ips,
            token_id=self.token_id,
        )


def _json_claim(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class TokenService:
    """Issues and verifies the server's JWTs. Stateless apart from the key; safe to share between threads."""

    def __init__(self, *, signing_key: ec.EllipticCurvePrivateKey, key_id: str, issuer: str) -> None:
        self._signing_key = signing_key
        self._verification_key = signing_key.public_key()
        self._key_id = key_id
        self._issuer = issuer

    def _issue(
        self,
        kind: TokenKind,
        reference_number: str,
        *,
        now: datetime,
        lifetime: timedelta,
        claims: dict[str, Any] | None = None,
    ) -> IssuedToken:
        issued_at = int(now.timestamp())
        expires_at = issued_at + int(lifetime.total_seconds())
        token_id = secrets.token_hex(16)
        payload = {
            "iss": self._issuer,
            "aud": self._issuer,
            "iat": issued_at,
            "exp": expires_at,
            "jti": token_id,
            "typ": kind.value,
            "arn": reference_number,
            **(claims or {}),
        }
        token = jwt.encode(payload, self._signing_key, algorithm=ALGORITHM, headers={"kid": self._key_id})
        return IssuedToken(token, datetime.fromtimestamp(expires_at, UTC), token_id)

    def issue_authentication_token(self, reference_number: str, *, now: datetime, lifetime: timedelta) -> IssuedToken:
        return self._issue(TokenKind.AUTHENTICATION, reference_number, now=now, lifetime=lifetime)

    def issue_refresh_token(
        self, reference_number: str, *, context: ContextIdentifier, now: datetime, lifetime: timedelta
    ) -> IssuedToken:
        claims = {"cit": context.type.value, "civ": context.value}
        return self._issue(TokenKind.REFRESH, reference_number, now=now, lifetime=lifetime, claims=claims)

    def issue_access_token(
        self,
        reference_number: str,
        *,
        context: ContextIdentifier,
        subject: SubjectDetails,
        method: AuthenticationMethod,
        permissions: ContextPermissions,
        allowed_ips: AllowedIps | None,
        now: datetime,
        lifetime: timedelta,
    ) -> IssuedToken:
        claims: dict[str, Any] = {
            "cit": context.type.value,
            "civ": context.value,
            "aum": method.value,
            "sud": _json_claim(subject.to_json()),
            "per": _json_claim([p.value for p in permissions.permissions]),
            "pep": _json_claim([p.value for p in permissions.effective]),
        }
        if permissions.roles:
            claims["rol"] = _json_claim(list(permissions.roles))
        if allowed_ips is not None:
            claims["ipp"] = _json_claim({"allowedIps": allowed_ips.to_json()})
        return self._issue(TokenKind.ACCESS, reference_number, now=now, lifetime=lifetime, claims=claims)

    def verify(self, token: str, *, kinds: Collection[TokenKind], now: datetime) -> VerifiedToken:
        """Check signature, issuer, audience, kind and lifetime. Raises `UnauthorizedError` (401) on any failure."""
        expected = " albo ".join(kind.polish_name for kind in kinds)
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or header.get("kid") != self._key_id:
                raise UnauthorizedError(f"Nieprawidłowy token: oczekiwano: {expected}.")
            claims = jwt.decode(
                token,
                self._verification_key,
                algorithms=[ALGORITHM],
                audience=self._issuer,
                issuer=self._issuer,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iat", "jti", "typ", "arn"],
                },
            )
        except jwt.PyJWTError as error:
            raise UnauthorizedError(f"Nieprawidłowy token: oczekiwano: {expected}.") from error
        try:
            kind = TokenKind(claims["typ"])
            issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (ValueError, TypeError, OverflowError) as error:
            raise UnauthorizedError(f"Nieprawidłowy token: oczekiwano: {expected}.") from error
        if kind not in kinds:
            raise UnauthorizedError(f"Nieprawidłowy rodzaj tokenu ({kind.polish_name}): oczekiwano: {expected}.")
        if expires_at <= now:
            raise UnauthorizedError(f"Token wygasł ({kind.polish_name}).")
        if issued_at > now + _CLOCK_SKEW:
            raise UnauthorizedError(f"Nieprawidłowy token: oczekiwano: {expected}.")
        return VerifiedToken(kind, str(claims["arn"]), str(claims["jti"]), issued_at, expires_at, claims)
