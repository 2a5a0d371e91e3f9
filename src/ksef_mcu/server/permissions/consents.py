"""A context's consent to issue invoices with attachments (`uprawnienia.md`, "Sprawdzenie statusu zgody na
wystawianie faktur z załącznikiem").

In production the consent is given outside the API (e-Urząd Skarbowy); the sandbox sets it with `/testdata/attachment`
and ends it with `/testdata/attachment/revoke`, optionally from a future day (`expectedEndDate`). The repository holds
the SQL; `AttachmentConsent.allowed_at` is the one rule that says whether it is in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, or_, select, update

from ksef_mcu.identifiers import ContextIdentifier
from ksef_mcu.server.permissions.tables import attachment_consents
from ksef_mcu.storage.statements import upsert

_consents = attachment_consents.c


@dataclass(frozen=True, slots=True)
class AttachmentConsent:
    """A context's consent: given at `granted_at`, ending at `revoked_at` (None: no end). Times are UTC."""

    granted_at: datetime
    revoked_at: datetime | None

    def allowed_at(self, now: datetime) -> bool:
        """Whether invoices with attachments may be issued at `now` (the consent ends at `revoked_at`, exclusive)."""
        return self.revoked_at is None or now < self.revoked_at


@dataclass(frozen=True, slots=True)
class AttachmentConsentStatus:
    """What `GET /permissions/attachments/status` answers: in force now, and when it ends or ended (None: no end, or
    never given)."""

    allowed: bool
    ends_at: datetime | None

    @classmethod
    def of(cls, consent: AttachmentConsent | None, now: datetime) -> AttachmentConsentStatus:
        if consent is None:
            return cls(False, None)
        return cls(consent.allowed_at(now), consent.revoked_at)


class AttachmentConsentRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def grant(self, context: ContextIdentifier, *, now: datetime) -> None:
        """Give (or give again) the consent, without an end."""
        statement = upsert(self._connection, attachment_consents).values(
            context_type=context.type.value, context_value=context.value, granted_at=now, revoked_at=None
        )
        self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[_consents.context_type, _consents.context_value],
                set_={"granted_at": now, "revoked_at": None},
            )
        )

    def end(self, context: ContextIdentifier, *, at: datetime) -> None:
        """End the consent at `at`; an earlier end already set is kept, and a context without one is left alone."""
        self._connection.execute(
            update(attachment_consents)
            .where(
                _consents.context_type == context.type.value,
                _consents.context_value == context.value,
                or_(_consents.revoked_at.is_(None), _consents.revoked_at > at),
            )
            .values(revoked_at=at)
        )

    def get(self, context: ContextIdentifier) -> AttachmentConsent | None:
        row = self._connection.execute(
            select(_consents.granted_at, _consents.revoked_at).where(
                _consents.context_type == context.type.value, _consents.context_value == context.value
            )
        ).first()
        return AttachmentConsent(row.granted_at, row.revoked_at) if row is not None else None
