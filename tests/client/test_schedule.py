"""Schedules, pause/resume, the due-list, the embedded runner and Celery tasks on Redis."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.schedule.due import due_connections, set_paused, set_schedule
from client.schedule.tasks import CeleryPolicy, celery_hook, make_celery
from client.store.db import Store
from client.store.jobs import Job, JobStatus
from client.store.models import Connection, ConnectionStatus, SyncRun
from client.sync.connections import BankSync
from client.worker.queue import JobQueue
from client.worker.service import Worker
from tests.client.conftest import Tenant

NOW = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)
REDIS = "redis://127.0.0.1:6379/6"  # this suite's own Redis database


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


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


def test_a_plaid_worker_leaves_the_due_connections_of_other_providers_alone(
    bank: BankSync,
) -> None:
    """A store holding TrueLayer connections beside Plaid Items (as the README shows): the
    Plaid worker (`bank-client worker`, the app's) queued a sync of each due TrueLayer
    connection on every pass, every 30 seconds, each a failed run `OTHER_PROVIDER`."""
    long_ago = NOW - dt.timedelta(days=2)
    theirs = _conn(bank.store, provider="truelayer", last_success_at=long_ago)
    mine = _conn(bank.store, provider="plaid", last_success_at=long_ago)
    assert Worker(bank, clock=lambda: NOW).schedule_due() == 1
    with bank.store.session() as s:
        assert list(s.scalars(select(Job.connection_id))) == [mine]
    assert due_connections(bank.store, NOW, provider="truelayer") == [theirs]


def test_paused_connection_still_syncs_manually(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    set_paused(bank.store, cid, True)
    assert Worker(bank).tick() == 0
    assert bank.sync(cid).ok


def test_embedded_worker_thread_syncs_due_connections(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    worker = Worker(bank, interval=0.05).start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _runs(bank, cid):
        time.sleep(0.05)
    worker.stop()
    runs = _runs(bank, cid)
    assert len(runs) == 1 and runs[0].trigger == "schedule"  # synced once, then not due
    assert not worker.state.running


def test_celery_beat_and_retry_policy() -> None:
    from celery.schedules import crontab

    from client.schedule.celery_app import policy_from_env
    from client.worker.config import SettingsError

    app = make_celery("memory://", lambda: pytest.fail("no bank needed"))
    beat = app.conf.beat_schedule
    assert beat["bank-sync-due"]["schedule"] == crontab(hour=2, minute=0)
    assert beat["bank-run-jobs"]["task"] == "bank.run_jobs"
    sync = app.tasks["bank.sync_connection"]
    assert (sync.max_retries, sync.retry_backoff, sync.retry_jitter) == (3, 300, False)
    assert policy_from_env({"BANK_CLIENT_SYNC_AT": "03:30"}) == CeleryPolicy(hour=3, minute=30)
    with pytest.raises(SettingsError, match="HH:MM"):
        policy_from_env({"BANK_CLIENT_SYNC_AT": "3am"})


def test_celery_worker_process_retries_and_runs_webhook_jobs(tenant: Tenant, store: Store) -> None:
    key = TokenCipher.generate_key()
    plaid = PlaidClient(tenant.url, tenant.client_id, tenant.secret, timeout=30)
    bank = BankSync(plaid, store, TokenCipher([key]))
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    queue_name = f"bank-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "BANK_CLIENT_BROKER": REDIS,
        "BANK_CLIENT_QUEUE": queue_name,
        "BANK_CLIENT_RETRY_DELAY": "1",
        "BANK_CLIENT_DB": store.url,
        "PLAID_BASE_URL": tenant.url,
        "PLAID_CLIENT_ID": tenant.client_id,
        "PLAID_SECRET": tenant.secret,
        "BANK_CLIENT_KEYS": key,
    }
    sender = make_celery(REDIS, lambda: bank)
    sender.conf.task_default_queue = queue_name
    # Three failures use up the first try (with the transport's own two quick retries).
    tenant.post(
        "/control/faults",
        endpoint="/transactions/sync",
        error_code="INSTITUTION_DOWN",
        trigger="next",
        n=3,
    )
    with celery_worker(env, queue_name):
        sender.signature("bank.sync_connection", args=(cid, "manual")).delay()
        _wait_for_runs(bank, cid, 2)
        job = JobQueue(store).enqueue("sync", cid, {"trigger": "webhook"}, coalesce=True)
        celery_hook(sender)(job)  # what the webhook receiver does after queueing
        _wait_for_runs(bank, cid, 3)
    runs = _runs(bank, cid)
    assert [(r.trigger, r.error_code) for r in runs] == [
        ("manual", "INSTITUTION_DOWN"),
        ("manual", None),  # Celery's autoretry, one second later
        ("webhook", None),
    ]
    with store.session() as s:
        assert s.get(Job, job).status == JobStatus.DONE  # type: ignore[union-attr]
    plaid.close()


@contextmanager
def celery_worker(env: dict[str, str], queue_name: str) -> Iterator[None]:
    """A real `celery worker` process on Redis, stopped with SIGTERM (killed if it hangs)."""
    celery = str(Path(sys.executable).parent / "celery")
    proc = subprocess.Popen(
        [
            celery,
            "-A",
            "client.schedule.celery_app",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue_name,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output = proc.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate(timeout=10)[0]
        assert "Traceback" not in output, output


def _wait_for_runs(bank: BankSync, cid: int, count: int) -> None:
    deadline = time.monotonic() + 60
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
