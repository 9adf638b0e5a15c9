"""Recurring streams: regular payments and deposits found in an item's transactions.

A stream is a run of transactions on one account with the same description and
direction whose gaps fit a frequency (weekly … annually), like Plaid's detector.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Account, Item, Transaction
from .seeding import make_id

FREQUENCIES = (
    ("WEEKLY", 7, 1),
    ("BIWEEKLY", 14, 2),
    ("SEMI_MONTHLY", 15, 3),
    ("MONTHLY", 30, 4),
    ("ANNUALLY", 365, 20),
)
MIN_OCCURRENCES = 3


@dataclass(frozen=True)
class Stream:
    """A detected recurring stream."""

    stream_id: str
    account_id: str
    description: str
    merchant_name: str | None
    category: str
    frequency: str
    transactions: tuple[Transaction, ...]
    inflow: bool
    is_active: bool

    @property
    def first_date(self) -> dt.date:
        return self.transactions[0].date

    @property
    def last_date(self) -> dt.date:
        return self.transactions[-1].date

    @property
    def average_minor(self) -> int:
        return round(statistics.fmean(t.amount_minor for t in self.transactions))

    @property
    def last_minor(self) -> int:
        return self.transactions[-1].amount_minor

    @property
    def status(self) -> str:
        if not self.is_active:
            return "TOMBSTONED"
        return "MATURE" if len(self.transactions) >= 6 else "EARLY_DETECTION"


def streams(session: Session, item: Item, accounts: list[Account], today: dt.date) -> list[Stream]:
    """Every stream in the posted transactions of ``accounts``."""
    ids = [a.id for a in accounts]
    rows = session.scalars(
        select(Transaction)
        .where(
            Transaction.item_id == item.id,
            Transaction.account_id.in_(ids),
            Transaction.removed.is_(False),
            Transaction.pending.is_(False),
        )
        .order_by(Transaction.date, Transaction.id)
    )
    groups: dict[tuple[str, str, bool], list[Transaction]] = defaultdict(list)
    for row in rows:
        groups[(row.account_id, row.merchant_name or row.name, row.amount_minor < 0)].append(row)
    found = []
    for (account_id, description, inflow), txns in groups.items():
        frequency = _frequency(txns)
        if frequency is None:
            continue
        name, days = frequency
        found.append(
            Stream(
                stream_id=make_id(item.id, "stream", account_id, description, inflow),
                account_id=account_id,
                description=description,
                merchant_name=txns[-1].merchant_name,
                category=txns[-1].category,
                frequency=name,
                transactions=tuple(txns),
                inflow=inflow,
                is_active=(today - txns[-1].date).days <= days * 2,
            )
        )
    return sorted(found, key=lambda s: (s.account_id, s.description))


def _frequency(txns: list[Transaction]) -> tuple[str, int] | None:
    if len(txns) < MIN_OCCURRENCES:
        return None
    gaps = [(b.date - a.date).days for a, b in itertools.pairwise(txns)]
    typical = statistics.median(gaps)
    for name, days, slack in FREQUENCIES:
        if abs(typical - days) <= slack and all(abs(g - days) <= slack * 2 for g in gaps):
            return name, days
    return None
