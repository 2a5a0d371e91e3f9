"""The issuance worker: turns accepted requests (status 100) into certificates (200) or rejections (400/500/550).

The enrollment rows are the queue; any number of workers (in `ksef-mcu serve` processes or `ksef-mcu worker`
processes) may share one database. One batch is the issuance cycle of `docs/certificates.md`; the numbered steps
below are the same as there:

1. Claim — one write transaction takes up to `issuance_batch_size` pending requests, oldest first, that no live
   claim holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), until now + `issuance_claim_lease`.
2. Decide — in the same transaction, per subject under the subject's lock: a request that has been claimed too often
   is cancelled (550); if the subject already holds its limit of certificates (counting other requests that hold a
   serial) the request is rejected (400); if its public key was certified for another subject, rejected (400).
3. Record the serial — a random 63-bit serial is drawn and recorded as reserved (unique for ever) on the request.
4. Prepare — the validity period is fixed (from the later of the requested start and now, two years) and the CA
   builds and checks the certificate from its profile. The transaction commits: the serial is recorded before
   anything is signed, so from here on a crash leaves a record, and a serial is never signed twice.
5. Sign — outside any transaction, the CA signs each prepared certificate once and checks the result.
6. Store — one write transaction stores each certificate and sets status 200, but only if the request is still
   pending with the same serial (a worker whose lease ran out and whose request was taken over loses the race and
   throws its certificate away); a request whose signing failed ends at 500.
7. Resume and drain — requests claimed by a worker that died are claimed again when the lease runs out (with a new
   serial; the old one stays recorded, never used); on shutdown the worker finishes the batch in hand and stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection

from ksef_mcu.crypto.certificates import SubjectIdentifier
from ksef_mcu.crypto.serials import format_serial, generate_serial
from ksef_mcu.server.certificates.model import (
    CANCELLED_DETAIL,
    CERTIFICATE_LIMIT_DETAIL,
    FAILED_DETAIL,
    KEY_ALREADY_CERTIFIED_DETAIL,
    CertificateRecord,
    CertificateStatus,
    EnrollmentStatus,
    EnrollmentStatusCode,
)
from ksef_mcu.server.clock import Clock
from ksef_mcu.server.db.engine import Database
from ksef_mcu.server.db.notifications import NotificationListener
from ksef_mcu.server.db.repositories.certificates import CertificateRepository
from ksef_mcu.server.db.repositories.enrollments import EnrollmentRecord, EnrollmentRepository
from ksef_mcu.server.enrollment.issuer import IssuanceError, IssuanceRequest, Issuer, PreparedCertificate
from ksef_mcu.server.enrollment.policy import LimitOverride, effective_limits, validity_period
from ksef_mcu.server.enrollment.service import NOTIFY_CHANNEL, default_limits_from
from ksef_mcu.server.settings import ServerSettings

logger = logging.getLogger("ksef_mcu.server.issuance")

MAX_ATTEMPTS = 5
"""A request claimed this many times without finishing (its worker kept dying) is cancelled with status 550."""
MAX_SERIAL_DRAWS = 8


@dataclass
class BatchOutcome:
    """What one batch did (counts of requests by final status, and how many were left to others)."""

    issued: int = 0
    rejected: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0
    serials: list[str] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.issued + self.rejected + self.failed + self.cancelled

    @property
    def claimed(self) -> int:
        return self.finished + self.lost


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class IssuanceWorker:
    """Runs the issuance cycle. `run_once` is one batch (synchronous); `run` loops until told to stop."""

    def __init__(
        self,
        *,
        settings: ServerSettings,
        database: Database,
        clock: Clock,
        issuer: Issuer,
        worker_id: str | None = None,
        before_signing: Callable[[list[str]], None] | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._issuer = issuer
        self._defaults = default_limits_from(settings)
        self.worker_id = worker_id or new_worker_id()
        self._before_signing = before_signing
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    # --- one batch ------------------------------------------------------------------------------------------------

    def run_once(self) -> BatchOutcome:
        """Claim, decide, prepare, record serials, sign and store one batch (steps 1–6)."""
        outcome = BatchOutcome()
        now = self._clock.now()
        prepared: list[tuple[EnrollmentRecord, PreparedCertificate]] = []
        # Steps 1–4 in one transaction: the serials are committed before anything is signed.
        with self._database.write() as connection:
            enrollments = EnrollmentRepository(connection)
            claimed = enrollments.claim(
                worker_id=self.worker_id,
                now=now,
                lease=self._settings.issuance_claim_lease,
                limit=self._settings.issuance_batch_size,
            )
            by_subject = sorted(claimed, key=lambda record: (record.subject.type.value, record.subject.value))
            for subject, group in groupby(by_subject, key=lambda record: record.subject):
                own = enrollments.lock_subject(subject, now=now)
                limits = effective_limits(
                    subject.type,
                    defaults=self._defaults,
                    override=LimitOverride(own.max_enrollments, own.max_certificates),
                )
                for record in group:
                    decided = self._decide_and_prepare(
                        connection,
                        record,
                        subject=subject,
                        max_certificates=limits.max_certificates,
                        now=now,
                        outcome=outcome,
                    )
                    if decided is not None:
                        prepared.append(decided)
        if self._before_signing is not None and prepared:
            self._before_signing([certificate.serial_number for _, certificate in prepared])
        # Step 5: sign, outside any transaction.
        signed: list[tuple[EnrollmentRecord, PreparedCertificate, x509.Certificate | None]] = []
        for record, to_sign in prepared:
            try:
                signed.append((record, to_sign, self._issuer.issue(to_sign)))
            except IssuanceError:
                logger.exception("signing %s failed", record.reference_number)
                signed.append((record, to_sign, None))
        # Step 6: store.
        if signed:
            self._store(signed, outcome)
        if outcome.claimed:
            logger.debug(
                "batch: %d issued, %d rejected, %d failed, %d cancelled, %d lost",
                outcome.issued,
                outcome.rejected,
                outcome.failed,
                outcome.cancelled,
                outcome.lost,
            )
        return outcome

    def _decide_and_prepare(
        self,
        connection: Connection,
        record: EnrollmentRecord,
        *,
        subject: SubjectIdentifier,
        max_certificates: int,
        now: datetime,
        outcome: BatchOutcome,
    ) -> tuple[EnrollmentRecord, PreparedCertificate] | None:
        enrollments = EnrollmentRepository(connection)
        certificates = CertificateRepository(connection)
        reference = record.reference_number

        def finish(code: EnrollmentStatusCode, *details: str) -> None:
            if enrollments.finish(reference, EnrollmentStatus(code, details), now=now):
                if code is EnrollmentStatusCode.REJECTED:
                    outcome.rejected += 1
                elif code is EnrollmentStatusCode.CANCELLED:
                    outcome.cancelled += 1
                else:
                    outcome.failed += 1

        # Step 2: decide.
        if record.attempts + 1 > MAX_ATTEMPTS:
            logger.error("%s was claimed %d times without finishing; cancelling it", reference, record.attempts + 1)
            finish(EnrollmentStatusCode.CANCELLED, CANCELLED_DETAIL)
            return None
        _, held = enrollments.count_usage(subject, now=now, since=now, reserved_only=True, exclude=reference)
        if held >= max_certificates:
            finish(EnrollmentStatusCode.REJECTED, CERTIFICATE_LIMIT_DETAIL)
            return None
        if certificates.certify_public_key(record.public_key_sha256, subject, now=now) != subject:
            finish(EnrollmentStatusCode.REJECTED, KEY_ALREADY_CERTIFIED_DETAIL)
            return None
        not_before, not_after = validity_period(record.requested_valid_from, issued_at=now)
        try:
            public_key = x509.load_der_x509_csr(record.csr_der).public_key()
            # Step 3: record the serial (drawn again on the rare collision with one ever reserved).
            for _ in range(MAX_SERIAL_DRAWS):
                serial = generate_serial()
                if enrollments.reserve_serial(reference, format_serial(serial), now=now):
                    break
            else:  # pragma: no cover - 8 collisions in a 63-bit space
                raise IssuanceError("could not draw an unused serial")
            # Step 4: prepare (build and check); the caller's commit makes the serial durable before signing.
            prepared = self._issuer.prepare(
                IssuanceRequest(
                    serial_number=serial,
                    subject=record.enrollment_data,
                    certificate_type=record.certificate_type,
                    public_key=public_key,  # type: ignore[arg-type]
                    not_before=not_before,
                    not_after=not_after,
                )
            )
        except (IssuanceError, ValueError):
            logger.exception("preparing the certificate for %s failed", reference)
            finish(EnrollmentStatusCode.FAILED, FAILED_DETAIL)
            return None
        return record, prepared

    def _store(
        self,
        signed: list[tuple[EnrollmentRecord, PreparedCertificate, x509.Certificate | None]],
        outcome: BatchOutcome,
    ) -> None:
        now = self._clock.now()
        with self._database.write() as connection:
            enrollments = EnrollmentRepository(connection)
            certificates = CertificateRepository(connection)
            for record, prepared, certificate in signed:
                if certificate is None:
                    if enrollments.finish(
                        record.reference_number,
                        EnrollmentStatus(EnrollmentStatusCode.FAILED, (FAILED_DETAIL,)),
                        now=now,
                    ):
                        outcome.failed += 1
                    continue
                if not enrollments.finish_issued(record.reference_number, prepared.serial_number, now=now):
                    # Our lease ran out and another worker took the request over: this certificate never leaves.
                    logger.warning("%s was taken over; discarding %s", record.reference_number, prepared.serial_number)
                    outcome.lost += 1
                    continue
                certificates.add(
                    CertificateRecord(
                        serial_number=prepared.serial_number,
                        reference_number=record.reference_number,
                        subject=record.subject,
                        name=record.certificate_name,
                        certificate_type=record.certificate_type,
                        common_name=record.enrollment_data.common_name,
                        stored_status=CertificateStatus.ACTIVE,
                        valid_from=prepared.request.not_before,
                        valid_to=prepared.request.not_after,
                        request_date=record.request_date,
                        last_use_date=None,
                        der=certificate.public_bytes(Encoding.DER),
                    ),
                    enrollment_data=record.enrollment_data,
                    public_key_sha256=record.public_key_sha256,
                    issued_at=now,
                )
                outcome.issued += 1
                outcome.serials.append(prepared.serial_number)

    # --- housekeeping ---------------------------------------------------------------------------------------------

    def purge(self) -> int:
        """Delete finished requests well past their retention (410 answers in between); returns how many."""
        keep = max(self._settings.enrollment_retention, self._settings.enrollment_limit_window) + timedelta(days=60)
        with self._database.write() as connection:
            return EnrollmentRepository(connection).purge(requested_before=self._clock.now() - keep)

    # --- the loop -------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Tell the running loop there is new work. Safe to call from any thread; a no-op when not running."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Process batches until `stop` is set, then finish the batch in hand and return (step 7)."""
        self._loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        listener: NotificationListener | None = None
        if self._database.dialect == "postgresql":
            listener = NotificationListener(
                self._database.engine.url.render_as_string(False), NOTIFY_CHANNEL, self.wake
            )
            listener.start()
        poll = self._settings.issuance_poll_interval.total_seconds()
        housekeeping = self._settings.housekeeping_interval.total_seconds()
        next_housekeeping = self._loop.time() + housekeeping
        logger.info("issuance worker %s started", self.worker_id)
        try:
            while not stop.is_set():
                wake.clear()  # before the batch: a wake-up during it makes the wait below return at once
                try:
                    outcome = await asyncio.to_thread(self.run_once)
                except Exception:
                    logger.exception("issuance batch failed; retrying")
                    outcome = BatchOutcome()
                    await _wait_any(stop, wake, timeout=poll)
                    continue
                if outcome.claimed:
                    continue  # there may be more waiting
                if self._loop.time() >= next_housekeeping:
                    next_housekeeping = self._loop.time() + housekeeping
                    try:
                        purged = await asyncio.to_thread(self.purge)
                        if purged:
                            logger.info("housekeeping: deleted %d old certificate enrollments", purged)
                    except Exception:
                        logger.exception("purging old enrollments failed")
                await _wait_any(stop, wake, timeout=poll)
        finally:
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            self._wake = None
            self._loop = None
            logger.info("issuance worker %s stopped", self.worker_id)


async def _wait_any(first: asyncio.Event, second: asyncio.Event, *, timeout: float) -> None:
    """Return when either event is set or `timeout` seconds have passed."""
    if first.is_set() or second.is_set():
        return
    tasks = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
