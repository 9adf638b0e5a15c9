"""Kill a syncing process at seeded random instants; the store must end equal to the provider.

Plaid (a change log with cursors) and TrueLayer (date windows, the position in the cursor)
go through the same kill loop."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.store.db import Store
from client.store.models import Connection, SyncRun
from client.sync.connections import BankSync
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches
from tests.client.truelayer_live import assert_matches, connect, truelayer_sync

KILLS = 15
SEED = 20260316
WORKER = Path(__file__).with_name("crash_worker.py")


def _spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a worker; it imports, says ready, then waits for `_go` (imports overlap runs)."""
    return subprocess.Popen(
        [sys.executable, str(WORKER)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )


def _go(proc: subprocess.Popen[bytes]) -> None:
    """Let a ready worker start syncing."""
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == b"ready"
    proc.stdin.write(b"go\n")
    proc.stdin.flush()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no cleanup handlers, no rollback, exactly like a power cut for the process."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def _worker_env(tenant: Tenant, store: Store, key: str, cid: int, **extra: str) -> dict[str, str]:
    """What a worker needs to sync connection `cid` of this store on this tenant."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "CRASH_DB": store.url,
        "CRASH_URL": tenant.url,
        "CRASH_CLIENT_ID": tenant.client_id,
        "CRASH_SECRET": tenant.secret,
        "CRASH_KEY": key,
        "CRASH_CONNECTION": str(cid),
        **extra,
    }


def _kill_repeatedly(
    env: dict[str, str],
    rng: random.Random,
    store: Store,
    cid: int,
    sizes: list[int],
    *,
    during: Callable[[], None] | None = None,
    between: Callable[[], None] | None = None,
) -> int:
    """KILLS workers, each SIGKILLed at a random instant; every third kill the data moves,
    `during` the sync or `between` two workers. Returns how many kills left a chain open."""
    mid_chain = 0
    env["CRASH_PAGE_SIZE"] = str(rng.choice(sizes))
    upcoming: subprocess.Popen[bytes] | None = _spawn(env)
    for kill in range(KILLS):
        assert upcoming is not None
        proc = upcoming
        _go(proc)
        env["CRASH_PAGE_SIZE"] = str(rng.choice(sizes))
        upcoming = _spawn(env) if kill < KILLS - 1 else None
        time.sleep(rng.uniform(0.0, 0.3))
        if kill % 3 == 1 and during is not None:
            during()  # data moves while the worker paginates
        time.sleep(rng.uniform(0.0, 0.3))
        _kill(proc)
        if kill % 3 == 1 and between is not None:
            between()
        with store.session() as s:
            conn = s.get(Connection, cid)
            mid_chain += bool(conn is not None and conn.in_chain)
    return mid_chain


def test_crash_at_random_points_converges_to_ground_truth(tenant: Tenant, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    # Hundreds of small pages a minute would trip Plaid's 50/min sync limit and make the test
    # wait out Retry-After; the limit has its own test (test_rate_limits_live.py).
    requests.put(
        tenant.url + "/control/rate-limits",
        json={"enabled": False},
        timeout=10,
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
    )
    key = TokenCipher.generate_key()
    store = Store(f"sqlite:///{tmp_path / 'crash.db'}")
    plaid = PlaidClient(tenant.url, tenant.client_id, tenant.secret, timeout=30)
    bank = BankSync(plaid, store, TokenCipher([key]), max_restarts=50)
    cid = bank.connect_sandbox("ins_109508", days_requested=730)
    env = _worker_env(tenant, store, key, cid)
    mid_chain = _kill_repeatedly(
        env, rng, store, cid, [7, 25, 60], during=lambda: tenant.advance(rng.randint(1, 4))
    )
    final = bank.sync(cid, trigger="final")
    try:
        assert final.ok, final.error_code
        assert_store_matches(store, cid, ground_truth(bank, cid))
        with store.session() as s:
            assert s.query(SyncRun).count() > KILLS  # every killed run left its history row
        assert mid_chain >= 3, "kills should land inside has_more chains"
    finally:
        plaid.close()
        store.close()


def test_truelayer_crash_at_random_points_converges_to_ground_truth(
    tenant: Tenant, tmp_path: Path
) -> None:
    """The same kills for a TrueLayer connection (pages of 7 to 60 days of one account).

    The clock moves between two workers, and the parent then renews the token pair (a day
    later the access token has ended). TrueLayer's refresh tokens are single use: a process
    killed after the auth server issued a new pair but before storing it would lose the
    connection, which no client can prevent, so the refresh is not among the kill points."""
    rng = random.Random(SEED)
    key = TokenCipher.generate_key()
    store = Store(f"sqlite:///{tmp_path / 'crash.db'}")
    tl = truelayer_sync(tenant, store, TokenCipher([key]))
    cid = connect(tl, "crash")

    def move_data() -> None:
        tenant.advance(rng.randint(1, 4))
        tl.fresh_tokens(cid, force=True)

    env = _worker_env(tenant, store, key, cid, CRASH_PROVIDER="truelayer")
    mid_chain = _kill_repeatedly(env, rng, store, cid, [7, 25, 60], between=move_data)
    final = tl.sync(cid, trigger="final")
    try:
        assert final.ok, final.error_code
        assert_matches(tl, cid)
        with store.session() as s:
            assert s.query(SyncRun).count() > KILLS
        assert mid_chain >= 3, "kills should land inside a sync's pages"
    finally:
        tl.api.close()
        store.close()
