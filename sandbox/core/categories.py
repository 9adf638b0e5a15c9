"""Category taxonomies: Plaid's personal finance categories and the legacy hierarchy.

The ledger labels every transaction with a PFC ``detailed`` value; the legacy
``category``/``category_id`` fields and the PFC ``primary`` are looked up here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from .institutions import SEEDS_DIR

PRIMARIES = (
    "INCOME",
    "TRANSFER_IN",
    "TRANSFER_OUT",
    "LOAN_PAYMENTS",
    "BANK_FEES",
    "ENTERTAINMENT",
    "FOOD_AND_DRINK",
    "GENERAL_MERCHANDISE",
    "HOME_IMPROVEMENT",
    "MEDICAL",
    "PERSONAL_CARE",
    "GENERAL_SERVICES",
    "GOVERNMENT_AND_NON_PROFIT",
    "TRANSPORTATION",
    "TRAVEL",
    "RENT_AND_UTILITIES",
)
ICON_URL = "https://plaid-category-icons.plaid.com/PFC_{primary}.png"


@dataclass(frozen=True)
class Category:
    """A transaction's categories in both taxonomies."""

    primary: str
    detailed: str
    legacy_id: str | None
    legacy_hierarchy: tuple[str, ...] | None
    group: str


@cache
def legacy() -> list[dict[str, Any]]:
    """Plaid's legacy category list as ``/categories/get`` serves it."""
    data: list[dict[str, Any]] = json.loads((SEEDS_DIR / "categories.json").read_text())
    return data


@cache
def _pfc() -> dict[str, dict[str, Any]]:
    return {row["detailed"]: row for row in json.loads((SEEDS_DIR / "pfc.json").read_text())}


@cache
def categorize(detailed: str) -> Category:
    """Both taxonomies for a PFC ``detailed`` value."""
    row = _pfc().get(detailed, {})
    primary = row.get("primary") or next(
        (p for p in sorted(PRIMARIES, key=len, reverse=True) if detailed.startswith(p + "_")),
        "GENERAL_MERCHANDISE",
    )
    legacy_id = row.get("legacy_category_id")
    legacy_row = next((c for c in legacy() if c["category_id"] == legacy_id), None)
    return Category(
        primary=primary,
        detailed=detailed,
        legacy_id=legacy_id,
        legacy_hierarchy=tuple(legacy_row["hierarchy"]) if legacy_row else None,
        group=legacy_row["group"] if legacy_row else "special",
    )


def is_known(value: str) -> bool:
    """Whether ``value`` is a PFC primary or detailed category (filters name one or the other)."""
    return value in PRIMARIES or value in _pfc()
