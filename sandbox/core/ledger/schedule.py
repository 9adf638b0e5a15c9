"""Recurring streams: the engine's own definitions of payroll, rent, bills and subscriptions.

Each ``Recurring`` says on which days it occurs and for how much; the generator emits
its entries (tagged with the stream key) and ``/transactions/recurring/get`` reports
the same definitions, so the streams an app sees are the ones that were generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..seeding import rng_for
from . import catalogue
from .model import (
    SAVINGS_SUBTYPES,
    SPENDING_SUBTYPES,
    AccountPlan,
    ItemPlan,
    add_months,
    minor,
    month_end,
)

FRIDAY = 4
COUNTRY_SCALE = {"US": 1.0, "CA": 1.3, "GB": 0.8, "FR": 0.9, "DE": 0.9, "NL": 0.9, "IE": 0.9}
INTEREST_APY = {"savings": 0.5, "money market": 1.85, "cd": 2.0, "hsa": 0.1, "cash management": 1.5}
UTILITIES = (
    ("RENT_AND_UTILITIES_TELEPHONE", 8, "fixed"),
    ("RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", 12, "seasonal"),
    ("RENT_AND_UTILITIES_INTERNET_AND_CABLE", 20, "fixed"),
)
SUBSCRIPTION_CATEGORIES = (
    "ENTERTAINMENT_TV_AND_MOVIES",
    "ENTERTAINMENT_MUSIC_AND_AUDIO",
    "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS",
    "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
    "GENERAL_SERVICES_OTHER_GENERAL_SERVICES",
    "PERSONAL_CARE_OTHER_PERSONAL_CARE",
)

# Heating and cooling bills over the year (January first): a table, not ``math.cos``, so
# amounts cannot depend on the platform's maths library.
SEASONAL_FACTOR = (1.3, 1.26, 1.15, 1.0, 0.85, 0.74, 0.7, 0.74, 0.85, 1.0, 1.15, 1.26)


@dataclass(frozen=True)
class Recurring:
    """One stream: where, what, how often and how much (amount > 0 is money out)."""

    key: str
    account: int
    name: str
    category: str
    frequency: str
    amount_minor: int
    day: int = 1
    kind: str = "fixed"
    merchant_name: str | None = None
    website: str | None = None
    channel: str = "other"
    code: str | None = "bill payment"
    counter: int | None = None
    counter_name: str = ""
    counter_category: str = ""

    @property
    def inflow(self) -> bool:
        """Whether the stream pays money into its account."""
        return self.amount_minor < 0


def scaled(plan: ItemPlan, amount: float) -> int:
    """A persona amount (written in dollars) in the institution's currency."""
    return minor(amount * COUNTRY_SCALE.get(plan.country, 1.0))


def occurs(stream: Recurring, day: dt.date) -> bool:
    """Whether ``stream`` has an occurrence dated ``day``."""
    if stream.frequency == "WEEKLY":
        return day.weekday() == stream.day
    if stream.frequency == "BIWEEKLY":
        return day.weekday() == FRIDAY and (day.toordinal() // 7) % 2 == stream.day % 2
    if stream.frequency == "SEMI_MONTHLY":
        return day in {_payday(day.replace(day=15)), _payday(add_months(day, 0, 31))}
    return day in {_bill_day(add_months(day, back, stream.day)) for back in (0, -1)}


def due_on(plan: ItemPlan, day: dt.date) -> list[Recurring]:
    """The persona's base streams with an occurrence on ``day`` (computed a month at a time)."""
    memo_key = ("due", day.year, day.month)
    if memo_key not in plan.memo:
        first = day.replace(day=1)
        table: dict[dt.date, list[Recurring]] = {
            first + dt.timedelta(days=n): [] for n in range((month_end(first) - first).days + 1)
        }
        for stream in base_streams(plan):
            for date in _dates_in_month(stream, first):
                table[date].append(stream)
        plan.memo[memo_key] = table
    found: list[Recurring] = plan.memo[memo_key][day]
    return found


def _dates_in_month(stream: Recurring, first: dt.date) -> list[dt.date]:
    if stream.frequency == "MONTHLY":
        dates = {_bill_day(add_months(first, back, stream.day)) for back in (0, -1)}
        return sorted(d for d in dates if d.month == first.month and d.year == first.year)
    days = (month_end(first) - first).days + 1
    return [d for n in range(days) if occurs(stream, d := first + dt.timedelta(days=n))]


def _payday(day: dt.date) -> dt.date:
    """Payroll lands on the previous business day when the date falls on a weekend."""
    return day - dt.timedelta(days=max(0, day.weekday() - FRIDAY))


def _bill_day(day: dt.date) -> dt.date:
    """Direct debits collect on the next business day when the date falls on a weekend."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() > FRIDAY else 0)


def amount_on(plan: ItemPlan, stream: Recurring, day: dt.date) -> int:
    """The amount of the occurrence on ``day`` (seasonal bills and hourly pay vary)."""
    if stream.kind == "seasonal":
        rng = rng_for(*plan.key, stream.key, day.year, day.month)
        season = SEASONAL_FACTOR[day.month - 1]
        return round(stream.amount_minor * season * rng.uniform(0.92, 1.08))
    if stream.kind == "hourly":
        hours = rng_for(*plan.key, stream.key, day.isoformat()).uniform(0.82, 1.08)
        return round(stream.amount_minor * hours)
    if stream.kind == "salary":
        return round(stream.amount_minor * 1.03 ** max(0, day.year - 2025))
    return stream.amount_minor


def base_streams(plan: ItemPlan) -> list[Recurring]:
    """Income, housing, bills, subscriptions, savings and interest of the persona."""
    if "base_streams" not in plan.memo:
        spend = plan.first(*SPENDING_SUBTYPES) or plan.first(type_="depository")
        found: list[Recurring] = []
        if spend is not None:
            card = plan.first("credit card")
            found = _income(plan, spend) + _housing(plan, spend) + _bills(plan, spend)
            found += _subscriptions(plan, card or spend)
            found += _savings(plan, spend) + _interest(plan, spend)
        plan.memo["base_streams"] = found
    streams: list[Recurring] = plan.memo["base_streams"]
    return streams


def _income(plan: ItemPlan, spend: AccountPlan) -> list[Recurring]:
    income: dict[str, Any] = plan.habit("income") or {}
    frequency = str(income.get("frequency", "")).upper()
    if frequency not in {"WEEKLY", "BIWEEKLY", "SEMI_MONTHLY", "MONTHLY"}:
        return []
    employer = (catalogue.favourites(plan, "INCOME_WAGES", 1) or (None,))[0]
    found = [
        Recurring(
            key="payroll",
            account=spend.ordinal,
            name=catalogue.descriptor(employer, None) if employer else "DIRECT DEP PAYROLL",
            category="INCOME_WAGES",
            frequency=frequency,
            amount_minor=-scaled(plan, income["net"]),
            day=FRIDAY if frequency == "WEEKLY" else 31 if frequency == "MONTHLY" else 0,
            kind="hourly" if income.get("hourly") else "salary",
            merchant_name=employer["name"] if employer else None,
            website=employer.get("website") if employer else None,
            code=None,
        )
    ]
    if allowance := plan.habit("allowance"):
        found.append(
            Recurring(
                key="allowance",
                account=spend.ordinal,
                name=f"Zelle payment from {allowance['from']}",
                category="TRANSFER_IN_ACCOUNT_TRANSFER",
                frequency="MONTHLY",
                amount_minor=-scaled(plan, allowance["amount"]),
                day=1,
                code="transfer",
            )
        )
    return found


def _housing(plan: ItemPlan, spend: AccountPlan) -> list[Recurring]:
    housing: dict[str, Any] = plan.habit("housing") or {}
    if housing.get("kind") not in {"rent", "lease"}:
        return []
    landlord = (catalogue.favourites(plan, "RENT_AND_UTILITIES_RENT", 1) or (None,))[0]
    lease = housing["kind"] == "lease"
    return [
        Recurring(
            key="rent",
            account=spend.ordinal,
            name="COMMERCIAL LEASE PMT"
            if lease or not landlord
            else catalogue.descriptor(landlord, None),
            category="RENT_AND_UTILITIES_RENT",
            frequency="MONTHLY",
            amount_minor=scaled(plan, housing["amount"]),
            day=1,
            merchant_name=None if lease or not landlord else landlord["name"],
            website=None if lease or not landlord else landlord.get("website"),
        )
    ]


def _bills(plan: ItemPlan, spend: AccountPlan) -> list[Recurring]:
    found = []
    if fee := plan.habit("monthly_fee"):
        found.append(
            Recurring(
                key="fee",
                account=spend.ordinal,
                name="MONTHLY MAINTENANCE FEE",
                category="BANK_FEES_OTHER_BANK_FEES",
                frequency="MONTHLY",
                amount_minor=scaled(plan, fee),
                day=28,
                code="bank charge",
            )
        )
    extra = tuple((category, 15 + i, "fixed") for i, category in enumerate(plan.habit("bills", ())))
    for category, dom, kind in UTILITIES + extra:
        merchant = (catalogue.favourites(plan, category, 1) or (None,))[0]
        if merchant is None:
            continue
        rec = merchant.get("recurring") or {}
        base = rec.get("amount") or (merchant["amount"]["min"] + merchant["amount"]["max"]) / 2
        found.append(_merchant_stream(plan, merchant, spend, dom, minor(base), kind))
    return found


def _subscriptions(plan: ItemPlan, account: AccountPlan) -> list[Recurring]:
    pool = [
        m
        for category in SUBSCRIPTION_CATEGORIES
        for m in catalogue.merchants_for(category, plan.country)
        if (m.get("recurring") or {}).get("frequency") == "MONTHLY"
    ]
    rng = rng_for(*plan.key, "subscriptions")
    rng.shuffle(pool)
    chosen = pool[: int(plan.habit("subscriptions", 3))]
    return [
        _merchant_stream(
            plan, m, account, rng.randint(1, 28), minor(m["recurring"]["amount"]), "fixed"
        )
        for m in chosen
    ]


def _merchant_stream(
    plan: ItemPlan, merchant: dict[str, Any], account: AccountPlan, dom: int, amount: int, kind: str
) -> Recurring:
    return Recurring(
        key=f"bill:{merchant['name']}",
        account=account.ordinal,
        name=catalogue.descriptor(merchant, catalogue.store(plan, merchant)),
        category=merchant["detailed_category"],
        frequency="MONTHLY",
        amount_minor=amount,
        day=dom,
        kind=kind,
        merchant_name=merchant["name"],
        website=merchant.get("website"),
        channel=merchant["payment_channel"] if account.type == "credit" else "other",
        code="purchase" if account.type == "credit" else "direct debit",
    )


def _savings(plan: ItemPlan, spend: AccountPlan) -> list[Recurring]:
    monthly = plan.habit("savings_monthly", 0)
    target = plan.first("savings")
    if not monthly or target is None:
        return []
    return [
        Recurring(
            key=f"save:{target.ordinal}",
            account=spend.ordinal,
            name=f"Online Transfer to SAV ...{target.mask}",
            category="TRANSFER_OUT_SAVINGS",
            frequency="MONTHLY",
            amount_minor=scaled(plan, monthly),
            day=2,
            code="transfer",
            counter=target.ordinal,
            counter_name=f"Online Transfer from CHK ...{spend.mask}",
            counter_category="TRANSFER_IN_SAVINGS",
        )
    ]


def interest_minor(account: AccountPlan) -> int:
    """The monthly interest a savings-like account earns (simple interest on its opening)."""
    apy = account.apr if account.apr is not None else INTEREST_APY.get(account.subtype or "", 0.0)
    return max(1, round(account.opening_minor * apy / 1200)) if apy else 0


def _interest(plan: ItemPlan, spend: AccountPlan) -> list[Recurring]:
    return [
        Recurring(
            key=f"interest:{acc.ordinal}",
            account=acc.ordinal,
            name="INTEREST PAYMENT",
            category="INCOME_INTEREST_EARNED",
            frequency="MONTHLY",
            amount_minor=-interest_minor(acc),
            day=31,
            code="interest",
        )
        for acc in plan.all(*SAVINGS_SUBTYPES, type_="depository")
        if acc != spend and interest_minor(acc)
    ]
