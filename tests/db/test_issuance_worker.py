"""The issuance worker against a real database (SQLite and PostgreSQL): serials recorded before signing, claims that
run out and are taken over, several workers at once, limits and key ownership decided under lock, draining."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import func, select

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.certificates.ca import CertificateAuthority, open_certificate_authority
from ksef_mcu.server.certificates.issuer import IssuanceError, Issuer, PreparedCertificate
from ksef_mcu.server.certificates.model import (
    CERTIFICATE_LIMIT_DETAIL,
    KEY_ALREADY_CERTIFIED_DETAIL,
    EnrollmentRecord,
    EnrollmentStatusCode,
    SubjectLimits,
)
from ksef_mcu.server.certificates.repositories.enrollments import EnrollmentRepository
from ksef_mcu.server.certificates.repositories.subject_limits import SubjectLimitRepository
from ksef_mcu.server.certificates.tables import certificate_enrollments, certificate_serials, certificates
from ksef_mcu.server.certificates.worker import MAX_ATTEMPTS, BatchOutcome, IssuanceWorker
from ksef_mcu.server.keys import KeyStore
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.database import Database
from support.enrollments import add_pending as store_pending
from support.pki import PrivateKey, ec_key, random_nip
from support.server import TEST_START

pytestmark = pytest.mark.db

NOW = TEST_START
LEASE = timedelta(seconds=30)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    store = KeyStore(tmp_path_factory.mktemp("ca") / "keys", "passphrase-for-the-worker-tests")
    return open_certificate_authority(store, now=NOW - timedelta(days=1), crl_url="http://127.0.0.1:8000/ca/crl")


@pytest.fixture
def worker_settings(tmp_path: Path, database_url: str) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path, database_url=database_url, issuance_batch_size=16)


@pytest.fixture
def make_worker(
    worker_settings: ServerSettings, database: Database, clock: ManualClock, authority: CertificateAuthority
) -> Callable[..., IssuanceWorker]:
    def make(**options: object) -> IssuanceWorker:
        settings = options.pop("settings", worker_settings)
        return IssuanceWorker(
            settings=settings,  # type: ignore[arg-type]
            database=database,
            clock=clock,
            issuer=options.pop("issuer", authority.issuer),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )

    return make


def nip_subject() -> SubjectIdentifier:
    return SubjectIdentifier(SubjectIdentifierType.NIP, random_nip())


def add_pending(
    database: Database,
    subject: SubjectIdentifier,
    *,
    key: PrivateKey | None = None,
    certificate_type: KsefCertificateType = KsefCertificateType.AUTHENTICATION,
    at: timedelta = timedelta(0),
) -> str:
    """An accepted request made `at` after the test's start."""
    return store_pending(database, subject, now=NOW + at, key=key, certificate_type=certificate_type)


def statuses(database: Database, references: list[str]) -> dict[str, EnrollmentStatusCode]:
    with database.read() as connection:
        return EnrollmentRepository(connection).statuses(references)


def enrollment(database: Database, reference: str) -> EnrollmentRecord:
    with database.read() as connection:
        record = EnrollmentRepository(connection).get(reference)
    assert record is not None
    return record


def count(database: Database, table: object) -> int:
    with database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


class SimulatedCrashError(Exception):
    """Stands for the process dying between recording the serials and storing the certificates."""


class TestOneBatch:
    def test_issues_oldest_first_in_batches(
        self, database: Database, make_worker: Callable[..., IssuanceWorker]
    ) -> None:
        subject = nip_subject()
        references = [add_pending(database, subject, at=timedelta(seconds=i)) for i in range(20)]
        worker = make_worker()
        first = worker.run_once()
        assert first.issued == 16
        assert set(statuses(database, references[:16]).values()) == {EnrollmentStatusCode.ISSUED}
        assert set(statuses(database, references[16:]).values()) == {EnrollmentStatusCode.ACCEPTED}
        assert worker.run_once().issued == 4
        assert worker.run_once().claimed == 0
        record = enrollment(database, references[0])
        assert record.serial_number is not None
        assert record.claimed_by is None
        with database.read() as connection:
            der = connection.execute(
                select(certificates.c.der).where(certificates.c.serial_number == record.serial_number)
            ).scalar_one()
        issued = x509.load_der_x509_certificate(der)
        assert f"{issued.serial_number:016X}" == record.serial_number

    def test_the_serial_is_committed_before_signing(
        self, database: Database, make_worker: Callable[..., IssuanceWorker]
    ) -> None:
        reference = add_pending(database, nip_subject())
        seen: list[tuple[str | None, int]] = []

        def before_signing(serials: list[str]) -> None:
            # Another connection sees the reservation: it is durable before anything is signed.
            record = enrollment(database, reference)
            with database.read() as connection:
                reserved = connection.execute(
                    select(func.count())
                    .select_from(certificate_serials)
                    .where(certificate_serials.c.serial_number.in_(serials))
                ).scalar_one()
            seen.append((record.serial_number, reserved))
            assert count(database, certificates) == 0

        outcome = make_worker(before_signing=before_signing).run_once()
        assert outcome.issued == 1
        assert seen == [(outcome.serials[0], 1)]

    def test_crash_after_reserving_is_taken_over_with_a_new_serial(
        self, database: Database, make_worker: Callable[..., IssuanceWorker], clock: ManualClock
    ) -> None:
        references = [add_pending(database, nip_subject()) for _ in range(3)]

        def crash(_: list[str]) -> None:
            raise SimulatedCrashError

        with pytest.raises(SimulatedCrashError):
            make_worker(before_signing=crash).run_once()
        abandoned = {enrollment(database, reference).serial_number for reference in references}
        assert None not in abandoned
        # Until the lease runs out nobody else touches them.
        assert make_worker().run_once().claimed == 0
        clock.advance(LEASE + timedelta(seconds=1))
        outcome = make_worker().run_once()
        assert outcome.issued == 3
        assert set(statuses(database, references).values()) == {EnrollmentStatusCode.ISSUED}
        issued = {enrollment(database, reference).serial_number for reference in references}
        assert issued.isdisjoint(abandoned)  # the abandoned serials are never signed
        assert count(database, certificate_serials) == 6  # ...but stay recorded
        assert count(database, certificates) == 3

    def test_a_worker_whose_lease_ran_out_loses_to_the_one_that_took_over(
        self, database: Database, make_worker: Callable[..., IssuanceWorker], clock: ManualClock
    ) -> None:
        references = [add_pending(database, nip_subject()) for _ in range(4)]
        taken_over = []

        def stall(_: list[str]) -> None:
            # While "slow" worker A holds its prepared certificates, its lease runs out and B does the work.
            clock.advance(LEASE + timedelta(seconds=1))
            taken_over.append(make_worker(worker_id="B").run_once())

        slow = make_worker(worker_id="A", before_signing=stall).run_once()
        assert taken_over[0].issued == 4
        assert slow.lost == 4
        assert slow.issued == 0
        assert count(database, certificates) == 4
        with database.read() as connection:
            serials = connection.execute(select(certificates.c.serial_number)).scalars().all()
        assert sorted(serials) == sorted(taken_over[0].serials)
        assert {enrollment(database, r).serial_number for r in references} == set(taken_over[0].serials)

    def test_a_request_whose_worker_keeps_dying_is_cancelled(
        self, database: Database, make_worker: Callable[..., IssuanceWorker], clock: ManualClock
    ) -> None:
        reference = add_pending(database, nip_subject())

        def crash(_: list[str]) -> None:
            raise SimulatedCrashError

        for _ in range(MAX_ATTEMPTS):
            with pytest.raises(SimulatedCrashError):
                make_worker(before_signing=crash).run_once()
            clock.advance(LEASE + timedelta(seconds=1))
        outcome = make_worker().run_once()
        assert outcome.cancelled == 1
        record = enrollment(database, reference)
        assert record.status.code is EnrollmentStatusCode.CANCELLED
        assert record.status.description == "Operacja została anulowana przez system"

    def test_signing_failure_ends_at_500(
        self,
        database: Database,
        make_worker: Callable[..., IssuanceWorker],
        authority: CertificateAuthority,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        good, bad = add_pending(database, nip_subject()), add_pending(database, nip_subject())
        bad_serial = []

        def before_signing(serials: list[str]) -> None:
            bad_serial.append(enrollment(database, bad).serial_number)

        original = Issuer.issue

        def failing(self: Issuer, prepared: PreparedCertificate) -> x509.Certificate:
            if prepared.serial_number in bad_serial:
                self.discard(prepared)
                raise IssuanceError("simulated HSM failure")
            return original(self, prepared)

        monkeypatch.setattr(Issuer, "issue", failing)
        outcome = make_worker(before_signing=before_signing).run_once()
        assert (outcome.issued, outcome.failed) == (1, 1)
        assert statuses(database, [good, bad]) == {good: EnrollmentStatusCode.ISSUED, bad: EnrollmentStatusCode.FAILED}
        assert enrollment(database, bad).status.details == (
            "Wystąpił błąd podczas wystawiania certyfikatu. Złóż wniosek ponownie.",
        )


class TestDecisionsUnderLock:
    def test_the_limit_is_checked_again_when_issuing(
        self, database: Database, make_worker: Callable[..., IssuanceWorker], worker_settings: ServerSettings
    ) -> None:
        """Ten accepted requests, then the limit drops to 4: two workers at once issue exactly 4."""
        subject = nip_subject()
        references = [add_pending(database, subject, at=timedelta(milliseconds=i)) for i in range(10)]
        with database.write() as connection:
            SubjectLimitRepository(connection).set_subject_limits(subject, SubjectLimits(max_certificates=4), now=NOW)
        small = worker_settings.model_copy(update={"issuance_batch_size": 3})
        workers = [make_worker(settings=small, worker_id=f"w{i}") for i in range(2)]
        run_until_idle(workers)
        final = statuses(database, references)
        assert list(final.values()).count(EnrollmentStatusCode.ISSUED) == 4
        assert list(final.values()).count(EnrollmentStatusCode.REJECTED) == 6
        rejected = next(r for r in references if final[r] is EnrollmentStatusCode.REJECTED)
        assert enrollment(database, rejected).status.details == (CERTIFICATE_LIMIT_DETAIL,)

    def test_a_key_goes_to_one_subject_only(
        self, database: Database, make_worker: Callable[..., IssuanceWorker]
    ) -> None:
        key = ec_key()
        first, second = nip_subject(), nip_subject()
        references = [add_pending(database, first, key=key), add_pending(database, second, key=key)]
        same_again = add_pending(database, first, key=key, certificate_type=KsefCertificateType.OFFLINE)
        run_until_idle([make_worker(worker_id="w1"), make_worker(worker_id="w2")])
        final = statuses(database, [*references, same_again])
        first_requests, second_request = [references[0], same_again], references[1]
        issued = {reference for reference, code in final.items() if code is EnrollmentStatusCode.ISSUED}
        # Whichever subject got the key first keeps it (for every request of its own); the other is refused.
        assert issued in ({*first_requests}, {second_request})
        for loser in set(final) - issued:
            assert final[loser] is EnrollmentStatusCode.REJECTED
            assert enrollment(database, loser).status.details == (KEY_ALREADY_CERTIFIED_DETAIL,)

    def test_several_workers_process_every_request_exactly_once(
        self, database: Database, make_worker: Callable[..., IssuanceWorker]
    ) -> None:
        subjects = [nip_subject() for _ in range(8)]
        references = [add_pending(database, subjects[i % 8], at=timedelta(milliseconds=i)) for i in range(120)]
        outcomes = run_until_idle([make_worker(worker_id=f"w{i}") for i in range(3)])
        assert sum(outcome.issued for outcome in outcomes) == 120
        assert sum(outcome.lost for outcome in outcomes) == 0
        serials = [serial for outcome in outcomes for serial in outcome.serials]
        assert len(set(serials)) == 120
        assert set(statuses(database, references).values()) == {EnrollmentStatusCode.ISSUED}
        assert count(database, certificates) == 120
        with database.read() as connection:
            leftovers = connection.execute(
                select(func.count()).where(certificate_enrollments.c.claimed_by.is_not(None))
            ).scalar_one()
        assert leftovers == 0


def run_until_idle(workers: list[IssuanceWorker]) -> list[BatchOutcome]:
    """Run each worker in its own thread until none of them finds work; return every batch outcome."""
    outcomes: list[BatchOutcome] = []
    lock = threading.Lock()
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def loop(worker: IssuanceWorker) -> None:
        start.wait()
        try:
            idle = 0
            while idle < 3:
                outcome = worker.run_once()
                with lock:
                    outcomes.append(outcome)
                idle = idle + 1 if outcome.claimed == 0 else 0
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=loop, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return outcomes


@pytest.mark.anyio
class TestLoop:
    async def test_wakes_on_notice_and_drains_on_stop(
        self, database: Database, make_worker: Callable[..., IssuanceWorker], worker_settings: ServerSettings
    ) -> None:
        slow_poll = worker_settings.model_copy(update={"issuance_poll_interval": timedelta(seconds=60)})
        stop = asyncio.Event()
        worker = make_worker(settings=slow_poll)
        task = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.2)  # idle, waiting up to a minute
        reference = add_pending(database, nip_subject())
        worker.wake()
        await wait_until(lambda: statuses(database, [reference])[reference] is EnrollmentStatusCode.ISSUED)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    async def test_stop_during_a_batch_finishes_the_batch(
        self, database: Database, make_worker: Callable[..., IssuanceWorker]
    ) -> None:
        references = [add_pending(database, nip_subject()) for _ in range(5)]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        worker = make_worker(before_signing=lambda _: loop.call_soon_threadsafe(stop.set))
        await asyncio.wait_for(worker.run(stop), timeout=30)
        assert set(statuses(database, references).values()) == {EnrollmentStatusCode.ISSUED}

    async def test_postgresql_workers_are_woken_by_notify(
        self,
        db_backend: str,
        database: Database,
        make_worker: Callable[..., IssuanceWorker],
        worker_settings: ServerSettings,
    ) -> None:
        if db_backend != "postgresql":
            pytest.skip("LISTEN/NOTIFY exists only on PostgreSQL (SQLite workers in other processes poll)")
        slow_poll = worker_settings.model_copy(update={"issuance_poll_interval": timedelta(seconds=60)})
        stop = asyncio.Event()
        task = asyncio.create_task(make_worker(settings=slow_poll).run(stop))
        await asyncio.sleep(1.0)  # the listener connects
        # What the registration authority does in another process: insert a request. The queue's trigger notifies.
        reference = add_pending(database, nip_subject())
        started = time.monotonic()
        await wait_until(lambda: statuses(database, [reference])[reference] is EnrollmentStatusCode.ISSUED)
        assert time.monotonic() - started < 10
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


class TestHousekeeping:
    def test_purges_finished_requests_long_after_their_retention(
        self, database: Database, make_worker: Callable[..., IssuanceWorker], clock: ManualClock
    ) -> None:
        old_done = add_pending(database, nip_subject())
        make_worker().run_once()
        still_pending = add_pending(database, nip_subject())  # never claimed: stays, however old
        clock.advance(timedelta(days=89))
        assert make_worker().purge() == 0
        clock.advance(timedelta(days=2))
        assert make_worker().purge() == 1
        assert statuses(database, [old_done, still_pending]) == {still_pending: EnrollmentStatusCode.ACCEPTED}
        assert count(database, certificates) == 1  # certificates are never deleted
