"""`JobQueue`: a database-backed queue with coalescing, leases and retries (at least once).

A job is claimed by leasing it: a worker that dies mid-job loses the lease and another worker
runs the job again, so handlers must be idempotent (a sync is). Work that is asked for again
while it is still waiting joins the waiting job (`coalesce_key`) instead of being dropped or
repeated; once a job has started, a new request makes a new job, because the running one may
have read the provider before the news arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from client.store.db import Store
from client.store.jobs import Job, JobStatus, counts_by_status
from client.store.models import utcnow

Clock = Callable[[], dt.datetime]
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late a failed job is tried again: `base`, then doubling."""

    max_attempts: int = 3
    base: dt.timedelta = dt.timedelta(minutes=5)
    factor: float = 2.0

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failure."""
        return self.base * self.factor ** max(0, attempts - 1)


@dataclass(frozen=True)
class Claimed:
    """A job leased to this worker: what the handler needs, copied out of the session."""

    id: int
    kind: str
    connection_id: int | None
    payload: dict[str, Any]
    attempts: int


class JobQueue:
    """Enqueue, claim, finish and retry jobs stored in `bc_jobs`."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utcnow,
        lease: dt.timedelta = dt.timedelta(minutes=10),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store, self.clock, self.lease = store, clock, lease
        self.retry = retry or RetryPolicy()

    def enqueue(
        self,
        kind: str,
        connection_id: int | None = None,
        payload: dict[str, Any] | None = None,
        *,
        coalesce: bool = False,
        session: Session | None = None,
    ) -> int:
        """Add a job (or join the waiting one with the same kind and connection); its id."""
        if session is None:
            return in_transaction(
                self.store,
                lambda s: self.enqueue(kind, connection_id, payload, coalesce=coalesce, session=s),
            )
        key = f"{kind}:{connection_id}" if coalesce else None
        if key is not None:
            waiting = session.scalar(select(Job.id).where(Job.coalesce_key == key))
            if waiting is not None:
                return waiting
        job = Job(
            kind=kind,
            connection_id=connection_id,
            payload=dict(payload or {}),
            max_attempts=self.retry.max_attempts,
            run_after=self.clock(),
            coalesce_key=key,
            created_at=self.clock(),
        )
        session.add(job)
        session.flush()
        return job.id

    def hurry(self, kind: str, connection_id: int) -> bool:
        """Make a queued job of `kind` for the connection ready now; False if none waits. A
        job waiting out a retry's backoff (the provider was down) would otherwise keep a user
        who asks for it now waiting minutes, or run once more after the one they asked for."""
        with self.store.session() as session:
            hurried = session.execute(
                update(Job)
                .where(
                    Job.kind == kind,
                    Job.connection_id == connection_id,
                    Job.status == JobStatus.QUEUED,
                )
                .values(run_after=self.clock())
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(hurried, "rowcount", 0))

    def claim(self) -> Claimed | None:
        """Lease the oldest ready job whose connection has no other job running."""
        now = self.clock()
        with self.store.session() as session:
            job = session.scalar(_ready(now))
            if job is None:
                return None
            taken = session.execute(
                update(Job)
                .where(Job.id == job.id, Job.attempts == job.attempts)
                .values(
                    status=JobStatus.RUNNING,
                    attempts=job.attempts + 1,
                    lease_until=now + self.lease,
                    coalesce_key=None,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) != 1:
                return None  # another worker leased it first
            return Claimed(job.id, job.kind, job.connection_id, dict(job.payload), job.attempts + 1)

    def complete(self, job_id: int) -> None:
        """The job did its work."""
        self._finish(job_id, JobStatus.DONE, None)

    def fail(self, job_id: int, error: str, *, retry: bool = True) -> bool:
        """Record a failure; retry later with backoff while attempts remain. True if retried."""
        with self.store.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                return False
            job.last_error = error[:2000]
            if retry and job.attempts < job.max_attempts:
                job.status, job.lease_until = JobStatus.QUEUED, None
                job.run_after = self.clock() + self.retry.delay(job.attempts)
                return True
            job.status, job.finished_at, job.lease_until = JobStatus.FAILED, self.clock(), None
            return False

    def counts(self) -> dict[str, int]:
        """Jobs by status (health and metrics)."""
        with self.store.session() as session:
            return counts_by_status(session)

    def _finish(self, job_id: int, status: str, error: str | None) -> None:
        """Close the job for good."""
        with self.store.session() as session:
            job = session.get(Job, job_id)
            if job is not None:
                job.status, job.last_error = status, error
                job.finished_at, job.lease_until = self.clock(), None


def _ready(now: dt.datetime) -> Any:
    """Due queued jobs and expired leases, oldest first, one connection at a time."""
    other = aliased(Job)
    busy = exists().where(
        other.connection_id == Job.connection_id,
        other.id != Job.id,
        other.status == JobStatus.RUNNING,
        other.lease_until >= now,
    )
    due = or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
        and_(Job.status == JobStatus.RUNNING, Job.lease_until < now),
    )
    return (
        select(Job)
        .where(due, ~busy)
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Job)
    )


def in_transaction(store: Store, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Run `work` in its own transaction; a lost insert race (unique key) runs it again."""
    for _ in range(attempts - 1):
        try:
            with store.session() as session:
                return work(session)
        except IntegrityError:
            continue  # the winner's row is visible now: the next run finds and joins it
    with store.session() as session:
        return work(session)
