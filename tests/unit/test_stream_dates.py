"""A generated stream's next date is the day the ledger posts its next row.

Standing orders and direct debits (``instructions``) and Plaid's ``predicted_next_date``
(``recurring``) both ask ``ledger.next_occurrence``: from any day, it must name the very
day the engine dates the stream's next row, whatever a weekend does to it (a bill moves
to Monday, a loan installment or a card autopay does not).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from sandbox.core import ledger
from tests.unit.ledger_helpers import plan_for

START = dt.date(2026, 1, 1)
DAYS = 120  # every weekday and weekend position of each monthly due day
END = START + dt.timedelta(days=DAYS + 45)  # the next row of the last day is posted by then


def _posted(plan: ledger.ItemPlan) -> dict[tuple[str, int], list[dt.date]]:
    """The dates of each stream's rows on each account, oldest first."""
    found: dict[tuple[str, int], list[dt.date]] = defaultdict(list)
    for entry in ledger.entries_between(plan, START, END):
        if key := entry.details.get("stream"):
            found[(key, entry.account)].append(entry.date)
    return found


@pytest.mark.parametrize(
    # loans, biweekly, weekly, semi-monthly and monthly pay; cards and bills in every one
    "persona",
    ["classic", "family_with_mortgage", "hourly_worker", "young_professional", "truelayer_mock"],
)
def test_the_next_occurrence_is_the_next_posted_row(persona: str) -> None:
    plan = plan_for(persona)
    posted = _posted(plan)
    streams = ledger.streams(plan)
    assert {s.kind for s in streams} >= {"card", "fixed", "seasonal"}
    for stream in streams:
        dates = posted[(stream.key, stream.account)]  # none: a card that is never used
        for offset in range(DAYS):
            after = START + dt.timedelta(days=offset)
            predicted = ledger.next_occurrence(plan, stream, after)
            expected = next((d for d in dates if d > after), None)
            if expected is None:
                assert predicted is None or predicted > END, (stream.key, after)
            else:
                assert predicted == expected, (stream.key, after)
