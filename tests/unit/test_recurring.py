"""Recurring streams: frequency by rhythm, and Plaid's ``TransactionStreamStatus``."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core import recurring
from sandbox.core.models import Transaction

START = dt.date(2024, 1, 15)


def _dates(count: int, days: int) -> list[dt.date]:
    return [START + dt.timedelta(days=days * n) for n in range(count)]


def _stream(frequency: str, count: int, *, is_active: bool) -> recurring.Stream:
    days = recurring.DAYS[frequency]
    rows = tuple(Transaction(date=d, amount_minor=1000) for d in _dates(count, days))
    return recurring.Stream(
        "s", "a", "Rent", None, "RENT", frequency, rows, inflow=False, is_active=is_active
    )


@pytest.mark.parametrize(
    ("frequency", "count", "is_active", "status"),
    [
        ("MONTHLY", 2, True, "EARLY_DETECTION"),
        ("MONTHLY", 3, True, "MATURE"),  # was EARLY_DETECTION until 6
        ("MONTHLY", 5, True, "MATURE"),
        ("ANNUALLY", 2, True, "MATURE"),
        ("ANNUALLY", 1, True, "EARLY_DETECTION"),
        ("MONTHLY", 2, False, "TOMBSTONED"),
        ("MONTHLY", 4, False, "MATURE"),  # only an early stream is tombstoned when it stops
    ],
)
def test_stream_status_follows_plaids_definitions(
    frequency: str, count: int, is_active: bool, status: str
) -> None:
    assert _stream(frequency, count, is_active=is_active).status == status


def test_a_yearly_payment_seen_twice_is_a_stream() -> None:
    assert recurring.frequency_of(_dates(2, 365)) == "ANNUALLY"


def test_two_monthly_payments_are_not_yet_a_stream() -> None:
    assert recurring.frequency_of(_dates(2, 30)) is None
    assert recurring.frequency_of(_dates(3, 30)) == "MONTHLY"


def _rows(*dates: str) -> tuple[Transaction, ...]:
    return tuple(Transaction(date=dt.date.fromisoformat(d), amount_minor=1000) for d in dates)


@pytest.mark.parametrize(
    ("frequency", "dates", "predicted"),
    [
        # a bill of the 15th that a weekend pushed to Monday the 16th stays on the 15th
        ("MONTHLY", ("2026-09-15", "2026-10-15", "2026-11-16"), "2026-12-15"),
        # October's payment of the 1st, moved back to Friday 30 October: next is 1 December
        ("MONTHLY", ("2026-08-01", "2026-09-01", "2026-10-30"), "2026-12-01"),
        # a payment of the 31st pushed into the next month: next is the month's last day
        ("MONTHLY", ("2026-08-31", "2026-10-31", "2026-12-02"), "2026-12-31"),
        ("ANNUALLY", ("2025-03-10", "2026-03-10"), "2027-03-10"),
        ("BIWEEKLY", ("2026-10-30", "2026-11-13", "2026-11-27"), "2026-12-11"),
        ("WEEKLY", ("2026-11-13", "2026-11-20", "2026-11-27"), "2026-12-04"),
    ],
)
def test_a_stream_predicts_its_next_date_from_its_usual_day(
    frequency: str, dates: tuple[str, ...], predicted: str
) -> None:
    assert recurring.predict_next(frequency, _rows(*dates)) == dt.date.fromisoformat(predicted)
