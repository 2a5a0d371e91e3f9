"""Accounts, lockout, companies and per-company access — on SQLite and PostgreSQL (the `db` tests), with Obsługa
Faktur's own migrations applied beside the server's tables in the same database (own version table)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.invoicing.accounts import LOCKOUT_AFTER, LOCKOUT_FOR
from ksef_mcu.invoicing.config import InvoicingConfig
from ksef_mcu.invoicing.errors import AccessDeniedError, InvoicingError, LoginRefusedError
from ksef_mcu.invoicing.migrations import SCRIPTS
from ksef_mcu.invoicing.model import Slot
from ksef_mcu.invoicing.services import Invoicing, open_invoicing
from ksef_mcu.invoicing.uploads import CertificateUpload
from support.invoicing_pki import PASSWORD, issue
from support.pki import random_nip

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SECRET = "Dobre-Haslo-Konta-1"


@pytest.fixture
def invoicing(database_url: str, tmp_path: Path) -> Iterator[Invoicing]:
    app = open_invoicing(InvoicingConfig(data_dir=tmp_path, database_url=database_url), clock=ManualClock(NOW))
    yield app
    app.close()


def login() -> str:
    return f"user-{secrets.token_hex(4)}"


def test_own_migration_history_beside_the_servers(invoicing: Invoicing) -> None:
    assert SCRIPTS.current(invoicing.database) == SCRIPTS.head()
    with invoicing.database.read() as connection:
        tables = set(inspect(connection).get_table_names())
    assert {
        "inv_users",
        "inv_companies",
        "inv_company_users",
        "inv_certificates",
        "invoicing_alembic_version",
    } <= tables


def test_lockout_after_repeated_failures(invoicing: Invoicing) -> None:
    name = login()
    invoicing.accounts.add_user(name, SECRET)
    for attempt in range(1, LOCKOUT_AFTER):
        with pytest.raises(LoginRefusedError) as caught:
            invoicing.accounts.authenticate(name, "zle-haslo-123")
        assert caught.value.message.startswith("Nieprawidłowy login lub hasło.")
        assert ("zablokowane" in caught.value.message) == (LOCKOUT_AFTER - attempt <= 2)
    with pytest.raises(LoginRefusedError) as caught:
        invoicing.accounts.authenticate(name, "zle-haslo-123")
    assert caught.value.message.startswith("Konto jest czasowo zablokowane")
    # Locked: even the right password is refused until the lock ends.
    with pytest.raises(LoginRefusedError, match="czasowo zablokowane"):
        invoicing.accounts.authenticate(name, SECRET)
    clock = invoicing.clock
    assert isinstance(clock, ManualClock)
    clock.advance(LOCKOUT_FOR + timedelta(seconds=1))
    user = invoicing.accounts.authenticate(name, SECRET)
    assert user.login == name
    assert invoicing.accounts.user(user.id).last_login_at == clock.now()  # type: ignore[union-attr]


def test_unknown_login_gets_the_same_answer(invoicing: Invoicing) -> None:
    with pytest.raises(LoginRefusedError) as caught:
        invoicing.accounts.authenticate(login(), SECRET)
    assert caught.value.message == "Nieprawidłowy login lub hasło."


def test_passwords_are_hashed_and_rules_hold(invoicing: Invoicing) -> None:
    user = invoicing.accounts.add_user(login(), SECRET)
    assert user.password_hash.startswith("scrypt$")
    assert SECRET not in user.password_hash
    with pytest.raises(InvoicingError, match="co najmniej 10 znaków"):
        invoicing.accounts.add_user(login(), "krotkie")
    with pytest.raises(InvoicingError, match="już istnieje"):
        invoicing.accounts.add_user(user.login, SECRET)
    invoicing.accounts.remove_user(user.login)
    assert user.login not in [item.login for item in invoicing.accounts.list_users()]


def test_per_company_access(invoicing: Invoicing) -> None:
    admin = invoicing.accounts.add_user(login(), SECRET, is_admin=True)
    clerk = invoicing.accounts.add_user(login(), SECRET)
    mine = invoicing.accounts.add_company(random_nip(), "Moja firma")
    theirs = invoicing.accounts.add_company(random_nip(), "Cudza firma")
    invoicing.accounts.grant(mine.context_value, clerk.login)
    assert [company.id for company in invoicing.accounts.companies_for(clerk)] == [mine.id]
    assert {mine.id, theirs.id} <= {company.id for company in invoicing.accounts.companies_for(admin)}
    assert invoicing.accounts.require_access(clerk, mine.id) == mine
    with pytest.raises(AccessDeniedError):
        invoicing.accounts.require_access(clerk, theirs.id)
    assert invoicing.accounts.logins_with_access(mine) == [clerk.login]


def test_company_identifiers_are_checked(invoicing: Invoicing) -> None:
    with pytest.raises(InvoicingError, match="Nieprawidłowy identyfikator kontekstu"):
        invoicing.accounts.add_company("1234567890", "Zły NIP")
    nip = random_nip()
    invoicing.accounts.add_company(nip, "Firma")
    with pytest.raises(InvoicingError, match="już istnieje"):
        invoicing.accounts.add_company(nip, "Firma")


def test_certificates_round_trip(invoicing: Invoicing) -> None:
    company = invoicing.accounts.add_company(random_nip(), "Firma z certyfikatem")
    issued = issue(KsefCertificateType.OFFLINE, now=NOW, nip=company.context_value)
    upload = CertificateUpload(certificate=issued.pem, key=issued.key_file(), password=PASSWORD)
    stored, _ = invoicing.settings.add_certificate(company, Slot.OFFLINE, upload, added_by="anna")
    [again] = invoicing.settings.certificates(company)
    assert again == stored
    assert again.valid_to == issued.certificate.not_valid_after_utc
    assert invoicing.settings.loaded(again).key_matches


def test_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    """The invoicing history alone (a scratch SQLite): head → base → head, its tables gone and back."""
    from ksef_mcu.storage.database import Database

    database = Database.from_url(f"sqlite:///{tmp_path / 'scratch.sqlite3'}")
    try:
        SCRIPTS.upgrade(database)
        SCRIPTS.downgrade(database, "base")
        with database.read() as connection:
            assert not {name for name in inspect(connection).get_table_names() if name.startswith("inv_")}
        SCRIPTS.upgrade(database)
        assert SCRIPTS.current(database) == SCRIPTS.head()
    finally:
        database.dispose()
