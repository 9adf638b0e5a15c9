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
