"""PostgreSQL: every insert into the issuance queue notifies the workers' channel.

A trigger instead of a `pg_notify` call after each insert: one round trip fewer per enrollment, and no code path
that adds requests can forget to wake the workers. The notification is delivered on commit. SQLite has no
notifications (its workers poll), so this revision changes nothing there.

Revision ID: 3c9a51d2e7f0
Revises: ef1783adefe9 (certificates)
Create Date: 2026-11-25 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3c9a51d2e7f0"
down_revision: str | None = "ef1783adefe9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel is `NOTIFY_CHANNEL` of the certificates domain; a migration keeps its own copy, as it must
# keep doing what it did when it was written.
_CHANNEL = "ksef_mcu_enrollments"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION ksef_mcu_notify_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{_CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER certificate_enrollments_notify AFTER INSERT ON certificate_enrollments
        FOR EACH STATEMENT EXECUTE FUNCTION ksef_mcu_notify_enrollments()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS certificate_enrollments_notify ON certificate_enrollments")
    op.execute("DROP FUNCTION IF EXISTS ksef_mcu_notify_enrollments()")
