"""The sync client against a served sandbox: a first sync, and a sync with nothing new.

Targets (issue 16): the first sync of a 24-month item < 300 ms; a no-change sync < 10 ms.
A ``LiveSandbox`` (threaded server in this process) serves; the client's store is a SQLite
file and, when ``--postgres-url`` (or ``BENCH_POSTGRES_URL``) names a PostgreSQL database it
may empty, PostgreSQL. Each row splits the wall time into the client's own CPU (the syncing
thread's CPU time: its parsing, mapping and store work, the store's driver included) and the
server's (the rest of the process's CPU: the sandbox's threads), and gives how long the
syncing thread was ready to run but waited for a CPU (Linux's schedstat; what a machine
shared with other jobs adds to the wall time). The baseline, measured in the same run, is one
bare ``/transactions/sync`` call of the same item with no changes (what the no-change sync
cannot go below: one round trip).

    python -m bench.bench_client [--runs 5] [--postgres-url postgresql://...]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.store.db import Store
from client.sync.connections import BankSync
from sandbox.testing import LiveSandbox


@dataclass(frozen=True)
class Timing:
    """Medians of one measured step: wall time, the client thread's CPU, the server's CPU,
    and the client thread's wait for a CPU (None where the system does not say)."""

    wall: float
    client: float
    server: float
    waited: float | None

    def cells(self) -> str:
        """Four table cells, in milliseconds."""
        waited = "" if self.waited is None else f"{self.waited * 1000:.1f} ms"
        return (
            f"{self.wall * 1000:.1f} ms | {self.client * 1000:.1f} ms "
            f"| {self.server * 1000:.1f} ms | {waited}"
        )


def _cpu_wait() -> float | None:
    """Seconds this thread has spent ready to run but not running (Linux), else None."""
    try:
        with open("/proc/thread-self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def _measure(step: Callable[[], object], runs: int) -> Timing:
    """Medians over `runs` calls of `step`; the server's CPU is the process's CPU less this
    thread's (the sandbox serves from its own threads)."""
    walls, clients, servers, waits = [], [], [], []
    for _ in range(runs):
        waited = _cpu_wait()
        wall, thread, process = time.perf_counter(), time.thread_time(), time.process_time()
        step()
        client = time.thread_time() - thread
        walls.append(time.perf_counter() - wall)
        clients.append(client)
        servers.append(max(0.0, time.process_time() - process - client))
        after = _cpu_wait()
        if waited is not None and after is not None:
            waits.append(after - waited)
    wall, client, server = (statistics.median(v) for v in (walls, clients, servers))
    return Timing(wall, client, server, statistics.median(waits) if waits else None)


def _fresh_store(url: str) -> Store:
    """An empty store at `url` (a PostgreSQL database is emptied first)."""
    if url.startswith("postgresql"):
        empty = Store(url, create=False)
        empty.drop_all()
        empty.close()
    return Store(url)


def bench_store(
    plaid: PlaidClient, store_url: Callable[[int], str], runs: int
) -> tuple[Timing, Timing, Timing, int]:
    """First sync (a new store and item each run), then no-change syncs and bare calls."""
    firsts: list[Timing] = []
    added = 0
    bank: BankSync | None = None
    store: Store | None = None
    cid = 0
    for run in range(runs):
        if store is not None:
            store.close()
        store = _fresh_store(store_url(run))
        bank = BankSync(
            plaid, store, TokenCipher([TokenCipher.generate_key()]), notifier=CollectingNotifier()
        )
        cid = bank.connect_sandbox("ins_109508", days_requested=730)
        result = None

        def first(bank: BankSync = bank, cid: int = cid) -> None:
            nonlocal result
            result = bank.sync(cid)

        firsts.append(_measure(first, 1))
        assert result is not None and result.ok, result
        added = result.added
    assert bank is not None and store is not None
    no_change = _measure(lambda: bank.sync(cid), runs * 4)
    token, cursor = bank.access_token(cid), store_cursor(bank, cid)
    bare = _measure(
        lambda: plaid.post("/transactions/sync", access_token=token, cursor=cursor), runs * 4
    )
    store.close()
    wall, client, server = (
        statistics.median(getattr(t, f) for t in firsts) for f in ("wall", "client", "server")
    )
    waits = [t.waited for t in firsts if t.waited is not None]
    first_sync = Timing(wall, client, server, statistics.median(waits) if waits else None)
    return first_sync, no_change, bare, added


def main(argv: list[str] | None = None) -> int:
    """Print the client's sync times, split into client and server CPU, with the bare round
    trip beside them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="also time a store in this PostgreSQL database, which is emptied first "
        "(default: $BENCH_POSTGRES_URL; none: SQLite only)",
    )
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    postgres = args.postgres_url
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-client-") as folder:
        config = {"DATABASE_URL": f"sqlite:///{folder}/s.db", "WEBHOOK_DISPATCHER": "off"}
        with LiveSandbox({**config, "SEED": 7, "RATE_LIMITS": "off"}) as server:
            plaid = PlaidClient(server.url, server.client_id, server.secret, timeout=30)
            stores: list[tuple[str, Callable[[int], str]]] = [
                ("SQLite", lambda run: f"sqlite:///{Path(folder) / f'client-{run}.db'}")
            ]
            if postgres:
                stores.append(("PostgreSQL", lambda _run: postgres))
            for name, url in stores:
                first, no_change, bare, added = bench_store(plaid, url, args.runs)
                rows.append(
                    f"| {name} | first sync of a 24-month item ({added:,} transactions) "
                    f"| {first.cells()} | < 300 ms | |"
                )
                rows.append(
                    f"| {name} | no-change sync | {no_change.cells()} | < 10 ms "
                    f"| one bare `/transactions/sync` round trip: {bare.wall * 1000:.1f} ms "
                    f"(server CPU {bare.server * 1000:.1f} ms) |"
                )
            plaid.close()
    print("| client store | sync (in-process sandbox) | median wall | client CPU | server CPU "
          "| client waiting for a CPU | target | baseline |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    return 0


def store_cursor(bank: BankSync, cid: int) -> str:
    """The connection's stored cursor (what the next sync sends)."""
    from client.store.models import Connection

    with bank.store.session() as session:
        conn = session.get(Connection, cid)
        assert conn is not None and conn.cursor is not None
        return conn.cursor


if __name__ == "__main__":
    raise SystemExit(main())
