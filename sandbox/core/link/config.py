"""Rules a Link configuration must follow before ``/link/token/create`` stores it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from .. import microdeposits, numbers, statements
from ..errors import InvalidField, InvalidProduct, MissingFields

LOCAL_HOSTS = ("localhost", "127.0.0.1")
# The product arrays whose products Link fetches data for.
PRODUCT_ARRAYS = ("products", "required_if_supported_products", "optional_products")
# The arrays that must not repeat a product of ``required_if_supported_products`` or
# ``optional_products`` (each of those two must not repeat the other's either).
DISJOINT_ARRAYS = (*PRODUCT_ARRAYS, "additional_consented_products")
# ``auth`` flags of the micro-deposit and database flows: US ACH only (they need
# ``country_codes: ["US"]``), except Database Insights, which Canada runs too (EFT numbers).
MICRO_DEPOSIT_FLAGS = (
    "automated_microdeposits_enabled",
    "same_day_microdeposits_enabled",
    "instant_microdeposits_enabled",
    "database_insights_enabled",
    "database_match_enabled",
)
# The countries each flag may be offered in, alone: ``country_codes`` is one of these.
FLAG_COUNTRIES = {flag: ({"US"},) for flag in MICRO_DEPOSIT_FLAGS} | {
    "database_insights_enabled": ({"US"}, {"CA"})
}


def check(config: dict[str, Any]) -> None:
    """Refuse what Plaid refuses: ``balance`` as an initial product, a product in two of the
    product arrays, a bad ``redirect_uri``, Statements without its dates (or with dates
    reversed or over two years apart), micro-deposits outside the US, a routing number in
    ``institution_data`` that no bank can have."""
    if "balance" in (config.get("products") or []):
        # Balance comes with every item; Plaid refuses it as an initial product.
        raise InvalidProduct("balance is not a valid initial product", field="products")
    check_disjoint_products(config)
    if config.get("redirect_uri"):
        check_redirect_uri(config["redirect_uri"])
    requested = {p for name in PRODUCT_ARRAYS for p in config.get(name) or ()}
    if "statements" in requested and not config.get("statements"):
        raise MissingFields(
            "the following required fields are missing: statements", field="statements"
        )
    if window := config.get("statements"):  # dates as the request typed them, checked ISO
        start, end = (dt.date.fromisoformat(window[k]) for k in ("start_date", "end_date"))
        statements.check_window(start, end, "statements.")
    check_micro_deposits(config.get("auth") or {}, config["country_codes"], requested)
    check_highlighted_routing((config.get("institution_data") or {}).get("routing_number"))


def check_disjoint_products(config: dict[str, Any]) -> None:
    """Plaid: "There should be no overlap between this array and the `products`, …
    arrays" (of ``required_if_supported_products`` and of ``optional_products``)."""
    for name in ("required_if_supported_products", "optional_products"):
        others = {p for other in DISJOINT_ARRAYS if other != name for p in config.get(other) or ()}
        if repeated := set(config.get(name) or ()) & others:
            raise InvalidField(
                f"{name} must not repeat a product of another product array: "
                f"{', '.join(sorted(repeated))}",
                field=name,
            )


def check_micro_deposits(
    auth: dict[str, Any], country_codes: list[str], requested: set[str]
) -> None:
    """Micro-deposits and database checks move or verify money over ACH: the flows are
    offered only to US-only Link (Database Insights also to Canada-only Link, over EFT
    numbers), and only to a Link that asks for Auth (or Transfer), the products their items
    serve. DIVERGES: (unconfirmed) Plaid's reply to a flag on a token without ``auth`` is not
    documented; the flag would do nothing, so it is refused."""
    for flag in MICRO_DEPOSIT_FLAGS:
        if not auth.get(flag):
            continue
        allowed = FLAG_COUNTRIES[flag]
        if set(country_codes) not in allowed:
            wanted = " or ".join(f'["{c}"]' for countries in allowed for c in countries)
            raise InvalidField(
                f"auth.{flag}: this verification needs country_codes {wanted}",
                field=f"auth.{flag}",
            )
        if not requested & set(microdeposits.TYPED_ITEM_PRODUCTS):
            raise InvalidField(
                f"auth.{flag} needs auth (or transfer) among the link token's products",
                field=f"auth.{flag}",
            )


def check_highlighted_routing(routing: str | None) -> None:
    """``institution_data.routing_number`` names the bank Link highlights: a nine-digit ABA
    routing number. DIVERGES: Plaid's own check of the value is not documented; a number
    that fails the ABA checksum can name no bank, so the sandbox says so rather than
    silently highlighting nothing."""
    if routing is not None and not numbers.is_aba(routing):
        raise InvalidField(
            "institution_data.routing_number must be a 9-digit ABA routing number "
            "with a valid check digit",
            field="institution_data.routing_number",
        )


def check_redirect_uri(uri: str) -> None:
    """HTTPS (or http://localhost in the sandbox), no query string, no fragment, no wildcard."""
    parts = urlsplit(uri)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if (parts.scheme != "https" and not local) or parts.query or parts.fragment or "*" in uri:
        raise InvalidField(
            "redirect_uri must be an https URL (or http://localhost) without query string, "
            "fragment or wildcard",
            field="redirect_uri",
        )
