"""Policy of KSeF tokens (`tokeny-ksef.md`, `open-api.json` "Tokeny KSeF"): generation, the scoping rules of listing
and revoking, and the checks the login flow asks for (`KsefTokenAuthority`).

A token reads `{referenceNumber}|{contextType}-{contextValue}|{64 hex digits}` (the form of the official example);
only its SHA-256 is stored, compared in constant time. It is usable at once (status `Active`) and until revoked;
revoking takes effect at the author's next login, redemption or refresh with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.hooks import KsefTokenVerdict
from ksef_mcu.server.auth.model import AuthenticationMethod, Principal, TokenProblem
from ksef_mcu.server.continuation import decode_keyset, encode_keyset
from ksef_mcu.server.errors import BadRequestError, ForbiddenError, InputValidationError
from ksef_mcu.server.reference_numbers import ReferenceKind, is_reference_number, new_reference_number
from ksef_mcu.server.tokens.model import (
    TOKEN_CONTEXT_PREFIXES,
    TOKEN_PERMISSIONS,
    GeneratedToken,
    TokenPage,
    TokenRecord,
    TokenStatus,
)
from ksef_mcu.server.tokens.repository import KsefTokenRepository
from ksef_mcu.storage.database import Database

_READERS = ("CredentialsManage", "CredentialsRead")


class SubjectBindings(Protocol):
    """Who else a subject is (the NIP–PESEL binding of a natural person; test data in the sandbox)."""

    def identities(self, connection: Connection, subject: SubjectIdentifier) -> list[SubjectIdentifier]:
        """`subject` and every identifier bound to it."""
        ...


class NoBindings:
    def identities(self, connection: Connection, subject: SubjectIdentifier) -> list[SubjectIdentifier]:
        return [subject]


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class KsefTokenService:
    """KSeF tokens. Stateless; every method is one unit of work. Also the login flow's `KsefTokenAuthority`."""

    def __init__(self, database: Database, clock: Clock, *, bindings: SubjectBindings | None = None) -> None:
        self._database = database
        self._clock = clock
        self._bindings: SubjectBindings = bindings or NoBindings()

    # --- generating ---------------------------------------------------------------------------------------------

    def generate(self, principal: Principal, permissions: Sequence[str], description: str) -> GeneratedToken:
        """`POST /tokens`. Raises 403 after a token login, 26002 outside a Nip/InternalId context, 26001 for
        permissions the caller does not hold, 21405 for an empty or repeated list."""
        if principal.authentication_method is AuthenticationMethod.TOKEN:
            raise ForbiddenError(
                "Token KSeF można wygenerować tylko po uwierzytelnieniu podpisem (XAdES), nie tokenem KSeF.",
                reason_code="auth-method-not-allowed",
                security={"authenticationMethodCategory": "Token"},
            )
        prefix = TOKEN_CONTEXT_PREFIXES.get(principal.context.type)
        if prefix is None:
            raise BadRequestError(
                f"Bieżący kontekst: {principal.context.type.value}; token można wygenerować w kontekście Nip "
                "albo InternalId.",
                code=26002,
                description="Nie można wygenerować tokena dla obecnego typu kontekstu.",
            )
        requested: list[str] = []
        for permission in permissions:
            if permission not in TOKEN_PERMISSIONS:
                raise InputValidationError(f"permissions: nieznane uprawnienie {permission!r}.")
            if permission in requested:
                raise InputValidationError(f"permissions: uprawnienie {permission} podano więcej niż raz.")
            requested.append(permission)
        if not requested:
            raise InputValidationError("permissions: podaj co najmniej jedno uprawnienie tokena.")
        missing = [permission for permission in requested if permission not in principal.permissions]
        if missing:
            raise BadRequestError(
                f"Brakujące uprawnienia: {', '.join(missing)}.",
                code=26001,
                description="Nie można nadać tokenowi uprawnień których nie posiadasz.",
            )
        now = self._clock.now()
        reference = new_reference_number(ReferenceKind.KSEF_TOKEN, now=now)
        token = f"{reference}|{prefix}-{principal.context.value}|{secrets.token_hex(32)}"
        record = TokenRecord(
            reference_number=reference,
            context=principal.context,
            author=principal.subject,
            description=description,
            permissions=tuple(requested),
            status=TokenStatus.ACTIVE,
            created_at=now,
        )
        with self._database.write() as connection:
            KsefTokenRepository(connection).add(record, token_sha256=token_sha256(token))
        return GeneratedToken(reference, token)

    # --- reading and revoking -----------------------------------------------------------------------------------

    def _authors(self, connection: Connection, principal: Principal) -> list[SubjectIdentifier]:
        return self._bindings.identities(connection, principal.subject)

    def _visible(
        self, connection: Connection, principal: Principal, record: TokenRecord, *, readers: tuple[str, ...]
    ) -> bool:
        if record.context != principal.context:
            return False
        if any(permission in principal.permissions for permission in readers):
            return True
        if principal.authentication_method is AuthenticationMethod.TOKEN:
            return record.reference_number == principal.ksef_token
        return record.author in self._authors(connection, principal)

    def _not_found(self, reference_number: str) -> InputValidationError:
        return InputValidationError(
            f"Token KSeF o numerze referencyjnym {reference_number} nie istnieje w bieżącym kontekście.",
            reference_number=reference_number,
        )

    def get(self, principal: Principal, reference_number: str) -> TokenRecord:
        """`GET /tokens/{ref}`: a token the caller may see (21405 otherwise)."""
        with self._database.read() as connection:
            record = KsefTokenRepository(connection).get(reference_number)
            if record is None or not self._visible(connection, principal, record, readers=_READERS):
                raise self._not_found(reference_number)
        return record

    def revoke(self, principal: Principal, reference_number: str) -> None:
        """`DELETE /tokens/{ref}`: CredentialsManage revokes any token of the context; a token login only its own
        token; anyone else the tokens they generated. Revoking a revoked token changes nothing."""
        with self._database.write() as connection:
            repository = KsefTokenRepository(connection)
            record = repository.get(reference_number)
            if record is None or not self._visible(connection, principal, record, readers=("CredentialsManage",)):
                raise self._not_found(reference_number)
            repository.set_status(reference_number, TokenStatus.REVOKED, now=self._clock.now())

    def list(
        self,
        principal: Principal,
        *,
        statuses: Collection[TokenStatus] | None,
        description: str | None,
        author_identifier: str | None,
        author_type: SubjectIdentifierType | None,
        page_size: int,
        continuation_token: str | None,
    ) -> TokenPage:
        """`GET /tokens`: the tokens the caller may see, newest first."""
        after = decode_keyset(continuation_token) if continuation_token else None
        with self._database.read() as connection:
            authors: list[SubjectIdentifier] | None = None
            only: str | None = None
            if not any(permission in principal.permissions for permission in _READERS):
                if principal.authentication_method is AuthenticationMethod.TOKEN:
                    only = principal.ksef_token or ""
                else:
                    authors = self._authors(connection, principal)
            records = KsefTokenRepository(connection).search(
                principal.context,
                authors=authors,
                only=only,
                statuses=statuses,
                description=description,
                author_value=author_identifier,
                author_type=author_type,
                after=after,
                limit=page_size + 1,
            )
        more = len(records) > page_size
        items = records[:page_size]
        return TokenPage(items, encode_keyset(items[-1].created_at, items[-1].reference_number) if more else None)

    # --- the login flow's hook ----------------------------------------------------------------------------------

    def check_login_token(self, connection: Connection, token: str, *, now: datetime) -> KsefTokenVerdict:
        reference = token.split("|", 1)[0]
        found = KsefTokenRepository(connection).for_login(reference) if is_reference_number(reference) else None
        if found is None or not hmac.compare_digest(found[1], token_sha256(token)):
            nobody = SubjectIdentifier(SubjectIdentifierType.NIP, "")
            return KsefTokenVerdict(
                reference, nobody, ContextIdentifier(ContextIdentifierType.NIP, ""), (), TokenProblem.INVALID
            )
        record = found[0]
        problem = None
        if record.status in (TokenStatus.REVOKED, TokenStatus.REVOKING):
            problem = TokenProblem.REVOKED
        elif record.status is not TokenStatus.ACTIVE:
            problem = TokenProblem.INACTIVE
        if problem is None:
            KsefTokenRepository(connection).record_use(reference, now=now)
        return KsefTokenVerdict(record.reference_number, record.author, record.context, record.permissions, problem)

    def active_token_permissions(self, connection: Connection, reference_number: str) -> tuple[str, ...] | None:
        found = KsefTokenRepository(connection).for_login(reference_number)
        if found is None or found[0].status is not TokenStatus.ACTIVE:
            return None
        return found[0].permissions
