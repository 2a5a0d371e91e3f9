"""Obsługa Faktur's tables (its own MetaData and Alembic history; it shares no table with the MCU server)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ksef_mcu.storage.types import Identity64, UtcDateTime, new_metadata

__all__ = [
    "certificates",
    "companies",
    "company_users",
    "metadata",
    "offline_invoices",
    "send_job_files",
    "send_jobs",
    "sent_invoices",
    "users",
]

metadata = new_metadata()

users = Table(
    "inv_users",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime, nullable=True),
)

companies = Table(
    "inv_companies",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("context_type", String(16), nullable=False),
    Column("context_value", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("context_type", "context_value"),
)

company_users = Table(
    "inv_company_users",
    metadata,
    Column("company_id", ForeignKey("inv_companies.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("inv_users.id", ondelete="CASCADE"), primary_key=True),
)

certificates = Table(
    "inv_certificates",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("company_id", ForeignKey("inv_companies.id", ondelete="CASCADE"), nullable=False),
    Column("slot", Integer, nullable=False),  # 1: Authentication (Typ 1), 2: Offline (Typ 2)
    Column("certificate_der", LargeBinary, nullable=False),
    Column("key_format", String(16), nullable=False),  # "key" (a .key file) or "pkcs12"
    Column("key_data", LargeBinary, nullable=False),  # as uploaded (encrypted by its password) or sealed if plain
    Column("key_sealed", Boolean, nullable=False, default=False),
    Column("sealed_password", LargeBinary, nullable=True),
    Column("common_name", String(256), nullable=False),
    Column("serial_number", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("subject_identifier_type", String(32), nullable=False),
    Column("subject_identifier_value", String(128), nullable=False),
    Column("issuer", Text, nullable=False),
    Column("environment", String(16), nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_to", UtcDateTime, nullable=False),
    Column("added_by", String(64), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime, nullable=True),
    Column("ksef_status", String(32), nullable=True),
    Column("checked_at", UtcDateTime, nullable=True),
    Column("check_ok", Boolean, nullable=True),
    Column("check_message", Text, nullable=True),
    UniqueConstraint("company_id", "slot"),
)

offline_invoices = Table(
    "inv_offline_invoices",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("company_id", ForeignKey("inv_companies.id", ondelete="CASCADE"), nullable=False),
    Column("invoice_number", String(256), nullable=False),
    Column("seller_nip", String(10), nullable=False),
    Column("seller_name", String(512), nullable=True),
    Column("issue_date", String(10), nullable=False),  # ISO date, as on the invoice (P_1)
    Column("gross_total", String(32), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("sha256", LargeBinary, nullable=False),
    Column("content", LargeBinary, nullable=False),  # the FA(3) file exactly as issued (what KSeF will hash)
    Column("kod1_link", Text, nullable=False),
    Column("kod2_link", Text, nullable=False),
    Column("certificate_serial", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # "queued": waiting to be sent with offlineMode=true
    Column("ksef_number", String(64), nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("send_message", Text, nullable=True),  # why the last attempt to send it did not succeed
    UniqueConstraint("company_id", "sha256"),
)

sent_invoices = Table(
    "inv_sent_invoices",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("company_id", ForeignKey("inv_companies.id", ondelete="CASCADE"), nullable=False),
    Column("file_name", String(256), nullable=False),
    Column("invoice_number", String(256), nullable=True),
    Column("session_reference", String(64), nullable=False),
    Column("invoice_reference", String(64), nullable=False),
    Column("offline_mode", Boolean, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("status_description", Text, nullable=False),
    Column("ksef_number", String(64), nullable=True),
    Column("upo", LargeBinary, nullable=True),
    Column("sent_by", String(64), nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
)

send_jobs = Table(
    "inv_send_jobs",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("company_id", ForeignKey("inv_companies.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),  # "running", "done" or "failed"
    Column("message", Text, nullable=True),  # why it failed (Polish, for the page)
    Column("session_reference", String(64), nullable=True),
    Column("session_closed", Boolean, nullable=False, default=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
)
"""A sending of files from the screen "Wyślij faktury do KSeF", run in the background; its page polls the state."""

send_job_files = Table(
    "inv_send_job_files",
    metadata,
    Column("id", Identity64, primary_key=True, autoincrement=True),
    Column("job_id", ForeignKey("inv_send_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("file_name", String(256), nullable=False),
    Column("content", LargeBinary, nullable=True),  # the file until the job ends, then dropped
    Column("stage", String(16), nullable=False),  # "waiting", "sent", "processed", "upo" or "error"
    Column("invoice_reference", String(64), nullable=True),
    Column("ksef_number", String(64), nullable=True),
    Column("message", Text, nullable=True),
    Column("sent_id", ForeignKey("inv_sent_invoices.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("job_id", "position"),
)
