"""Serials the CA reserved: recorded before anything is signed with them, so none is ever used twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, update

from ksef_mcu.server.certificates.tables import certificate_enrollments, certificate_serials
from ksef_mcu.storage.statements import upsert

_enrollment = certificate_enrollments.c

_SET_SERIAL = (
    update(certificate_enrollments)
    .where(_enrollment.reference_number == bindparam("ref"))
    .values(serial_number=bindparam("new_serial_number"))
)


class SerialRepository:
    """SQL for reserved serials. Never commits: the caller's unit of work does."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def reserve_serials(self, serials: dict[str, str], *, now: datetime) -> set[str]:
        """Record serials (reference number → serial) as reserved, before anything is signed with them; set each on
        its request. Returns the references whose serial was taken already (ever reserved before): draw again."""
        if not serials:
            return set()
        table = certificate_serials
        insert_statement = upsert(self._connection, table)
        inserted = set(
            self._connection.execute(
                insert_statement.values(
                    [
                        {"serial_number": serial, "reference_number": reference, "reserved_at": now}
                        for reference, serial in serials.items()
                    ]
                )
                .on_conflict_do_nothing(index_elements=["serial_number"])
                .returning(table.c.serial_number)
            ).scalars()
        )
        # RETURNING tells what went in (rowcount of INSERT … ON CONFLICT is not reliable on psycopg).
        taken = {reference for reference, serial in serials.items() if serial not in inserted}
        recorded = [
            {"ref": reference, "new_serial_number": serial}
            for reference, serial in serials.items()
            if reference not in taken
        ]
        if recorded:
            self._connection.execute(_SET_SERIAL, recorded)
        return taken
