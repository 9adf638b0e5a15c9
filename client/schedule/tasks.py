"""Celery tasks for deployments that outgrow one machine.

`bank.sync_due` (beat: daily at 2 AM by default) fans out one `bank.sync_connection` per due
connection; a transient failure retries with exponential backoff (5, 10, 20 minutes by
default). `bank.run_jobs` drains the database job queue (webhook events and their syncs): the
webhook receiver sends it at once (`on_queued=celery_hook(app)`) and beat runs it every minute,
so a message the broker lost only delays the work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery
from celery.schedules import crontab

from client.schedule.due import due_connections
from client.sync.connections import BankSync
from client.worker.handlers import RetryableJobError, sync_connection, work_one
from client.worker.queue import JobQueue

BankFactory = Callable[[], BankSync]


@dataclass(frozen=True)
class CeleryPolicy:
    """When beat runs the daily fan-out, and how failed syncs retry."""

    hour: int = 2
    minute: int = 0
    retries: int = 3
    retry_delay: int = 300  # seconds before the first retry; doubles each time
    sweep_seconds: float = 60.0

    def retry_options(self) -> dict[str, Any]:
        """Celery's autoretry settings: `retry_delay` seconds, doubling, no jitter."""
        return {
            "autoretry_for": (RetryableJobError,),
            "max_retries": self.retries,
            "retry_backoff": self.retry_delay,
            "retry_backoff_max": self.retry_delay * 2**self.retries,
            "retry_jitter": False,
        }


def make_celery(
    broker: str,
    bank_factory: BankFactory,
    *,
    backend: str | None = None,
    app: Any = None,
    policy: CeleryPolicy | None = None,
) -> Any:
    """Register `bank.sync_connection`, `bank.sync_due`, `bank.run_jobs` and the beat schedule."""
    policy = policy or CeleryPolicy()
    # No result backend unless asked: Celery's Redis backend calls redis-py's deprecated setex.
    celery = app or Celery("bank_client", broker=broker, backend=backend)
    bank = _lazy(bank_factory)

    def sync_task(connection_id: int, trigger: str = "schedule") -> str:
        """Sync one connection; RetryableJobError makes Celery retry it later."""
        return sync_connection(bank(), connection_id, trigger)

    def sync_due() -> list[int]:
        """Fan out one task per due connection (run it from celery beat)."""
        due = due_connections(bank().store, provider=bank().engine.provider.name)
        for cid in due:
            sync.delay(cid)
        return due

    def run_jobs() -> int:
        """Run every ready job of the database queue; returns how many ran."""
        queue, ran = JobQueue(bank().store), 0
        while work_one(bank(), queue):
            ran += 1
        return ran

    # Registered by call rather than decorator: Celery ships no type information.
    sync = celery.task(name="bank.sync_connection", shared=False, **policy.retry_options())(
        sync_task
    )
    # shared=False: each app keeps its own tasks (two apps in one process must not mix).
    celery.task(name="bank.sync_due", shared=False)(sync_due)
    celery.task(name="bank.run_jobs", shared=False)(run_jobs)
    celery.conf.beat_schedule = beat_schedule(policy)
    return celery


def beat_schedule(policy: CeleryPolicy) -> dict[str, dict[str, Any]]:
    """The daily fan-out at `hour:minute` (the worker's timezone) and the queue sweep."""
    return {
        "bank-sync-due": {
            "task": "bank.sync_due",
            "schedule": crontab(hour=policy.hour, minute=policy.minute),
        },
        "bank-run-jobs": {"task": "bank.run_jobs", "schedule": policy.sweep_seconds},
    }


def celery_hook(celery: Any) -> Callable[[int], None]:
    """`on_queued` for the webhook receiver: ask a Celery worker to drain the queue now."""

    def hook(_job_id: int) -> None:
        celery.signature("bank.run_jobs").delay()

    return hook


def _lazy(factory: BankFactory) -> BankFactory:
    """One client per worker process, built on first use (pools must not cross forks)."""
    state: dict[str, BankSync] = {}

    def get() -> BankSync:
        if "bank" not in state:
            state["bank"] = factory()
        return state["bank"]

    return get
