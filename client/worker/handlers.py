"""What each job kind does; shared by the embedded worker and the Celery tasks."""

from __future__ import annotations

import logging

from client.sync.connections import BankSync
from client.webhooks.events import handle_item_event
from client.worker.queue import Claimed, JobQueue

log = logging.getLogger(__name__)


class RetryableJobError(Exception):
    """The job failed for a reason that passes with time (bank down, rate limit, network)."""


class UnknownJobError(Exception):
    """A job kind this version does not know; retrying cannot help."""


def sync_connection(bank: BankSync, connection_id: int, trigger: str) -> str:
    """Sync to the end; a transient failure raises so the queue (or Celery) retries it."""
    result = bank.sync(connection_id, trigger=trigger)
    if result.ok:
        return f"+{result.added} ~{result.modified} -{result.removed}"
    if result.retryable:
        raise RetryableJobError(f"{result.error_code}: {result.error_message}")
    return str(result.error_code)  # recorded on the connection; the user has to act


def run_job(bank: BankSync, job: Claimed) -> str:
    """Do one claimed job; returns a short summary for logs."""
    if job.kind == "sync" and job.connection_id is not None:
        return sync_connection(bank, job.connection_id, str(job.payload.get("trigger", "schedule")))
    if job.kind == "item_event" and job.connection_id is not None:
        return handle_item_event(bank, job.connection_id, dict(job.payload["event"]))
    raise UnknownJobError(f"unknown job kind {job.kind!r}")


def work_one(bank: BankSync, queue: JobQueue) -> bool:
    """Claim and run one ready job, recording success or a (retried) failure; False if idle."""
    job = queue.claim()
    if job is None:
        return False
    try:
        summary = run_job(bank, job)
    except RetryableJobError as exc:
        retried = queue.fail(job.id, str(exc))
        log.warning("job %s (%s) failed, %s: %s", job.id, job.kind, _next(retried), exc)
    except UnknownJobError as exc:
        queue.fail(job.id, str(exc), retry=False)
    except Exception as exc:
        log.exception("job %s (%s) crashed", job.id, job.kind)
        queue.fail(job.id, f"{type(exc).__name__}: {exc}")
    else:
        queue.complete(job.id)
        log.info("job %s (%s) done: %s", job.id, job.kind, summary)
    return True


def _next(retried: bool) -> str:
    return "will retry" if retried else "giving up"
