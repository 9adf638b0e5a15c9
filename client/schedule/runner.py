"""An embedded scheduler for one machine: a thread that syncs due connections."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from client.schedule.due import due_connections
from client.sync.engine import SyncEngine, SyncResult

log = logging.getLogger(__name__)


def run_due(engine: SyncEngine) -> list[SyncResult]:
    """Sync every due connection once; one failure never stops the others."""
    results = []
    for cid in due_connections(engine.store):
        try:
            results.append(engine.sync(cid, trigger="schedule"))
        except Exception:
            log.exception("scheduled sync of connection %s crashed", cid)
    return results


class EmbeddedRunner:
    """Polls the due-list every `interval` seconds in a daemon thread until stopped."""

    def __init__(
        self,
        engine: SyncEngine,
        interval: float = 300.0,
        tick: Callable[[SyncEngine], object] = run_due,
    ) -> None:
        self.engine, self.interval, self.tick = engine, interval, tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> EmbeddedRunner:
        """Start polling in the background."""
        self._thread = threading.Thread(target=self._run, daemon=True, name="bank-sync-runner")
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current tick and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        """The loop: tick, then wait (a stop request ends the wait at once)."""
        while not self._stop.is_set():
            try:
                self.tick(self.engine)
            except Exception:
                log.exception("scheduler tick failed")
            self._stop.wait(self.interval)
