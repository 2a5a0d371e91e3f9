"""The verified-token cache: a token's signature is checked once, but kind and expiry are checked on every use, and
nothing that did not verify is ever cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.server.auth import tokens as token_module
from ksef_mcu.server.auth.tokens import TokenKind, TokenService
from ksef_mcu.server.errors import UnauthorizedError

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REFERENCE = "20260302-AU-0123456789-ABCDEF0123-45"


@pytest.fixture
def service() -> TokenService:
    return TokenService(signing_key=ec.generate_private_key(ec.SECP256R1()), key_id="k", issuer="ksef-mcu")


def test_signature_is_checked_once(service: TokenService, monkeypatch: pytest.MonkeyPatch) -> None:
    token = service.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45)).token
    calls = []
    original = TokenService._decode

    def counting(self: TokenService, token: str, expected: str) -> dict[str, object]:
        calls.append(1)
        return original(self, token, expected)

    monkeypatch.setattr(TokenService, "_decode", counting)
    for _ in range(3):
        assert service.verify(token, kinds=[TokenKind.AUTHENTICATION], now=NOW).reference_number == REFERENCE
    assert len(calls) == 1


def test_kind_and_expiry_are_checked_on_every_use(service: TokenService) -> None:
    token = service.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45)).token
    service.verify(token, kinds=[TokenKind.AUTHENTICATION], now=NOW)
    with pytest.raises(UnauthorizedError, match="rodzaj tokenu"):
        service.verify(token, kinds=[TokenKind.ACCESS], now=NOW)
    with pytest.raises(UnauthorizedError, match="wygasł"):
        service.verify(token, kinds=[TokenKind.AUTHENTICATION], now=NOW + timedelta(minutes=45))


def test_a_tampered_token_is_not_served_from_the_cache(service: TokenService) -> None:
    token = service.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45)).token
    service.verify(token, kinds=[TokenKind.AUTHENTICATION], now=NOW)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for _ in range(2):  # a failure is never remembered as a success
        with pytest.raises(UnauthorizedError):
            service.verify(forged, kinds=[TokenKind.AUTHENTICATION], now=NOW)


def test_the_cache_is_bounded(service: TokenService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(token_module, "VERIFIED_TOKEN_CACHE_SIZE", 3)
    issued = [
        service.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45)).token for _ in range(5)
    ]
    for token in issued:
        service.verify(token, kinds=[TokenKind.AUTHENTICATION], now=NOW)
    assert list(service._verified_claims) == issued[2:]
