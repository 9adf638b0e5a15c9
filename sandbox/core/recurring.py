"""Recurring streams: the engine's own payroll, bills, subscriptions and transfers.

Generated rows carry the key of the stream that produced them, so a stream lists
exactly the transactions the engine made for it, with the engine's frequency. Rows
without a key (``user_custom`` transactions) fall back to detection: a run on one
account with the same description and direction whose gaps fit a frequency.

An active stream predicts its next date (Plaid's ``predicted_next_date``): a generated
one asks the engine the day it next posts it (``ledger.next_occurrence``, the rule its
rows were dated by, so a weekend moves the prediction exactly as it moves the payment);
a detected one guesses from its own rows (``predict_next``). An inactive one predicts none.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import institutions, items, ledger
from .accounts import ShownAccount
from .ledger.model import add_months
from .models import Item, Transaction
from .seeding import make_id

FREQUENCIES = (
    ("WEEKLY", 7, 1),
    ("BIWEEKLY", 14, 2),
    ("SEMI_MONTHLY", 15, 3),
    ("MONTHLY", 30, 4),
    ("ANNUALLY", 365, 20),
)
DAYS = {name: days for name, days, _ in FREQUENCIES}
# Plaid's ``TransactionStreamStatus``: MATURE after 3 transactions on a regular cadence,
# an annual stream after 2.
MATURE_OCCURRENCES = 3
MATURE_ANNUAL_OCCURRENCES = 2


def mature_after(frequency: str) -> int:
    """How many transactions make a stream of ``frequency`` MATURE."""
    return MATURE_ANNUAL_OCCURRENCES if frequency == "ANNUALLY" else MATURE_OCCURRENCES


@dataclass(frozen=True)
class Stream:
    """A recurring stream of one account, with its transactions oldest first."""

    stream_id: str
    account_id: str
    description: str
    merchant_name: str | None
    category: str
    frequency: str
    transactions: tuple[Transaction, ...]
    inflow: bool
    is_active: bool
    predicted_next_date: dt.date | None = None

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
        """Plaid's ``TransactionStreamStatus``: only a stream still in EARLY_DETECTION is
        TOMBSTONED when it stops; a MATURE one stays MATURE (``is_active`` says it stopped)."""
        if len(self.transactions) >= mature_after(self.frequency):
            return "MATURE"
        return "EARLY_DETECTION" if self.is_active else "TOMBSTONED"


def streams(
    session: Session, item: Item, accounts: Sequence[ShownAccount], today: dt.date
) -> list[Stream]:
    """Every stream in the posted transactions of ``accounts``."""
    rows = session.scalars(
        select(Transaction)
        .where(
            Transaction.item_pk == item.pk,
            Transaction.account_id.in_([a.id for a in accounts]),
            Transaction.removed.is_(False),
            Transaction.pending.is_(False),
        )
        .order_by(Transaction.date, Transaction.id)
    ).all()
    tagged: dict[tuple[str, str], list[Transaction]] = defaultdict(list)
    untagged: list[Transaction] = []
    for row in rows:
        if key := row.details.get("stream"):
            tagged[(key, row.account_id)].append(row)
        else:
            untagged.append(row)
    found = _generated(session, item, tagged, today) + detect(item, untagged, today)
    return sorted(found, key=lambda s: (s.account_id, s.description))


def _generated(
    session: Session, item: Item, groups: dict[tuple[str, str], list[Transaction]], today: dt.date
) -> list[Stream]:
    """Streams from the engine's definitions (name, category, frequency of each key)."""
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    definitions = {s.key: s for s in ledger.streams(plan)}
    found = []
    for (key, account_id), txns in groups.items():
        definition = definitions.get(key)
        if definition is None:
            continue
        frequency = definition.frequency
        active = (today - txns[-1].date).days <= DAYS[frequency] * 2
        found.append(
            Stream(
                stream_id=make_id(item.id, "stream", key, account_id),
                account_id=account_id,
                description=txns[-1].name,
                merchant_name=txns[-1].merchant_name,
                category=txns[-1].category,
                frequency=frequency,
                transactions=tuple(txns),
                inflow=txns[-1].amount_minor < 0,
                is_active=active,
                predicted_next_date=(
                    ledger.next_occurrence(plan, definition, today) if active else None
                ),
            )
        )
    return found


def detect(item: Item, rows: list[Transaction], today: dt.date) -> list[Stream]:
    """Streams found by their rhythm alone (for data the engine did not generate)."""
    groups: dict[tuple[str, str, bool], list[Transaction]] = defaultdict(list)
    for row in rows:
        groups[(row.account_id, row.merchant_name or row.name, row.amount_minor < 0)].append(row)
    found = []
    for (account_id, description, inflow), txns in groups.items():
        frequency = frequency_of([t.date for t in txns])
        if frequency is None:
            continue
        active = (today - txns[-1].date).days <= DAYS[frequency] * 2
        found.append(
            Stream(
                stream_id=make_id(item.id, "stream", account_id, description, inflow),
                account_id=account_id,
                description=description,
                merchant_name=txns[-1].merchant_name,
                category=txns[-1].category,
                frequency=frequency,
                transactions=tuple(txns),
                inflow=inflow,
                is_active=active,
                predicted_next_date=predict_next(frequency, txns) if active else None,
            )
        )
    return found


def predict_next(frequency: str, txns: Sequence[Transaction]) -> dt.date:
    """When a detected stream of ``frequency`` should next occur, from ``txns`` (oldest first).

    Monthly and yearly streams land on their most frequent day of the month (clamped to
    the month's length), on the first such day more than half a period after the last row:
    October's month-end payment that a weekend pushed to 2 November predicts 30 November.
    The others come one period after the last row.
    """
    last = txns[-1].date
    if frequency not in ("MONTHLY", "ANNUALLY"):
        return last + dt.timedelta(days=DAYS[frequency])
    usual_day = statistics.mode(t.date.day for t in reversed(txns))  # ties: the latest
    step = 1 if frequency == "MONTHLY" else 12
    candidates = (add_months(last, step * k, usual_day) for k in range(3))
    return next(day for day in candidates if day > last + dt.timedelta(days=DAYS[frequency] // 2))


def frequency_of(dates: list[dt.date]) -> str | None:
    """The frequency whose period fits every gap between ``dates`` (oldest first), if any,
    once there are enough of them for a MATURE stream (two for a yearly one): a rhythm
    alone is no evidence before that."""
    if len(dates) < MATURE_ANNUAL_OCCURRENCES:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    typical = statistics.median(gaps)
    for name, days, slack in FREQUENCIES:
        if abs(typical - days) <= slack and all(abs(g - days) <= slack * 2 for g in gaps):
            return name if len(dates) >= mature_after(name) else None
    return None
