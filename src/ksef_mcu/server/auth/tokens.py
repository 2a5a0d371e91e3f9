"""JWTs: the authentication (operation) token, access tokens and refresh tokens.

All three are ES256 JWTs signed with the server's `token-signing` key and told apart by the `typ` claim; none is
accepted where another kind is expected. Claims follow what the official clients read from real KSeF tokens
(`PersonTokenService` in the C# client and its ports):

    typ  OperationToken | ContextToken | RefreshToken       arn  the authentication's reference number
    cit  context identifier type        civ  its value      aum  authentication method (`QualifiedSeal`, …)
    sud  subject details (JSON string: SubjectIdentifier{Type,Value}, GivenNames, Surname, …)
    per  permissions held (JSON array string, `Owner` for owners)     pep  effective permissions (Owner expanded)
    rol  roles of the context entity (JSON array string, when any)    ipp  IP policy (JSON string, when one was set)
    ktr  the KSeF token's reference number (after a KSeF-token login)

plus `iss`, `aud`, `iat`, `exp` and a unique `jti`. Expiry is checked against the injected clock, not the wall clock.

The JWS layer is done here with `cryptography` rather than PyJWT: a login checks and issues five tokens, and PyJWT's
per-character segment checks cost more than the ECDSA operations. Verification is strict by construction: the
header segment must be exactly the one this key produces (so `alg: none`, HS256 with the public key, or another key
id never reach the signature check), the signature must be a 64-byte P-256 `r‖s`, and the payload a JSON object.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ksef_mcu.identifiers import AllowedIps, ContextIdentifier, ContextIdentifierType
from ksef_mcu.server.auth.model import AuthenticationMethod, ContextPermissions, Principal, SubjectDetails
from ksef_mcu.server.errors import UnauthorizedError

ALGORITHM = "ES256"
_CLOCK_SKEW = timedelta(seconds=60)
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_REQUIRED_CLAIMS = ("iss", "aud", "iat", "exp", "jti", "typ", "arn")
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    """The bytes of a base64url segment in its one canonical spelling. Raises ValueError otherwise: the last
    character's unused bits must be zero, so a token cannot be respelled into a second string that also verifies."""
    if not _SEGMENT.fullmatch(segment):
        raise ValueError("not a base64url segment")
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if _b64(data) != segment:
        raise ValueError("not the canonical base64url spelling")
    return data


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
            ksef_token = str(self.claims["ktr"]) if "ktr" in self.claims else None
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
            ksef_token=ksef_token,
        )


def _json_claim(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


VERIFIED_TOKEN_CACHE_SIZE = 4096


class TokenService:
    """Issues and verifies the server's JWTs. Stateless apart from the key; safe to share between threads."""

    def __init__(self, *, signing_key: ec.EllipticCurvePrivateKey, key_id: str, issuer: str) -> None:
        if not isinstance(signing_key.curve, ec.SECP256R1):
            raise ValueError("the token signing key must be an EC P-256 key (ES256)")
        self._signing_key = signing_key
        self._verification_key = signing_key.public_key()
        self._issuer = issuer
        header = {"alg": ALGORITHM, "kid": key_id, "typ": "JWT"}
        self._header = _b64(json.dumps(header, separators=(",", ":"), sort_keys=True).encode("ascii"))
        # Clients present the same token on every request; its signature and claims never change, so they are
        # checked once and kept (an ECDSA verification per request otherwise). Kind, expiry and iat are still
        # checked on every use; a token that failed is never kept.
        self._verified_claims: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()

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
        body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        signing_input = f"{self._header}.{body}"
        r, s = decode_dss_signature(self._signing_key.sign(signing_input.encode("ascii"), _ECDSA_SHA256))
        signature = _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return IssuedToken(f"{signing_input}.{signature}", datetime.fromtimestamp(expires_at, UTC), token_id)

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
        ksef_token: str | None = None,
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
        if ksef_token is not None:
            claims["ktr"] = ksef_token
        return self._issue(TokenKind.ACCESS, reference_number, now=now, lifetime=lifetime, claims=claims)

    def _decode(self, token: str, expected: str) -> dict[str, Any]:
        """The claims of a token whose header, signature, issuer and audience check out. Raises 401."""
        invalid = UnauthorizedError(f"Nieprawidłowy token: oczekiwano: {expected}.")
        header, _, rest = token.partition(".")
        body, _, signature_segment = rest.partition(".")
        if header != self._header or not body or "." in signature_segment:
            raise invalid
        try:
            signature = _unb64(signature_segment)
            if len(signature) != 64:
                raise invalid
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            self._verification_key.verify(der, f"{header}.{body}".encode("ascii"), _ECDSA_SHA256)
            claims = json.loads(_unb64(body))
        except (InvalidSignature, ValueError, binascii.Error, UnicodeError) as error:
            raise invalid from error
        if not isinstance(claims, dict) or any(name not in claims for name in _REQUIRED_CLAIMS):
            raise invalid
        if claims["iss"] != self._issuer or claims["aud"] != self._issuer:
            raise invalid
        return claims

    def _claims(self, token: str, expected: str) -> dict[str, Any]:
        with self._cache_lock:
            cached = self._verified_claims.get(token)
            if cached is not None:
                return cached
        claims = self._decode(token, expected)
        with self._cache_lock:
            self._verified_claims[token] = claims
            while len(self._verified_claims) > VERIFIED_TOKEN_CACHE_SIZE:
                self._verified_claims.popitem(last=False)
        return claims

    def verify(self, token: str, *, kinds: Collection[TokenKind], now: datetime) -> VerifiedToken:
        """Check signature, issuer, audience, kind and lifetime. Raises `UnauthorizedError` (401) on any failure."""
        expected = " albo ".join(kind.polish_name for kind in kinds)
        claims = self._claims(token, expected)
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
