"""The ledger engine: a day of an item's financial life is a pure function of plan and date.

``entries_for_day(plan, day)`` returns the same entries for the same plan and day on
every machine, whatever range was asked for, so history is materialised lazily and
extended when the clock moves; ``balance_on`` gives every account's posted balance on
any day in closed form, and the two always agree (the running balance).

Layers, each depending only on earlier days or earlier layers: recurring streams,
loans and everyday spending (``base``); card interest and autopay (``cards``); and the
month-end sweep that settles the everyday account to its level for next month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..seeding import rng_for
from . import cards, loans, memo, portfolio, schedule, spending
from .model import (
    ANCHOR,
    MAX_POST_LAG,
    SAVINGS_SUBTYPES,
    TRANSACTION_LOAN_SUBTYPES,
    TRANSACTION_TYPES,
    AccountPlan,
    Entry,
    ItemPlan,
    month_start,
)
from .schedule import Recurring

# The lowest the everyday account goes in a month (unless the persona overdraws): Plaid's
# sandbox links user_good's checking at 100 available.
CREDIT_FLOOR_MINOR = 10_000
LOOKAHEAD_DAYS = 400  # far enough for the next occurrence of a yearly stream

__all__ = [
    "MAX_POST_LAG",
    "TRANSACTION_LOAN_SUBTYPES",
    "TRANSACTION_TYPES",
    "AccountPlan",
    "Entry",
    "ItemPlan",
    "Recurring",
    "balance_on",
    "entries_between",
    "entries_for_day",
    "next_occurrence",
    "occurs",
    "shared_plan",
    "streams",
]


def shared_plan(
    *,
    key: tuple[object, ...],
    country: str,
    currency: str,
    persona: str,
    accounts: tuple[AccountPlan, ...],
    habits: tuple[tuple[str, Any], ...],
) -> ItemPlan:
    """A plan that shares its day cache with earlier plans of the same inputs."""
    cache = memo.shared((key, country, currency, persona, accounts, habits))
    return ItemPlan(key, country, currency, persona, accounts, habits, memo=cache)


def spender(plan: ItemPlan) -> AccountPlan | None:
    """The everyday account: pay comes in, bills go out, the debit card draws on it."""
    return plan.first("checking", "cash management") or plan.first(type_="depository")


def streams(plan: ItemPlan) -> list[Recurring]:
    """Every recurring stream the engine generates for ``plan``."""
    if "streams" not in plan.memo:
        payer = spender(plan)
        plan.memo["streams"] = (
            schedule.base_streams(plan) + loans.streams(plan, payer) + cards.streams(plan, payer)
        )
    found: list[Recurring] = plan.memo["streams"]
    return found


def occurs(plan: ItemPlan, stream: Recurring, day: dt.date) -> bool:
    """Whether the engine posts an occurrence of ``stream`` (one of ``streams``) on ``day``.

    The one rule the generated rows, standing orders, direct debits and Plaid's predicted
    dates share: loan installments collect on their due day and card autopay a fixed time
    after each close, weekends included; the persona's own streams follow ``schedule.occurs``.
    """
    if stream.kind == "loan":
        return loans.collects_on(plan, stream, day)
    if stream.kind == "card":
        return cards.collects_on(plan, stream, day, base)
    return schedule.occurs(stream, day)


def next_occurrence(plan: ItemPlan, stream: Recurring, after: dt.date) -> dt.date | None:
    """The first day after ``after`` that ``stream`` occurs on (None: not within a year)."""
    for offset in range(1, LOOKAHEAD_DAYS):
        day = after + dt.timedelta(days=offset)
        if occurs(plan, stream, day):
            return day
    return None


def _budget(plan: ItemPlan) -> int:
    """What one card cycle may spend (a constant of the plan, so computed once)."""
    if "budget" not in plan.memo:
        card = plan.first("credit card")
        subscriptions = sum(
            s.amount_minor
            for s in schedule.base_streams(plan)
            if card is not None and s.account == card.ordinal
        )
        plan.memo["budget"] = 0 if card is None else cards.budget_minor(card, subscriptions)
    budget: int = plan.memo["budget"]
    return budget


def _stream_entries(plan: ItemPlan, day: dt.date) -> list[Entry]:
    found = []
    for stream in schedule.due_on(plan, day):
        amount, iso = schedule.amount_on(plan, stream, day), day.isoformat()
        details = {"transaction_code": stream.code, "stream": stream.key, "website": stream.website}
        found.append(
            Entry(
                stream.account,
                f"{iso}:{stream.key}",
                day,
                day,
                amount,
                stream.name,
                stream.category,
                stream.channel,
                stream.merchant_name,
                details=details,
            )
        )
        if stream.counter is not None:
            found.append(
                Entry(
                    stream.counter,
                    f"{iso}:{stream.key}:in",
                    day,
                    day,
                    -amount,
                    stream.counter_name,
                    stream.counter_category,
                    "other",
                    details={"transaction_code": stream.code, "stream": stream.key},
                )
            )
    return found


def base(plan: ItemPlan, day: dt.date) -> list[Entry]:
    """Recurring streams, loan installments and everyday spending of ``day``."""
    memo_key = ("base", day)
    if memo_key not in plan.memo:
        budget = _budget(plan)
        plan.memo[memo_key] = (
            _stream_entries(plan, day)
            + loans.entries(plan, day, spender(plan))
            + spending.spend_day(plan, day, budget)[0]
            + spending.refunds(plan, day, budget)
            + spending.cash_and_income(plan, day)
        )
    found: list[Entry] = plan.memo[memo_key]
    return found


def _before_sweep(plan: ItemPlan, day: dt.date) -> list[Entry]:
    memo_key = ("settled", day)
    if memo_key not in plan.memo:
        plan.memo[memo_key] = base(plan, day) + cards.events(plan, day, spender(plan), base)
    found: list[Entry] = plan.memo[memo_key]
    return found


def level_minor(plan: ItemPlan, account: AccountPlan, day: dt.date) -> int:
    """The everyday account's balance at the start of ``day``'s month.

    It wobbles ±7.5% around the recipe's opening balance, and is raised (the month-end sweep
    moves the money in) far enough that the month's outflows never take the account below
    ``CREDIT_FLOOR_MINOR``: salaried people keep their checking in credit. A persona whose
    recipe sets ``"overdraft": true`` lives close to the line and may go below zero.
    """
    memo_key = ("level", day.year, day.month)
    if memo_key not in plan.memo:
        wobble = rng_for(*plan.key, "level", day.year, day.month).random() - 0.5
        level = round(account.opening_minor * (1 + 0.15 * wobble))
        if not plan.habit("overdraft", False):
            level = max(level, CREDIT_FLOOR_MINOR + _deepest_dip(plan, account, month_start(day)))
        plan.memo[memo_key] = level
    found: int = plan.memo[memo_key]
    return found


def _deepest_dip(plan: ItemPlan, account: AccountPlan, start: dt.date) -> int:
    """The most the month's entries take out of the account at any point before the sweep.

    An outflow counts from the day it is made (at its larger amount, pending or posted) and
    an inflow from the day it posts: the worst case for both the current and the available
    balance (current less pending), including purchases still pending at the month's end.
    """
    end = month_start(start + dt.timedelta(days=32)) - dt.timedelta(days=1)
    by_day: dict[dt.date, int] = {}
    day = start - dt.timedelta(days=MAX_POST_LAG)
    while day <= end:
        for e in _before_sweep(plan, day):
            if e.account != account.ordinal:
                continue
            amount = max(e.amount_minor, e.final_amount_minor)
            if amount > 0 and (start <= e.post_date <= end or start <= e.date <= end):
                by_day[max(e.date, start)] = by_day.get(max(e.date, start), 0) + amount
            elif amount <= 0 and start <= e.post_date <= end:
                by_day[e.post_date] = by_day.get(e.post_date, 0) + amount
        day += dt.timedelta(days=1)
    deepest = running = 0
    for counted in sorted(by_day):
        running += by_day[counted]
        deepest = max(deepest, running)
    return deepest


def _posted(plan: ItemPlan, account: int, start: dt.date, end: dt.date, *, sweep: bool) -> int:
    """Sum of entries of ``account`` posted from ``start`` to ``end`` inclusive."""
    layer = entries_for_day if sweep else _before_sweep
    total, day = 0, start - dt.timedelta(days=MAX_POST_LAG)
    while day <= end:
        total += sum(
            e.final_amount_minor
            for e in layer(plan, day)
            if e.account == account and start <= e.post_date <= end
        )
        day += dt.timedelta(days=1)
    return total


def _sweep(plan: ItemPlan, day: dt.date) -> list[Entry]:
    account = spender(plan)
    if account is None or (day + dt.timedelta(days=1)).day != 1:
        return []
    start = month_start(day)
    flows = _posted(plan, account.ordinal, start, day, sweep=False)
    amount = (
        level_minor(plan, account, start)
        - level_minor(plan, account, day + dt.timedelta(1))
        - flows
    )
    if amount == 0:
        return []
    sink = plan.first(type_="investment")
    mask = sink.mask if sink else f"{rng_for(*plan.key, 'external').randint(1000, 9999)}"
    out = amount > 0
    if sink is not None:
        name = f"{'Transfer to' if out else 'Transfer from'} {sink.name} ...{mask}"
        category = (
            "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS"
            if out
            else "TRANSFER_IN_INVESTMENT_AND_RETIREMENT_FUNDS"
        )
    else:
        name = f"Online Transfer {'to' if out else 'from'} EXT ...{mask}"
        category = "TRANSFER_OUT_ACCOUNT_TRANSFER" if out else "TRANSFER_IN_ACCOUNT_TRANSFER"
    return [
        Entry(
            account.ordinal,
            f"{day.isoformat()}:sweep",
            day,
            day,
            amount,
            name,
            category,
            "other",
            details={"transaction_code": "transfer"},
        )
    ]


def entries_for_day(plan: ItemPlan, day: dt.date) -> list[Entry]:
    """Every transaction the plan produces on ``day``, in a stable order."""
    memo_key = ("day", day)
    if memo_key not in plan.memo:
        plan.memo[memo_key] = _before_sweep(plan, day) + _sweep(plan, day)
    found: list[Entry] = plan.memo[memo_key]
    return found


def entries_between(plan: ItemPlan, start: dt.date, end: dt.date) -> list[Entry]:
    """Entries for every day from ``start`` to ``end`` inclusive, oldest first."""
    found: list[Entry] = []
    day = start
    while day <= end:
        found.extend(entries_for_day(plan, day))
        day += dt.timedelta(days=1)
    return found


def balance_on(plan: ItemPlan, account: AccountPlan, day: dt.date) -> int:
    """The account's posted (``current``) balance at the end of ``day``, in minor units.

    Kept in the plan's memo: every link of the same login asks for the same day's balances,
    and a savings account's costs a walk over every day since ``ANCHOR``.
    """
    memo_key = ("balance", account.ordinal, day)
    if memo_key not in plan.memo:
        plan.memo[memo_key] = _balance_on(plan, account, day)
    found: int = plan.memo[memo_key]
    return found


def _balance_on(plan: ItemPlan, account: AccountPlan, day: dt.date) -> int:
    if account == spender(plan):
        start = month_start(day)
        return level_minor(plan, account, start) - _posted(
            plan, account.ordinal, start, day, sweep=True
        )
    if account.type == "credit" and account.subtype == "credit card":
        close = cards.last_close(plan, account, day)
        statement = cards.statement_minor(plan, account, close, base)
        return statement + _posted(plan, account.ordinal, close + dt.timedelta(1), day, sweep=True)
    if account.type == "loan" and account.term("original"):
        return loans.balance_on(plan, account, day)
    if account.type == "investment":
        return portfolio.holdings_on(plan, account, day).value_minor(day)
    if account.type == "depository" and account.subtype in SAVINGS_SUBTYPES:
        return account.opening_minor - _stream_flow(plan, account, day)
    return account.opening_minor


def _stream_flow(plan: ItemPlan, account: AccountPlan, day: dt.date) -> int:
    """Net outflow of the fixed streams touching a savings-like account since the anchor."""
    # By key (unique per stream): comparing dataclasses field by field, daily, was the cost.
    touching = {
        s.key for s in schedule.base_streams(plan) if account.ordinal in (s.account, s.counter)
    }
    low, high, sign = (ANCHOR, day, 1) if day >= ANCHOR else (day, ANCHOR, -1)
    total, current = 0, low + dt.timedelta(days=1)
    while current <= high:
        for stream in schedule.due_on(plan, current):
            if stream.key in touching:
                flow = (
                    stream.amount_minor
                    if stream.account == account.ordinal
                    else -stream.amount_minor
                )
                total += flow
        current += dt.timedelta(days=1)
    return sign * total
