"""The issuance worker: turns accepted requests (status 100) into certificates (200) or rejections (400/500/550).

The enrollment rows are the queue; any number of workers (in `ksef-mcu serve` processes or `ksef-mcu worker`
processes) may share one database. One batch is the issuance cycle of `docs/certificates.md`; the numbered steps
below are the same as there:

1. Claim — one write transaction takes up to `issuance_batch_size` pending requests, oldest first, that no live
   claim holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), until now + `issuance_claim_lease`.
2. Decide — in the same transaction, with the subjects locked: a request that has been claimed too often is
   cancelled (550); if its public key was certified for another subject it is rejected (400); if the subject already
   holds its limit of certificates (counting other requests that hold a serial) it is rejected (400).
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

Batches form by themselves: a worker woken by a new request (in-process notice, PostgreSQL NOTIFY, or its poll)
waits `issuance_batch_window` before claiming, so requests arriving together share one claim and one store; with a
backlog it claims full batches back to back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.serials import format_serial, generate_serial
from ksef_mcu.identifiers import SubjectIdentifier
from ksef_mcu.server.certificates.issuer import IssuanceError, IssuanceRequest, Issuer, PreparedCertificate
from ksef_mcu.server.certificates.model import (
    CANCELLED_DETAIL,
    CERTIFICATE_LIMIT_DETAIL,
    FAILED_DETAIL,
    KEY_ALREADY_CERTIFIED_DETAIL,
    CertificateRecord,
    CertificateStatus,
    EnrollmentRecord,
    EnrollmentStatus,
    EnrollmentStatusCode,
    IssuedCertificate,
)
from ksef_mcu.server.certificates.policy import effective_limits, validity_period
from ksef_mcu.server.certificates.registration import NOTIFY_CHANNEL, default_limits_from
from ksef_mcu.server.certificates.repositories.certificates import CertificateRepository
from ksef_mcu.server.certificates.repositories.enrollments import EnrollmentRepository
from ksef_mcu.server.certificates.repositories.serials import SerialRepository
from ksef_mcu.server.certificates.repositories.subject_limits import SubjectLimitRepository
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database
from ksef_mcu.storage.queue_loop import BatchProgress, QueueLoop, new_worker_id

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
        self._queue = QueueLoop(
            name=f"issuance worker {self.worker_id}",
            database=database,
            channel=NOTIFY_CHANNEL,
            poll=settings.issuance_poll_interval.total_seconds(),
            window=settings.issuance_batch_window.total_seconds(),
            batch_size=settings.issuance_batch_size,
            logger=logger,
        )
        self._next_housekeeping: float | None = None

    # --- one batch ------------------------------------------------------------------------------------------------

    def run_once(self) -> BatchOutcome:
        """Claim, decide, record serials, prepare, sign and store one batch (steps 1–6)."""
        outcome = BatchOutcome()
        prepared = self._claim(outcome)
        self._announce(prepared)
        signed = self._sign(prepared)
        if signed:
            self._store(signed, outcome)
        self._log(outcome)
        return outcome

    async def run_once_async(self) -> BatchOutcome:
        """`run_once` from the event loop: the two units of work (which may wait for locks) in the database's
        threads, the signing — CPU only, milliseconds — on the loop (a thread would fight the loop for the GIL)."""
        outcome = BatchOutcome()
        prepared = await self._database.call(self._claim, outcome)
        if self._before_signing is not None and prepared:
            await self._database.call(self._announce, prepared)
        signed = self._sign(prepared)
        if signed:
            await self._database.call(self._store, signed, outcome)
        self._log(outcome)
        return outcome

    def _claim(self, outcome: BatchOutcome) -> list[tuple[EnrollmentRecord, PreparedCertificate]]:
        """Steps 1–4 in one transaction: the serials are committed before anything is signed."""
        now = self._clock.now()
        with self._database.write() as connection:
            enrollments = EnrollmentRepository(connection)
            claimed = enrollments.claim(
                worker_id=self.worker_id,
                now=now,
                lease=self._settings.issuance_claim_lease,
                limit=self._settings.issuance_batch_size,
            )
            accepted = self._decide(connection, claimed, now, outcome)
            serials = self._reserve_serials(SerialRepository(connection), accepted, now)
            return self._prepare(enrollments, accepted, serials, now, outcome)

    def _announce(self, prepared: list[tuple[EnrollmentRecord, PreparedCertificate]]) -> None:
        if self._before_signing is not None and prepared:
            self._before_signing([certificate.serial_number for _, certificate in prepared])

    def _sign(
        self, prepared: list[tuple[EnrollmentRecord, PreparedCertificate]]
    ) -> list[tuple[EnrollmentRecord, PreparedCertificate, x509.Certificate | None]]:
        """Step 5: sign, outside any transaction."""
        signed: list[tuple[EnrollmentRecord, PreparedCertificate, x509.Certificate | None]] = []
        for record, to_sign in prepared:
            try:
                signed.append((record, to_sign, self._issuer.issue(to_sign)))
            except IssuanceError:
                logger.exception("signing %s failed", record.reference_number)
                signed.append((record, to_sign, None))
        return signed

    @staticmethod
    def _log(outcome: BatchOutcome) -> None:
        if outcome.claimed:
            logger.debug(
                "batch: %d issued, %d rejected, %d failed, %d cancelled, %d lost",
                outcome.issued,
                outcome.rejected,
                outcome.failed,
                outcome.cancelled,
                outcome.lost,
            )

    @staticmethod
    def _finish(
        enrollments: EnrollmentRepository,
        record: EnrollmentRecord,
        code: EnrollmentStatusCode,
        detail: str,
        *,
        now: datetime,
        outcome: BatchOutcome,
    ) -> None:
        if not enrollments.finish(record.reference_number, EnrollmentStatus(code, (detail,)), now=now):
            return
        if code is EnrollmentStatusCode.REJECTED:
            outcome.rejected += 1
        elif code is EnrollmentStatusCode.CANCELLED:
            outcome.cancelled += 1
        else:
            outcome.failed += 1

    def _decide(
        self, connection: Connection, claimed: list[EnrollmentRecord], now: datetime, outcome: BatchOutcome
    ) -> list[EnrollmentRecord]:
        """Step 2, in a handful of statements for the whole batch: the subjects are locked (in a fixed order, so
        workers never deadlock), their certificates counted, the public keys bound to their first claimant."""
        enrollments = EnrollmentRepository(connection)
        candidates: list[EnrollmentRecord] = []
        for record in claimed:
            if record.attempts + 1 > MAX_ATTEMPTS:
                logger.error(
                    "%s claimed %d times without finishing; cancelling", record.reference_number, record.attempts + 1
                )
                self._finish(
                    enrollments, record, EnrollmentStatusCode.CANCELLED, CANCELLED_DETAIL, now=now, outcome=outcome
                )
            else:
                candidates.append(record)
        subjects = [record.subject for record in candidates]
        subject_limits = SubjectLimitRepository(connection)
        own = subject_limits.lock_subjects(subjects, now=now)
        # Active certificates plus requests other workers hold a serial for; ours are counted as we go.
        held = subject_limits.held_by(subjects, now=now, reserved_by_others_than=self.worker_id)
        claims: dict[str, SubjectIdentifier] = {}
        for record in candidates:  # oldest first: the first request for a key claims it
            claims.setdefault(record.public_key_sha256, record.subject)
        owners = CertificateRepository(connection).certify_public_keys(claims, now=now)
        accepted: list[EnrollmentRecord] = []
        for record in candidates:
            subject = record.subject
            limit = effective_limits(subject.type, defaults=self._defaults, override=own[subject]).max_certificates
            if owners[record.public_key_sha256] != subject:
                detail = KEY_ALREADY_CERTIFIED_DETAIL
            elif held[subject] >= limit:
                detail = CERTIFICATE_LIMIT_DETAIL
            else:
                held[subject] += 1
                accepted.append(record)
                continue
            self._finish(enrollments, record, EnrollmentStatusCode.REJECTED, detail, now=now, outcome=outcome)
        return accepted

    @staticmethod
    def _reserve_serials(registry: SerialRepository, accepted: list[EnrollmentRecord], now: datetime) -> dict[str, int]:
        """Step 3: a fresh random serial per request, recorded as reserved (drawn again on a collision with any
        serial ever reserved)."""
        serials: dict[str, int] = {}
        wanted = [record.reference_number for record in accepted]
        for _ in range(MAX_SERIAL_DRAWS):
            drawn = {reference: generate_serial() for reference in wanted}
            taken = registry.reserve_serials(
                {reference: format_serial(serial) for reference, serial in drawn.items()}, now=now
            )
            serials.update({reference: serial for reference, serial in drawn.items() if reference not in taken})
            wanted = sorted(taken)
            if not wanted:
                return serials
        raise IssuanceError("could not draw unused serials")  # pragma: no cover - repeated 63-bit collisions

    def _prepare(
        self,
        enrollments: EnrollmentRepository,
        accepted: list[EnrollmentRecord],
        serials: dict[str, int],
        now: datetime,
        outcome: BatchOutcome,
    ) -> list[tuple[EnrollmentRecord, PreparedCertificate]]:
        """Step 4: fix the validity and let the CA build and check each certificate."""
        prepared: list[tuple[EnrollmentRecord, PreparedCertificate]] = []
        for record in accepted:
            not_before, not_after = validity_period(record.requested_valid_from, issued_at=now)
            try:
                public_key = x509.load_der_x509_csr(record.csr_der).public_key()
                request = IssuanceRequest(
                    serial_number=serials[record.reference_number],
                    subject=record.enrollment_data,
                    certificate_type=record.certificate_type,
                    public_key=public_key,  # type: ignore[arg-type]
                    not_before=not_before,
                    not_after=not_after,
                )
                prepared.append((record, self._issuer.prepare(request)))
            except (IssuanceError, ValueError):
                logger.exception("preparing the certificate for %s failed", record.reference_number)
                self._finish(enrollments, record, EnrollmentStatusCode.FAILED, FAILED_DETAIL, now=now, outcome=outcome)
        return prepared

    def _store(
        self,
        signed: list[tuple[EnrollmentRecord, PreparedCertificate, x509.Certificate | None]],
        outcome: BatchOutcome,
    ) -> None:
        """Step 6: store what is still ours (same serial, still pending, now locked), in one transaction."""
        now = self._clock.now()
        with self._database.write() as connection:
            enrollments = EnrollmentRepository(connection)
            current = enrollments.lock_pending([record.reference_number for record, _, _ in signed])
            issued: list[IssuedCertificate] = []
            for record, prepared, certificate in signed:
                if current.get(record.reference_number) != prepared.serial_number:
                    # Our lease ran out and another worker took the request over: this certificate never leaves.
                    logger.warning("%s was taken over; discarding %s", record.reference_number, prepared.serial_number)
                    outcome.lost += 1
                elif certificate is None:
                    self._finish(
                        enrollments, record, EnrollmentStatusCode.FAILED, FAILED_DETAIL, now=now, outcome=outcome
                    )
                else:
                    issued.append(
                        IssuedCertificate(
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
                            record.enrollment_data,
                            record.public_key_sha256,
                            now,
                        )
                    )
            enrollments.finish_issued(
                {item.record.reference_number: item.record.serial_number for item in issued}, now=now
            )
            CertificateRepository(connection).add_many(issued)
            outcome.issued += len(issued)
            outcome.serials.extend(item.record.serial_number for item in issued)

    # --- housekeeping ---------------------------------------------------------------------------------------------

    def purge(self) -> int:
        """Delete finished requests well past their retention (410 answers in between); returns how many."""
        keep = max(self._settings.enrollment_retention, self._settings.enrollment_limit_window) + timedelta(days=60)
        with self._database.write() as connection:
            return EnrollmentRepository(connection).purge(requested_before=self._clock.now() - keep)

    # --- the loop -------------------------------------------------------------------------------------------------

    def has_work(self) -> bool:
        """Whether any request waits to be claimed (a read; it takes no write lock)."""
        with self._database.read() as connection:
            return EnrollmentRepository(connection).has_claimable(now=self._clock.now())

    def wake(self) -> None:
        """Tell the running loop there is new work. Safe to call from any thread; a no-op when not running."""
        self._queue.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Process batches until `stop` is set, then finish the batch in hand and return (step 7)."""
        await self._queue.run(stop, batch=self._batch, has_work=self.has_work, idle=self._housekeeping)

    async def _batch(self) -> BatchProgress:
        # In a thread, never on the event loop: the claim waits for subjects' locks (bounded by the database's lock
        # timeout), and in `serve` the loop answers the API meanwhile.
        outcome = await asyncio.to_thread(self.run_once)
        return BatchProgress(claimed=outcome.claimed, progressed=outcome.claimed > 0)

    async def _housekeeping(self) -> None:
        """When idle, at most every `housekeeping_interval`: purge old finished requests."""
        now = asyncio.get_running_loop().time()
        if self._next_housekeeping is None:
            self._next_housekeeping = now + self._settings.housekeeping_interval.total_seconds()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + self._settings.housekeeping_interval.total_seconds()
        try:
            purged = await asyncio.to_thread(self.purge)
            if purged:
                logger.info("housekeeping: deleted %d old certificate enrollments", purged)
        except Exception:
            logger.exception("purging old enrollments failed")
