"""`ksef-mcu ca block` / `unblock`: an operator puts a certificate on hold (and back), the CRL follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from ksef_mcu.cli import app as cli
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.clock import SystemClock
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.certificates.ca import open_certificate_authority
from ksef_mcu.server.certificates.model import CertificateStatus
from ksef_mcu.server.certificates.repositories.certificates import CertificateRepository
from ksef_mcu.server.certificates.worker import IssuanceWorker
from ksef_mcu.server.keys import KeyStore
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database
from support.enrollments import add_pending
from support.pki import random_nip

pytestmark = pytest.mark.db

SECRET = "passphrase-for-the-block-tests"


def issue_one(database: Database, data_dir: Path, database_url: str) -> str:
    """A certificate issued by the CA in `data_dir` (as `serve` would), returned by serial."""
    authority = open_certificate_authority(
        KeyStore(data_dir / "keys", SECRET), now=datetime.now(UTC) - timedelta(minutes=1), crl_url="http://x/ca/crl"
    )
    add_pending(database, SubjectIdentifier(SubjectIdentifierType.NIP, random_nip()), now=datetime.now(UTC))
    settings = ServerSettings(data_dir=data_dir, database_url=database_url)
    worker = IssuanceWorker(settings=settings, database=database, clock=SystemClock(), issuer=authority.issuer)
    [serial] = worker.run_once().serials
    return serial


def status_of(database: Database, serial: str) -> CertificateStatus:
    with database.read() as connection:
        record = CertificateRepository(connection).get(serial)
    assert record is not None
    return record.stored_status


def crl_entry(database: Database, serial: str) -> x509.RevokedCertificate | None:
    with database.read() as connection:
        stored = CertificateRepository(connection).current_crl()
    assert stored is not None
    return x509.load_der_x509_crl(stored.der).get_revoked_certificate_by_serial_number(int(serial, 16))


def test_block_and_unblock(
    database: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSEF_MCU_SECRET", SECRET)
    serial = issue_one(database, tmp_path, database_url)
    runner = CliRunner()
    options = ["--data-dir", str(tmp_path), "--database-url", database_url]

    blocked = runner.invoke(cli, ["ca", "block", serial.lower(), *options])
    assert blocked.exit_code == 0, blocked.output
    assert f"Certyfikat {serial}" in blocked.output
    assert status_of(database, serial) is CertificateStatus.BLOCKED
    entry = crl_entry(database, serial)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.certificate_hold

    again = runner.invoke(cli, ["ca", "block", serial, *options])
    assert again.exit_code == ExitCode.REFUSED
    assert "jest zablokowany" in again.output

    unblocked = runner.invoke(cli, ["ca", "unblock", serial, *options])
    assert unblocked.exit_code == 0, unblocked.output
    assert status_of(database, serial) is CertificateStatus.ACTIVE
    assert crl_entry(database, serial) is None


def test_unknown_serial(database: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_MCU_SECRET", SECRET)
    open_certificate_authority(  # the CA `serve` creates on its first start: `ca block` never creates one
        KeyStore(tmp_path / "keys", SECRET), now=datetime.now(UTC), crl_url="http://x/ca/crl"
    )
    result = CliRunner().invoke(
        cli, ["ca", "block", "0123456789ABCDEF", "--data-dir", str(tmp_path), "--database-url", database_url]
    )
    assert result.exit_code == ExitCode.REFUSED
    assert "Certyfikat o podanym numerze seryjnym nie istnieje." in result.output
