"""The tokens of a logged-in client, as a small immutable value that round-trips through JSON.

The client does no file I/O: a caller that wants to keep a login (the CLI's per-environment profile) stores
`TokenState.to_dict()` and later passes `TokenState.from_dict(...)` back to `KsefClient(tokens=...)`, and listens to
`on_tokens_changed` to save the new access token after an automatic refresh. Tokens are secrets: `repr()` never shows
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ksef_mcu.client.errors import KsefInvalidInputError

__all__ = [
    "TOKEN_STATE_VERSION",
    "Token",
    "TokenState",
]

TOKEN_STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token (JWT, opaque to the client) and the moment it stops being valid (timezone-aware, UTC)."""

    token: str
    valid_until: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.token, str) or not self.token:
            raise KsefInvalidInputError("Token nie może być pusty.", field="token")
        if not isinstance(self.valid_until, datetime) or self.valid_until.tzinfo is None:
            raise KsefInvalidInputError("Termin ważności tokenu musi mieć strefę czasową.", field="valid_until")
        object.__setattr__(self, "valid_until", self.valid_until.astimezone(UTC))

    def is_valid(self, now: datetime, *, margin: timedelta = timedelta(0)) -> bool:
        """True when the token is still valid `margin` after `now`."""
        return now + margin < self.valid_until

    def __repr__(self) -> str:
        return f"Token(token='…', valid_until={self.valid_until.isoformat()!r})"


@dataclass(frozen=True, slots=True)
class TokenState:
    """The access token, the refresh token that renews it, and the authentication operation they came from."""

    access_token: Token
    refresh_token: Token | None = None
    reference_number: str | None = None

    def with_access_token(self, access_token: Token) -> TokenState:
        """The same state with a new access token (after a refresh)."""
        return replace(self, access_token=access_token)

    def can_refresh(self, now: datetime) -> bool:
        """True when a refresh token is held and still valid at `now`."""
        return self.refresh_token is not None and self.refresh_token.is_valid(now)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (strings and None only, plus the format `version`)."""
        return {
            "version": TOKEN_STATE_VERSION,
            "accessToken": self.access_token.token,
            "accessTokenValidUntil": self.access_token.valid_until.isoformat(),
            "refreshToken": self.refresh_token.token if self.refresh_token else None,
            "refreshTokenValidUntil": self.refresh_token.valid_until.isoformat() if self.refresh_token else None,
            "referenceNumber": self.reference_number,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TokenState:
        """The state saved by `to_dict`.

        Raises `KsefInvalidInputError` when the data is damaged or of another format version.
        """
        if not isinstance(data, Mapping) or data.get("version") != TOKEN_STATE_VERSION:
            raise KsefInvalidInputError("Zapisane tokeny mają nieznany format; zaloguj się ponownie.", field="tokens")
        access = _token(data, "accessToken", "accessTokenValidUntil")
        if access is None:
            raise KsefInvalidInputError("Zapisane tokeny nie zawierają tokenu dostępu.", field="tokens")
        reference_number = data.get("referenceNumber")
        if reference_number is not None and not isinstance(reference_number, str):
            raise KsefInvalidInputError("Zapisany numer referencyjny jest nieprawidłowy.", field="tokens")
        return cls(
            access_token=access,
            refresh_token=_token(data, "refreshToken", "refreshTokenValidUntil"),
            reference_number=reference_number,
        )

    def __repr__(self) -> str:
        return (
            f"TokenState(access_token={self.access_token!r}, refresh_token={self.refresh_token!r}, "
            f"reference_number={self.reference_number!r})"
        )


def _token(data: Mapping[str, object], token_key: str, valid_until_key: str) -> Token | None:
    token, valid_until = data.get(token_key), data.get(valid_until_key)
    if token is None and valid_until is None:
        return None
    if not isinstance(token, str) or not isinstance(valid_until, str):
        raise KsefInvalidInputError(f"Zapisany token {token_key} jest niekompletny.", field="tokens")
    try:
        moment = datetime.fromisoformat(valid_until)
    except ValueError:
        message = f"Zapisany termin ważności {valid_until_key} jest nieprawidłowy."
        raise KsefInvalidInputError(message, field="tokens") from None
    if moment.tzinfo is None:
        raise KsefInvalidInputError(
            f"Zapisany termin ważności {valid_until_key} nie ma strefy czasowej.", field="tokens"
        )
    return Token(token, moment)
