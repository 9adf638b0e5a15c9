"""Builders shared by the ledger unit tests: plans straight from the persona seeds."""

from __future__ import annotations

from sandbox.core import ledger
from sandbox.core.accounts import TERM_KEYS, to_minor
from sandbox.core.users import persona


def plan_for(
    name: str, seed: int = 7, country: str = "US", currency: str = "USD"
) -> ledger.ItemPlan:
    """The engine's plan for persona ``name`` as ``user_good`` would see it at First Platypus."""
    recipe = persona(name)
    accounts = tuple(
        ledger.AccountPlan(
            i,
            raw["type"],
            raw.get("subtype"),
            raw["name"],
            raw.get("mask") or "0000",
            to_minor(raw["current"]),
            None if raw.get("limit") is None else to_minor(raw["limit"]),
            raw.get("apr"),
            tuple(sorted((k, raw[k]) for k in TERM_KEYS if k in raw)),
        )
        for i, raw in enumerate(recipe["accounts"])
    )
    habits = tuple(sorted((k, v) for k, v in recipe.items() if k != "accounts"))
    return ledger.ItemPlan(
        (seed, "user_good", "ins_109508"), country, currency, name, accounts, habits
    )
