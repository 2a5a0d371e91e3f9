"""JWTs: what they carry, and everything that must make them fail."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.identifiers import (
    AllowedIps,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifier,
    SubjectIdentifierType,
)
from ksef_mcu.server.auth.model import AuthenticationMethod, ContextPermissions, Permission, SubjectDetails
from ksef_mcu.server.auth.tokens import TokenKind, TokenService
from ksef_mcu.server.errors import UnauthorizedError

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REFERENCE = "20260302-AU-0123456789-ABCDEF0123-45"
CONTEXT = ContextIdentifier(ContextIdentifierType.NIP, "5265877635")
SUBJECT = SubjectDetails(
    identifier=SubjectIdentifier(SubjectIdentifierType.NIP, "5265877635"),
    given_names=("Anna",),
    surname="Testowa",
    serial_number="TINPL-5265877635",
    common_name="Anna Testowa",
    country_name="PL",
)
KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(signing_key=KEY, key_id="test-key", issuer="ksef-mcu")


def access_token(tokens: TokenService, **overrides: object) -> str:
    options: dict[str, object] = {
        "context": CONTEXT,
        "subject": SUBJECT,
        "method": AuthenticationMethod.QUALIFIED_SIGNATURE,
        "permissions": ContextPermissions((Permission.OWNER,)),
        "allowed_ips": None,
        "now": NOW,
        "lifetime": timedelta(minutes=15),
        **overrides,
    }
    return tokens.issue_access_token(REFERENCE, **options).token  # type: ignore[arg-type]


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def forge(claims: dict[str, object], *, key: object = KEY, algorithm: str = "ES256", kid: str = "test-key") -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})  # type: ignore[arg-type]


class TestAccessTokenClaims:
    def test_carries_what_the_official_clients_read(self, tokens: TokenService) -> None:
        claims = claims_of(access_token(tokens))
        assert claims["typ"] == "ContextToken"
        assert claims["arn"] == REFERENCE
        assert claims["cit"] == "Nip"
        assert claims["civ"] == "5265877635"
        assert claims["aum"] == "QualifiedSignature"
        assert claims["iss"] == claims["aud"] == "ksef-mcu"
        assert claims["exp"] - claims["iat"] == 900  # type: ignore[operator]
        assert json.loads(claims["per"]) == ["Owner"]  # type: ignore[arg-type]
        effective = json.loads(claims["pep"])  # type: ignore[arg-type]
        assert "InvoiceWrite" in effective
        assert "CredentialsManage" in effective
        assert "VatUeManage" not in effective
        subject = json.loads(claims["sud"])  # type: ignore[arg-type]
        assert subject["SubjectIdentifier"] == {"Type": "Nip", "Value": "5265877635"}
        assert subject["GivenNames"] == ["Anna"]
        assert "ipp" not in claims
        assert "rol" not in claims

    def test_ip_policy_and_roles(self, tokens: TokenService) -> None:
        token = access_token(
            tokens,
            allowed_ips=AllowedIps(ip4_addresses=("192.168.0.1",), ip4_masks=("10.0.0.0/8",)),
            permissions=ContextPermissions((Permission.OWNER,), roles=("CourtBailiff",)),
        )
        claims = claims_of(token)
        assert json.loads(claims["ipp"]) == {  # type: ignore[arg-type]
            "allowedIps": {"ip4Addresses": ["192.168.0.1"], "ip4Ranges": [], "ip4Masks": ["10.0.0.0/8"]}
        }
        assert json.loads(claims["rol"]) == ["CourtBailiff"]  # type: ignore[arg-type]
        principal = tokens.verify(token, kinds=[TokenKind.ACCESS], now=NOW).principal()
        assert principal.allowed_ips == AllowedIps(ip4_addresses=("192.168.0.1",), ip4_masks=("10.0.0.0/8",))

    def test_principal(self, tokens: TokenService) -> None:
        verified = tokens.verify(access_token(tokens), kinds=[TokenKind.ACCESS], now=NOW)
        principal = verified.principal()
        assert principal.context == CONTEXT
        assert principal.subject == SUBJECT.identifier
        assert principal.reference_number == REFERENCE
        assert principal.authentication_method is AuthenticationMethod.QUALIFIED_SIGNATURE
        assert "InvoiceRead" in principal.permissions

    def test_every_token_is_unique(self, tokens: TokenService) -> None:
        first = tokens.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45))
        second = tokens.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45))
        assert first.token != second.token
        assert first.token_id != second.token_id
        assert first.valid_until == NOW + timedelta(minutes=45)


class TestKindsAreNotInterchangeable:
    @pytest.mark.parametrize(
        ("issued", "expected"),
        [
            (TokenKind.AUTHENTICATION, TokenKind.ACCESS),
            (TokenKind.REFRESH, TokenKind.ACCESS),
            (TokenKind.ACCESS, TokenKind.REFRESH),
            (TokenKind.ACCESS, TokenKind.AUTHENTICATION),
            (TokenKind.REFRESH, TokenKind.AUTHENTICATION),
            (TokenKind.AUTHENTICATION, TokenKind.REFRESH),
        ],
    )
    def test_refused(self, tokens: TokenService, issued: TokenKind, expected: TokenKind) -> None:
        token = {
            TokenKind.AUTHENTICATION: lambda: (
                tokens.issue_authentication_token(REFERENCE, now=NOW, lifetime=timedelta(minutes=45)).token
            ),
            TokenKind.REFRESH: lambda: (
                tokens.issue_refresh_token(REFERENCE, context=CONTEXT, now=NOW, lifetime=timedelta(days=7)).token
            ),
            TokenKind.ACCESS: lambda: access_token(tokens),
        }[issued]()
        with pytest.raises(UnauthorizedError, match="Nieprawidłowy rodzaj tokenu"):
            tokens.verify(token, kinds=[expected], now=NOW)
        assert tokens.verify(token, kinds=[issued], now=NOW).kind is issued


class TestRefused:
    def test_expired(self, tokens: TokenService) -> None:
        token = access_token(tokens)
        tokens.verify(token, kinds=[TokenKind.ACCESS], now=NOW + timedelta(minutes=14, seconds=59))
        with pytest.raises(UnauthorizedError, match="wygasł"):
            tokens.verify(token, kinds=[TokenKind.ACCESS], now=NOW + timedelta(minutes=15))

    def test_issued_in_the_future(self, tokens: TokenService) -> None:
        token = access_token(tokens, now=NOW + timedelta(minutes=5))
        with pytest.raises(UnauthorizedError):
            tokens.verify(token, kinds=[TokenKind.ACCESS], now=NOW)

    def test_signed_by_another_key(self, tokens: TokenService) -> None:
        claims = claims_of(access_token(tokens))
        with pytest.raises(UnauthorizedError):
            tokens.verify(forge(claims, key=ec.generate_private_key(ec.SECP256R1())), kinds=[TokenKind.ACCESS], now=NOW)

    def test_alg_none(self, tokens: TokenService) -> None:
        claims = claims_of(access_token(tokens))
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"test-key"}').rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        with pytest.raises(UnauthorizedError):
            tokens.verify(f"{header}.{body}.", kinds=[TokenKind.ACCESS], now=NOW)

    def test_hs256_with_the_public_key_as_secret(self, tokens: TokenService) -> None:
        from cryptography.hazmat.primitives import serialization

        public_pem = KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"test-key"}').rstrip(b"=")
        body = base64.urlsafe_b64encode(json.dumps(claims_of(access_token(tokens))).encode()).rstrip(b"=")
        import hashlib
        import hmac

        signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + body, hashlib.sha256).digest())
        token = b".".join([header, body, signature.rstrip(b"=")]).decode()
        with pytest.raises(UnauthorizedError):
            tokens.verify(token, kinds=[TokenKind.ACCESS], now=NOW)

    def test_tampered_payload(self, tokens: TokenService) -> None:
        header, _, signature = access_token(tokens).split(".")
        claims = claims_of(access_token(tokens))
        claims["civ"] = "1111111111"
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        with pytest.raises(UnauthorizedError):
            tokens.verify(f"{header}.{body}.{signature}", kinds=[TokenKind.ACCESS], now=NOW)

    def test_respelled_signature(self, tokens: TokenService) -> None:
        # 64 signature bytes take 86 base64url characters; the last one carries four unused bits. Flipping one gives
        # another string with the same bytes: a second spelling of a token is refused, not verified.
        token = access_token(tokens)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        respelled = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 0b0001]
        assert tokens.verify(token, kinds=[TokenKind.ACCESS], now=NOW)
        with pytest.raises(UnauthorizedError):
            tokens.verify(respelled, kinds=[TokenKind.ACCESS], now=NOW)

    def test_other_issuer(self, tokens: TokenService) -> None:
        other = TokenService(signing_key=KEY, key_id="test-key", issuer="somebody-else")
        with pytest.raises(UnauthorizedError):
            tokens.verify(access_token(other), kinds=[TokenKind.ACCESS], now=NOW)

    def test_missing_claims(self, tokens: TokenService) -> None:
        claims = claims_of(access_token(tokens))
        del claims["jti"]
        with pytest.raises(UnauthorizedError):
            tokens.verify(forge(claims), kinds=[TokenKind.ACCESS], now=NOW)

    @pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x", "e30.e30.e30"])
    def test_garbage(self, tokens: TokenService, garbage: str) -> None:
        with pytest.raises(UnauthorizedError):
            tokens.verify(garbage, kinds=[TokenKind.ACCESS], now=NOW)

    def test_access_token_without_subject_details_has_no_principal(self, tokens: TokenService) -> None:
        claims = claims_of(access_token(tokens))
        del claims["sud"]
        verified = tokens.verify(forge(claims), kinds=[TokenKind.ACCESS], now=NOW)
        with pytest.raises(UnauthorizedError):
            verified.principal()


class TestStandardJws:
    def test_a_standard_library_verifies_our_tokens(self, tokens: TokenService) -> None:
        decoded = jwt.decode(
            access_token(tokens),
            KEY.public_key(),
            algorithms=["ES256"],
            audience="ksef-mcu",
            options={"verify_exp": False, "verify_iat": False},
        )
        assert decoded["typ"] == "ContextToken"
        assert jwt.get_unverified_header(access_token(tokens)) == {"alg": "ES256", "kid": "test-key", "typ": "JWT"}

    def test_tokens_from_a_standard_library_with_our_key_are_accepted(self, tokens: TokenService) -> None:
        assert tokens.verify(forge(claims_of(access_token(tokens))), kinds=[TokenKind.ACCESS], now=NOW)

    def test_other_key_id_is_refused(self, tokens: TokenService) -> None:
        with pytest.raises(UnauthorizedError):
            tokens.verify(forge(claims_of(access_token(tokens)), kid="other"), kinds=[TokenKind.ACCESS], now=NOW)

    def test_der_encoded_signature_is_refused(self, tokens: TokenService) -> None:
        from cryptography.hazmat.primitives import hashes

        header, body, _ = access_token(tokens).split(".")
        der = KEY.sign(f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        signature = base64.urlsafe_b64encode(der).rstrip(b"=").decode()
        with pytest.raises(UnauthorizedError):
            tokens.verify(f"{header}.{body}.{signature}", kinds=[TokenKind.ACCESS], now=NOW)
