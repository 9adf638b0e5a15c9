"""Schedules, pause/resume, the due-list, the embedded runner and Celery tasks on Redis."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from client.schedule.due import due_connections, set_paused, set_schedule
from client.schedule.runner import EmbeddedRunner, run_due
from client.schedule.tasks import make_celery
from client.store.db import Store
from client.store.models import Connection, ConnectionStatus, SyncRun
from client.sync.connections import BankSync

NOW = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)
REDIS = "redis://127.0.0.1:6379/0"


def _conn(store: Store, **fields: Any) -> int:
    with store.session() as s:
        conn = Connection(access_token_enc="x", settings={}, **fields)
        s.add(conn)
        s.flush()
        return conn.id


@pytest.mark.parametrize(
    ("schedule", "age", "due"),
    [
        ("daily", dt.timedelta(hours=23), False),
        ("daily", dt.timedelta(hours=25), True),
        ("weekly", dt.timedelta(days=6), False),
        ("weekly", dt.timedelta(days=7), True),
        ("monthly", dt.timedelta(days=29), False),
        ("monthly", dt.timedelta(days=31), True),
    ],
)
def test_due_list_by_schedule(store: Store, schedule: str, age: dt.timedelta, due: bool) -> None:
    cid = _conn(store, schedule=schedule, last_success_at=NOW - age)
    assert (cid in due_connections(store, NOW)) is due


def test_due_list_skips_paused_broken_and_disconnected(store: Store) -> None:
    never = _conn(store)
    paused = _conn(store, paused=True)
    login = _conn(store, status=ConnectionStatus.LOGIN_REQUIRED)
    errored_recently = _conn(
        store, status=ConnectionStatus.ERROR, last_sync_at=NOW - dt.timedelta(minutes=10)
    )
    errored_long_ago = _conn(
        store, status=ConnectionStatus.ERROR, last_sync_at=NOW - dt.timedelta(hours=2)
    )
    due = due_connections(store, NOW)
    assert never in due and errored_long_ago in due
    assert not {paused, login, errored_recently} & set(due)
    set_paused(store, paused, False)
    set_schedule(store, paused, "weekly")
    assert paused in due_connections(store, NOW)
    with pytest.raises(ValueError):
        set_schedule(store, paused, "hourly")


def test_paused_connection_still_syncs_manually(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    set_paused(bank.store, cid, True)
    assert run_due(bank) == []
    assert bank.sync(cid).ok


def test_embedded_runner_syncs_due_connections(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    runner = EmbeddedRunner(bank, interval=0.05).start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _runs(bank, cid):
        time.sleep(0.05)
    runner.stop()
    runs = _runs(bank, cid)
    assert len(runs) == 1 and runs[0].trigger == "schedule"  # synced once, then not due


def test_celery_tasks_sync_through_redis(bank: BankSync) -> None:
    from celery.contrib.testing.worker import start_worker

    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    app = make_celery(REDIS, lambda: bank)
    app.conf.update(
        task_default_queue=f"bank-test-{uuid.uuid4().hex}",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        app.signature("bank.sync_due").delay()  # fans out bank.sync_connection per due id
        _wait_for_runs(bank, cid, 1)
        app.signature("bank.sync_connection", args=(cid, "manual")).delay()
        _wait_for_runs(bank, cid, 2)
    runs = _runs(bank, cid)
    assert [r.trigger for r in runs] == ["schedule", "manual"]
    assert runs[0].added > 0 and runs[0].error_code is None


def _wait_for_runs(bank: BankSync, cid: int, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_runs(bank, cid)) < count:
        time.sleep(0.05)
    assert len(_runs(bank, cid)) == count


def _runs(bank: BankSync, cid: int) -> list[SyncRun]:
    with bank.store.session() as s:
        return list(
            s.scalars(
                select(SyncRun)
                .where(SyncRun.connection_id == cid)
                .where(SyncRun.finished_at.is_not(None))
                .order_by(SyncRun.id)
            )
        )
