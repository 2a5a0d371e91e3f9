"""`FastStatement` against `Connection.execute`: the same SQL, the same stored values, the same rows, both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import StatementError

from ksef_mcu.server.auth.tables import authentications
from ksef_mcu.storage.database import Database
from ksef_mcu.storage.statements import FastStatement

pytestmark = pytest.mark.db

NOW = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)
_table = authentications.c


def _row(reference_number: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference_number": reference_number,
        "started_at": NOW,
        "client_ip": "::1",
        "context_type": "Nip",
        "context_value": "5265877635",
        "subject_type": "Nip",
        "subject_value": "5265877635",
        "authentication_method": "QualifiedSignature",
        "authentication_method_code": "Auth.QualifiedSignature",
        "certificate_fingerprint": "AB" * 32,
        "certificate_der": b"\x30\x03\x02\x01\x00",
        "subject_details": {"givenNames": ["Jan"], "surname": "Kowalski"},
        "authorization_policy": None,
        "status_code": 200,
        "status_description": "Uwierzytelnianie zakończone sukcesem",
        "status_details": None,
        "authentication_token_valid_until": NOW + timedelta(minutes=15),
        "is_token_redeemed": False,
        "redeemed_at": None,
        "refresh_token_id": None,
        "refresh_token_valid_until": None,
        "last_token_refresh_at": None,
        "revoked_at": None,
        "ksef_token_reference": None,
    }
    values.update(overrides)
    return values


FAST_INSERT = FastStatement(insert(authentications), column_keys=[column.key for column in authentications.c])
FAST_SELECT = FastStatement(select(authentications).where(_table.reference_number == bindparam("reference")))
CORE_SELECT = select(authentications).where(_table.reference_number == bindparam("reference"))


@pytest.fixture
def clean(database: Database) -> Database:
    with database.write() as connection:
        connection.execute(delete(authentications).where(_table.reference_number.like("fast-%")))
    return database


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"status_details": ["szczegół"], "authorization_policy": {"ip4Addresses": ["10.0.0.1"]}},
        {"is_token_redeemed": True, "redeemed_at": NOW, "refresh_token_valid_until": NOW + timedelta(days=7)},
        {"started_at": datetime(2026, 3, 2, 11, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))},
    ],
    ids=["nulls", "json-values", "booleans-and-dates", "non-utc-input"],
)
def test_rows_written_by_either_path_read_the_same_by_both(clean: Database, overrides: dict[str, Any]) -> None:
    with clean.write() as connection:
        FAST_INSERT.execute(connection, _row("fast-a", **overrides))
        connection.execute(insert(authentications), _row("fast-b", **overrides))
    with clean.read() as connection:
        by_fast = [FAST_SELECT.execute(connection, {"reference": r}).rows[0] for r in ("fast-a", "fast-b")]
        by_core = [connection.execute(CORE_SELECT, {"reference": r}).one() for r in ("fast-a", "fast-b")]
    expected = {k: v for k, v in _row("x", **overrides).items() if k != "reference_number"}
    for row in [*by_fast, *by_core]:
        values = row._asdict()
        values.pop("reference_number")
        assert values == expected
    # The stored representation is identical too (e.g. JSON null vs SQL NULL, the SQLite datetime text).
    with clean.read() as connection:
        raw = connection.exec_driver_sql(
            "SELECT status_details IS NULL, authorization_policy IS NULL, CAST(started_at AS VARCHAR(40)) "
            "FROM authentications WHERE reference_number IN ('fast-a', 'fast-b') ORDER BY reference_number"
        ).all()
    assert raw[0] == raw[1]


def test_fixed_binds_and_repeated_parameters(clean: Database) -> None:
    # `status_code == 200` is a bind with a value fixed in the statement; `now` appears twice.
    redeem = FastStatement(
        update(authentications)
        .where(_table.reference_number == bindparam("reference"), _table.status_code == 200)
        .values(redeemed_at=bindparam("now"), last_token_refresh_at=bindparam("now"))
    )
    with clean.write() as connection:
        FAST_INSERT.execute(connection, _row("fast-ok"))
        FAST_INSERT.execute(connection, _row("fast-failed", status_code=450))
        assert redeem.execute(connection, {"reference": "fast-ok", "now": NOW}).rowcount == 1
        assert redeem.execute(connection, {"reference": "fast-failed", "now": NOW}).rowcount == 0
        assert redeem.execute(connection, {"reference": "fast-missing", "now": NOW}).rowcount == 0
    with clean.read() as connection:
        row = FAST_SELECT.execute(connection, {"reference": "fast-ok"}).first()
        assert row is not None
        assert row.redeemed_at == row.last_token_refresh_at == NOW
        assert FAST_SELECT.execute(connection, {"reference": "fast-missing"}).first() is None


def test_runs_inside_the_callers_transaction(clean: Database) -> None:
    class AbortError(Exception):
        pass

    def insert_then_abort() -> None:
        with clean.write() as connection:
            FAST_INSERT.execute(connection, _row("fast-rolled-back"))
            assert FAST_SELECT.execute(connection, {"reference": "fast-rolled-back"}).first() is not None
            raise AbortError

    with pytest.raises(AbortError):
        insert_then_abort()
    with clean.read() as connection:
        assert FAST_SELECT.execute(connection, {"reference": "fast-rolled-back"}).first() is None


def test_type_errors_are_not_swallowed(clean: Database) -> None:
    with pytest.raises(ValueError, match="naive datetime"), clean.write() as connection:
        FAST_INSERT.execute(connection, _row("fast-naive", started_at=datetime(2026, 1, 1)))
    # Core reports the same problem wrapped in its StatementError.
    with pytest.raises(StatementError, match="naive datetime"), clean.write() as connection:
        connection.execute(insert(authentications), _row("fast-naive", started_at=datetime(2026, 1, 1)))
    with pytest.raises(KeyError), clean.write() as connection:
        FAST_SELECT.execute(connection, {})
