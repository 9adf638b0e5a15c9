"""Everyday life: purchases by category, refunds, ATM cash and irregular income.

Purchases go on the credit card while the cycle's budget lasts (so the card never
exceeds its limit), otherwise on the debit card of the everyday account.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from ..seeding import rng_for
from . import cards, catalogue
from .model import Entry, ItemPlan, minor

# category, daily chance, weekend factor, season ("" | "holiday" | "summer")
CATEGORIES = (
    ("FOOD_AND_DRINK_GROCERIES", 0.30, 1.6, ""),
    ("FOOD_AND_DRINK_COFFEE", 0.30, 0.6, ""),
    ("FOOD_AND_DRINK_RESTAURANT", 0.16, 2.0, ""),
    ("FOOD_AND_DRINK_FAST_FOOD", 0.16, 1.2, ""),
    ("TRANSPORTATION_GAS", 0.10, 1.0, "summer"),
    ("TRANSPORTATION_TAXIS_AND_RIDE_SHARES", 0.07, 1.8, ""),
    ("TRANSPORTATION_PUBLIC_TRANSIT", 0.05, 0.5, ""),
    ("GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", 0.10, 1.0, "holiday"),
    ("GENERAL_MERCHANDISE_SUPERSTORES", 0.08, 1.5, "holiday"),
    ("GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES", 0.03, 1.8, "holiday"),
    ("GENERAL_MERCHANDISE_ELECTRONICS", 0.01, 1.5, "holiday"),
    ("MEDICAL_PHARMACIES_AND_SUPPLEMENTS", 0.04, 1.0, ""),
    ("PERSONAL_CARE_HAIR_AND_BEAUTY", 0.02, 1.5, ""),
    ("HOME_IMPROVEMENT_HARDWARE", 0.02, 2.0, "summer"),
    ("ENTERTAINMENT_TV_AND_MOVIES", 0.02, 2.0, ""),
    ("TRAVEL_FLIGHTS", 0.006, 1.0, "summer"),
    ("TRAVEL_LODGING", 0.005, 1.5, "summer"),
)
SHOPPING = "GENERAL_MERCHANDISE_"
TIPPED = {"FOOD_AND_DRINK_RESTAURANT"}
HOLDS = {"TRAVEL_LODGING": 1.25}
RETURN_DAYS = (5, 20)  # a purchase comes back this many days later, at the earliest/latest
RETURN_BLOCK = 16  # returnable purchases are indexed this many days at a time
ATM_NOTES = (40, 60, 80, 100, 120, 200)
CLIENTS = (
    "Lumen Labs",
    "Blue Harbor Media",
    "Fjord Analytics",
    "Northwind Studio",
    "Acme Design Co",
)


def season(kind: str, day: dt.date) -> float:
    """Holiday shopping in Nov/Dec, travel and driving in summer."""
    if kind == "holiday":
        return {11: 1.4, 12: 1.9}.get(day.month, 1.0)
    if kind == "summer":
        return 1.6 if day.month in (6, 7, 8) else 1.0
    return 1.0


def spend_day(plan: ItemPlan, day: dt.date, budget: int) -> tuple[list[Entry], int]:
    """The day's purchases and the card's cycle-to-date spend after them."""
    memo_key = ("spend", day)
    if memo_key not in plan.memo:
        plan.memo[memo_key] = _spend_day(plan, day, budget)
    found: tuple[list[Entry], int] = plan.memo[memo_key]
    return found


def _spend_day(plan: ItemPlan, day: dt.date, budget: int) -> tuple[list[Entry], int]:
    card = plan.first("credit card")
    spent = 0
    if card is not None and cards.last_close(plan, card, day) != day - dt.timedelta(days=1):
        spent = spend_day(plan, day - dt.timedelta(days=1), budget)[1]
    rng = rng_for(*plan.key, "spend", day.isoformat())
    found: list[Entry] = []
    for category, chance in _chances(plan, day):
        if rng.random() >= chance:
            continue
        merchant = _pick(plan, rng, category)
        if merchant is None:
            continue
        amount = minor(catalogue.amount(rng, merchant, float(plan.habit("basket", 1.0))))
        on_card = card is not None and spent + amount <= budget and rng.random() < 0.8
        account = (
            card if on_card and card is not None else plan.first("checking", "cash management")
        )
        if account is None:
            continue
        spent += amount if on_card else 0
        found.append(_purchase(plan, rng, day, len(found), account.ordinal, merchant, amount))
    return found, spent


def _chances(plan: ItemPlan, day: dt.date) -> list[tuple[str, float]]:
    """Each category's chance of a purchase: persona habits, weekend and season."""
    memo_key = ("chances", day.month, day.weekday() >= 5)
    if memo_key not in plan.memo:
        weights: dict[str, float] = dict(plan.habit("categories", {}))
        level, weekend = float(plan.habit("spend_level", 1.0)), day.weekday() >= 5
        plan.memo[memo_key] = [
            (
                category,
                chance
                * level
                * weights.get(category, 1.0)
                * season(kind, day)
                * (weekend_factor if weekend else 1.0),
            )
            for category, chance, weekend_factor, kind in CATEGORIES
        ]
    found: list[tuple[str, float]] = plan.memo[memo_key]
    return found


def _pick(plan: ItemPlan, rng: random.Random, category: str) -> dict[str, Any] | None:
    favourites = catalogue.favourites(plan, category, 3)
    return rng.choice(favourites) if favourites else None


def _purchase(
    plan: ItemPlan,
    rng: random.Random,
    day: dt.date,
    index: int,
    account: int,
    merchant: dict[str, Any],
    amount: int,
) -> Entry:
    category = merchant["detailed_category"]
    in_store = merchant["payment_channel"] == "in store"
    city = (
        rng.choice(catalogue.CITIES.get(plan.country, catalogue.CITIES["US"]))
        if category.startswith("TRAVEL")
        else None
    )
    location = catalogue.store(plan, merchant, city) if in_store or city else None
    pending, posted = amount, None
    if category in TIPPED and in_store and plan.country in ("US", "CA"):
        posted = round(amount * rng.choice((1.15, 1.18, 1.2, 1.22)))
    elif category in HOLDS:
        pending, posted = round(amount * HOLDS[category]), amount
    details: dict[str, Any] = {"transaction_code": "purchase", "website": merchant.get("website")}
    if location:
        details["location"] = location
    if category.startswith(SHOPPING) and rng.random() < 0.06:
        details["returned_after"] = rng.randint(RETURN_DAYS[0], RETURN_DAYS[-1])
    return Entry(
        account,
        f"{day.isoformat()}:buy:{index}",
        day,
        day + dt.timedelta(days=rng.randint(1, 3)),
        pending,
        catalogue.descriptor(merchant, location),
        category,
        merchant["payment_channel"],
        merchant["name"],
        posted,
        details,
    )


def refunds(plan: ItemPlan, day: dt.date, budget: int) -> list[Entry]:
    """Returns of earlier purchases, to the same account, for the amount that posted."""
    found = []
    card = plan.first("credit card")
    for bought in _returns_due(plan, day, budget):
        post = day + dt.timedelta(days=2)
        if (
            card is not None
            and bought.account == card.ordinal
            and cards.last_close(plan, card, bought.post_date) != cards.last_close(plan, card, post)
        ):
            continue
        details = {k: v for k, v in bought.details.items() if k != "returned_after"}
        found.append(
            Entry(
                bought.account,
                f"{day.isoformat()}:refund:{bought.key}",
                day,
                post,
                -bought.final_amount_minor,
                bought.final_name,
                bought.category,
                bought.payment_channel,
                bought.merchant_name,
                details=details | {"transaction_code": "refund", "refund_of": bought.key},
            )
        )
    return found


def _returns_due(plan: ItemPlan, day: dt.date, budget: int) -> list[Entry]:
    """Purchases brought back on ``day``, latest purchase first."""
    ordinal, (soonest, latest) = day.toordinal(), RETURN_DAYS
    blocks = range((ordinal - latest) // RETURN_BLOCK, (ordinal - soonest) // RETURN_BLOCK + 1)
    found = [e for block in blocks for e in _returns_of_block(plan, block, budget).get(day, ())]
    return sorted(found, key=lambda e: e.date, reverse=True) if len(found) > 1 else found


def _returns_of_block(plan: ItemPlan, block: int, budget: int) -> dict[dt.date, list[Entry]]:
    """A block of days' returnable purchases, indexed by the day they come back."""
    memo_key = ("returns", block)
    if memo_key not in plan.memo:
        table: dict[dt.date, list[Entry]] = {}
        for ordinal in range(block * RETURN_BLOCK, (block + 1) * RETURN_BLOCK):
            day = dt.date.fromordinal(ordinal)
            for bought in spend_day(plan, day, budget)[0]:
                if "returned_after" in bought.details:
                    back = day + dt.timedelta(days=bought.details["returned_after"])
                    table.setdefault(back, []).append(bought)
        plan.memo[memo_key] = table
    found: dict[dt.date, list[Entry]] = plan.memo[memo_key]
    return found


def cash_and_income(plan: ItemPlan, day: dt.date) -> list[Entry]:
    """ATM withdrawals (with out-of-network fees) and irregular income of the everyday account."""
    spend = plan.first("checking", "cash management")
    if spend is None:
        return []
    rng, iso, found = rng_for(*plan.key, "cash", day.isoformat()), day.isoformat(), []
    if rng.random() < float(plan.habit("atm", 0.04)):
        amount = minor(rng.choice(ATM_NOTES) * (0.5 if plan.country == "GB" else 1))
        home = catalogue.home(plan)
        found.append(
            Entry(
                spend.ordinal,
                f"{iso}:atm",
                day,
                day,
                amount,
                f"ATM WITHDRAWAL {rng.randint(1000, 9999)} {home[0].upper()}",
                "TRANSFER_OUT_WITHDRAWAL",
                "in store",
                details={"transaction_code": "atm"},
            )
        )
        if rng.random() < 0.3:
            found.append(
                Entry(
                    spend.ordinal,
                    f"{iso}:atmfee",
                    day,
                    day,
                    300,
                    "NON-NETWORK ATM FEE",
                    "BANK_FEES_ATM_FEES",
                    "other",
                    details={"transaction_code": "bank charge"},
                )
            )
    found += _irregular(plan, rng, day, spend.ordinal)
    return found


def _irregular(plan: ItemPlan, rng: random.Random, day: dt.date, account: int) -> list[Entry]:
    """Freelance invoices paid on random weekdays; card-terminal settlements of a shop."""
    iso, found = day.isoformat(), []
    if (freelance := plan.habit("freelance")) and day.weekday() < 5 and rng.random() < 0.13:
        client = CLIENTS[rng.randrange(int(freelance.get("clients", 3)))]
        amount = minor(freelance["monthly"] / 2.8 * rng.uniform(0.4, 1.6))
        found.append(
            Entry(
                account,
                f"{iso}:invoice",
                day,
                day,
                -amount,
                f"{client.upper()} ACH PMT INV{rng.randint(1000, 9999)}",
                "INCOME_OTHER_INCOME",
                "other",
                details={"transaction_code": "transfer"},
            )
        )
    if (sales := plan.habit("sales")) and day.weekday() != 6:
        factor = 1.4 if day.weekday() == 5 else 1.0
        amount = minor(sales["daily"] * factor * rng.uniform(0.7, 1.3))
        terminal = catalogue.named("Square")
        found.append(
            Entry(
                account,
                f"{iso}:sales",
                day,
                day,
                -amount,
                f"SQUARE INC DEPOSIT {day:%y%m%d}",
                "TRANSFER_IN_DEPOSIT",
                "other",
                terminal["name"],
                details={"transaction_code": "transfer", "website": terminal["website"]},
            )
        )
    return found
