"""Ledger engine speed: item creation time and transactions generated per second.

Creates 24-month items (``user_family``: 5 accounts; ``user_good``) in an in-memory
SQLite sandbox, several times, and prints medians of the process's CPU time (the database
runs in the process; CPU time holds still on a machine shared with other work):

* **item creation**: the link itself, which writes the last 30 days (Plaid's initial pull);
* **historical pull**: the rest of the 24 months, written on the item's first read or by
  the webhook dispatcher, whichever comes first;
* **cold**: the engine's shared day caches are cleared first, so the whole history is
  generated and inserted (a login nobody made before in this process);
* **warm**: the same login again (what a test suite does on every test), so the days
  come from the shared cache and only the rows are written;
* **engine**: transactions generated per second from scratch, without the database.

Run: ``python -m bench.bench_ledger``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from sandbox import create_app
from sandbox.core import institutions, items, ledger, tenants
from sandbox.core.bank import Bank
from sandbox.core.ledger import memo
from sandbox.core.models import Item, Transaction
from sandbox.core.users import check_credentials
from sandbox.extensions import current_session, db

RUNS = 7
DAYS = 730
INSTITUTION = "ins_109508"
NOW = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)


def _create(bank: Bank, username: str, *, cold: bool) -> tuple[float, float, Item]:
    """Seconds to create one item, then to load its held-back history (``cold``: with empty
    engine caches)."""
    login = check_credentials(username, "pass_good")
    if cold:
        memo.clear()
    started = time.process_time()
    item = bank.create_item(
        institutions.get(INSTITUTION), login, ["transactions"], days_requested=DAYS
    )
    bank.session.flush()
    created = time.process_time()
    bank.load_history(item)
    bank.session.flush()
    return created - started, time.process_time() - created, item


def _engine_rate(item: Item) -> float:
    """Transactions per second the engine generates for ``item`` from scratch."""
    institution = institutions.get(INSTITUTION)
    times, count = [], 0
    for _ in range(RUNS):
        memo.clear()
        plan = items.plan_for(current_session(), item, institution.country, institution.currency)
        started = time.process_time()
        count = len(ledger.entries_between(plan, NOW.date() - dt.timedelta(DAYS), NOW.date()))
        times.append(time.process_time() - started)
    return count / statistics.median(times)


def main() -> None:
    """Print median item creation times (cold and warm) and generation throughput."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SEED": 7})
    with app.app_context():
        db.create_all()
        session = current_session()
        tenant, _ = tenants.create(session, "bench", 7)
        tenant.clock_frozen_at = NOW
        bank = Bank(session, tenant)
        for username in ("user_family", "user_good"):
            cold = [_create(bank, username, cold=True) for _ in range(RUNS)]
            warm = [_create(bank, username, cold=False) for _ in range(RUNS)]
            item = cold[0][2]
            rows = session.query(Transaction).filter(Transaction.item_pk == item.pk).count()
            print(
                f"{username:12} 24 months, {len(item.accounts)} accounts, {rows} rows "
                f"(median of {RUNS}): item creation cold {_median_ms(cold, 0)} ms, "
                f"warm {_median_ms(warm, 0)} ms; historical pull cold {_median_ms(cold, 1)} ms, "
                f"warm {_median_ms(warm, 1)} ms; engine {_engine_rate(item):,.0f} transactions/s"
            )


def _median_ms(runs: list[tuple[float, float, Item]], index: int) -> str:
    return f"{statistics.median(run[index] for run in runs) * 1000:6.1f}"


if __name__ == "__main__":
    main()
