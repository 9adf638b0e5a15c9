"""The value types of the ledger engine: plans in, entries out, money in minor units."""

from __future__ import annotations

import datetime as dt
import json
import math
from calendar import isleap
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

TRANSACTION_TYPES = {"depository", "credit"}
TRANSACTION_LOAN_SUBTYPES = {"student"}
SAVINGS_SUBTYPES = {"savings", "money market", "hsa", "cash management", "cd"}
SPENDING_SUBTYPES = ("checking", "cash management")
MAX_POST_LAG = 4
ANCHOR = dt.date(2026, 1, 1)
DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # by month number


def has_transactions(account_type: str, subtype: str | None) -> bool:
    """Whether Plaid's Transactions product covers accounts of this type and subtype."""
    return account_type in TRANSACTION_TYPES or (
        account_type == "loan" and subtype in TRANSACTION_LOAN_SUBTYPES
    )


@dataclass(frozen=True)
class AccountPlan:
    """What the engine needs to know of one account: kind, opening figures and terms."""

    ordinal: int
    type: str
    subtype: str | None
    name: str
    mask: str = "0000"
    opening_minor: int = 0
    limit_minor: int | None = None
    apr: float | None = None
    terms: tuple[tuple[str, Any], ...] = ()

    @property
    def has_transactions(self) -> bool:
        """Whether Plaid's Transactions product covers this account."""
        return has_transactions(self.type, self.subtype)

    def term(self, name: str, default: Any = None) -> Any:
        """One of the account's persona terms (loan schedule, revolving balance…)."""
        for key, value in self.terms:
            if key == name:
                return value
        return default


@dataclass(frozen=True, eq=False)
class ItemPlan:
    """The inputs of generation: who (key, persona habits), where, and which accounts.

    Equality is identity, so the per-plan ``memo`` caches days while one plan is in use;
    every cached value is still a pure function of the plan's inputs and the day, which
    lets plans with identical inputs share one ``memo`` (``ledger.shared_plan``).
    """

    key: tuple[object, ...]
    country: str
    currency: str
    persona: str
    accounts: tuple[AccountPlan, ...]
    habits: tuple[tuple[str, Any], ...] = ()
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def habit(self, name: str, default: Any = None) -> Any:
        """A persona setting (``income``, ``housing``, ``spend_level``…)."""
        if "habits" not in self.memo:
            self.memo["habits"] = dict(self.habits)
        return self.memo["habits"].get(name, default)

    def first(self, *subtypes: str, type_: str | None = None) -> AccountPlan | None:
        """The first account of one of ``subtypes`` (and ``type_``), if any."""
        memo_key = ("first", subtypes, type_)
        if memo_key not in self.memo:
            self.memo[memo_key] = next(iter(self.all(*subtypes, type_=type_)), None)
        found: AccountPlan | None = self.memo[memo_key]
        return found

    def all(self, *subtypes: str, type_: str | None = None) -> list[AccountPlan]:
        """Every account of one of ``subtypes`` (and ``type_``)."""
        return [
            acc
            for acc in self.accounts
            if (not subtypes or acc.subtype in subtypes) and (type_ is None or acc.type == type_)
        ]


@dataclass(frozen=True)
class Entry:
    """One generated transaction, before it becomes a row (amount > 0 is money out)."""

    account: int
    key: str
    date: dt.date
    post_date: dt.date
    amount_minor: int
    name: str
    category: str
    payment_channel: str
    merchant_name: str | None = None
    posted_amount_minor: int | None = None
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    posted_name: str | None = None

    @property
    def final_amount_minor(self) -> int:
        """The amount once posted (a restaurant tip or a released hold changes it)."""
        return self.amount_minor if self.posted_amount_minor is None else self.posted_amount_minor

    @property
    def final_name(self) -> str:
        """The description once posted (processors rewrite descriptors on settlement)."""
        return self.name if self.posted_name is None else self.posted_name

    @cached_property
    def stored_details(self) -> str:
        """``details`` and the entry's key as the JSON text its rows store (``json.dumps``,
        as SQLAlchemy binds a JSON column).

        Encoded once per entry: the links of one login share the day cache, so its entries,
        and encoding was a third of the Python time of writing a row.
        """
        return json.dumps({**self.details, "key": self.key})


def minor(amount: float | Decimal) -> int:
    """Currency units to integer minor units, half-up like a bank statement."""
    if isinstance(amount, float):
        return math.floor(amount * 100 + 0.5)
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return dt.date(day.year, day.month, month_length(day.year, day.month))


def month_length(year: int, month: int) -> int:
    """The number of days in a month (``calendar.monthrange`` without its weekday, which
    costs as much again: the engine asks for every card close and bill of every month)."""
    return DAYS_IN_MONTH[month] + (month == 2 and isleap(year))


def add_months(day: dt.date, months: int, dom: int | None = None) -> dt.date:
    """``day`` moved by ``months``, on day-of-month ``dom`` (clamped to the month's length)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(dom or day.day, month_length(year, month + 1)))
