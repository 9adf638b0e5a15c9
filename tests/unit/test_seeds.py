"""Invariants of the seed catalogue in ``seeds/`` that the sandbox relies on."""

from __future__ import annotations

import json
import re
import struct
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

PRODUCTS = {
    "auth", "balance", "identity", "transactions", "liabilities", "investments", "assets",
    "statements",
}  # fmt: skip
STATUSES = {"HEALTHY", "DEGRADED", "DOWN"}
AUTH_METHODS = {None, "INSTANT_MATCH", "INSTANT_MICRODEPOSITS"}
CURRENCY_OF = {"US": "USD", "CA": "CAD", "GB": "GBP", "NL": "EUR", "DE": "EUR", "FR": "EUR"}
CHANNELS = {"in store", "online", "other"}
FREQUENCIES = {"WEEKLY", "BIWEEKLY", "SEMI_MONTHLY", "MONTHLY", "ANNUALLY"}
GROUPS = {"place", "special", "digital"}
HEX = re.compile(r"^#[0-9a-f]{6}$")
INS_ID = re.compile(r"^ins_[0-9]+$")
PLACEHOLDER = re.compile(r"\{([^}]*)\}")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Categories the ledger draws from in every country it serves; each country
# with an institution needs a local merchant for each, in its own currency.
CORE_CATEGORIES = (
    "INCOME_WAGES",
    "RENT_AND_UTILITIES_RENT",
    "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
    "RENT_AND_UTILITIES_INTERNET_AND_CABLE",
    "RENT_AND_UTILITIES_TELEPHONE",
    "FOOD_AND_DRINK_GROCERIES",
    "FOOD_AND_DRINK_COFFEE",
    "FOOD_AND_DRINK_RESTAURANT",
    "FOOD_AND_DRINK_FAST_FOOD",
    "TRANSPORTATION_GAS",
    "TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
    "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
    "GENERAL_MERCHANDISE_SUPERSTORES",
    "GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES",
    "MEDICAL_PHARMACIES_AND_SUPPLEMENTS",
    "ENTERTAINMENT_TV_AND_MOVIES",
    "TRAVEL_FLIGHTS",
)


@cache
def load(name: str) -> Any:
    """One seed file, parsed with the standard library."""
    return json.loads((SEEDS / name).read_text(encoding="utf-8"))


def institutions() -> list[dict[str, Any]]:
    """``seeds/institutions.json``."""
    return load("institutions.json")  # type: ignore[no-any-return]


def merchants() -> list[dict[str, Any]]:
    """``seeds/merchants.json``."""
    return load("merchants.json")  # type: ignore[no-any-return]


def aba_valid(number: str) -> bool:
    """The ABA routing-number checksum (weights 3, 7, 1)."""
    if not re.fullmatch(r"[0-9]{9}", number):
        return False
    d = [int(c) for c in number]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def merchant_currency(merchant: dict[str, Any]) -> str:
    """The one currency shared by every country a merchant trades in."""
    currencies = {CURRENCY_OF[c] for c in merchant["countries"]}
    assert len(currencies) == 1, f"{merchant['name']} mixes currencies {currencies}"
    return currencies.pop()


def test_aba_checksum_helper_accepts_known_numbers_and_rejects_typos() -> None:
    assert aba_valid("021000021") and aba_valid("011401533")
    assert not aba_valid("021000022") and not aba_valid("02100002")


# --------------------------------------------------------------- institutions


def test_institutions_have_exactly_the_documented_keys() -> None:
    keys = {
        "institution_id",
        "name",
        "country_codes",
        "products",
        "oauth",
        "url",
        "primary_color",
        "secondary_color",
        "logo",
        "routing_numbers",
        "currency",
        "status",
        "auth_method",
        "tagline",
        "login_hint",
    }
    bad = [i["institution_id"] for i in institutions() if set(i) != keys]
    assert not bad


def test_institution_ids_and_names_are_unique() -> None:
    ids = Counter(i["institution_id"] for i in institutions())
    names = Counter(i["name"] for i in institutions())
    assert [k for k, n in ids.items() if n > 1] == []
    assert [k for k, n in names.items() if n > 1] == []
    assert all(INS_ID.match(i) for i in ids)


def test_plaid_sandbox_institutions_are_present() -> None:
    by_id = {i["institution_id"]: i for i in institutions()}
    for iid in (
        "ins_109508",
        "ins_130016",
        "ins_109509",
        "ins_109510",
        "ins_109511",
        "ins_109512",
        "ins_135858",
        "ins_43",
        "ins_127287",
        "ins_116834",
        "ins_117650",
        "ins_132363",
        "ins_132361",
    ):
        assert iid in by_id, iid
    assert by_id["ins_109508"]["oauth"] is False
    assert by_id["ins_127287"]["oauth"] is True
    assert by_id["ins_132363"]["status"] == "DEGRADED"
    assert by_id["ins_132361"]["status"] == "DOWN"
    assert by_id["ins_109512"]["auth_method"] == "INSTANT_MATCH"
    assert by_id["ins_135858"]["auth_method"] == "INSTANT_MICRODEPOSITS"
    assert by_id["ins_43"]["currency"] == "CAD"
    assert by_id["ins_117650"]["currency"] == "GBP"


def test_institution_fields_take_allowed_values() -> None:
    for ins in institutions():
        name = ins["name"]
        assert ins["products"] and set(ins["products"]) <= PRODUCTS, name
        assert ins["status"] in STATUSES, name
        assert ins["auth_method"] in AUTH_METHODS, name
        assert isinstance(ins["oauth"], bool), name
        assert ins["url"] is None or ins["url"].startswith("https://"), name
        assert ins["tagline"].strip() and ins["login_hint"].strip(), name


def test_banks_with_an_auth_method_list_auth_as_the_readme_says() -> None:
    """Houndstooth and Windowpane name the flow Plaid tests at them (Instant Match, Instant
    Micro-deposits), and list ``auth`` too: their logins' numbers also come by Instant Auth
    (the README once said they did not list it)."""
    with_method = [i for i in institutions() if i["auth_method"] is not None]
    assert {i["institution_id"] for i in with_method} == {"ins_109512", "ins_135858"}
    assert all("auth" in i["products"] for i in with_method)
    readme = (SEEDS / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `auth_method` |"))
    assert "both list `auth` in `products`" in row and "not list" not in row


def test_institution_currency_matches_its_countries() -> None:
    for ins in institutions():
        assert ins["country_codes"], ins["name"]
        for country in ins["country_codes"]:
            assert CURRENCY_OF[country] == ins["currency"], (ins["name"], country)


def test_institution_colours_are_hex_and_text_on_primary_passes_wcag_aa() -> None:
    for ins in institutions():
        primary, secondary = ins["primary_color"], ins["secondary_color"]
        assert HEX.match(primary) and HEX.match(secondary), ins["name"]
        assert contrast(primary, secondary) >= 4.5, (ins["name"], primary, secondary)


def test_routing_numbers_pass_aba_checksum_and_only_us_banks_have_them() -> None:
    seen: Counter[str] = Counter()
    for ins in institutions():
        numbers = ins["routing_numbers"]
        if ins["country_codes"] != ["US"]:
            assert numbers == [], ins["name"]
        bad = [n for n in numbers if not aba_valid(n)]
        assert not bad, (ins["name"], bad)
        seen.update(numbers)
    assert [n for n, count in seen.items() if count > 1] == []


def test_every_institution_has_a_small_64px_png_logo() -> None:
    for ins in institutions():
        assert ins["logo"] == f"{ins['institution_id']}.png"
        data = (SEEDS / "logos" / ins["logo"]).read_bytes()
        assert data[:8] == PNG_SIGNATURE, ins["logo"]
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (64, 64), ins["logo"]
        assert len(data) < 3 * 1024, ins["logo"]


def test_no_orphan_logos() -> None:
    expected = {i["logo"] for i in institutions()}
    assert {p.name for p in (SEEDS / "logos").glob("*.png")} == expected


# ------------------------------------------------------------------ categories


def test_categories_are_unique_well_formed_and_sorted() -> None:
    cats = load("categories.json")
    ids = [c["category_id"] for c in cats]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    assert len(cats) == 602  # Plaid's legacy taxonomy, as /categories/get returns it
    for cat in cats:
        assert set(cat) == {"category_id", "group", "hierarchy"}
        assert re.fullmatch(r"[0-9]{8}", cat["category_id"])
        assert cat["group"] in GROUPS
        assert 1 <= len(cat["hierarchy"]) <= 3


def test_every_category_parent_exists() -> None:
    paths = {tuple(c["hierarchy"]) for c in load("categories.json")}
    orphans = [p for p in paths if len(p) > 1 and p[:-1] not in paths]
    assert orphans == []


def test_known_legacy_categories() -> None:
    by_id = {c["category_id"]: c for c in load("categories.json")}
    assert by_id["10000000"] == {
        "category_id": "10000000",
        "group": "special",
        "hierarchy": ["Bank Fees"],
    }
    assert by_id["10001000"]["hierarchy"] == ["Bank Fees", "Overdraft"]
    assert by_id["12001000"] == {
        "category_id": "12001000",
        "group": "place",
        "hierarchy": ["Community", "Animal Shelter"],
    }
    assert by_id["22016000"]["hierarchy"] == ["Travel", "Taxi"]
    assert by_id["13005043"]["hierarchy"] == ["Food and Drink", "Restaurants", "Coffee Shop"]


# ------------------------------------------------------------------------ pfc


def test_pfc_detailed_values_are_unique_and_prefixed_by_their_primary() -> None:
    pfc = load("pfc.json")
    detailed = [p["detailed"] for p in pfc]
    assert len(detailed) == len(set(detailed)) == 104
    for row in pfc:
        assert set(row) == {"primary", "detailed", "description", "legacy_category_id"}
        assert row["detailed"].startswith(row["primary"] + "_"), row["detailed"]
        assert row["description"].strip() == row["description"] != ""
    assert len({p["primary"] for p in pfc}) == 16


def test_every_pfc_primary_has_an_other_catch_all() -> None:
    pfc = load("pfc.json")
    for primary in {p["primary"] for p in pfc}:
        others = [p for p in pfc if p["primary"] == primary and "_OTHER_" in p["detailed"]]
        assert len(others) == 1, primary


def test_every_pfc_legacy_category_exists() -> None:
    ids = {c["category_id"] for c in load("categories.json")}
    missing = [p["detailed"] for p in load("pfc.json") if p["legacy_category_id"] not in ids]
    assert missing == []


# ------------------------------------------------------------------ merchants


def test_merchants_have_exactly_the_documented_keys() -> None:
    keys = {
        "name",
        "website",
        "detailed_category",
        "payment_channel",
        "countries",
        "amount",
        "descriptor",
        "recurring",
    }
    assert [m["name"] for m in merchants() if set(m) != keys] == []
    assert len(merchants()) >= 120


def test_every_merchant_category_exists_in_pfc() -> None:
    detailed = {p["detailed"] for p in load("pfc.json")}
    assert [m["name"] for m in merchants() if m["detailed_category"] not in detailed] == []


def test_merchant_names_are_unique_per_currency() -> None:
    keys = Counter((m["name"], merchant_currency(m)) for m in merchants())
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("merchant", load("merchants.json"), ids=lambda m: m["name"])
def test_merchant_fields_are_consistent(merchant: dict[str, Any]) -> None:
    assert merchant["payment_channel"] in CHANNELS
    assert merchant["countries"] and set(merchant["countries"]) <= set(CURRENCY_OF)
    merchant_currency(merchant)
    low, high = merchant["amount"]["min"], merchant["amount"]["max"]
    assert 0 < low <= high
    assert merchant["website"] is None or "/" not in merchant["website"]
    assert set(PLACEHOLDER.findall(merchant["descriptor"])) <= {"store", "city"}
    recurring = merchant["recurring"]
    if recurring is not None:
        assert set(recurring) == {"frequency", "amount"}
        assert recurring["frequency"] in FREQUENCIES
        assert low <= recurring["amount"] <= high
    if merchant["detailed_category"] == "INCOME_WAGES":
        assert merchant["payment_channel"] == "other"


def test_each_institution_country_has_local_merchants_for_core_categories() -> None:
    countries = {c for i in institutions() for c in i["country_codes"]}
    gaps = [
        (country, category)
        for country in sorted(countries)
        for category in CORE_CATEGORIES
        if not any(
            country in m["countries"] and m["detailed_category"] == category for m in merchants()
        )
    ]
    assert gaps == []


def test_subscriptions_and_bills_are_recurring() -> None:
    must_recur = {
        "Netflix",
        "Spotify",
        "Planet Fitness",
        "PureGym",
        "Verizon Wireless",
        "Comcast Xfinity",
    }
    for m in merchants():
        if m["name"] in must_recur or m["detailed_category"] == "RENT_AND_UTILITIES_RENT":
            assert m["recurring"] is not None, m["name"]
