"""Daily balance history per account (for charts), consistent with the stored transactions,
and how fresh a live balance read can be.

A transaction account's balance at the end of a day is today's ``current`` minus the
posted rows dated after it, so the series always reconciles with ``/transactions``;
accounts without transactions (mortgages, investments) take the engine's closed form.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import institutions, items, ledger
from .accounts import ShownAccount
from .errors import InvalidField, LastUpdatedOutOfRange
from .models import Account, Item, Transaction

MAX_DAYS = 731
# Banks that give no real-time balance for non-depository accounts (cards, loans, …): Plaid
# reads Capital One's cached, so there a live read honours the oldest balance the app accepts
# (``options.min_last_updated_datetime``), which Plaid ignores for depository accounts and at
# every other bank.
CACHED_BALANCE_BANKS = frozenset({"ins_128026"})


@dataclass(frozen=True)
class Series:
    """One account's end-of-day ``current`` balances, oldest first."""

    account: Account
    points: list[tuple[dt.date, int]]


def history(
    session: Session, item: Item, accounts: list[Account], start: dt.date, end: dt.date
) -> list[Series]:
    """End-of-day balances of ``accounts`` for every day from ``start`` to ``end``."""
    if end < start:
        raise InvalidField("end must not be before start", field="end")
    if (end - start).days >= MAX_DAYS:
        raise InvalidField(f"at most {MAX_DAYS} days per request", field="start")
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    plans = {p.ordinal: p for p in plan.accounts}
    flows = _flows_after(session, item, start)
    found = []
    for account in accounts:
        account_plan = plans[account.ordinal]
        if account_plan.has_transactions or item.custom_config is not None:
            points = _replayed(account, flows[account.id], start, end)
        else:
            points = [
                (day, ledger.balance_on(plan, account_plan, day)) for day in _days(start, end)
            ]
        found.append(Series(account, points))
    return found


def change_by(
    session: Session, item: Item, account: Account, today: dt.date, days: Sequence[dt.date]
) -> dict[dt.date, int]:
    """How the account's ``current`` balance will have moved by the end of each of ``days``
    (today or later) from the end of today, as the engine will post its days: the flows it
    plans (payroll, bills, spending, card and loan payments, sweeps) are known in advance. A
    custom user's account has no engine behind it: no change."""
    if item.custom_config is not None:
        return dict.fromkeys(days, 0)
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    account_plan = next(p for p in plan.accounts if p.ordinal == account.ordinal)
    base = ledger.balance_on(plan, account_plan, today)
    return {day: ledger.balance_on(plan, account_plan, day) - base for day in days}


def check_fresh(
    item: Item, accounts: Sequence[ShownAccount], oldest: dt.datetime | None, now: dt.datetime
) -> None:
    """Refuse a live read of ``accounts`` that asks for balances no older than ``oldest`` where
    the bank's are cached. The sandbox's balances are as of ``now``, so only a moment after it
    is out of range; the error says when the balance was updated, as Plaid's does.

    DIVERGES: Plaid also requires ``oldest`` there (``INVALID_FIELD`` without it); the sandbox
    reads the balance as of now instead, so apps that never send it keep working."""
    if oldest is None or oldest <= now or item.institution_id not in CACHED_BALANCE_BANKS:
        return
    cached = next((a for a in accounts if a.type != "depository"), None)
    if cached is not None:
        raise LastUpdatedOutOfRange(
            f"options.min_last_updated_datetime is after the latest balance of account "
            f"{cached.id}, updated {now:%Y-%m-%dT%H:%M:%SZ}",
            field="options.min_last_updated_datetime",
        )


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _flows_after(session: Session, item: Item, start: dt.date) -> dict[str, dict[dt.date, int]]:
    """Posted amounts per account and date, from ``start`` on."""
    flows: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, day, amount in session.execute(
        select(Transaction.account_id, Transaction.date, Transaction.amount_minor).where(
            Transaction.item_pk == item.pk,
            Transaction.pending.is_(False),
            Transaction.removed.is_(False),
            Transaction.date > start,
        )
    ):
        flows[account_id][day] += amount
    return flows


def _replayed(
    account: Account, flows: dict[dt.date, int], start: dt.date, end: dt.date
) -> list[tuple[dt.date, int]]:
    """Walk back from today's balance, undoing each day's posted transactions."""
    sign = 1 if account.type in ("credit", "loan") else -1
    balance = account.current_minor - sign * sum(a for d, a in flows.items() if d > end)
    points = []
    for day in reversed(_days(start, end)):
        points.append((day, balance))
        balance -= sign * flows.get(day, 0)
    return points[::-1]


def running_after(
    session: Session, item: Item, account: Account, oldest: dt.date
) -> dict[str, int]:
    """The account's ``current`` balance just after each posted row dated ``oldest`` or later.

    Rows are ordered by date, then by when they were written (``created_seq``), then id:
    the same order :func:`posted_newest_first` lists them in, so balances read top down.
    """
    sign = 1 if account.type in ("credit", "loan") else -1
    balance, found = account.current_minor, {}
    for row in posted_newest_first(session, item, account, oldest, None):
        found[row.id] = balance
        balance -= sign * row.amount_minor
    return found


def posted_newest_first(
    session: Session, item: Item, account: Account, start: dt.date, end: dt.date | None
) -> list[Transaction]:
    """Live posted rows of ``account`` dated ``start``..``end`` (open when None), newest first."""
    where = [
        Transaction.item_pk == item.pk,
        Transaction.account_id == account.id,
        Transaction.pending.is_(False),
        Transaction.removed.is_(False),
        Transaction.date >= start,
    ]
    if end is not None:
        where.append(Transaction.date <= end)
    return list(
        session.scalars(
            select(Transaction)
            .where(*where)
            .order_by(
                Transaction.date.desc(), Transaction.created_seq.desc(), Transaction.id.desc()
            )
        )
    )
