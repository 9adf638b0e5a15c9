"""Merchants from ``seeds/merchants.json``: local choices, favourites, descriptors, places."""

from __future__ import annotations

import json
import random
from functools import cache, lru_cache
from typing import Any

from ..institutions import SEEDS_DIR
from ..seeding import rng_for
from .model import ItemPlan

CITIES: dict[str, tuple[tuple[str, str | None, str, float, float], ...]] = {
    "US": (
        ("San Francisco", "CA", "94103", 37.7749, -122.4194),
        ("Brooklyn", "NY", "11201", 40.6928, -73.9903),
        ("Austin", "TX", "78701", 30.2672, -97.7431),
        ("Chicago", "IL", "60601", 41.8857, -87.6229),
        ("Denver", "CO", "80202", 39.7525, -104.9995),
        ("Columbus", "OH", "43215", 39.9612, -82.9988),
    ),
    "CA": (
        ("Toronto", "ON", "M5V 2T6", 43.6426, -79.3871),
        ("Ottawa", "ON", "K1P 1J1", 45.4215, -75.6972),
    ),
    "GB": (
        ("London", None, "EC1A 1BB", 51.5202, -0.0979),
        ("Manchester", None, "M1 1AE", 53.4794, -2.2453),
        ("Bristol", None, "BS1 4DJ", 51.4545, -2.5879),
    ),
    "FR": (("Paris", None, "75011", 48.8592, 2.3790), ("Lyon", None, "69002", 45.7578, 4.8320)),
    "DE": (
        ("Berlin", None, "10115", 52.5321, 13.3849),
        ("München", None, "80331", 48.1374, 11.5755),
    ),
    "NL": (
        ("Amsterdam", None, "1012 JS", 52.3731, 4.8922),
        ("Utrecht", None, "3511 LX", 52.0907, 5.1214),
    ),
}
STREETS = ("Market St", "Main St", "High St", "Mission St", "Oak Ave", "Church St", "Park Rd")


@cache
def merchants() -> tuple[dict[str, Any], ...]:
    """The merchant catalogue."""
    data: list[dict[str, Any]] = json.loads((SEEDS_DIR / "merchants.json").read_text())
    return tuple(data)


@cache
def named(name: str) -> dict[str, Any]:
    """The first listing of the merchant called ``name`` (one the engine uses by name)."""
    return next(m for m in merchants() if m["name"] == name)


@cache
def merchants_for(category: str, country: str) -> tuple[dict[str, Any], ...]:
    """Merchants of a PFC detailed category trading in ``country`` (none if there are none)."""
    return tuple(
        m for m in merchants() if m["detailed_category"] == category and country in m["countries"]
    )


def favourites(plan: ItemPlan, category: str, count: int = 2) -> tuple[dict[str, Any], ...]:
    """The few merchants of a category this person actually uses (people have habits)."""
    memo_key = ("fav", category, count)
    if memo_key not in plan.memo:
        choices = list(merchants_for(category, plan.country))
        rng_for(*plan.key, "favourites", category).shuffle(choices)
        plan.memo[memo_key] = tuple(choices[:count])
    found: tuple[dict[str, Any], ...] = plan.memo[memo_key]
    return found


def home(plan: ItemPlan) -> tuple[str, str | None, str, float, float]:
    """The city this person lives in."""
    if "home" not in plan.memo:
        cities = CITIES.get(plan.country, CITIES["US"])
        plan.memo["home"] = cities[rng_for(*plan.key, "home").randrange(len(cities))]
    found: tuple[str, str | None, str, float, float] = plan.memo["home"]
    return found


def store(
    plan: ItemPlan, merchant: dict[str, Any], city: tuple[Any, ...] | None = None
) -> dict[str, Any]:
    """The branch of ``merchant`` this person goes to: a fixed address and store number."""
    place = city or home(plan)
    memo_key = ("store", merchant["name"], place[0])
    if memo_key not in plan.memo:
        rng = rng_for(*plan.key, "store", merchant["name"], place[0])
        name, region, postal, lat, lon = place
        plan.memo[memo_key] = {
            "address": f"{rng.randint(1, 2999)} {rng.choice(STREETS)}",
            "city": name,
            "region": region,
            "postal_code": postal,
            "country": plan.country,
            "lat": round(lat + rng.uniform(-0.04, 0.04), 4),
            "lon": round(lon + rng.uniform(-0.04, 0.04), 4),
            "store_number": str(rng.randint(100, 9999)),
        }
    location: dict[str, Any] = plan.memo[memo_key]
    return location


def descriptor(merchant: dict[str, Any], location: dict[str, Any] | None) -> str:
    """The raw statement descriptor (``name``), e.g. ``TRADER JOE'S #552 BROOKLYN``."""
    number = f"#{location['store_number']}" if location else ""
    return _fill(merchant["descriptor"], number, (location or {}).get("city") or "")


@lru_cache(maxsize=8192)
def _fill(template: str, number: str, city: str) -> str:
    """A descriptor template with store number and city (people revisit the same stores)."""
    text = template.replace("#{store}", "{store}").replace("{store}", number)
    return " ".join(text.replace("{city}", city.upper()).split())


def amount(rng: random.Random, merchant: dict[str, Any], scale: float = 1.0) -> float:
    """A price in the merchant's range, skewed towards the low end as real baskets are."""
    low, high = merchant["amount"]["min"], merchant["amount"]["max"]
    if low == high:
        return float(low)
    return rng.triangular(low, high, low + (high - low) * 0.25) * scale
