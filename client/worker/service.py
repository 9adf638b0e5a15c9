"""`Worker`: queues due schedules, sends re-auth reminders and runs jobs until told to stop."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from client.schedule.due import due_connections
from client.schedule.reminders import NOTICE_DAYS, send_due_reminders
from client.store.models import utcnow
from client.sync.connections import BankSync
from client.worker.handlers import work_one
from client.worker.queue import Clock, JobQueue

log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    """What health checks and metrics read about the loop."""

    started_at: dt.datetime
    last_tick_at: dt.datetime | None = None
    ticks: int = 0
    jobs_run: int = 0
    running: bool = False


class Worker:
    """One loop for schedules, webhook jobs and retries; `stop()` lets the current job finish."""

    def __init__(
        self,
        bank: BankSync,
        *,
        queue: JobQueue | None = None,
        clock: Clock = utcnow,
        interval: float = 30.0,
        notice_days: Sequence[int] = NOTICE_DAYS,
    ) -> None:
        self.bank, self.clock, self.interval = bank, clock, interval
        self.queue = queue or JobQueue(bank.store, clock=clock)
        self.notice_days = notice_days
        self.state = WorkerState(started_at=clock())
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def schedule_due(self) -> int:
        """Queue a sync for each connection of this worker's provider whose schedule is due
        (paused ones never are)."""
        provider = self.bank.engine.provider.name
        due = due_connections(self.bank.store, self.clock(), provider=provider)
        for cid in due:
            self.queue.enqueue("sync", cid, {"trigger": "schedule"}, coalesce=True)
        return len(due)

    def tick(self) -> int:
        """One pass: schedules, reminders, then every ready job; returns the jobs run."""
        self.schedule_due()
        send_due_reminders(self.bank.store, self.bank.notifier, self.clock(), self.notice_days)
        ran = 0
        self.state.last_tick_at = self.clock()
        while not self._stop.is_set() and work_one(self.bank, self.queue):
            ran += 1
            self.state.jobs_run += 1
            self.state.last_tick_at = self.clock()  # a heartbeat per job: long ticks stay healthy
        self.state.ticks += 1
        return ran

    def run(self) -> None:
        """Tick until `stop()`; a `wake()` (a webhook was queued) starts the next tick early."""
        self.state.running = True
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:
                    log.exception("worker tick failed; next one in %ss", self.interval)
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            self.state.running = False

    def start(self) -> Worker:
        """Run in a background thread (embedded in an app process)."""
        self._thread = threading.Thread(target=self.run, name="bank-client-worker", daemon=True)
        self._thread.start()
        return self

    def wake(self, _job_id: int | None = None) -> None:
        """Look at the queue now (pass as the webhook receiver's `on_queued`)."""
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Finish the current job, then leave the loop (waiting for it at most `timeout`
        seconds; None: as long as it takes)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def healthy(self, now: dt.datetime | None = None) -> bool:
        """The loop is alive: it ticked within a few intervals."""
        last = self.state.last_tick_at
        if not self.state.running or last is None:
            return False
        age = ((now or self.clock()) - last).total_seconds()
        return age <= max(3 * self.interval, 60.0)
