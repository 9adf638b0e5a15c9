"""Merchant entities: the stable id, logo and website Plaid's enrichment gives a known merchant.

Plaid's Sandbox recognises real brands (Uber, McDonald's, Starbucks…) and gives their
transactions a ``merchant_entity_id`` (37 base62 characters), a ``logo_url`` on
``plaid-merchant-logos.plaid.com`` and a ``website``, in ``counterparties[]`` too. The brands of
``seeds/merchants.json`` (every one with a website) are recognised here the same way; the
fictional employers (no website) are not, nor is anything else, so transfers, payroll, fees and
custom users' rows keep nulls, as Plaid's do.

An entity depends on the merchant's name alone, hashed with a fixed label (never the seed, the
tenant or the process), so every run, machine and seed gives a merchant the same id and logo.
Rendering looks a row's ``merchant_name`` up here once: a dict built on first use, nothing
stored per row.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import NamedTuple

from ..seeding import make_id, seed_int
from .catalogue import merchants

LOGO_URL = "https://plaid-merchant-logos.plaid.com/{slug}_{number}.png"
LOGO_NUMBERS = 2000  # Plaid's logo file names end in a small number (``uber_1060.png``)


class Entity(NamedTuple):
    """What Plaid's enrichment says about a recognised merchant."""

    entity_id: str
    logo_url: str
    website: str


def entity_id(name: str) -> str:
    """The merchant's ``merchant_entity_id``: Plaid's 37-character id, hashed from the name."""
    return make_id("merchant entity", name)


def logo_url(name: str) -> str:
    """The merchant's logo in Plaid's pattern: ``<slug>_<number>.png`` (never fetched)."""
    number = seed_int("merchant logo", name) % LOGO_NUMBERS
    return LOGO_URL.format(slug=_slug(name), number=number)


def _slug(name: str) -> str:
    """``McDonald's`` → ``mcdonalds``, ``Marks & Spencer`` → ``marks_spencer``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower().replace("'", "")).strip("_")


@cache
def known() -> dict[str, Entity]:
    """Every recognised merchant by name (a brand trading in several currencies is one
    entity; its website here is its first listing's, the local one stays on the row)."""
    websites = {m["name"]: m["website"] for m in reversed(merchants()) if m["website"]}
    return {name: Entity(entity_id(name), logo_url(name), site) for name, site in websites.items()}


def merchant_entity(name: str | None) -> Entity | None:
    """The entity of a ``merchant_name``, or None (no merchant, or one Plaid would not know)."""
    return known().get(name) if name else None
