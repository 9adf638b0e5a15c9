"""Ledger engine speed: transactions generated per second and item creation time.

Creates a 24-month ``user_family`` item (5 accounts) in an in-memory SQLite sandbox,
several times, and prints the medians. Run: ``python bench/bench_ledger.py``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from sandbox import create_app
from sandbox.core import institutions, items, ledger, tenants
from sandbox.core.bank import Bank
from sandbox.core.models import Transaction
from sandbox.core.users import check_credentials
from sandbox.extensions import db

RUNS = 7
DAYS = 730
NOW = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)


def _create(bank: Bank, username: str) -> tuple[float, int]:
    login = check_credentials(username, "pass_good")
    started = time.perf_counter()
    item = bank.create_item(
        institutions.get("ins_109508"),
        login,
        ["transactions"],
        days_requested=DAYS,
    )
    db.session.flush()
    elapsed = time.perf_counter() - started
    count = db.session.query(Transaction).filter(Transaction.item_id == item.id).count()
    return elapsed, count


def main() -> None:
    """Print median item creation time and generation throughput."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SEED": 7})
    with app.app_context():
        db.create_all()
        tenant, _ = tenants.create(db.session, "bench", 7)
        tenant.clock_frozen_at = NOW
        bank = Bank(db.session, tenant)
        for username in ("user_family", "user_good"):
            timings = [_create(bank, username) for _ in range(RUNS)]
            seconds = statistics.median(t for t, _ in timings)
            rows = timings[0][1]
            plan_times = []
            for _ in range(RUNS):
                item = db.session.query(items.Item).filter_by(username=username).first()
                institution = institutions.get("ins_109508")
                plan = items.plan_for(db.session, item, institution.country, institution.currency)
                started = time.perf_counter()
                generated = ledger.entries_between(
                    plan, NOW.date() - dt.timedelta(DAYS), NOW.date()
                )
                plan_times.append(time.perf_counter() - started)
            rate = len(generated) / statistics.median(plan_times)
            print(
                f"{username:12} 24 months: item creation {seconds * 1000:7.1f} ms "
                f"(median of {RUNS}), "
                f"{rows} rows; engine {rate:,.0f} transactions/s"
            )


if __name__ == "__main__":
    main()
