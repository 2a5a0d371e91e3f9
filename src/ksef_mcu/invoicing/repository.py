"""The only SQL of Obsługa Faktur: users, companies, access and certificates. Never commits (services do)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ksef_mcu.invoicing.model import Company, Slot, StoredCertificate, User
from ksef_mcu.invoicing.tables import (
    certificates,
    companies,
    company_users,
    offline_invoices,
    send_job_files,
    send_jobs,
    sent_invoices,
    users,
)

__all__ = ["Repository"]


def _user(row: Any) -> User:
    return User(**row._mapping)


def _company(row: Any) -> Company:
    return Company(**row._mapping)


def _certificate(row: Any) -> StoredCertificate:
    values = dict(row._mapping)
    values["slot"] = Slot(values["slot"])
    return StoredCertificate(**values)


class Repository:
    # --- users --------------------------------------------------------------------------------------------------------

    def add_user(self, connection: Connection, login: str, password_hash: str, *, is_admin: bool, now: datetime) -> int:
        result = connection.execute(
            insert(users).values(
                login=login, password_hash=password_hash, is_admin=is_admin, failed_logins=0, created_at=now
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def user_by_login(self, connection: Connection, login: str) -> User | None:
        row = connection.execute(select(users).where(users.c.login == login)).first()
        return _user(row) if row else None

    def user_by_id(self, connection: Connection, user_id: int) -> User | None:
        row = connection.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def list_users(self, connection: Connection) -> list[User]:
        return [_user(row) for row in connection.execute(select(users).order_by(users.c.login))]

    def count_users(self, connection: Connection) -> int:
        return len(connection.execute(select(users.c.id).limit(1)).all())

    def remove_user(self, connection: Connection, login: str) -> bool:
        return connection.execute(delete(users).where(users.c.login == login)).rowcount > 0

    def record_failure(
        self, connection: Connection, user_id: int, failures: int, locked_until: datetime | None
    ) -> None:
        connection.execute(
            update(users).where(users.c.id == user_id).values(failed_logins=failures, locked_until=locked_until)
        )

    def record_login(self, connection: Connection, user_id: int, now: datetime) -> None:
        connection.execute(
            update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=None, last_login_at=now)
        )

    # --- companies ----------------------------------------------------------------------------------------------------

    def add_company(self, connection: Connection, context_type: str, value: str, name: str, now: datetime) -> int:
        result = connection.execute(
            insert(companies).values(context_type=context_type, context_value=value, name=name, created_at=now)
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def company_by_context(self, connection: Connection, value: str) -> Company | None:
        row = connection.execute(select(companies).where(companies.c.context_value == value)).first()
        return _company(row) if row else None

    def company_by_id(self, connection: Connection, company_id: int) -> Company | None:
        row = connection.execute(select(companies).where(companies.c.id == company_id)).first()
        return _company(row) if row else None

    def list_companies(self, connection: Connection, *, user_id: int | None = None) -> list[Company]:
        query = select(companies).order_by(companies.c.name, companies.c.id)
        if user_id is not None:
            query = query.join(company_users, company_users.c.company_id == companies.c.id).where(
                company_users.c.user_id == user_id
            )
        return [_company(row) for row in connection.execute(query)]

    def grant_access(self, connection: Connection, company_id: int, user_id: int) -> None:
        exists = connection.execute(
            select(company_users.c.user_id).where(
                company_users.c.company_id == company_id, company_users.c.user_id == user_id
            )
        ).first()
        if exists is None:
            connection.execute(insert(company_users).values(company_id=company_id, user_id=user_id))

    def has_access(self, connection: Connection, company_id: int, user_id: int) -> bool:
        row = connection.execute(
            select(company_users.c.user_id).where(
                company_users.c.company_id == company_id, company_users.c.user_id == user_id
            )
        ).first()
        return row is not None

    def logins_with_access(self, connection: Connection, company_id: int) -> list[str]:
        query = (
            select(users.c.login)
            .join(company_users, company_users.c.user_id == users.c.id)
            .where(company_users.c.company_id == company_id)
            .order_by(users.c.login)
        )
        return list(connection.execute(query).scalars())

    # --- certificates -------------------------------------------------------------------------------------------------

    def certificates_of(self, connection: Connection, company_id: int) -> list[StoredCertificate]:
        query = select(certificates).where(certificates.c.company_id == company_id).order_by(certificates.c.slot)
        return [_certificate(row) for row in connection.execute(query)]

    def certificate(self, connection: Connection, company_id: int, slot: Slot) -> StoredCertificate | None:
        row = connection.execute(
            select(certificates).where(certificates.c.company_id == company_id, certificates.c.slot == int(slot))
        ).first()
        return _certificate(row) if row else None

    def all_certificates(self, connection: Connection) -> list[StoredCertificate]:
        query = select(certificates).order_by(certificates.c.company_id, certificates.c.slot)
        return [_certificate(row) for row in connection.execute(query)]

    def put_certificate(self, connection: Connection, values: dict[str, Any]) -> int:
        """Store the slot's certificate, replacing the one there (one statement pair in the caller's unit of work)."""
        connection.execute(
            delete(certificates).where(
                certificates.c.company_id == values["company_id"], certificates.c.slot == values["slot"]
            )
        )
        result = connection.execute(insert(certificates).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def remove_certificate(self, connection: Connection, company_id: int, slot: Slot) -> bool:
        result = connection.execute(
            delete(certificates).where(certificates.c.company_id == company_id, certificates.c.slot == int(slot))
        )
        return result.rowcount > 0

    def record_check(self, connection: Connection, certificate_id: int, values: dict[str, Any]) -> None:
        connection.execute(update(certificates).where(certificates.c.id == certificate_id).values(**values))

    # --- offline invoices ---------------------------------------------------------------------------------------------

    def add_offline_invoice(self, connection: Connection, values: dict[str, Any]) -> int:
        result = connection.execute(insert(offline_invoices).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def find_offline_invoice(self, connection: Connection, company_id: int, sha256: bytes) -> int | None:
        found = connection.execute(
            select(offline_invoices.c.id).where(
                offline_invoices.c.company_id == company_id, offline_invoices.c.sha256 == sha256
            )
        ).scalar()
        return int(found) if found is not None else None

    def offline_invoice(self, connection: Connection, company_id: int, invoice_id: int) -> dict[str, Any] | None:
        row = connection.execute(
            select(offline_invoices).where(
                offline_invoices.c.id == invoice_id, offline_invoices.c.company_id == company_id
            )
        ).first()
        return dict(row._mapping) if row else None

    def offline_invoices(self, connection: Connection, company_id: int) -> list[dict[str, Any]]:
        query = (
            select(offline_invoices)
            .where(offline_invoices.c.company_id == company_id)
            .order_by(offline_invoices.c.id.desc())
        )
        return [dict(row._mapping) for row in connection.execute(query)]

    def queued_offline_invoices(self, connection: Connection, company_id: int | None = None) -> list[dict[str, Any]]:
        query = select(offline_invoices).where(offline_invoices.c.status == "queued").order_by(offline_invoices.c.id)
        if company_id is not None:
            query = query.where(offline_invoices.c.company_id == company_id)
        return [dict(row._mapping) for row in connection.execute(query)]

    def update_offline_invoice(self, connection: Connection, invoice_id: int, values: dict[str, Any]) -> None:
        connection.execute(update(offline_invoices).where(offline_invoices.c.id == invoice_id).values(**values))

    # --- sent invoices ------------------------------------------------------------------------------------------------

    def add_sent_invoice(self, connection: Connection, values: dict[str, Any]) -> int:
        result = connection.execute(insert(sent_invoices).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def sent_invoices(self, connection: Connection, company_id: int, limit: int = 200) -> list[dict[str, Any]]:
        query = (
            select(sent_invoices)
            .where(sent_invoices.c.company_id == company_id)
            .order_by(sent_invoices.c.id.desc())
            .limit(limit)
        )
        return [dict(row._mapping) for row in connection.execute(query)]

    def sent_invoice(self, connection: Connection, company_id: int, sent_id: int) -> dict[str, Any] | None:
        row = connection.execute(
            select(sent_invoices).where(sent_invoices.c.id == sent_id, sent_invoices.c.company_id == company_id)
        ).first()
        return dict(row._mapping) if row else None

    # --- sending jobs ("Wyślij faktury do KSeF" in the background) ---------------------------------------------------

    def add_send_job(self, connection: Connection, values: dict[str, Any], files: list[tuple[str, bytes]]) -> int:
        result = connection.execute(insert(send_jobs).values(**values))
        job_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        connection.execute(
            insert(send_job_files),
            [
                {"job_id": job_id, "position": position, "file_name": name, "content": content, "stage": "waiting"}
                for position, (name, content) in enumerate(files, start=1)
            ],
        )
        return job_id

    def send_job(self, connection: Connection, job_id: int, company_id: int | None = None) -> dict[str, Any] | None:
        query = select(send_jobs).where(send_jobs.c.id == job_id)
        if company_id is not None:
            query = query.where(send_jobs.c.company_id == company_id)
        row = connection.execute(query).first()
        return dict(row._mapping) if row else None

    def send_job_files(
        self, connection: Connection, job_id: int, *, with_content: bool = False
    ) -> list[dict[str, Any]]:
        columns = [column for column in send_job_files.c if with_content or column.name != "content"]
        query = select(*columns).where(send_job_files.c.job_id == job_id).order_by(send_job_files.c.position)
        return [dict(row._mapping) for row in connection.execute(query)]

    def update_send_job(self, connection: Connection, job_id: int, values: dict[str, Any]) -> None:
        connection.execute(update(send_jobs).where(send_jobs.c.id == job_id).values(**values))

    def update_send_job_file(self, connection: Connection, file_id: int, values: dict[str, Any]) -> None:
        connection.execute(update(send_job_files).where(send_job_files.c.id == file_id).values(**values))

    def finish_send_job_files(self, connection: Connection, job_id: int, message: str | None) -> None:
        """Drop the files' content; with `message`, every file not yet final gets it as its error."""
        connection.execute(update(send_job_files).where(send_job_files.c.job_id == job_id).values(content=None))
        if message is not None:
            connection.execute(
                update(send_job_files)
                .where(send_job_files.c.job_id == job_id, send_job_files.c.stage.in_(("waiting", "sent")))
                .values(stage="error", message=message)
            )

    def running_send_jobs(self, connection: Connection) -> list[int]:
        return [int(row.id) for row in connection.execute(select(send_jobs.c.id).where(send_jobs.c.state == "running"))]
