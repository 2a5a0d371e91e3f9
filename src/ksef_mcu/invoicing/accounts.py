"""Users of Obsługa Faktur (login and scrypt password, lockout after repeated failures), companies and access.

Five wrong passwords in a row lock the account for 15 minutes; a login that does not exist costs the same time as
a wrong password, and both get the same message, so logins cannot be guessed from the answers. Administrators see
every company; other users the companies they were given access to.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ksef_mcu.clock import Clock
from ksef_mcu.formatting import format_moment
from ksef_mcu.identifiers import CONTEXT_VALUE_SHAPES, ContextIdentifier, ContextIdentifierType
from ksef_mcu.invoicing.errors import AccessDeniedError, InvoicingError, LoginRefusedError, NotFoundError
from ksef_mcu.invoicing.model import Company, User
from ksef_mcu.invoicing.passwords import DUMMY_HASH, MIN_PASSWORD_LENGTH, hash_password, verify_password
from ksef_mcu.invoicing.repository import Repository
from ksef_mcu.storage.database import Database

__all__ = ["LOCKOUT_AFTER", "LOCKOUT_FOR", "AccountService"]

LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
_LOGIN = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
WRONG_CREDENTIALS = "Nieprawidłowy login lub hasło."


class AccountService:
    def __init__(self, database: Database, clock: Clock, repository: Repository | None = None) -> None:
        self.database = database
        self.clock = clock
        self.repository = repository or Repository()

    # --- users --------------------------------------------------------------------------------------------------------

    def has_users(self) -> bool:
        with self.database.read() as connection:
            return self.repository.count_users(connection) > 0

    def add_user(self, login: str, password: str, *, is_admin: bool = False, first_only: bool = False) -> User:
        """Create a user. `first_only` (the first-run page) refuses once any user exists."""
        login = login.strip()
        if not _LOGIN.match(login):
            raise InvoicingError("Login: 3–64 znaki, litery, cyfry oraz . _ @ -.", field="login")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvoicingError(f"Hasło musi mieć co najmniej {MIN_PASSWORD_LENGTH} znaków.", field="haslo")
        password_hash = hash_password(password)
        now = self.clock.now()
        with self.database.write() as connection:
            if first_only and self.repository.count_users(connection) > 0:
                raise InvoicingError("Administrator już istnieje – zaloguj się.")
            if self.repository.user_by_login(connection, login) is not None:
                raise InvoicingError(f"Użytkownik {login} już istnieje.", field="login")
            user_id = self.repository.add_user(connection, login, password_hash, is_admin=is_admin, now=now)
            user = self.repository.user_by_id(connection, user_id)
        if user is None:  # pragma: no cover - just written in this unit of work
            raise NotFoundError("Zapis nie powiódł się.")
        return user

    def list_users(self) -> list[User]:
        with self.database.read() as connection:
            return self.repository.list_users(connection)

    def remove_user(self, login: str) -> None:
        with self.database.write() as connection:
            if not self.repository.remove_user(connection, login):
                raise NotFoundError(f"Nie ma użytkownika {login}.")

    def user(self, user_id: int) -> User | None:
        with self.database.read() as connection:
            return self.repository.user_by_id(connection, user_id)

    def authenticate(self, login: str, password: str) -> User:
        """The user, or `LoginRefusedError` (wrong login/password, or locked: then until when)."""
        now = self.clock.now()
        refusal: str | None = None
        with self.database.write() as connection:
            user = self.repository.user_by_login(connection, login.strip())
            if user is None:
                verify_password(password, DUMMY_HASH)
                refusal = WRONG_CREDENTIALS
            elif user.locked_until is not None and user.locked_until > now:
                refusal = _locked(user.locked_until)
            elif not verify_password(password, user.password_hash):
                failures = user.failed_logins + 1
                locked_until = now + LOCKOUT_FOR if failures >= LOCKOUT_AFTER else None
                self.repository.record_failure(connection, user.id, 0 if locked_until else failures, locked_until)
                left = LOCKOUT_AFTER - failures
                if locked_until is not None:
                    refusal = _locked(locked_until)
                elif left <= 2:
                    refusal = (
                        f"{WRONG_CREDENTIALS} Po {left} kolejnych nieudanych próbach konto zostanie czasowo "
                        "zablokowane."
                    )
                else:
                    refusal = WRONG_CREDENTIALS
            else:
                self.repository.record_login(connection, user.id, now)
        if refusal is not None or user is None:
            raise LoginRefusedError(refusal or WRONG_CREDENTIALS)
        return user

    # --- companies ----------------------------------------------------------------------------------------------------

    def add_company(self, identifier: str, name: str, *, context_type: str | None = None) -> Company:
        identifier = identifier.strip()
        kind = ContextIdentifierType(
            context_type or (ContextIdentifierType.NIP if len(identifier) == 10 else ContextIdentifierType.INTERNAL_ID)
        )
        if kind not in (ContextIdentifierType.NIP, ContextIdentifierType.INTERNAL_ID):
            raise InvoicingError("Firma ma kontekst NIP albo identyfikator wewnętrzny.", field="nip")
        if not ContextIdentifier(kind, identifier).is_valid():
            raise InvoicingError(
                f"Nieprawidłowy identyfikator kontekstu (oczekiwano: {CONTEXT_VALUE_SHAPES[kind]}, z poprawną cyfrą "
                "kontrolną).",
                field="nip",
            )
        if not name.strip():
            raise InvoicingError("Podaj nazwę firmy.", field="nazwa")
        with self.database.write() as connection:
            if self.repository.company_by_context(connection, identifier) is not None:
                raise InvoicingError(f"Firma {identifier} już istnieje.", field="nip")
            company_id = self.repository.add_company(connection, kind.value, identifier, name.strip(), self.clock.now())
            company = self.repository.company_by_id(connection, company_id)
        if company is None:  # pragma: no cover - just written in this unit of work
            raise NotFoundError("Zapis nie powiódł się.")
        return company

    def company(self, identifier: str) -> Company:
        with self.database.read() as connection:
            company = self.repository.company_by_context(connection, identifier.strip())
        if company is None:
            raise NotFoundError(f"Nie ma firmy {identifier}.")
        return company

    def grant(self, identifier: str, login: str) -> None:
        with self.database.write() as connection:
            company = self.repository.company_by_context(connection, identifier)
            user = self.repository.user_by_login(connection, login)
            if company is None or user is None:
                raise NotFoundError(f"Nie ma firmy {identifier} albo użytkownika {login}.")
            self.repository.grant_access(connection, company.id, user.id)

    def companies_for(self, user: User | None) -> list[Company]:
        """Every company for an administrator (or the CLI: `None`), else the user's."""
        with self.database.read() as connection:
            if user is None or user.is_admin:
                return self.repository.list_companies(connection)
            return self.repository.list_companies(connection, user_id=user.id)

    def logins_with_access(self, company: Company) -> list[str]:
        with self.database.read() as connection:
            return self.repository.logins_with_access(connection, company.id)

    def require_access(self, user: User, company_id: int) -> Company:
        with self.database.read() as connection:
            company = self.repository.company_by_id(connection, company_id)
            if company is None:
                raise NotFoundError("Nie ma takiej firmy.")
            if not user.is_admin and not self.repository.has_access(connection, company_id, user.id):
                raise AccessDeniedError("Nie masz dostępu do tej firmy.")
        return company


def _locked(until: datetime) -> str:
    shown = format_moment(until)
    return (
        "Konto jest czasowo zablokowane po kilku nieudanych próbach logowania. "
        f"Spróbuj ponownie po {shown} albo poproś administratora o pomoc."
    )
