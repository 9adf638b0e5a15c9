"""The basic ledger generator: a day of transactions is a pure function of the plan and date.

``entries_for_day(plan, day)`` returns the same entries for the same plan and day on
every machine, whatever range was asked for, so history can be materialised lazily
and extended when the clock moves. ``items.materialize`` turns entries into rows.
The rich persona-driven engine replaces this module behind the same two functions.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from .institutions import SEEDS_DIR
from .seeding import rng_for

TRANSACTION_TYPES = {"depository", "credit"}
TRANSACTION_LOAN_SUBTYPES = {"student"}
SPEND_CATEGORIES = (
    ("FOOD_AND_DRINK_GROCERIES", 0.45),
    ("FOOD_AND_DRINK_COFFEE", 0.35),
    ("FOOD_AND_DRINK_RESTAURANT", 0.3),
    ("FOOD_AND_DRINK_FAST_FOOD", 0.25),
    ("TRANSPORTATION_GAS", 0.15),
    ("TRANSPORTATION_TAXIS_AND_RIDE_SHARES", 0.12),
    ("GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", 0.15),
    ("GENERAL_MERCHANDISE_SUPERSTORES", 0.12),
    ("GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES", 0.05),
    ("MEDICAL_PHARMACIES_AND_SUPPLEMENTS", 0.05),
    ("ENTERTAINMENT_TV_AND_MOVIES", 0.03),
    ("TRAVEL_FLIGHTS", 0.01),
)
TIPPED = {"FOOD_AND_DRINK_RESTAURANT"}


@dataclass(frozen=True)
class AccountPlan:
    """What the generator needs to know of one account."""

    ordinal: int
    type: str
    subtype: str | None
    name: str

    @property
    def has_transactions(self) -> bool:
        """Whether Plaid's Transactions product covers this account."""
        return self.type in TRANSACTION_TYPES or (
            self.type == "loan" and self.subtype in TRANSACTION_LOAN_SUBTYPES
        )


@dataclass(frozen=True)
class ItemPlan:
    """The inputs of generation: who, where, and which accounts."""

    key: tuple[object, ...]
    country: str
    currency: str
    persona: str
    accounts: tuple[AccountPlan, ...]
    income: tuple[tuple[str, Any], ...] = ()
    housing: tuple[tuple[str, Any], ...] = ()
    spend_level: float = 1.0


@dataclass(frozen=True)
class Entry:
    """One generated transaction, before it becomes a row."""

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

    @property
    def final_amount_minor(self) -> int:
        """The amount once posted (a restaurant tip changes it)."""
        return self.amount_minor if self.posted_amount_minor is None else self.posted_amount_minor


@cache
def merchants() -> list[dict[str, Any]]:
    """The merchant catalogue from ``seeds/merchants.json``."""
    data: list[dict[str, Any]] = json.loads((SEEDS_DIR / "merchants.json").read_text())
    return data


@lru_cache(maxsize=256)
def _merchants_for(category: str, country: str) -> tuple[dict[str, Any], ...]:
    found = [m for m in merchants() if m["detailed_category"] == category]
    local = [m for m in found if country in m["countries"]]
    return tuple(local or found)


def _minor(amount: float) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1)))


class _Day:
    """Builds one day's entries with a private random stream."""

    def __init__(self, plan: ItemPlan, day: dt.date, stream: str = "main") -> None:
        self.plan, self.day, self.stream = plan, day, stream
        self.rng: random.Random = rng_for(*plan.key, stream, day.isoformat())
        self.entries: list[Entry] = []

    def account(self, *subtypes: str, type_: str | None = None) -> AccountPlan | None:
        for acc in self.plan.accounts:
            if (not subtypes or acc.subtype in subtypes) and (type_ is None or acc.type == type_):
                return acc
        return None

    def merchant(self, category: str) -> dict[str, Any] | None:
        choices = _merchants_for(category, self.plan.country)
        return self.rng.choice(choices) if choices else None

    def add(
        self,
        account: AccountPlan,
        amount_minor: int,
        name: str,
        category: str,
        *,
        channel: str = "other",
        merchant: dict[str, Any] | None = None,
        post_after: int = 0,
        posted_amount_minor: int | None = None,
        code: str | None = None,
    ) -> None:
        details: dict[str, Any] = {"transaction_code": code}
        if merchant is not None:
            details["website"] = merchant.get("website")
            if channel == "in store":
                details["location"] = _location(self.rng, self.plan.country)
        self.entries.append(
            Entry(
                account=account.ordinal,
                key=f"{self.day.isoformat()}:{self.stream}:{len(self.entries)}",
                date=self.day,
                post_date=self.day + dt.timedelta(days=post_after),
                amount_minor=amount_minor,
                name=name,
                category=category,
                payment_channel=channel,
                merchant_name=merchant["name"] if merchant else None,
                posted_amount_minor=posted_amount_minor,
                details=details,
            )
        )


_CITIES = {
    "US": [
        ("San Francisco", "CA", "94103", 37.77, -122.41),
        ("New York", "NY", "10001", 40.75, -73.99),
        ("Austin", "TX", "78701", 30.27, -97.74),
        ("Chicago", "IL", "60601", 41.88, -87.62),
    ],
    "GB": [
        ("London", "ENG", "EC1A 1BB", 51.52, -0.10),
        ("Manchester", "ENG", "M1 1AE", 53.48, -2.24),
    ],
}


def _location(rng: random.Random, country: str) -> dict[str, Any]:
    city, region, postal, lat, lon = rng.choice(_CITIES.get(country, _CITIES["GB"]))
    return {
        "address": f"{rng.randint(1, 999)} {rng.choice(['Main', 'High', 'Market', 'Oak'])} St",
        "city": city,
        "region": region,
        "postal_code": postal,
        "country": country,
        "lat": round(lat + rng.uniform(-0.05, 0.05), 4),
        "lon": round(lon + rng.uniform(-0.05, 0.05), 4),
        "store_number": str(rng.randint(100, 9999)),
    }


def _payday(frequency: str, day: dt.date) -> bool:
    if frequency == "weekly":
        return day.weekday() == 4
    if frequency == "biweekly":
        return day.weekday() == 4 and (day.toordinal() // 7) % 2 == 0
    if frequency == "semi_monthly":
        return day.day == 15 or (day + dt.timedelta(days=1)).day == 1
    if frequency == "daily_sales":
        return day.weekday() < 6
    return (day + dt.timedelta(days=1)).day == 1


def entries_for_day(plan: ItemPlan, day: dt.date) -> list[Entry]:
    """Every transaction the plan produces on ``day``, in a stable order."""
    d = _Day(plan, day)
    checking = d.account("checking", "cash management") or d.account(type_="depository")
    income, housing = dict(plan.income), dict(plan.housing)
    if checking is not None:
        if income and _payday(income["frequency"], day):
            employer = d.merchant("INCOME_WAGES")
            net = income["net"] * d.rng.uniform(0.97, 1.03)
            name = f"{employer['name'] if employer else 'Employer'} PAYROLL"
            d.add(
                checking, -_minor(net), name, "INCOME_WAGES", merchant=employer, code="direct debit"
            )
        if housing and day.day == 1:
            d.add(
                checking,
                _minor(housing["amount"]),
                f"{housing['kind'].upper()} PAYMENT",
                "RENT_AND_UTILITIES_RENT",
                code="bill payment",
            )
        for category, dom in (
            ("RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", 12),
            ("RENT_AND_UTILITIES_INTERNET_AND_CABLE", 20),
            ("RENT_AND_UTILITIES_TELEPHONE", 8),
        ):
            merchant = d.merchant(category)
            if day.day == dom and merchant:
                amount = merchant.get("recurring", {}) or {}
                value = amount.get("amount") or d.rng.uniform(40, 120)
                d.add(
                    checking,
                    _minor(value),
                    merchant["name"],
                    category,
                    channel="online",
                    merchant=merchant,
                    code="direct debit",
                )
        _transfers(d, checking)
    d.entries.extend(_spend_entries(plan, day))
    for acc in plan.accounts:
        if acc.type == "depository" and acc is not checking and _last_day(day):
            d.add(
                acc,
                -_minor(d.rng.uniform(0.5, 6.0)),
                "INTRST PYMNT",
                "INCOME_INTEREST_EARNED",
                code="interest",
            )
    return d.entries


def _last_day(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def _transfers(d: _Day, checking: AccountPlan) -> None:
    """Both legs of moves between the user's own accounts."""
    savings = d.account("savings")
    if savings is not None and d.day.day == 2:
        amount = _minor(round(d.rng.uniform(100, 300), -1))
        d.add(
            checking, amount, f"Transfer to {savings.name}", "TRANSFER_OUT_SAVINGS", code="transfer"
        )
        d.add(
            savings,
            -amount,
            f"Transfer from {checking.name}",
            "TRANSFER_IN_ACCOUNT_TRANSFER",
            code="transfer",
        )
    student = d.account("student")
    if student is not None and d.day.day == 5:
        amount = _minor(312.5)
        d.add(
            checking,
            amount,
            "STUDENT LOAN PAYMENT",
            "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT",
            code="bill payment",
        )
        d.add(
            student,
            -amount,
            "PAYMENT - THANK YOU",
            "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT",
            code="payment",
        )
    card = d.account("credit card")
    if card is not None and d.day.day == 25:
        amount = _statement_total(d.plan, card.ordinal, d.day)
        if amount > 0:
            d.add(
                checking,
                amount,
                "CREDIT CARD PAYMENT",
                "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                code="bill payment",
            )
            d.add(
                card,
                -amount,
                "AUTOMATIC PAYMENT - THANK YOU",
                "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
                code="payment",
            )


def _statement_total(plan: ItemPlan, card: int, day: dt.date) -> int:
    """Purchases on the card during the previous calendar month: the bill being paid."""
    end = day.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    return sum(
        e.final_amount_minor for e in _purchases_between(plan, start, end) if e.account == card
    )


def _purchases_between(plan: ItemPlan, start: dt.date, end: dt.date) -> list[Entry]:
    found: list[Entry] = []
    for offset in range((end - start).days + 1):
        found.extend(_spend_entries(plan, start + dt.timedelta(days=offset)))
    return found


@lru_cache(maxsize=4096)
def _spend_entries(plan: ItemPlan, day: dt.date) -> tuple[Entry, ...]:
    d = _Day(plan, day, stream="spend")
    spender = (
        d.account("credit card")
        or d.account("checking", "cash management")
        or d.account(type_="depository")
    )
    if spender is not None:
        _spend_into(d, spender)
    return tuple(d.entries)


def _spend_into(d: _Day, spender: AccountPlan) -> None:
    weekend = 1.3 if d.day.weekday() >= 5 else 1.0
    december = 1.25 if d.day.month == 12 else 1.0
    for category, daily_chance in SPEND_CATEGORIES:
        if d.rng.random() >= daily_chance * d.plan.spend_level * weekend:
            continue
        merchant = d.merchant(category)
        if merchant is None:
            continue
        low, high = merchant["amount"]["min"], merchant["amount"]["max"]
        amount = _minor(d.rng.uniform(low, high) * december)
        posted = (
            _minor(amount / 100 * d.rng.choice((1.15, 1.18, 1.2))) if category in TIPPED else None
        )
        d.add(
            spender,
            amount,
            merchant["name"],
            category,
            channel=merchant["payment_channel"],
            merchant=merchant,
            post_after=d.rng.randint(1, 3),
            posted_amount_minor=posted,
            code="purchase",
        )


def entries_between(plan: ItemPlan, start: dt.date, end: dt.date) -> list[Entry]:
    """Entries for every day from ``start`` to ``end`` inclusive, oldest first."""
    found: list[Entry] = []
    for offset in range((end - start).days + 1):
        found.extend(entries_for_day(plan, start + dt.timedelta(days=offset)))
    return found
