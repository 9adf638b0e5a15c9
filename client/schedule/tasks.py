"""Celery tasks for deployments that outgrow one machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery

from client.schedule.due import due_connections
from client.sync.engine import SyncEngine

EngineFactory = Callable[[], SyncEngine]


def make_celery(
    broker: str, engine_factory: EngineFactory, *, backend: str | None = None, app: Any = None
) -> Any:
    """Register `bank.sync_connection` and `bank.sync_due` on a Celery app."""
    # No result backend unless asked: Celery's Redis backend calls redis-py's deprecated setex.
    celery = app or Celery("bank_client", broker=broker, backend=backend)
    state: dict[str, SyncEngine] = {}

    def engine() -> SyncEngine:
        """One engine per worker process, built lazily (pools must not cross forks)."""
        if "engine" not in state:
            state["engine"] = engine_factory()
        return state["engine"]

    def sync_connection(connection_id: int, trigger: str = "schedule") -> dict[str, Any]:
        """Sync one connection; the result is JSON for the result backend."""
        result = engine().sync(connection_id, trigger=trigger)
        return {
            "connection_id": connection_id,
            "added": result.added,
            "modified": result.modified,
            "removed": result.removed,
            "error_code": result.error_code,
        }

    def sync_due() -> list[int]:
        """Fan out one task per due connection (run it from celery beat)."""
        due = due_connections(engine().store)
        for cid in due:
            sync_task.delay(cid)
        return due

    # Registered by call rather than decorator: Celery ships no type information.
    sync_task = celery.task(name="bank.sync_connection")(sync_connection)
    celery.task(name="bank.sync_due")(sync_due)
    return celery
