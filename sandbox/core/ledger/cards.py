"""Credit card statements: cycles, interest on the revolving balance, autopay of the statement.

A card carries a persona-defined revolving balance ``R`` (0 for people who pay in full).
Each statement closes on a fixed day; its balance is ``R`` plus the cycle's posted
purchases, refunds and interest; autopay on the due date pays everything above ``R``.
So the balance at any close is known without replaying history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..seeding import rng_for
from .model import MAX_POST_LAG, AccountPlan, Entry, ItemPlan, add_months, minor
from .schedule import Recurring

DUE_AFTER_DAYS = 25
MINIMUM_FLOOR_MINOR = 2500

DayEntries = Callable[[ItemPlan, dt.date], list[Entry]]


def close_day(plan: ItemPlan, card: AccountPlan) -> int:
    """The day of the month this card's statement closes."""
    return int(card.term("close_day") or rng_for(*plan.key, "close", card.ordinal).randint(3, 25))


def last_close(plan: ItemPlan, card: AccountPlan, day: dt.date) -> dt.date:
    """The most recent statement close on or before ``day``."""
    memo_key = ("close", card.ordinal, day)
    if memo_key not in plan.memo:
        close = add_months(day, 0, close_day(plan, card))
        plan.memo[memo_key] = close if close <= day else add_months(day, -1, close_day(plan, card))
    found: dt.date = plan.memo[memo_key]
    return found


def revolving_minor(card: AccountPlan) -> int:
    """The balance this person carries from month to month."""
    return minor(card.term("revolving", 0))


def interest_minor(card: AccountPlan) -> int:
    """Interest charged at each close on the revolving balance (none when paid in full)."""
    return round(revolving_minor(card) * (card.apr or 0.0) / 1200)


def budget_minor(card: AccountPlan, subscriptions_minor: int) -> int:
    """What one cycle of purchases may add, so the card never exceeds its limit."""
    if card.limit_minor is None:
        return 10**9
    room = card.limit_minor - revolving_minor(card) - interest_minor(card)
    return max(0, room // 3 - subscriptions_minor)


def cycle_flows(plan: ItemPlan, card: AccountPlan, close: dt.date, base: DayEntries) -> int:
    """Posted purchases, refunds and interest of the cycle ending at ``close``."""
    memo_key = ("cycle", card.ordinal, close)
    if memo_key not in plan.memo:
        start = add_months(close, -1, close_day(plan, card))
        total = interest_minor(card)
        day = start - dt.timedelta(days=MAX_POST_LAG)
        while day <= close:
            total += sum(
                e.final_amount_minor
                for e in base(plan, day)
                if e.account == card.ordinal and start < e.post_date <= close
            )
            day += dt.timedelta(days=1)
        plan.memo[memo_key] = total
    flows: int = plan.memo[memo_key]
    return flows


def statement_minor(plan: ItemPlan, card: AccountPlan, close: dt.date, base: DayEntries) -> int:
    """The statement balance at ``close``."""
    return revolving_minor(card) + cycle_flows(plan, card, close, base)


def minimum_payment_minor(statement: int, interest: int) -> int:
    """1% of the statement plus interest, at least $25, never more than the statement."""
    return max(0, min(statement, max(MINIMUM_FLOOR_MINOR, statement // 100 + interest)))


def autopay_minor(plan: ItemPlan, card: AccountPlan, day: dt.date, base: DayEntries) -> int:
    """What autopay collects on ``day`` (0: nothing): the statement that closed
    ``DUE_AFTER_DAYS`` before, paid on that very day even when it is a weekend."""
    close = day - dt.timedelta(days=DUE_AFTER_DAYS)
    if close != last_close(plan, card, close):
        return 0
    return max(0, cycle_flows(plan, card, close, base))


def collects_on(plan: ItemPlan, stream: Recurring, day: dt.date, base: DayEntries) -> bool:
    """Whether the autopay ``stream`` (``streams``) collects on ``day``."""
    cards = plan.all("credit card", type_="credit")
    card = next(card for card in cards if _stream_key(card) == stream.key)
    return autopay_minor(plan, card, day, base) > 0


def events(
    plan: ItemPlan, day: dt.date, payer: AccountPlan | None, base: DayEntries
) -> list[Entry]:
    """Interest at each close and autopay legs on each due date."""
    found: list[Entry] = []
    for card in plan.all("credit card", type_="credit"):
        iso = day.isoformat()
        if day == last_close(plan, card, day) and interest_minor(card):
            found.append(
                Entry(
                    card.ordinal,
                    f"{iso}:cardint:{card.ordinal}",
                    day,
                    day,
                    interest_minor(card),
                    "INTEREST CHARGE ON PURCHASES",
                    "BANK_FEES_INTEREST_CHARGE",
                    "other",
                    details={"transaction_code": "interest"},
                )
            )
        amount = autopay_minor(plan, card, day, base)
        if not amount:
            continue
        stream = {"transaction_code": "payment", "stream": _stream_key(card)}
        found.append(
            Entry(
                card.ordinal,
                f"{iso}:cardpay:{card.ordinal}",
                day,
                day,
                -amount,
                "AUTOMATIC PAYMENT - THANK YOU",
                "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                "other",
                details=stream,
            )
        )
        if payer is not None:
            found.append(
                Entry(
                    payer.ordinal,
                    f"{iso}:cardpaid:{card.ordinal}",
                    day,
                    day,
                    amount,
                    f"CREDIT CARD AUTOPAY ...{card.mask}",
                    "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                    "other",
                    details=stream | {"transaction_code": "bill payment"},
                )
            )
    return found


def streams(plan: ItemPlan, payer: AccountPlan | None) -> list[Recurring]:
    """Autopay as a monthly stream: an outflow of the payer and an inflow of the card."""
    found = []
    for card in plan.all("credit card", type_="credit"):
        due = add_months(dt.date(2026, 1, 1), 0, close_day(plan, card)) + dt.timedelta(
            DUE_AFTER_DAYS
        )
        found.append(
            Recurring(
                key=_stream_key(card),
                account=payer.ordinal if payer else card.ordinal,
                name=f"CREDIT CARD AUTOPAY ...{card.mask}",
                category="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                frequency="MONTHLY",
                amount_minor=0,
                day=due.day,
                kind="card",
                counter=card.ordinal if payer else None,
                counter_name="AUTOMATIC PAYMENT - THANK YOU",
                counter_category="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
            )
        )
    return found


def _stream_key(card: AccountPlan) -> str:
    return f"cardpay:{card.ordinal}"
