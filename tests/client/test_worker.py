"""The worker against the live sandbox: schedules with the clock under control, pause, retries
of transient failures, and `bank-client worker` as a process (health, metrics, SIGTERM)."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from client.cli import main
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.schedule.due import set_paused, set_schedule
from client.store.db import Store
from client.store.jobs import Job, JobStatus
from client.store.models import Connection, SyncRun
from client.sync.connections import BankSync
from client.worker.service import Worker
from tests.client.conftest import Tenant


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


class Clock:
    """The worker's clock, moved by the test (the sandbox's clock is left alone)."""

    def __init__(self) -> None:
        self.start = self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, **delta: float) -> None:
        """Jump to `start + delta`."""
        self.now = self.start + dt.timedelta(**delta)


def scheduled(bank: BankSync) -> list[int]:
    """Connections synced by the schedule, in order."""
    with bank.store.session() as s:
        return list(
            s.scalars(
                select(SyncRun.connection_id)
                .where(SyncRun.trigger == "schedule")
                .order_by(SyncRun.id)
            )
        )


def test_worker_runs_daily_weekly_monthly_and_skips_paused(bank: BankSync) -> None:
    ids = {}
    for name in ("daily", "weekly", "monthly", "paused"):
        ids[name] = bank.connect_sandbox("ins_109508", user_ref=name, days_requested=30)
        assert bank.sync(ids[name]).ok
        set_schedule(bank.store, ids[name], "daily" if name == "paused" else name)
    set_paused(bank.store, ids["paused"], True)
    clock = Clock()
    worker = Worker(bank, clock=clock)

    worker.tick()
    assert scheduled(bank) == []
    clock.at(days=1, minutes=1)
    worker.tick()
    assert scheduled(bank) == [ids["daily"]]
    clock.at(days=7, minutes=1)
    worker.tick()
    assert sorted(scheduled(bank)[1:]) == sorted([ids["daily"], ids["weekly"]])
    clock.at(days=30, minutes=1)
    worker.tick()
    assert sorted(scheduled(bank)[3:]) == sorted([ids["daily"], ids["weekly"], ids["monthly"]])
    assert ids["paused"] not in scheduled(bank)
    assert bank.sync(ids["paused"]).ok  # pause stops the schedule, not manual syncs


def test_worker_retries_a_transient_failure_after_backoff(bank: BankSync, tenant: Tenant) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    # Three failures: the first try and both of the transport's own quick retries.
    tenant.post(
        "/control/faults",
        endpoint="/transactions/sync",
        error_code="INSTITUTION_DOWN",
        trigger="next",
        n=3,
    )
    clock = Clock()
    worker = Worker(bank, clock=clock)
    worker.tick()  # new connection: due at once; the sync fails and is queued again
    clock.at(minutes=4)
    worker.tick()
    clock.at(minutes=5, seconds=1)
    worker.tick()
    with bank.store.session() as s:
        runs = [(r.trigger, r.error_code) for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
        job = s.scalars(select(Job)).one()
    assert runs == [("schedule", "INSTITUTION_DOWN"), ("schedule", None)]
    assert job.status == JobStatus.DONE and job.attempts == 2 and job.connection_id == cid


def test_worker_reminds_before_an_open_banking_consent_expires(
    bank: BankSync, notes: CollectingNotifier
) -> None:
    cid = bank.connect_sandbox("ins_117650", days_requested=30)  # Royal Bank of Plaid (GB)
    assert bank.sync(cid).ok
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.consent_expires_at is not None  # from /item/get
        expires = conn.consent_expires_at
    clock = Clock()
    clock.start = clock.now = expires - dt.timedelta(days=8)
    worker = Worker(bank, clock=clock)
    worker.tick()
    assert [n.kind for n in notes.notes if n.kind == "reauth_reminder"] == []
    for days_before in (6, 5, 0.5):
        clock.now = expires - dt.timedelta(days=days_before)
        worker.tick()
    reminders = [n for n in notes.notes if n.kind == "reauth_reminder"]
    assert len(reminders) == 2  # the 7-day notice once, then the 1-day notice
    assert all(n.connection_id == cid and "Royal Bank of Plaid" in n.message for n in reminders)


def test_serve_stopped_by_sigterm_lets_its_worker_finish_the_sync_in_hand(
    tenant: Tenant, tmp_path: Path
) -> None:
    """`bank-client serve` died on SIGTERM with its embedded worker mid-sync: the run's
    history row stayed "running" and the sync was cut short."""
    env = cli_env(tenant, tmp_path)
    linked = CliRunner(env=env).invoke(main, ["connect", "--sandbox", "ins_109508"])
    assert linked.exit_code == 0, linked.output
    slow = {"endpoint": "/transactions/sync", "trigger": "nth", "n": 2, "latency_ms": 3_000}
    tenant.post("/control/faults", **slow)  # the signal comes while page 2 is on its way
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "bank-client"), "serve", "--port", "0"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    store = Store(env["BANK_CLIENT_DB"])
    try:
        deadline = time.monotonic() + 30
        while not _pages_stored(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _pages_stored(store), "the scheduled sync stored no page"
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, output
    assert "bank-client app stopped (signal)" in output and "Traceback" not in output
    with store.session() as s:
        run = s.scalars(select(SyncRun)).one()
        assert run.finished_at is not None and run.error_code is None and run.pages > 1
    store.close()


def _pages_stored(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(SyncRun.pages)) or 0


def cli_env(tenant: Tenant, tmp_path: Path) -> dict[str, str]:
    """What an operator exports before running bank-client."""
    return {
        "BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'service.db'}",
        "PLAID_BASE_URL": tenant.url,
        "PLAID_CLIENT_ID": tenant.client_id,
        "PLAID_SECRET": tenant.secret,
        "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
        "PYTHONUNBUFFERED": "1",
    }


def test_worker_process_serves_health_and_metrics_and_stops_on_sigterm(
    tenant: Tenant, tmp_path: Path
) -> None:
    env = cli_env(tenant, tmp_path)
    linked = CliRunner(env=env).invoke(main, ["connect", "--sandbox", "ins_109508", "--days", "30"])
    assert linked.exit_code == 0, linked.output
    command = [str(Path(sys.executable).parent / "bank-client"), "worker", "--interval", "0.2"]
    proc = subprocess.Popen(
        [*command, "--port", "0"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = health_url(proc)
        health = wait_for_scheduled_sync(base, env["BANK_CLIENT_DB"])
        assert health["ok"] and health["worker"]["running"] and health["bank"]["ok"]
        metrics = requests.get(base + "/metrics", timeout=10).text
        assert "bank_worker_up 1.0" in metrics and 'bank_jobs{status="done"} 1.0' in metrics
        assert requests.get(base + "/nope", timeout=10).status_code == 404
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, rest
    assert "worker stopped (signal)" in rest and "Traceback" not in rest


def health_url(proc: subprocess.Popen[str]) -> str:
    """The base URL the worker announces on stdout (log lines may come first)."""
    assert proc.stdout is not None
    for _ in range(50):
        line = proc.stdout.readline()
        found = re.search(r"health on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return found.group(1)
    raise AssertionError("the worker never announced its health URL")


def wait_for_scheduled_sync(base: str, db: str) -> dict[str, object]:
    """Poll /healthz until the worker has run the new connection's first scheduled sync: its
    job done, which the worker records after the sync's own bookkeeping (run, connection)."""
    store = Store(db)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            reply = requests.get(base + "/healthz", timeout=10)
            with store.session() as s:
                done = s.scalar(select(Job.id).where(Job.status == JobStatus.DONE))
            if reply.status_code == 200 and done is not None:
                data: dict[str, object] = reply.json()
                return data
            time.sleep(0.1)
    finally:
        store.close()
    raise AssertionError("the worker never ran the scheduled sync")
