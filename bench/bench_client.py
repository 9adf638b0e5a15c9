"""The sync client against a served sandbox: a first sync, and a sync with nothing new.

Targets (issue 16): the first sync of a 24-month item < 300 ms; a no-change sync < 10 ms.
A ``LiveSandbox`` (threaded server in this process) serves; the client's store is a SQLite
file. The baseline, measured in the same run, is one bare ``/transactions/sync`` call of
the same item with no changes (what the no-change sync cannot go below: one round trip).

    python -m bench.bench_client [--runs 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.store.db import Store
from client.sync.connections import BankSync
from sandbox.testing import LiveSandbox


def _median_ms(measure: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        measure()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    """Print the client's sync times with the bare round trip beside them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-client-") as folder:
        config = {"DATABASE_URL": f"sqlite:///{folder}/s.db", "WEBHOOK_DISPATCHER": "off"}
        with LiveSandbox({**config, "SEED": 7, "RATE_LIMITS": "off"}) as server:
            plaid = PlaidClient(server.url, server.client_id, server.secret, timeout=30)
            firsts, added = [], 0
            for run in range(args.runs):
                store = Store(f"sqlite:///{Path(folder) / f'client-{run}.db'}")
                cipher = TokenCipher([TokenCipher.generate_key()])
                bank = BankSync(plaid, store, cipher, notifier=CollectingNotifier())
                cid = bank.connect_sandbox("ins_109508", days_requested=730)
                began = time.perf_counter()
                result = bank.sync(cid)
                firsts.append(time.perf_counter() - began)
                added = result.added
            no_change = _median_ms(lambda: bank.sync(cid), args.runs * 4)
            token = bank.access_token(cid)
            cursor = store_cursor(bank, cid)
            bare = _median_ms(
                lambda: plaid.post("/transactions/sync", access_token=token, cursor=cursor),
                args.runs * 4,
            )
            store.close()
            plaid.close()
    first = statistics.median(firsts) * 1000
    print("| client sync (SQLite store, in-process sandbox) | median | target | baseline |")
    print("|---|---:|---:|---:|")
    print(f"| first sync of a 24-month item ({added:,} transactions) | {first:.1f} ms "
          f"| < 300 ms | |")  # fmt: skip
    print(f"| no-change sync | {no_change:.1f} ms | < 10 ms "
          f"| one bare `/transactions/sync` round trip: {bare:.1f} ms |")  # fmt: skip
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
