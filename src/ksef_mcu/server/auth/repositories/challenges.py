"""Authentication challenges."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from ksef_mcu.server.auth.tables import challenges
from ksef_mcu.storage.statements import FastStatement

# Login-path statements skip `Connection.execute` (see `ksef_mcu.storage.statements`).
_ADD = FastStatement(insert(challenges), column_keys=["challenge", "issued_at", "expires_at", "client_ip"])
_CONSUME = FastStatement(
    update(challenges)
    .where(
        challenges.c.challenge == bindparam("presented"),
        challenges.c.used_at.is_(None),
        challenges.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
)
_STATE = FastStatement(
    select(challenges.c.used_at, challenges.c.expires_at).where(challenges.c.challenge == bindparam("presented"))
)
_ISSUED_AT = FastStatement(select(challenges.c.issued_at).where(challenges.c.challenge == bindparam("presented")))
_PURGE = delete(challenges).where(challenges.c.expires_at < bindparam("before"))


class ChallengeUse(enum.Enum):
    """What happened when a challenge was presented."""

    CONSUMED = "consumed"
    UNKNOWN = "unknown"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"


class ChallengeRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, challenge: str, *, issued_at: datetime, expires_at: datetime, client_ip: str) -> None:
        _ADD.execute(
            self._connection,
            {"challenge": challenge, "issued_at": issued_at, "expires_at": expires_at, "client_ip": client_ip},
        )

    def consume(self, challenge: str, *, now: datetime) -> ChallengeUse:
        """Mark the challenge used if it is known, unused and unexpired — atomically, so it is used at most once."""
        if _CONSUME.execute(self._connection, {"presented": challenge, "now": now}).rowcount == 1:
            return ChallengeUse.CONSUMED
        row = _STATE.execute(self._connection, {"presented": challenge}).first()
        if row is None:
            return ChallengeUse.UNKNOWN
        return ChallengeUse.ALREADY_USED if row.used_at is not None else ChallengeUse.EXPIRED

    def issued_at(self, challenge: str) -> datetime | None:
        """When the challenge was issued (its `timestamp`), or None if it was not issued here."""
        row = _ISSUED_AT.execute(self._connection, {"presented": challenge}).first()
        return row.issued_at if row is not None else None

    def purge_expired(self, *, before: datetime) -> int:
        """Delete challenges that expired before `before`; returns how many."""
        return self._connection.execute(_PURGE, {"before": before}).rowcount
