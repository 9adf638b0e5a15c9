"""The committed sample (``tests/fixtures/sample_ledger.json``) is what the engine generates.

Regenerate after a deliberate change with ``python -m tests.unit.test_ledger_fixture``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sandbox.core import ledger

from .ledger_helpers import plan_for

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_ledger.json"
TODAY = dt.date(2026, 3, 16)
SIZE = 40


def sample() -> list[dict[str, Any]]:
    """The 40 newest transactions of user_good at First Platypus Bank (seed 7) on 2026-03-16."""
    plan = plan_for("classic", seed=7)
    masks = {a.ordinal: (a.mask, a.has_transactions) for a in plan.accounts}
    entries = [
        e
        for e in ledger.entries_between(plan, TODAY - dt.timedelta(days=20), TODAY)
        if masks[e.account][1]
    ]
    newest = sorted(entries, key=lambda e: (e.date, e.key), reverse=True)[:SIZE]
    return [
        {
            "date": e.date.isoformat(),
            "account_mask": masks[e.account][0],
            "name": e.name if e.post_date > TODAY else e.final_name,
            "merchant_name": e.merchant_name,
            "amount": (e.amount_minor if e.post_date > TODAY else e.final_amount_minor) / 100,
            "category": e.category,
            "payment_channel": e.payment_channel,
            "pending": e.post_date > TODAY,
        }
        for e in newest
    ]


def test_sample_fixture_matches_a_fresh_generation() -> None:
    assert json.loads(FIXTURE.read_text()) == sample()


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(sample(), indent=2) + "\n")
