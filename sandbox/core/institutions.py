"""The institution catalogue, loaded once from ``seeds/institutions.json``.

``seeds/`` is installed as the ``sandbox._seeds`` package (see pyproject.toml), so the
catalogue is read with importlib.resources from a checkout and from a wheel alike.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from .errors import InvalidField, InvalidInstitution, ProductsNotSupported
from .seeding import digits, rng_for

SEEDS_DIR: Traversable = files("sandbox._seeds")
SEED_FILES = ("institutions.json", "personas.json", "categories.json", "pfc.json", "merchants.json")
# What the sandbox has endpoints for. The catalogue lists what each real bank offers; an
# institution (and so an item's ``available_products``) advertises only the products here,
# so an app never picks one whose endpoints would answer 404.
SERVED_PRODUCTS = frozenset(
    {
        "assets",
        "auth",
        "balance",
        "identity",
        "identity_match",
        "investments",
        "investments_auth",
        "liabilities",
        "statements",
        "transactions",
    }
)
# Plaid's Signal scores ACH debits: US banks that offer Auth offer it too.
SIGNAL_COUNTRIES = frozenset({"US"})
# Products served from another's data, so offered wherever that one is: Investments Move
# (``investments_auth``, which Plaid's own tests link at First Platypus) reads the holdings,
# Identity Match compares with the owners Identity reads.
COMES_WITH = {"investments": "investments_auth", "identity": "identity_match"}


@dataclass(frozen=True)
class Institution:
    """A bank in the catalogue, with its branding and capabilities."""

    institution_id: str
    name: str
    country_codes: tuple[str, ...]
    products: tuple[str, ...]
    oauth: bool
    url: str | None
    primary_color: str
    secondary_color: str
    logo_file: str
    routing_numbers: tuple[str, ...]
    currency: str
    status: str
    auth_method: str | None
    tagline: str
    login_hint: str

    @property
    def country(self) -> str:
        """The institution's home country (first of its country codes)."""
        return self.country_codes[0]

    @cached_property
    def dtc_numbers(self) -> list[str]:
        """The DTC participant number of the bank's custody arm (seeded on its id) if it
        offers Investments: the one ``/investments/auth/get`` puts in its ACATS numbers."""
        if "investments" not in self.products:
            return []
        return [digits(rng_for("dtc", self.institution_id), 4)]

    @property
    def logo_base64(self) -> str:
        """The logo as base64 PNG, the way Plaid's ``logo`` field carries it."""
        return _logo(self.logo_file)


@cache
def _logo(file_name: str) -> str:
    return base64.b64encode((SEEDS_DIR / "logos" / file_name).read_bytes()).decode()


def _from_json(raw: dict[str, Any]) -> Institution:
    return Institution(
        institution_id=raw["institution_id"],
        name=raw["name"],
        country_codes=tuple(raw["country_codes"]),
        products=served_products(raw["products"], raw["country_codes"]),
        oauth=raw["oauth"],
        url=raw.get("url"),
        primary_color=raw["primary_color"],
        secondary_color=raw["secondary_color"],
        logo_file=raw["logo"],
        routing_numbers=tuple(raw["routing_numbers"]),
        currency=raw["currency"],
        status=raw["status"],
        auth_method=raw.get("auth_method"),
        tagline=raw.get("tagline", ""),
        login_hint=raw.get("login_hint", "Username"),
    )


def served_products(offered: list[str], country_codes: list[str]) -> tuple[str, ...]:
    """The products of ``offered`` that the sandbox serves, plus those that come with them
    and Signal where it applies."""
    served = {p for p in offered if p in SERVED_PRODUCTS}
    served |= {COMES_WITH[p] for p in served if p in COMES_WITH}
    if "auth" in served and set(country_codes) & SIGNAL_COUNTRIES:
        served.add("signal")
    return tuple(sorted(served))


@cache
def catalogue() -> dict[str, Institution]:
    """Every institution by id, in catalogue order."""
    raw = json.loads((SEEDS_DIR / "institutions.json").read_text())
    return {entry["institution_id"]: _from_json(entry) for entry in raw}


def catalogue_problem() -> str | None:
    """Why the seed catalogue cannot load, or None: health checks fail before data calls do."""
    try:
        for name in SEED_FILES:
            json.loads((SEEDS_DIR / name).read_text(encoding="utf-8"))
        for institution in catalogue().values():
            (SEEDS_DIR / "logos" / institution.logo_file).read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"seed catalogue cannot load: {type(exc).__name__}: {exc}"
    return None


def get(institution_id: str) -> Institution:
    """The institution with this id, or ``InvalidInstitution``."""
    try:
        return catalogue()[institution_id]
    except KeyError:
        raise InvalidInstitution(field="institution_id") from None


def search(
    *,
    country_codes: list[str],
    query: str | None = None,
    products: list[str] | None = None,
    oauth: bool | None = None,
    routing_numbers: list[str] | None = None,
) -> list[Institution]:
    """Institutions in any of ``country_codes`` that match every given filter."""
    words = (query or "").lower().split()
    return [
        ins
        for ins in catalogue().values()
        if set(ins.country_codes) & set(country_codes)
        and all(word in ins.name.lower() for word in words)
        and (not products or set(products) <= set(ins.products))
        and (oauth is None or ins.oauth == oauth)
        and (not routing_numbers or set(routing_numbers) & set(ins.routing_numbers))
    ]


def check_products(institution: Institution, products: list[str]) -> None:
    """At least one product, all of them offered by ``institution``."""
    if not products:
        raise InvalidField(
            "initial_products must contain at least one product", field="initial_products"
        )
    if unsupported := set(products) - set(institution.products):
        raise ProductsNotSupported(
            f"institution {institution.institution_id} does not support: "
            f"{', '.join(sorted(unsupported))}"
        )
