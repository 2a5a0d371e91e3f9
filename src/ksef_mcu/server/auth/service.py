"""The authentication flow: challenges, XAdES login, its status, token redemption and refresh, authentication
sessions, and deleting what has expired.

A login is decided while `POST /auth/xades-signature` runs (one short transaction), so the first
`GET /auth/{referenceNumber}` already reports the outcome; status 100 never shows. What ends a request with HTTP 400
and what becomes a failed status is listed in `docs/server.md` ("Synchronous and asynchronous login failures").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER, sha256_fingerprint
from ksef_mcu.crypto.encryption import KsefTokenError, decrypt_ksef_token, timestamp_ms
from ksef_mcu.crypto.xades import VerifiedLogin
from ksef_mcu.identifiers import AllowedIps, ContextIdentifier, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.hooks import IssuedCertificateVerdict, KsefTokenVerdict, LoginHooks
from ksef_mcu.server.auth.model import (
    BLOCKED_DETAIL,
    DECEASED_DETAIL,
    NO_PERMISSIONS_DETAIL,
    REVOKED_DETAIL,
    AuthenticationMethod,
    AuthenticationRecord,
    AuthStatus,
    AuthStatusCode,
    ContextPermissions,
    Permission,
    Principal,
    SubjectDetails,
    TokenProblem,
)
from ksef_mcu.server.auth.repositories.authentications import AuthenticationRepository
from ksef_mcu.server.auth.repositories.blocked_contexts import BlockedContextRepository
from ksef_mcu.server.auth.repositories.challenges import ChallengeRepository, ChallengeUse
from ksef_mcu.server.auth.tokens import IssuedToken, TokenKind, TokenService, VerifiedToken
from ksef_mcu.server.auth.trust import TrustStore, certificate_time_problem
from ksef_mcu.server.auth.xades_login import verify_xades_login
from ksef_mcu.server.continuation import decode_keyset, encode_keyset
from ksef_mcu.server.errors import (
    AuthenticationNotFoundError,
    BadRequestError,
    DeceasedPersonError,
    ForbiddenError,
    GoneError,
    InputValidationError,
    InvalidChallengeError,
    NotAuthorizedError,
    UnauthorizedError,
)
from ksef_mcu.server.keys import EncryptionKeyUsage, ServerKeys
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.server.settings import ServerMode, ServerSettings
from ksef_mcu.storage.database import Database

CHALLENGE_KEEP_AFTER_EXPIRY = timedelta(hours=1)
"""An expired challenge is kept this long after it expired (then housekeeping deletes it)."""

LoginVerifier = Callable[[bytes, datetime], VerifiedLogin]
"""Checks a signed AuthTokenRequest; raises a `BadRequestError` for what is refused synchronously."""


@dataclass(frozen=True, slots=True)
class StartedAuthentication:
    reference_number: str
    authentication_token: IssuedToken


@dataclass(frozen=True, slots=True)
class RedeemedTokens:
    access_token: IssuedToken
    refresh_token: IssuedToken


@dataclass(frozen=True, slots=True)
class SessionPage:
    items: list[AuthenticationRecord]
    continuation_token: str | None


def _attributes(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = _attributes(name, oid)
    return values[0] if values else None


def subject_details(certificate: x509.Certificate, identifier: SubjectIdentifier) -> SubjectDetails:
    """The naming attributes of the login certificate, as the token's `sud` claim and the CSR data report them."""
    name = certificate.subject
    return SubjectDetails(
        identifier=identifier,
        given_names=tuple(_attributes(name, NameOID.GIVEN_NAME)),
        surname=_first(name, NameOID.SURNAME),
        serial_number=_first(name, NameOID.SERIAL_NUMBER),
        common_name=_first(name, NameOID.COMMON_NAME),
        country_name=_first(name, NameOID.COUNTRY_NAME),
        organization_name=_first(name, NameOID.ORGANIZATION_NAME),
        organization_identifier=_first(name, ORGANIZATION_IDENTIFIER),
        unique_identifier=_first(name, NameOID.X500_UNIQUE_IDENTIFIER),
    )


def is_seal(certificate: x509.Certificate) -> bool:
    """An organisation's seal certificate: it names an organisation identifier and no natural person."""
    name = certificate.subject
    has_person = bool(_attributes(name, NameOID.GIVEN_NAME) or _attributes(name, NameOID.SURNAME))
    return bool(_attributes(name, ORGANIZATION_IDENTIFIER)) and not has_person


def _token_permissions(held: ContextPermissions, fixed: tuple[str, ...]) -> ContextPermissions:
    """What a KSeF-token login may do: the token's fixed permissions that its author still holds (effectively)."""
    effective = held.effective
    return ContextPermissions(tuple(Permission(p) for p in fixed if Permission(p) in effective), held.roles)


@dataclass(frozen=True, slots=True)
class IssuedChallenge:
    challenge: str
    timestamp: datetime
    client_ip: str

    @property
    def timestamp_ms(self) -> int:
        """The same instant in Unix milliseconds (what a KSeF-token login encrypts with the token)."""
        return int(self.timestamp.timestamp() * 1000)


class ChallengeService:
    """Challenges: issued by `POST /auth/challenge`, valid for `challenge_lifetime` (ten minutes), usable once."""

    def __init__(self, database: Database, clock: Clock, *, lifetime: timedelta) -> None:
        self._database = database
        self._clock = clock
        self._lifetime = lifetime

    def issue(self, client_ip: str) -> IssuedChallenge:
        """Create and store a fresh challenge for a caller at `client_ip`."""
        now = self._clock.now()
        # Millisecond precision, so `timestamp` and `timestampMs` name exactly the same instant.
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        challenge = new_reference_number(ReferenceKind.CHALLENGE, now=now)
        with self._database.write_one() as connection:
            ChallengeRepository(connection).add(
                challenge, issued_at=now, expires_at=now + self._lifetime, client_ip=client_ip
            )
        return IssuedChallenge(challenge, now, client_ip)


class AuthenticationService:
    """Policy of the whole login flow. Stateless; every method is one unit of work."""

    def __init__(
        self,
        *,
        settings: ServerSettings,
        database: Database,
        clock: Clock,
        tokens: TokenService,
        trust: TrustStore,
        hooks: LoginHooks,
        verify_login: LoginVerifier = verify_xades_login,
        keys: ServerKeys | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._tokens = tokens
        self._trust = trust
        self._hooks = hooks  # read on every use: a replaced resolver or an added authority counts at once
        self._verify_login = verify_login
        self._keys = keys

    # --- login --------------------------------------------------------------------------------------------------

    def start_xades(self, xml: bytes, *, verify_certificate_chain: bool, client_ip: str) -> StartedAuthentication:
        """Verify a signed AuthTokenRequest, decide the login and record it.

        Raises `BadRequestError` subclasses for what the official API refuses synchronously (malformed or
        wrongly signed documents, unknown or used challenges, certificates without a usable identifier).
        """
        now = self._clock.now()
        evidence = self._verify_login(xml, now)
        reference_number = new_reference_number(ReferenceKind.AUTHENTICATION, now=now)
        token = self._tokens.issue_authentication_token(
            reference_number, now=now, lifetime=self._settings.authentication_token_lifetime
        )
        with self._database.write() as connection:
            use = ChallengeRepository(connection).consume(evidence.challenge, now=now)
            if use is ChallengeUse.UNKNOWN:
                raise InvalidChallengeError(f"Wyzwanie {evidence.challenge} nie zostało wydane przez ten system.")
            if use is ChallengeUse.ALREADY_USED:
                raise InvalidChallengeError(f"Wyzwanie {evidence.challenge} zostało już wykorzystane.")
            verdict = self._internal_verdict(connection, evidence.certificate, now=now)
            subject = self._subject(evidence, verdict)
            method = self._method(evidence.certificate, verdict)
            if use is ChallengeUse.EXPIRED:
                status = AuthStatus.of(AuthStatusCode.INVALID_TOKEN, TokenProblem.INVALID_CHALLENGE.value)
            else:
                status = self._decide(connection, evidence, subject, verdict, verify_certificate_chain, now=now)
            AuthenticationRepository(connection).add(
                AuthenticationRecord(
                    reference_number=reference_number,
                    started_at=now,
                    client_ip=client_ip,
                    context=evidence.context,
                    subject=subject,
                    authentication_method=method,
                    certificate_fingerprint=sha256_fingerprint(evidence.certificate),
                    certificate_der=evidence.certificate.public_bytes(Encoding.DER),
                    subject_details=subject_details(evidence.certificate, subject),
                    allowed_ips=evidence.allowed_ips,
                    status=status,
                    authentication_token_valid_until=token.valid_until,
                )
            )
        return StartedAuthentication(reference_number, token)

    def start_ksef_token(
        self,
        *,
        challenge: str,
        context: ContextIdentifier,
        encrypted_token: str,
        public_key_id: str | None,
        allowed_ips: AllowedIps | None,
        client_ip: str,
    ) -> StartedAuthentication:
        """`POST /auth/ksef-token`: decrypt `{token}|{timestampMs}` with our `KsefTokenEncryption` key, decide the
        login and record it. The token itself is never stored or logged, only its reference number.

        Raises 21405 (not Base64), 21470 (another key named) and 21111 (challenge unknown or used) synchronously;
        everything about the token itself becomes status 450 (or 415/470/480 like any login).
        """
        keys = self._keys
        certificate = (
            next((c for c in keys.encryption_certificates if c.usage is EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION), None)
            if keys is not None
            else None
        )
        if keys is None or certificate is None:
            raise BadRequestError("Serwer nie ma klucza KsefTokenEncryption.", code=21470)
        if public_key_id is not None and public_key_id != certificate.public_key_id:
            raise BadRequestError(f"Klucz o identyfikatorze {public_key_id} nie jest wspierany.", code=21470)
        try:
            ciphertext = base64.b64decode(encrypted_token, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InputValidationError("encryptedToken: to nie jest poprawny ciąg Base64.") from error
        if not ciphertext:
            raise InputValidationError("encryptedToken: zaszyfrowany token jest pusty.")
        now = self._clock.now()
        reference_number = new_reference_number(ReferenceKind.AUTHENTICATION, now=now)
        token = self._tokens.issue_authentication_token(
            reference_number, now=now, lifetime=self._settings.authentication_token_lifetime
        )
        with self._database.write() as connection:
            challenges = ChallengeRepository(connection)
            issued_at = challenges.issued_at(challenge)
            use = challenges.consume(challenge, now=now)
            if use is ChallengeUse.UNKNOWN or issued_at is None:
                raise InvalidChallengeError(f"Wyzwanie {challenge} nie zostało wydane przez ten system.")
            if use is ChallengeUse.ALREADY_USED:
                raise InvalidChallengeError(f"Wyzwanie {challenge} zostało już wykorzystane.")
            verdict: KsefTokenVerdict | None = None
            if use is ChallengeUse.EXPIRED:
                status = AuthStatus.of(AuthStatusCode.INVALID_TOKEN, TokenProblem.INVALID_CHALLENGE.value)
            else:
                status, verdict = self._decide_token(
                    connection, ciphertext, keys, context, expected_ms=timestamp_ms(issued_at), now=now
                )
            # A token nobody can read names no subject: the context's NIP stands in for it in the record.
            subject = (
                verdict.author
                if verdict is not None
                else SubjectIdentifier(SubjectIdentifierType.NIP, context.nip or context.value)
            )
            AuthenticationRepository(connection).add(
                AuthenticationRecord(
                    reference_number=reference_number,
                    started_at=now,
                    client_ip=client_ip,
                    context=context,
                    subject=subject,
                    authentication_method=AuthenticationMethod.TOKEN,
                    certificate_fingerprint=None,
                    certificate_der=None,
                    subject_details=SubjectDetails(identifier=subject),
                    allowed_ips=allowed_ips,
                    status=status,
                    authentication_token_valid_until=token.valid_until,
                    ksef_token_reference=verdict.reference_number if verdict is not None else None,
                )
            )
        return StartedAuthentication(reference_number, token)

    def _decide_token(
        self,
        connection: Connection,
        ciphertext: bytes,
        keys: ServerKeys,
        context: ContextIdentifier,
        *,
        expected_ms: int,
        now: datetime,
    ) -> tuple[AuthStatus, KsefTokenVerdict | None]:
        invalid = AuthStatus.of(AuthStatusCode.INVALID_TOKEN, TokenProblem.INVALID.value)
        try:
            plaintext = decrypt_ksef_token(
                ciphertext,
                keys.decryption_key(EncryptionKeyUsage.KSEF_TOKEN_ENCRYPTION),
                expected_timestamp_ms=expected_ms,
            )
        except KsefTokenError as error:
            if error.detail.startswith("Nieprawidłowy czas"):
                return AuthStatus.of(AuthStatusCode.INVALID_TOKEN, TokenProblem.INVALID_TIME.value), None
            return invalid, None
        authority = self._hooks.ksef_tokens
        if authority is None:
            return invalid, None
        verdict = authority.check_login_token(connection, plaintext.token, now=now)
        if verdict.problem is TokenProblem.INVALID:
            return invalid, None  # not a token of ours: it names nobody
        if verdict.problem is not None:
            return AuthStatus.of(AuthStatusCode.INVALID_TOKEN, verdict.problem.value), verdict
        if verdict.context != context:
            return invalid, verdict
        if BlockedContextRepository(connection).is_blocked(context):
            return AuthStatus.of(AuthStatusCode.BLOCKED, BLOCKED_DETAIL), verdict
        standing = self._hooks.permissions.standing(connection, context, verdict.author)
        if standing.deceased:
            return AuthStatus.of(AuthStatusCode.DECEASED_PERSON, DECEASED_DETAIL), verdict
        if standing.permissions is None or not _token_permissions(standing.permissions, verdict.permissions):
            return AuthStatus.of(AuthStatusCode.NO_PERMISSIONS, NO_PERMISSIONS_DETAIL), verdict
        return AuthStatus.of(AuthStatusCode.SUCCEEDED), verdict

    def _internal_verdict(
        self, connection: Connection, certificate: x509.Certificate, *, now: datetime
    ) -> IssuedCertificateVerdict | None:
        for authority in self._hooks.certificate_authorities:
            verdict = authority.check_login_certificate(connection, certificate, now=now)
            if verdict is not None:
                return verdict
        return None

    @staticmethod
    def _subject(evidence: VerifiedLogin, verdict: IssuedCertificateVerdict | None) -> SubjectIdentifier:
        # Certificates from our CA carry the identity of whoever enrolled (which may be another certificate's
        # fingerprint), so the issuing module's word beats what the certificate's subject shows.
        return verdict.subject if verdict is not None else evidence.subject_identifier

    @staticmethod
    def _method(certificate: x509.Certificate, verdict: IssuedCertificateVerdict | None) -> AuthenticationMethod:
        if verdict is not None:
            return AuthenticationMethod.INTERNAL_CERTIFICATE
        return AuthenticationMethod.QUALIFIED_SEAL if is_seal(certificate) else AuthenticationMethod.QUALIFIED_SIGNATURE

    def _decide(
        self,
        connection: Connection,
        evidence: VerifiedLogin,
        subject: SubjectIdentifier,
        verdict: IssuedCertificateVerdict | None,
        verify_certificate_chain: bool,
        *,
        now: datetime,
    ) -> AuthStatus:
        problem = certificate_time_problem(evidence.certificate, now=now)
        if problem is None and verdict is not None:
            problem = verdict.problem
        strict = self._settings.mode is ServerMode.STRICT or verify_certificate_chain
        if problem is None and verdict is None and strict:
            problem = self._trust.check_chain(evidence.certificate, now=now)
        if problem is not None:
            return AuthStatus.of(AuthStatusCode.CERTIFICATE_ERROR, problem.value)
        return self._standing_status(connection, evidence.context, subject)

    def _standing_status(
        self, connection: Connection, context: ContextIdentifier, subject: SubjectIdentifier
    ) -> AuthStatus:
        """The outcome once the identity is proven: blocked context (480), deceased person (470), no permissions
        (415), else success."""
        if BlockedContextRepository(connection).is_blocked(context):
            return AuthStatus.of(AuthStatusCode.BLOCKED, BLOCKED_DETAIL)
        standing = self._hooks.permissions.standing(connection, context, subject, complete=False)
        if standing.deceased:
            return AuthStatus.of(AuthStatusCode.DECEASED_PERSON, DECEASED_DETAIL)
        if standing.permissions is None:
            return AuthStatus.of(AuthStatusCode.NO_PERMISSIONS, NO_PERMISSIONS_DETAIL)
        return AuthStatus.of(AuthStatusCode.SUCCEEDED)

    def start_test_login(
        self, context: ContextIdentifier, details: SubjectDetails, *, client_ip: str
    ) -> StartedAuthentication:
        """Sandbox only: the official TEST environment's test login ("Profil Zaufany" on the MCU screens) — the
        person or entity in `details` declared fictitious, no signature. Recorded as `TrustedProfile`; the outcome
        is decided as for a signed login (blocked context, permissions). Raises `ForbiddenError` in strict mode."""
        if self._settings.mode is not ServerMode.SANDBOX:
            raise ForbiddenError(
                "Logowanie testowe jest dostępne tylko w trybie sandbox.", reason_code="auth-method-not-allowed"
            )
        now = self._clock.now()
        reference_number = new_reference_number(ReferenceKind.AUTHENTICATION, now=now)
        token = self._tokens.issue_authentication_token(
            reference_number, now=now, lifetime=self._settings.authentication_token_lifetime
        )
        with self._database.write() as connection:
            status = self._standing_status(connection, context, details.identifier)
            AuthenticationRepository(connection).add(
                AuthenticationRecord(
                    reference_number=reference_number,
                    started_at=now,
                    client_ip=client_ip,
                    context=context,
                    subject=details.identifier,
                    authentication_method=AuthenticationMethod.TRUSTED_PROFILE,
                    certificate_fingerprint=None,
                    certificate_der=None,
                    subject_details=details,
                    allowed_ips=None,
                    status=status,
                    authentication_token_valid_until=token.valid_until,
                )
            )
        return StartedAuthentication(reference_number, token)

    # --- status, redeem, refresh --------------------------------------------------------------------------------

    def verify_token(self, token: str, *kinds: TokenKind) -> VerifiedToken:
        """Check a bearer token of one of `kinds` (401 otherwise)."""
        return self._tokens.verify(token, kinds=kinds, now=self._clock.now())

    def status(self, reference_number: str, authentication_token: str) -> AuthenticationRecord:
        """The operation named by `reference_number`, for the holder of its authentication token."""
        verified = self.verify_token(authentication_token, TokenKind.AUTHENTICATION)
        if verified.reference_number != reference_number:
            raise ForbiddenError(
                "Token nie dotyczy wskazanej operacji uwierzytelnienia.", reason_code="insufficient-resource-access"
            )
        with self._database.read() as connection:
            record = AuthenticationRepository(connection).get(reference_number)
        if record is None:
            raise AuthenticationNotFoundError(reference_number)
        if record.started_at + self._settings.authentication_retention < self._clock.now():
            raise GoneError()
        return record

    def _permissions_for_tokens(self, connection: Connection, record: AuthenticationRecord) -> ContextPermissions:
        standing = self._hooks.permissions.standing(connection, record.context, record.subject)
        if standing.deceased:
            raise DeceasedPersonError(reference_number=record.reference_number)
        permissions = standing.permissions
        if permissions is None:
            raise NotAuthorizedError(
                "Podmiot nie posiada już uprawnień w tym kontekście.", reference_number=record.reference_number
            )
        if record.authentication_method is AuthenticationMethod.TOKEN:
            authority = self._hooks.ksef_tokens
            fixed = (
                authority.active_token_permissions(connection, record.ksef_token_reference)
                if authority is not None and record.ksef_token_reference is not None
                else None
            )
            if fixed is None:
                raise NotAuthorizedError("Token KSeF został unieważniony.", reference_number=record.reference_number)
            permissions = _token_permissions(permissions, fixed)
            if not permissions.permissions:
                raise NotAuthorizedError(
                    "Podmiot nie posiada już uprawnień nadanych tokenowi KSeF w tym kontekście.",
                    reference_number=record.reference_number,
                )
        return permissions

    def _access_token(
        self, record: AuthenticationRecord, permissions: ContextPermissions, now: datetime
    ) -> IssuedToken:
        return self._tokens.issue_access_token(
            record.reference_number,
            context=record.context,
            subject=record.subject_details,
            method=record.authentication_method,
            permissions=permissions,
            allowed_ips=record.allowed_ips,
            now=now,
            lifetime=self._settings.access_token_lifetime,
            ksef_token=record.ksef_token_reference,
        )

    def redeem(self, authentication_token: str) -> RedeemedTokens:
        """Hand out the access and refresh tokens of a successful authentication — once."""
        verified = self.verify_token(authentication_token, TokenKind.AUTHENTICATION)
        reference_number = verified.reference_number
        now = self._clock.now()
        with self._database.write() as connection:
            repository = AuthenticationRepository(connection)
            record = repository.get(reference_number)
            if record is None:
                raise AuthenticationNotFoundError(reference_number)
            if record.status.code is not AuthStatusCode.SUCCEEDED:
                raise NotAuthorizedError(
                    f"Status uwierzytelniania ({int(record.status.code)}) nie pozwala na pobranie tokenów.",
                    reference_number=reference_number,
                )
            if record.is_token_redeemed:
                raise NotAuthorizedError(
                    f"Tokeny dla operacji uwierzytelniania {reference_number} zostały już pobrane.",
                    reference_number=reference_number,
                )
            permissions = self._permissions_for_tokens(connection, record)
            refresh = self._tokens.issue_refresh_token(
                reference_number, context=record.context, now=now, lifetime=self._settings.refresh_token_lifetime
            )
            if not repository.mark_redeemed(
                reference_number,
                now=now,
                refresh_token_id=refresh.token_id,
                refresh_token_valid_until=refresh.valid_until,
            ):
                # Another request redeemed it between our read and our write.
                raise NotAuthorizedError(
                    f"Tokeny dla operacji uwierzytelniania {reference_number} zostały już pobrane.",
                    reference_number=reference_number,
                )
            return RedeemedTokens(self._access_token(record, permissions, now), refresh)

    def refresh(self, refresh_token: str) -> IssuedToken:
        """A new access token with the subject's current permissions."""
        verified = self.verify_token(refresh_token, TokenKind.REFRESH)
        reference_number = verified.reference_number
        now = self._clock.now()
        with self._database.write() as connection:
            repository = AuthenticationRepository(connection)
            record = repository.get(reference_number)
            if record is None:
                raise AuthenticationNotFoundError(reference_number)
            if record.status.code is not AuthStatusCode.SUCCEEDED:
                code = int(record.status.code)
                raise NotAuthorizedError(
                    f"Status uwierzytelnienia ({code}) nie pozwala na odświeżenie tokenu dostępowego.",
                    reference_number=reference_number,
                )
            if record.refresh_token_id != verified.token_id:
                raise UnauthorizedError("Token odświeżający nie jest już ważny.")
            permissions = self._permissions_for_tokens(connection, record)
            if not repository.record_refresh(reference_number, refresh_token_id=verified.token_id, now=now):
                raise NotAuthorizedError(
                    "Status uwierzytelnienia nie pozwala na odświeżenie tokenu dostępowego.",
                    reference_number=reference_number,
                )
            return self._access_token(record, permissions, now)

    # --- sessions -----------------------------------------------------------------------------------------------

    def list_sessions(self, principal: Principal, *, page_size: int, continuation_token: str | None) -> SessionPage:
        """The caller's active authentication sessions in the current context, newest first."""
        after = decode_keyset(continuation_token) if continuation_token else None
        with self._database.read() as connection:
            records = AuthenticationRepository(connection).list_active(
                context=principal.context,
                subject=principal.subject,
                now=self._clock.now(),
                limit=page_size + 1,
                after=after,
            )
        more = len(records) > page_size
        items = records[:page_size]
        return SessionPage(items, encode_keyset(items[-1].started_at, items[-1].reference_number) if more else None)

    def is_active(self, reference_number: str) -> bool:
        """Whether the authentication still stands: succeeded, and not ended by the user (`DELETE
        /auth/sessions/…`) since. Cookie sessions of the web screens ask this on every page, so "Wyloguj" ends
        them at once, while a bearer access token stays valid until it expires, as in KSeF."""
        with self._database.read() as connection:
            record = AuthenticationRepository(connection).get(reference_number)
        return record is not None and record.revoked_at is None and record.status.code is AuthStatusCode.SUCCEEDED

    def revoke_current(self, verified: VerifiedToken) -> None:
        """End the session the presented (already verified) access or refresh token belongs to."""
        self._revoke(verified.reference_number)

    def revoke(self, principal: Principal, reference_number: str) -> None:
        """End one of the caller's sessions (same subject, same context). Unknown or foreign → 21304."""
        with self._database.read() as connection:
            record = AuthenticationRepository(connection).get(reference_number)
        if record is None or record.context != principal.context or record.subject != principal.subject:
            raise AuthenticationNotFoundError(reference_number)
        self._revoke(reference_number)

    def _revoke(self, reference_number: str) -> None:
        with self._database.write() as connection:
            AuthenticationRepository(connection).revoke(
                reference_number, now=self._clock.now(), status=AuthStatus.of(AuthStatusCode.REVOKED, REVOKED_DETAIL)
            )

    # --- housekeeping -------------------------------------------------------------------------------------------

    def purge_expired(self) -> tuple[int, int]:
        """Delete challenges expired over `CHALLENGE_KEEP_AFTER_EXPIRY` ago and authentications past their
        retention (and past the life of their refresh tokens); returns how many of each went."""
        now = self._clock.now()
        keep = max(self._settings.authentication_retention, self._settings.refresh_token_lifetime)
        with self._database.write() as connection:
            challenges = ChallengeRepository(connection).purge_expired(before=now - CHALLENGE_KEEP_AFTER_EXPIRY)
            operations = AuthenticationRepository(connection).purge(started_before=now - keep)
        return challenges, operations
