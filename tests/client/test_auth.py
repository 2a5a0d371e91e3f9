"""Authentication: the XAdES login flow, failures, sessions, logout; and the MF public keys."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ksef_mcu.client import (
    AuthenticationChallenge,
    AuthenticationOperationStatus,
    KsefApiError,
    KsefAuthenticationFailedError,
    KsefInvalidInputError,
    KsefPollingTimeoutError,
    PublicKeyCertificateUsage,
    TokenState,
    select_public_key_certificate,
)

from .fakes import START, FakeClock, FakeKsef, all_paths, bearer, make_client, ok, problem, tokens

CHALLENGE = "20250514-CR-226FB7B000-3ACF9BE4C0-10"
AUTH_REFERENCE = "20250514-AU-2DFC46C000-3AC6D5877F-D4"
SIGNED = b'<?xml version="1.0" encoding="utf-8"?><AuthTokenRequest>signed</AuthTokenRequest>'


def _challenge() -> httpx.Response:
    return ok(
        {
            "challenge": CHALLENGE,
            "timestamp": "2026-03-02T09:00:00.1234567+00:00",
            "timestampMs": 1772442000123,
            "clientIp": "127.0.0.1",
        }
    )


def _init() -> httpx.Response:
    return ok(
        {
            "referenceNumber": AUTH_REFERENCE,
            "authenticationToken": {"token": "auth-token", "validUntil": "2026-03-02T09:45:00+00:00"},
        },
        status=202,
    )


def _auth_status(code: int, description: str = "", details: list[str] | None = None) -> httpx.Response:
    return ok(
        {
            "startDate": "2026-03-02T09:00:00+00:00",
            "authenticationMethod": "QualifiedSeal",
            "authenticationMethodInfo": {
                "category": "XadesSignature",
                "code": "xades.qualified-seal",
                "displayName": "Pieczęć kwalifikowana",
            },
            "status": {"code": code, "description": description or f"status {code}", "details": details},
        }
    )


def _redeemed() -> httpx.Response:
    return ok(
        {
            "accessToken": {"token": "access-new", "validUntil": "2026-03-02T09:15:00+00:00"},
            "refreshToken": {"token": "refresh-new", "validUntil": "2026-03-09T09:00:00+00:00"},
        }
    )


def _script_login(fake: FakeKsef, *statuses: httpx.Response) -> None:
    fake.on("POST", "/auth/challenge", _challenge())
    fake.on("POST", "/auth/xades-signature", _init())
    fake.on("GET", f"/auth/{AUTH_REFERENCE}", *statuses)
    fake.on("POST", "/auth/token/redeem", _redeemed())


def test_login_with_xades_runs_the_whole_flow_and_keeps_the_tokens(fake: FakeKsef, clock: FakeClock) -> None:
    _script_login(fake, _auth_status(100), _auth_status(200, "Uwierzytelnianie zakończone sukcesem"))
    signed_for: list[AuthenticationChallenge] = []
    progress: list[AuthenticationOperationStatus] = []
    changes: list[TokenState | None] = []

    def sign(challenge: AuthenticationChallenge) -> bytes:
        signed_for.append(challenge)
        return SIGNED

    with make_client(fake, clock, on_tokens_changed=changes.append) as client:
        state = client.auth.login_with_xades(sign, verify_certificate_chain=False, on_progress=progress.append)
        assert client.tokens == state
    assert state.access_token.token == "access-new"
    assert state.refresh_token is not None
    assert state.refresh_token.valid_until == datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert state.reference_number == AUTH_REFERENCE
    assert changes == [state]
    assert [challenge.challenge for challenge in signed_for] == [CHALLENGE]
    assert signed_for[0].timestamp_ms == 1772442000123
    assert [item.status.code for item in progress] == [100, 200]
    assert progress[0].authentication_method_info is not None
    assert progress[0].authentication_method_info.code == "xades.qualified-seal"
    assert all_paths(fake.requests) == [
        "POST /auth/challenge",
        "POST /auth/xades-signature",
        f"GET /auth/{AUTH_REFERENCE}",
        f"GET /auth/{AUTH_REFERENCE}",
        "POST /auth/token/redeem",
    ]
    challenge_request, xades, status_request, _, redeem = fake.requests
    assert bearer(challenge_request) is None
    assert bearer(xades) is None
    assert xades.headers["content-type"] == "application/xml"
    assert xades.content == SIGNED
    assert dict(xades.url.params) == {"verifyCertificateChain": "false"}
    assert bearer(status_request) == "auth-token"
    assert bearer(redeem) == "auth-token"
    assert clock.sleeps == [0.5]


def test_verify_certificate_chain_is_sent_only_when_given(fake: FakeKsef, clock: FakeClock) -> None:
    _script_login(fake, _auth_status(200))
    with make_client(fake, clock) as client:
        client.auth.login_with_xades(lambda _: SIGNED)
        client.auth.login_with_xades(lambda _: SIGNED, verify_certificate_chain=True)
    first, second = fake.calls("POST", "/auth/xades-signature")
    assert "verifyCertificateChain" not in first.url.params
    assert second.url.params["verifyCertificateChain"] == "true"


@pytest.mark.parametrize(
    ("code", "description", "details"),
    [
        (415, "Uwierzytelnianie zakończone niepowodzeniem", ["Brak przypisanych uprawnień"]),
        (460, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu", ["Certyfikat odwołany"]),
        (550, "Operacja została anulowana przez system", None),
    ],
)
def test_a_failed_authentication_raises_with_its_status(
    fake: FakeKsef, clock: FakeClock, code: int, description: str, details: list[str] | None
) -> None:
    _script_login(fake, _auth_status(100), _auth_status(code, description, details))
    with make_client(fake, clock) as client, pytest.raises(KsefAuthenticationFailedError) as info:
        client.auth.login_with_xades(lambda _: SIGNED)
    error = info.value
    assert error.status_code == code
    assert error.description == description
    assert error.details == tuple(details or ())
    assert error.reference_number == AUTH_REFERENCE
    assert str(code) in error.message
    assert fake.calls("POST", "/auth/token/redeem") == []
    assert client.tokens is None


def test_a_synchronous_xades_rejection_is_an_api_error(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/auth/challenge", _challenge())
    fake.on(
        "POST",
        "/auth/xades-signature",
        problem(
            400,
            detail="x",
            errors=[{"code": 9105, "description": "Nieprawidłowy podpis.", "details": ["Format podpisu niezgodny"]}],
        ),
    )
    with make_client(fake, clock) as client, pytest.raises(KsefApiError) as info:
        client.auth.login_with_xades(lambda _: SIGNED)
    assert info.value.code == 9105
    assert info.value.details == ("Format podpisu niezgodny",)


def test_login_times_out_when_authentication_stays_in_progress(fake: FakeKsef, clock: FakeClock) -> None:
    _script_login(fake, _auth_status(100))
    with make_client(fake, clock) as client, pytest.raises(KsefPollingTimeoutError) as info:
        client.auth.login_with_xades(lambda _: SIGNED, timeout=5)
    assert info.value.reference_number == AUTH_REFERENCE
    assert sum(clock.sleeps) == 5


def test_an_empty_signed_document_is_refused(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/auth/challenge", _challenge())
    with make_client(fake, clock) as client, pytest.raises(KsefInvalidInputError):
        client.auth.login_with_xades(lambda _: b"  ")
    assert all_paths(fake.requests) == ["POST /auth/challenge"]


def test_sessions_follow_the_continuation_token(fake: FakeKsef, clock: FakeClock) -> None:
    def item(number: int, *, current: bool = False) -> dict[str, Any]:
        return {
            "referenceNumber": f"20250514-AU-2DFC46C000-3AC6D5877F-{number:02X}",
            "startDate": "2026-03-02T09:00:00+00:00",
            "authenticationMethod": "InternalCertificate",
            "authenticationMethodInfo": {
                "category": "XadesSignature",
                "code": "xades.ksef-certificate",
                "displayName": "Certyfikat KSeF",
            },
            "status": {"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"},
            "isCurrent": current,
        }

    fake.on(
        "GET",
        "/auth/sessions",
        ok({"items": [item(1, current=True), item(2)], "continuationToken": "next-page"}),
        ok({"items": [item(3)], "continuationToken": None}),
    )
    with make_client(fake, clock, token_state=tokens()) as client:
        found = list(client.auth.sessions(page_size=10))
    assert [session.reference_number[-2:] for session in found] == ["01", "02", "03"]
    assert found[0].is_current
    assert not found[1].is_current
    first, second = fake.requests
    assert "x-continuation-token" not in first.headers
    assert second.headers["x-continuation-token"] == "next-page"
    assert dict(first.url.params) == {"pageSize": "10"}
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError):
        client.auth.sessions(page_size=101)


def test_logout_ends_the_session_and_forgets_the_tokens(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("DELETE", "/auth/sessions/current", ok(status=204))
    changes: list[TokenState | None] = []
    with make_client(fake, clock, token_state=tokens(), on_tokens_changed=changes.append) as client:
        client.auth.logout()
        assert client.tokens is None
        client.auth.logout()  # a second logout has nothing to do
    [request] = fake.requests
    assert bearer(request) == "access-1"
    assert changes == [None]


def test_logout_with_an_expired_access_token_uses_the_refresh_token(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("DELETE", "/auth/sessions/current", ok(status=204))
    clock.now = START + timedelta(hours=1)
    with make_client(fake, clock, token_state=tokens()) as client:
        client.auth.logout()
    assert [bearer(request) for request in fake.requests] == ["refresh-1"]


def test_logout_forgets_tokens_ksef_no_longer_accepts(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("DELETE", "/auth/sessions/current", problem(401, detail="Token nieważny."))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.auth.logout()
        assert client.tokens is None


def test_logout_keeps_tokens_when_ksef_fails(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("DELETE", "/auth/sessions/current", httpx.Response(500))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefApiError):
        client.auth.logout()
    assert client.tokens == tokens()


def test_revoke_session(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("DELETE", f"/auth/sessions/{AUTH_REFERENCE}", ok(status=204))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.auth.revoke_session(AUTH_REFERENCE)
    assert bearer(fake.requests[0]) == "access-1"


def test_public_key_certificates_and_the_selection_rule(
    fake: FakeKsef, clock: FakeClock, certificate: x509.Certificate
) -> None:
    der = base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()

    def key(valid_from: str, valid_to: str, usage: list[str]) -> dict[str, Any]:
        return {
            "certificate": der,
            "certificateId": "id",
            "publicKeyId": "pk",
            "validFrom": valid_from,
            "validTo": valid_to,
            "usage": usage,
        }

    fake.on(
        "GET",
        "/security/public-key-certificates",
        ok(
            [
                key("2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z", ["KsefTokenEncryption"]),
                key("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z", ["KsefTokenEncryption", "FutureUsage"]),
                key("2026-06-01T00:00:00Z", "2028-01-01T00:00:00Z", ["KsefTokenEncryption"]),
                key("2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z", ["SymmetricKeyEncryption"]),
            ]
        ),
    )
    with make_client(fake, clock) as client:
        keys = client.security.public_key_certificates()
    assert bearer(fake.requests[0]) is None
    assert len(keys) == 4
    assert keys[0].certificate == certificate
    assert keys[1].usage == (PublicKeyCertificateUsage.KSEF_TOKEN_ENCRYPTION, "FutureUsage")
    chosen = select_public_key_certificate(keys, PublicKeyCertificateUsage.KSEF_TOKEN_ENCRYPTION, now=START)
    assert chosen is keys[1]  # valid now, latest validFrom; keys[2] is not valid yet
    symmetric = select_public_key_certificate(keys, PublicKeyCertificateUsage.SYMMETRIC_KEY_ENCRYPTION, now=START)
    assert symmetric is keys[3]
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert select_public_key_certificate(keys, PublicKeyCertificateUsage.SYMMETRIC_KEY_ENCRYPTION, now=later) is None
