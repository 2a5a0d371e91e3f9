"""Repositories on both databases: single-use challenges, one-time redemption, session paging, test data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ksef_mcu.identifiers import (
    AllowedIps,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifier,
    SubjectIdentifierType,
)
from ksef_mcu.server.auth.model import (
    AuthenticationMethod,
    AuthenticationRecord,
    AuthStatus,
    AuthStatusCode,
    SubjectDetails,
)
from ksef_mcu.server.auth.repositories.authentications import AuthenticationRepository
from ksef_mcu.server.auth.repositories.blocked_contexts import BlockedContextRepository
from ksef_mcu.server.auth.repositories.challenges import ChallengeRepository, ChallengeUse
from ksef_mcu.server.permissions.model import Grant
from ksef_mcu.server.permissions.repository import PermissionGrantRepository
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.server.testdata.repository import TestDataRepository, TestPerson, TestSubject
from ksef_mcu.storage.database import Database

pytestmark = pytest.mark.db

NOW = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)
CONTEXT = ContextIdentifier(ContextIdentifierType.NIP, "5265877635")
NIP = SubjectIdentifier(SubjectIdentifierType.NIP, "5265877635")
PESEL = SubjectIdentifier(SubjectIdentifierType.PESEL, "88102341294")
SUCCEEDED = AuthStatus.of(AuthStatusCode.SUCCEEDED)


def record(
    reference_number: str,
    *,
    started_at: datetime = NOW,
    subject: SubjectIdentifier = NIP,
    status: AuthStatus = SUCCEEDED,
) -> AuthenticationRecord:
    return AuthenticationRecord(
        reference_number=reference_number,
        started_at=started_at,
        client_ip="203.0.113.7",
        context=CONTEXT,
        subject=subject,
        authentication_method=AuthenticationMethod.QUALIFIED_SEAL,
        certificate_fingerprint="AB" * 32,
        certificate_der=b"\x30\x03\x02\x01\x01",
        subject_details=SubjectDetails(subject, organization_name="Firma", common_name="Firma"),
        allowed_ips=AllowedIps(ip4_addresses=("10.0.0.1",)),
        status=status,
        authentication_token_valid_until=started_at + timedelta(minutes=45),
    )


class TestChallenges:
    def test_used_once(self, database: Database) -> None:
        challenge = new_reference_number(ReferenceKind.CHALLENGE, now=NOW)
        with database.write() as connection:
            ChallengeRepository(connection).add(
                challenge, issued_at=NOW, expires_at=NOW + timedelta(minutes=10), client_ip="203.0.113.7"
            )
        with database.write() as connection:
            assert ChallengeRepository(connection).consume(challenge, now=NOW) is ChallengeUse.CONSUMED
        with database.write() as connection:
            assert ChallengeRepository(connection).consume(challenge, now=NOW) is ChallengeUse.ALREADY_USED

    def test_expired_and_unknown(self, database: Database) -> None:
        challenge = new_reference_number(ReferenceKind.CHALLENGE, now=NOW)
        with database.write() as connection:
            repository = ChallengeRepository(connection)
            repository.add(challenge, issued_at=NOW, expires_at=NOW + timedelta(minutes=10), client_ip="::1")
            assert repository.consume(challenge, now=NOW + timedelta(minutes=10)) is ChallengeUse.EXPIRED
            other = new_reference_number(ReferenceKind.CHALLENGE, now=NOW)
            assert repository.consume(other, now=NOW) is ChallengeUse.UNKNOWN

    def test_purge(self, database: Database) -> None:
        with database.write() as connection:
            repository = ChallengeRepository(connection)
            for minutes in (1, 30):
                repository.add(
                    new_reference_number(ReferenceKind.CHALLENGE, now=NOW),
                    issued_at=NOW,
                    expires_at=NOW + timedelta(minutes=minutes),
                    client_ip="::1",
                )
            assert repository.purge_expired(before=NOW + timedelta(minutes=10)) == 1


class TestAuthentications:
    def test_round_trip_keeps_everything_and_time_zones(self, database: Database) -> None:
        original = record("20260302-AU-0000000001-0000000001-00")
        with database.write() as connection:
            AuthenticationRepository(connection).add(original)
        with database.read() as connection:
            loaded = AuthenticationRepository(connection).get(original.reference_number, with_certificate=True)
            summary = AuthenticationRepository(connection).get(original.reference_number)
        assert loaded == original
        assert loaded is not None
        assert loaded.started_at.tzinfo is not None
        assert summary is not None
        assert summary.certificate_der is None

    def test_redeemed_once(self, database: Database) -> None:
        reference = "20260302-AU-0000000002-0000000002-00"
        with database.write() as connection:
            AuthenticationRepository(connection).add(record(reference))
        valid_until = NOW + timedelta(days=7)
        with database.write() as connection:
            repository = AuthenticationRepository(connection)
            assert repository.mark_redeemed(
                reference, now=NOW, refresh_token_id="a" * 32, refresh_token_valid_until=valid_until
            )
            assert not repository.mark_redeemed(
                reference, now=NOW, refresh_token_id="b" * 32, refresh_token_valid_until=valid_until
            )
        with database.read() as connection:
            loaded = AuthenticationRepository(connection).get(reference)
        assert loaded is not None
        assert loaded.is_token_redeemed
        assert loaded.refresh_token_id == "a" * 32
        assert loaded.refresh_token_valid_until == valid_until

    def test_failed_authentication_cannot_be_redeemed(self, database: Database) -> None:
        reference = "20260302-AU-0000000003-0000000003-00"
        with database.write() as connection:
            repository = AuthenticationRepository(connection)
            repository.add(record(reference, status=AuthStatus.of(AuthStatusCode.NO_PERMISSIONS, "x")))
            assert not repository.mark_redeemed(
                reference, now=NOW, refresh_token_id="a" * 32, refresh_token_valid_until=NOW
            )

    def test_revoke_stops_refreshes(self, database: Database) -> None:
        reference = "20260302-AU-0000000004-0000000004-00"
        with database.write() as connection:
            repository = AuthenticationRepository(connection)
            repository.add(record(reference))
            repository.mark_redeemed(
                reference, now=NOW, refresh_token_id="r" * 32, refresh_token_valid_until=NOW + timedelta(days=7)
            )
            assert repository.record_refresh(reference, refresh_token_id="r" * 32, now=NOW)
            assert not repository.record_refresh(reference, refresh_token_id="x" * 32, now=NOW)
            revoked = AuthStatus.of(AuthStatusCode.REVOKED, "unieważnione")
            assert repository.revoke(reference, now=NOW, status=revoked)
            assert not repository.revoke(reference, now=NOW, status=revoked)
            assert not repository.record_refresh(reference, refresh_token_id="r" * 32, now=NOW)
            loaded = repository.get(reference)
        assert loaded is not None
        assert loaded.status == revoked
        assert loaded.revoked_at == NOW

    def test_active_sessions_newest_first_in_pages(self, database: Database) -> None:
        references = [f"20260302-AU-{i:010X}-0000000000-00" for i in range(25)]
        with database.write() as connection:
            repository = AuthenticationRepository(connection)
            for index, reference in enumerate(references):
                repository.add(record(reference, started_at=NOW + timedelta(seconds=index // 2)))
            repository.add(record("20260302-AU-FFFFFFFFFF-0000000000-00", subject=PESEL))
            repository.add(
                record("20260302-AU-EEEEEEEEEE-0000000000-00", status=AuthStatus.of(AuthStatusCode.NO_PERMISSIONS, "x"))
            )
        seen: list[str] = []
        after = None
        with database.read() as connection:
            repository = AuthenticationRepository(connection)
            while True:
                page = repository.list_active(context=CONTEXT, subject=NIP, now=NOW, limit=10, after=after)
                seen.extend(item.reference_number for item in page)
                if len(page) < 10:
                    break
                after = (page[-1].started_at, page[-1].reference_number)
        expected = sorted(
            references, key=lambda r: (NOW + timedelta(seconds=references.index(r) // 2), r), reverse=True
        )
        assert seen == expected

    def test_expired_sessions_are_not_active(self, database: Database) -> None:
        with database.write() as connection:
            repository = AuthenticationRepository(connection)
            repository.add(record("20260302-AU-0000000005-0000000005-00"))
            later = NOW + timedelta(minutes=46)
            assert repository.list_active(context=CONTEXT, subject=NIP, now=later, limit=10) == []

    def test_purge(self, database: Database) -> None:
        with database.write() as connection:
            repository = AuthenticationRepository(connection)
            repository.add(record("20260302-AU-0000000006-0000000006-00", started_at=NOW - timedelta(days=8)))
            repository.add(record("20260302-AU-0000000007-0000000007-00"))
            assert repository.purge(started_before=NOW - timedelta(days=7)) == 1


class TestTestData:
    def test_persons_and_subjects(self, database: Database) -> None:
        person = TestPerson("5265877635", "88102341294", True, False, "Komornik", NOW)
        with database.write() as connection:
            repository = TestDataRepository(connection)
            repository.put_person(person)
            repository.put_person(TestPerson("5265877635", "88102341294", False, True, "JDG", NOW))
            repository.add_subjects(
                [
                    TestSubject("3755747347", "VatGroup", "Grupa VAT", None, NOW),
                    TestSubject("4972530874", "VatGroup", "Członek", "3755747347", NOW),
                ]
            )
        with database.write() as connection:
            repository = TestDataRepository(connection)
            assert repository.person("5265877635") == TestPerson("5265877635", "88102341294", False, True, "JDG", NOW)
            assert [p.nip for p in repository.persons_with_pesel("88102341294")] == ["5265877635"]
            assert {s.nip for s in repository.subjects(["3755747347", "4972530874", "1111111111"])} == {
                "3755747347",
                "4972530874",
            }
            assert repository.remove_subject("3755747347") == 2
            assert repository.remove_person("5265877635") is not None
            assert repository.remove_person("5265877635") is None

    def test_grants_are_idempotent(self, database: Database) -> None:
        with database.write() as connection:
            grants = PermissionGrantRepository(connection)
            grants.grant(
                CONTEXT,
                PESEL,
                [Grant("InvoiceRead", "opis 1"), Grant("InvoiceWrite", "opis")],
                source="testdata",
                now=NOW,
            )
            grants.grant(CONTEXT, PESEL, [Grant("InvoiceRead", "opis 2")], source="testdata", now=NOW)
            assert grants.permissions_held(CONTEXT, PESEL) == ["InvoiceRead", "InvoiceWrite"]
            assert grants.permissions_held(CONTEXT, NIP) == []
            assert grants.revoke(CONTEXT, PESEL, source="testdata") == 2
            assert grants.permissions_held(CONTEXT, PESEL) == []

    def test_blocked_contexts(self, database: Database) -> None:
        with database.write() as connection:
            repository = BlockedContextRepository(connection)
            repository.block(CONTEXT, now=NOW)
            repository.block(CONTEXT, now=NOW)
            assert repository.is_blocked(CONTEXT)
            assert not repository.is_blocked(ContextIdentifier(ContextIdentifierType.NIP, "7762811692"))
            assert repository.unblock(CONTEXT) == 1
            assert not repository.is_blocked(CONTEXT)


def test_naive_datetimes_are_refused(database: Database) -> None:
    # The challenge insert is a `FastStatement`: the type's own ValueError surfaces unwrapped.
    with pytest.raises(ValueError, match="naive datetime"), database.write() as connection:
        ChallengeRepository(connection).add(
            "x" * 36,
            issued_at=datetime(2026, 1, 1),
            expires_at=NOW,
            client_ip="::1",
        )


def test_single_statement_units_commit_and_fail_whole(database: Database) -> None:
    # `write_one` runs in autocommit on PostgreSQL: the statement itself is the transaction.
    with database.write_one() as connection:
        ChallengeRepository(connection).add(
            "w" * 36, issued_at=NOW, expires_at=NOW + timedelta(minutes=10), client_ip="::1"
        )
    with database.write() as connection:
        assert ChallengeRepository(connection).consume("w" * 36, now=NOW) is ChallengeUse.CONSUMED
    # The driver's own IntegrityError (sqlite3 or psycopg): hot-path statements bypass SQLAlchemy's wrapping.
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), database.write_one() as connection:
        ChallengeRepository(connection).add("w" * 36, issued_at=NOW, expires_at=NOW, client_ip="::2")
    with database.write_one() as connection:  # the connection went back to the pool usable
        ChallengeRepository(connection).add("v" * 36, issued_at=NOW, expires_at=NOW, client_ip="::1")
