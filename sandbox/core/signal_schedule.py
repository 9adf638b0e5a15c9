"""``/signal/schedule``: on which banking day an ACH debit from an account is likeliest to clear.

Plaid weighs the days from the request's (Day 0, or the next banking day when the request
comes on a weekend or holiday) through the five banking days after it. The sandbox knows
what Plaid can only estimate: its engine plans every account's days ahead (payroll, bills,
card and loan payments, spending), so it projects the balance the debit would meet. A day
whose debit would settle on a balance that covers it is ``RECOMMENDED``, ranked by how much
would be left (more is safer; the earlier day wins a tie); one that would overdraw the account
is ``NOT_RECOMMENDED``. An item in error has no fresh data: every day is ``UNKNOWN``, with
the error as a warning, and there is no optimal date.

The debit settles on the day it is submitted with Same Day ACH, and on the next banking day
with Standard ACH (Nacha's 1-3 days at their quickest) or multiple payment methods. Day 0 is
offered while it is still open: a Same Day submission by 18:00 UTC (Plaid's assumption), any
other the whole banking day.

Banking days are the Federal Reserve's: weekdays that are not a Fed holiday (a Sunday
holiday moves to Monday; a Saturday one closes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

SAME_DAY_CUTOFF = dt.time(18, 0)  # UTC, Plaid's assumption for Same Day ACH
DAYS_AFTER = 5  # banking days weighed after Day 0


@dataclass(frozen=True)
class Recommendation:
    """One submission day: Plaid's verdict and rank (1 the best; None unless recommended)."""

    date: dt.date
    recommendation: str  # RECOMMENDED, NOT_RECOMMENDED or UNKNOWN
    rank: int | None


@dataclass(frozen=True)
class Schedule:
    """The days weighed, the best of them (None: none recommended) and any item error."""

    optimal_date: dt.date | None
    recommendations: list[Recommendation]
    item_error: str | None


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The ``n``-th ``weekday`` (0 Monday) of the month; ``n = -1`` the last."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


@cache
def fed_holidays(year: int) -> frozenset[dt.date]:
    """The days the Federal Reserve's ACH does not settle in ``year`` (weekends aside)."""
    fixed = [dt.date(year, m, d) for m, d in ((1, 1), (6, 19), (7, 4), (11, 11), (12, 25))]
    moving = [
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
    ]
    observed = [day + dt.timedelta(days=1) if day.weekday() == 6 else day for day in fixed]
    return frozenset(observed + moving)


def is_banking_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in fed_holidays(day.year)


def next_banking_day(day: dt.date) -> dt.date:
    """The first banking day after ``day``."""
    day += dt.timedelta(days=1)
    while not is_banking_day(day):
        day += dt.timedelta(days=1)
    return day


def submission_days(now: dt.datetime, payment_method: str) -> list[dt.date]:
    """Day 0 (while still open) and the five banking days after it."""
    today = now.date()
    day0 = today if is_banking_day(today) else next_banking_day(today)
    days = [day0]
    for _ in range(DAYS_AFTER):
        days.append(next_banking_day(days[-1]))
    closed = payment_method == "SAME_DAY_ACH" and now.time() >= SAME_DAY_CUTOFF
    return days[1:] if day0 == today and closed else days


def settlement_day(submitted: dt.date, payment_method: str) -> dt.date:
    """When a debit submitted on ``submitted`` settles."""
    return submitted if payment_method == "SAME_DAY_ACH" else next_banking_day(submitted)


@dataclass(frozen=True)
class Balance:
    """Where the account stands now, and how its posted balance will move."""

    available_minor: int  # what a debit settling today meets
    current_minor: int  # the posted balance, which the engine's plan moves
    change_by: Callable[[list[dt.date]], dict[dt.date, int]]  # ``balances.change_by``


def schedule(
    now: dt.datetime,
    payment_method: str,
    amount_minor: int,
    balance: Balance,
    item_error: str | None,
) -> Schedule:
    """Weigh each submission day by the balance its debit would settle on: today's available
    balance for a debit settling today; for a later day, the posted balance the engine will
    have left by the end of it (the debits pending now will have posted by then)."""
    days = submission_days(now, payment_method)
    if item_error is not None:
        return Schedule(None, [Recommendation(day, "UNKNOWN", None) for day in days], item_error)
    settles = {day: settlement_day(day, payment_method) for day in days}
    moved = balance.change_by(sorted(set(settles.values())))
    meets = {
        day: balance.available_minor
        if settles[day] == now.date()
        else balance.current_minor + moved[settles[day]]
        for day in days
    }
    left = {day: meets[day] - amount_minor for day in days}
    covered = sorted((day for day in days if left[day] >= 0), key=lambda day: (-left[day], day))
    ranks = {day: n for n, day in enumerate(covered, start=1)}
    recommendations = [
        Recommendation(day, "RECOMMENDED" if day in ranks else "NOT_RECOMMENDED", ranks.get(day))
        for day in days
    ]
    return Schedule(covered[0] if covered else None, recommendations, None)
