"""The job queue on SQLite and PostgreSQL: coalescing, leases (at least once), retries with
backoff, one job per connection at a time, and no double claims under concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from client.store.db import Store
from client.store.jobs import Job, JobStatus
from client.worker.queue import JobQueue, RetryPolicy

T0 = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def db(any_store: Store) -> Store:
    return any_store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(db: Store, clock: Clock) -> JobQueue:
    return JobQueue(db, clock=clock, lease=dt.timedelta(minutes=10))


def test_queue_coalesces_waiting_work_but_not_started_work(queue: JobQueue) -> None:
    first = queue.enqueue("sync", 1, coalesce=True)
    assert queue.enqueue("sync", 1, coalesce=True) == first  # joins the waiting job
    assert queue.enqueue("sync", 2, coalesce=True) != first  # another connection
    claimed = queue.claim()
    assert claimed is not None and claimed.id == first
    later = queue.enqueue("sync", 1, coalesce=True)  # the running job may have read too early
    assert later != first
    assert queue.enqueue("item_event", 1) != queue.enqueue("item_event", 1)  # never coalesced


def test_queue_one_job_per_connection_at_a_time(queue: JobQueue) -> None:
    a = queue.enqueue("sync", 1)
    queue.enqueue("item_event", 1)
    c = queue.enqueue("sync", 2)
    first, second = queue.claim(), queue.claim()
    assert first is not None and second is not None
    assert (first.id, second.id) == (a, c)  # connection 1's second job waits for the first
    assert queue.claim() is None
    queue.complete(a)
    third = queue.claim()
    assert third is not None and third.kind == "item_event"


def test_queue_expired_lease_runs_the_job_again(queue: JobQueue, clock: Clock) -> None:
    job = queue.enqueue("sync", 1)
    assert queue.claim() is not None  # a worker takes it, then dies without finishing
    clock.advance(minutes=9)
    assert queue.claim() is None
    clock.advance(minutes=2)
    again = queue.claim()
    assert again is not None and again.id == job and again.attempts == 2


def test_queue_retries_with_exponential_backoff_then_gives_up(db: Store, clock: Clock) -> None:
    queue = JobQueue(db, clock=clock, retry=RetryPolicy(3, dt.timedelta(minutes=5)))
    job = queue.enqueue("sync", 1)
    for wait in (5, 10):
        claimed = queue.claim()
        assert claimed is not None and claimed.id == job
        assert queue.fail(job, "INSTITUTION_DOWN: down") is True
        clock.advance(minutes=wait - 1)
        assert queue.claim() is None  # not before the backoff
        clock.advance(minutes=1)
    assert queue.claim() is not None
    assert queue.fail(job, "INSTITUTION_DOWN: still down") is False  # third try was the last
    with db.session() as s:
        row = s.get(Job, job)
        assert row is not None and row.status == JobStatus.FAILED and row.attempts == 3
        assert row.last_error == "INSTITUTION_DOWN: still down"
    assert queue.counts()[JobStatus.FAILED] == 1


def test_queue_concurrent_workers_never_claim_the_same_job(db: Store, clock: Clock) -> None:
    queue = JobQueue(db, clock=clock)
    ids = {queue.enqueue("sync", cid) for cid in range(40)}
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            job = queue.claim()
            if job is None:
                if queue.counts()[JobStatus.QUEUED] == 0:
                    return
                continue
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == sorted(ids)  # each exactly once
