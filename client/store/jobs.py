"""Tables of the client's work queue and of the reminders already sent (same `Base`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from client.store.models import Base, utcnow
from client.store.types import UTCDateTime


class JobStatus:
    """Where a job is: waiting (maybe for a retry), leased to a worker, finished or given up."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ALL = (QUEUED, RUNNING, DONE, FAILED)


class Job(Base):
    """One unit of work (a sync, a webhook event) that some worker runs at least once."""

    __tablename__ = "bc_jobs"
    __table_args__ = (Index("ix_bc_jobs_ready", "status", "run_after"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    connection_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A running job whose lease ran out belongs to a worker that died: another one takes it.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set while queued, so a second request for the same work joins this job (unique).
    coalesce_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def counts_by_status(session: Session) -> dict[str, int]:
    """Jobs by status, every status present (health, metrics and the queue)."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    found = {str(status): int(count) for status, count in rows}
    return {status: found.get(status, 0) for status in JobStatus.ALL}


class Reminder(Base):
    """A re-auth reminder already sent; `key` names the connection, the deadline and the notice."""

    __tablename__ = "bc_reminders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(Integer, index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
