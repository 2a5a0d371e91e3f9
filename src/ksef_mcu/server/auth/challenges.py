"""Authentication challenges: issued by `POST /auth/challenge`, valid for ten minutes, usable once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ksef_mcu.clock import Clock
from ksef_mcu.server.db.repositories.challenges import ChallengeRepository
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.storage.database import Database


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
