"""The merchant catalogue: Plaid-format entity ids, logos and websites, stable for good.

Every merchant the ledger can emit is either a recognised brand (an entity, a logo, a
website) or one of the fictional employers; rows without a recognised merchant keep nulls.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.core import ledger
from sandbox.core.ledger import catalogue, entities
from sandbox.core.users import personas
from sandbox.plaid.responses import enrichment

from .ledger_helpers import plan_for

ROOT = Path(__file__).resolve().parents[2]
ENTITY_ID = re.compile(r"^[0-9A-Za-z]{37}$")
LOGO = re.compile(r"^https://plaid-merchant-logos\.plaid\.com/[a-z0-9_]+_[0-9]+\.png$")
COUNTRIES = {"US": "USD", "CA": "CAD", "GB": "GBP", "FR": "EUR", "DE": "EUR", "NL": "EUR"}
# The ids clients may have stored: the rule that makes them must never change.
PINNED = {
    "Uber": (
        "M0dBxcaq60GpIur0lmvadUgDzjcmRJTgjRmbF",
        "https://plaid-merchant-logos.plaid.com/uber_232.png",
        "uber.com",
    ),
    "McDonald's": (
        "H4dXUXhtvQDXtjZTgLc1BVH38Oyp48961NwOZ",
        "https://plaid-merchant-logos.plaid.com/mcdonalds_230.png",
        "mcdonalds.com",
    ),
    "Starbucks": (
        "gNWvb9PoB07fClkqKb6y4PxqKzz3MtSqAempw",
        "https://plaid-merchant-logos.plaid.com/starbucks_992.png",
        "starbucks.com",
    ),
    "United Airlines": (
        "Lhu9yh7EkhtaWyyAPunGM3Cr6YRWUFhWGepTu",
        "https://plaid-merchant-logos.plaid.com/united_airlines_80.png",
        "united.com",
    ),
}


def _fictional() -> set[str]:
    """The made-up employers of ``merchants.json``: no website, nothing Plaid would know."""
    return {m["name"] for m in catalogue.merchants() if not m["website"]}


def test_every_entity_is_in_plaids_format_and_unique() -> None:
    known = entities.known()
    assert len(known) > 200
    for name, entity in known.items():
        assert ENTITY_ID.match(entity.entity_id), name
        assert LOGO.match(entity.logo_url), name
        assert entity.website and "/" not in entity.website, name
    assert len({e.entity_id for e in known.values()}) == len(known)
    assert len({e.logo_url for e in known.values()}) == len(known)


def test_ids_logos_and_websites_are_pinned() -> None:
    assert {name: tuple(entities.merchant_entity(name) or ()) for name in PINNED} == PINNED


def test_another_process_with_another_hash_seed_derives_the_same_catalogue() -> None:
    script = (
        "import json; from sandbox.core.ledger import entities; "
        "print(json.dumps({n: list(e) for n, e in entities.known().items()}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, check=True
    ).stdout
    assert json.loads(out) == {n: list(e) for n, e in entities.known().items()}


def test_a_brand_in_several_currencies_is_one_entity_with_its_home_website() -> None:
    amazon = [m for m in catalogue.merchants() if m["name"] == "Amazon"]
    assert len({m["website"] for m in amazon}) > 1
    assert entities.merchant_entity("Amazon") == entities.known()["Amazon"]
    assert entities.known()["Amazon"].website == "amazon.com"


def _generated_names(seed: int) -> set[str]:
    """Every merchant name a year of every persona in every country emits."""
    names: set[str] = set()
    for persona in sorted(personas()["personas"]):
        for country, currency in COUNTRIES.items():
            plan = plan_for(persona, seed, country, currency)
            start = dt.date(2025, 6, 1)
            for entry in ledger.entries_between(plan, start, start + dt.timedelta(days=364)):
                if entry.merchant_name:
                    names.add(entry.merchant_name)
    return names


@pytest.mark.parametrize("seed", [7, 8])
def test_every_merchant_the_generator_emits_is_recognised_or_a_fictional_employer(
    seed: int,
) -> None:
    names = _generated_names(seed)
    assert len(names) > 100
    assert {"Square", "Uber"} <= names  # the shop's card terminal, a favourite ride
    unknown = {name for name in names if entities.merchant_entity(name) is None}
    assert unknown and unknown <= _fictional()


def test_every_catalogue_merchant_but_the_fictional_employers_is_recognised() -> None:
    names = {m["name"] for m in catalogue.merchants()}
    assert {n for n in names if entities.merchant_entity(n) is None} == _fictional()
    assert all(
        m["detailed_category"] == "INCOME_WAGES" for m in catalogue.merchants() if not m["website"]
    )


def test_a_merchant_entitys_row_carries_its_entity_and_a_very_high_counterparty() -> None:
    found = enrichment("Starbucks", "FOOD_AND_DRINK_COFFEE", {"website": "starbucks.com"})
    entity_id, logo_url, website = PINNED["Starbucks"]
    assert found[:3] == (entity_id, logo_url, website)
    assert found[3] == [
        {
            "name": "Starbucks",
            "type": "merchant",
            "website": website,
            "logo_url": logo_url,
            "entity_id": entity_id,
            "confidence_level": "VERY_HIGH",
        }
    ]


def test_the_rows_local_website_wins_and_a_row_without_one_gets_the_brands() -> None:
    uk = enrichment(
        "Amazon", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", {"website": "amazon.co.uk"}
    )
    entity_id, _, website, counterparties = uk
    assert website == counterparties[0]["website"] == "amazon.co.uk"
    assert entity_id == entities.known()["Amazon"].entity_id
    assert enrichment("Uber", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", {})[2] == "uber.com"


@pytest.mark.parametrize(
    ("name", "category", "details"),
    [
        (None, "TRANSFER_OUT_ACCOUNT_TRANSFER", {"transaction_code": "transfer"}),
        (None, "BANK_FEES_ATM_FEES", {"transaction_code": "bank charge"}),
        (None, "INCOME_INTEREST_EARNED", {"website": None}),
        (None, "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE", {}),
    ],
)
def test_rows_without_a_merchant_keep_nulls_and_no_counterparty(
    name: str | None, category: str, details: dict[str, object]
) -> None:
    assert enrichment(name, category, details) == (None, None, None, [])


def test_payroll_from_a_fictional_employer_keeps_nulls_at_low_confidence() -> None:
    found = enrichment("Initech", "INCOME_WAGES", {"website": None})
    assert found[:3] == (None, None, None)
    assert found[3] == [
        {
            "name": "Initech",
            "type": "income_source",
            "website": None,
            "logo_url": None,
            "entity_id": None,
            "confidence_level": "LOW",
        }
    ]
