"""Transactions Enrich: what Plaid's enrichment says of a raw transaction an app already holds.

``/transactions/enrich`` takes an app's own rows (a description, an amount, a direction) and
answers what Plaid's pipeline would: the merchant, its entity, logo and website, the
personal finance category, the channel and the place. The sandbox recognises what its own
ledger writes: each merchant of ``seeds/merchants.json`` by its statement descriptor (the
template the ledger fills, ``STARBUCKS STORE #{store}``, read back with the store number and
city), or else by its name or website in the text; rows no merchant explains (payroll,
transfers, fees, card and loan payments) by the words the ledger and real banks use for them;
and whatever is left by its MCC, then by its direction. So enriching a row of
``/transactions/get`` gives back the merchant and category that row already carries.

Pure functions of the request: nothing is read from or written to the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .categories import Category, categorize, is_known
from .ledger.catalogue import merchants
from .ledger.entities import Entity, merchant_entity

# A listing's countries by the transaction's currency: a brand trading in several countries
# has a listing (and a local website) per market.
COUNTRIES_OF_CURRENCY = {
    "USD": ("US",),
    "CAD": ("CA",),
    "GBP": ("GB",),
    "EUR": ("DE", "FR", "NL"),
}
# Catalogue merchants that move money between people: their counterparty is a payment app.
PAYMENT_APPS = frozenset({"Zelle", "Venmo"})
# How sure the match is, in Plaid's words: a descriptor read back whole; a name or website in
# the text; a keyword or MCC; nothing but the direction.
DESCRIPTOR, NAME, KEYWORD, DIRECTION = "VERY_HIGH", "HIGH", "MEDIUM", "LOW"


@dataclass(frozen=True)
class RawTransaction:
    """One of the app's rows, as ``ClientProvidedTransaction`` gives it."""

    description: str
    direction: str  # INFLOW or OUTFLOW
    iso_currency_code: str
    account_type: str  # depository or credit
    mcc: str | None = None
    location: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Enrichment:
    """What the sandbox recognised in one row."""

    category: Category
    confidence: str
    payment_channel: str
    merchant_name: str | None = None
    entity: Entity | None = None
    website: str | None = None
    counterparty_type: str | None = None  # merchant, income_source, payment_app, ...
    location: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Descriptor:
    """A catalogue listing and the pattern that reads its descriptor back."""

    merchant: dict[str, Any]
    pattern: re.Pattern[str]
    name: re.Pattern[str]


def _normal(text: str) -> str:
    """Upper case with single spaces: descriptors are matched as statements print them."""
    return " ".join(text.upper().split())


def _template_pattern(template: str) -> re.Pattern[str]:
    """``STARBUCKS STORE #{store}`` → a pattern taking the store number and city when there
    (the ledger writes ``#1234`` for a store, nothing for an online shop); a city follows a
    space, so ``PAUL {city}`` does not read ``PAULA``."""
    pieces = []
    for part in re.split(r"(#?\{store\}|\{city\}|\s+)", template):
        if part in ("{store}", "#{store}"):
            pieces.append(r"(?:#?(?P<store>[0-9]+))?")
        elif part == "{city}":
            pieces.append(r"(?:(?<=\s)(?P<city>[A-Z][A-Z .'-]*))?")
        elif part.isspace():
            pieces.append(r"\s*")
        elif part:
            pieces.append(re.escape(part.upper()))
    return re.compile(r"(?<![A-Z0-9])" + "".join(pieces) + r"(?![A-Z0-9])")


def _words(text: str) -> re.Pattern[str]:
    """``text`` as whole words anywhere in a description."""
    return re.compile(rf"(?<![A-Z0-9]){re.escape(_normal(text))}(?![A-Z0-9])")


@cache
def _descriptors() -> tuple[_Descriptor, ...]:
    return tuple(
        _Descriptor(m, _template_pattern(m["descriptor"]), _words(m["name"])) for m in merchants()
    )


@dataclass(frozen=True)
class _Rule:
    """Words that name a kind of row no merchant explains, with its category each way."""

    words: re.Pattern[str]
    inflow: str
    outflow: str
    counterparty: tuple[str, str] | None = None  # (name, type) of a payment app


# A plural (``FEES``, ``DIVIDENDS``) of a keyword's last word: every alternative takes one, so a
# rule names a word once. Only ``S`` and ``ES``: a looser ending would read other words
# (``FEED`` is no fee). The other forms banks print are spelt where a rule needs them:
# ``SALARIES``, ``DEPOSITED``, and a transfer's inside a phrase, written with ``TRANSFER_WORDS``
# (TRANSFER, TRANSFERS, TRANSFERRED, TRANSFERRING, XFER, XFERS).
PLURAL = "(?:E?S)?"
TRANSFER_WORDS = "(?:TRANSFER(?:S|RED|RING)?|XFERS?)"


def _keyword(words: str) -> re.Pattern[str]:
    """``words``, a pattern of alternatives (``RENT|LEASE``), each matched as whole words (a
    letter on neither side: ``PLEASE`` is no lease) or as their plural (``LEASES``)."""
    return re.compile(rf"(?<![A-Z])(?:{words}){PLURAL}(?![A-Z])")


def _rule(words: str, inflow: str, outflow: str | None = None, app: str | None = None) -> _Rule:
    """A rule of ``words`` (:func:`_keyword`), with its categories each way."""
    counterparty = (app, "payment_app") if app else None
    return _Rule(_keyword(words), inflow, outflow or inflow, counterparty)


# First match wins, so the narrower words come first (a savings transfer before a transfer).
# Compiled at the first enrich, as the descriptors are: a start of the server never needs them.
@cache
def _rules() -> tuple[_Rule, ...]:
    return (
        _rule("PAYPAL", "TRANSFER_IN_ACCOUNT_TRANSFER", "TRANSFER_OUT_ACCOUNT_TRANSFER", "PayPal"),
        _rule(
            "CASH APP", "TRANSFER_IN_ACCOUNT_TRANSFER", "TRANSFER_OUT_ACCOUNT_TRANSFER", "Cash App"
        ),
        _rule("PAYROLL|DIRECT DEP(?:OSIT)?|SALAR(?:Y|IES)|SALARIS|GEHALT|PAYCHECK", "INCOME_WAGES"),
        _rule("OVERDRAFT", "BANK_FEES_OVERDRAFT_FEES"),
        _rule("NSF|INSUFFICIENT FUNDS", "BANK_FEES_INSUFFICIENT_FUNDS"),
        _rule("ATM FEE", "BANK_FEES_ATM_FEES"),
        _rule("FOREIGN TRANSACTION FEE", "BANK_FEES_FOREIGN_TRANSACTION_FEES"),
        _rule("FEE", "BANK_FEES_OTHER_BANK_FEES"),
        _rule("INTEREST", "INCOME_INTEREST_EARNED", "BANK_FEES_INTEREST_CHARGE"),
        _rule("DIVIDEND", "INCOME_DIVIDENDS", "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS"),
        _rule("TAX REFUND|IRS TREAS", "INCOME_TAX_REFUND", "GOVERNMENT_AND_NON_PROFIT_TAX_PAYMENT"),
        _rule("ATM", "TRANSFER_IN_DEPOSIT", "TRANSFER_OUT_WITHDRAWAL"),
        _rule("CREDIT CARD|AUTOPAY", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
        _rule("MORTGAGE", "LOAN_PAYMENTS_MORTGAGE_PAYMENT"),
        _rule("STUDENT LOAN|STUDENT", "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT"),
        _rule("AUTO LOAN|AUTO", "LOAN_PAYMENTS_CAR_PAYMENT"),
        _rule("LOAN", "LOAN_PAYMENTS_OTHER_PAYMENT"),
        _rule(
            f"{TRANSFER_WORDS} (?:TO|FROM) .*(?:IRA|401K|ROTH|BROKERAGE|INVEST(?:MENTS?)?)",
            "TRANSFER_IN_INVESTMENT_AND_RETIREMENT_FUNDS",
            "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS",
        ),
        _rule(
            f"{TRANSFER_WORDS} (?:TO SAV(?:INGS)?|FROM CHK|FROM CHECKING)",
            "TRANSFER_IN_SAVINGS",
            "TRANSFER_OUT_SAVINGS",
        ),
        _rule(TRANSFER_WORDS, "TRANSFER_IN_ACCOUNT_TRANSFER", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
        _rule("RENT|LEASE", "TRANSFER_IN_OTHER_TRANSFER_IN", "RENT_AND_UTILITIES_RENT"),
        _rule("DEPOSIT(?:ED)?", "TRANSFER_IN_DEPOSIT", "TRANSFER_OUT_OTHER_TRANSFER_OUT"),
    )


# A card payment as the card's statement shows it (an inflow to a credit account).
CARD_PAYMENT = _keyword("PAYMENT")

# Merchant category codes (ISO 18245) of the kinds the catalogue sells, by range.
MCC_CATEGORIES = (
    (range(3000, 3300), "TRAVEL_FLIGHTS", "in store"),
    (range(3500, 3800), "TRAVEL_LODGING", "in store"),
    (range(4111, 4112), "TRANSPORTATION_PUBLIC_TRANSIT", "in store"),
    (range(4121, 4122), "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "in store"),
    (range(4511, 4512), "TRAVEL_FLIGHTS", "in store"),
    (range(4814, 4815), "RENT_AND_UTILITIES_TELEPHONE", "other"),
    (range(4899, 4900), "RENT_AND_UTILITIES_INTERNET_AND_CABLE", "other"),
    (range(4900, 4901), "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", "other"),
    (range(5411, 5412), "FOOD_AND_DRINK_GROCERIES", "in store"),
    (range(5541, 5543), "TRANSPORTATION_GAS", "in store"),
    (range(5732, 5733), "GENERAL_MERCHANDISE_ELECTRONICS", "in store"),
    (range(5812, 5814), "FOOD_AND_DRINK_RESTAURANT", "in store"),
    (range(5814, 5815), "FOOD_AND_DRINK_FAST_FOOD", "in store"),
    (range(5912, 5913), "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", "in store"),
    (range(5942, 5943), "GENERAL_MERCHANDISE_BOOKSTORES_AND_NEWSSTANDS", "in store"),
    (range(6011, 6012), "TRANSFER_OUT_WITHDRAWAL", "other"),
    (range(7011, 7012), "TRAVEL_LODGING", "in store"),
    (range(7230, 7231), "PERSONAL_CARE_HAIR_AND_BEAUTY", "in store"),
    (range(7997, 7998), "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS", "in store"),
    (range(8011, 8050), "MEDICAL_PRIMARY_CARE", "in store"),
)
# Nothing recognised: what the direction alone suggests.
UNKNOWN = {
    "INFLOW": "TRANSFER_IN_OTHER_TRANSFER_IN",
    "OUTFLOW": "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
}


def enrich_transaction(raw: RawTransaction) -> Enrichment:
    """Plaid's enrichment of one row: a merchant, else a keyword, an MCC, the direction."""
    text = _normal(raw.description)
    return (
        _by_merchant(raw, text)
        or _by_keyword(raw, text)
        or _by_mcc(raw)
        or Enrichment(categorize(UNKNOWN[raw.direction]), DIRECTION, "other", location=_place(raw))
    )


def _by_merchant(raw: RawTransaction, text: str) -> Enrichment | None:
    """The best catalogue listing for ``text``: a descriptor read back beats a name or
    website; then the longer match, then a listing trading in the currency's country."""
    local = COUNTRIES_OF_CURRENCY.get(raw.iso_currency_code, ())
    best: tuple[tuple[int, int, bool], _Descriptor, re.Match[str]] | None = None
    for listing in _descriptors():
        merchant = listing.merchant
        found = listing.pattern.search(text) or listing.name.search(text)
        if found is None and merchant["website"]:
            found = re.search(re.escape(_normal(merchant["website"])), text)
        if found is None:
            continue
        rank = (
            found.re is listing.pattern,
            len(found.group(0)),
            bool(set(merchant["countries"]) & set(local)),
        )
        if best is None or rank > best[0]:
            best = (rank, listing, found)
    if best is None:
        return None
    (whole, _, _), listing, found = best
    merchant = listing.merchant
    entity = merchant_entity(merchant["name"])
    income = merchant["detailed_category"].startswith("INCOME")
    return Enrichment(
        category=categorize(_directed(merchant["detailed_category"], raw.direction)),
        confidence=DESCRIPTOR if whole else NAME,
        payment_channel=merchant["payment_channel"],
        merchant_name=merchant["name"],
        entity=entity,
        website=merchant["website"] or (entity.website if entity else None),
        counterparty_type=(
            "income_source"
            if income
            else "payment_app"
            if merchant["name"] in PAYMENT_APPS
            else "merchant"
        ),
        location=_place(raw, found.groupdict() if whole else {}),
    )


# (the prefix that is wrong, the one that is right) for money going each way
TURNED = {"INFLOW": ("TRANSFER_OUT_", "TRANSFER_IN_"), "OUTFLOW": ("TRANSFER_IN_", "TRANSFER_OUT_")}


def _directed(detailed: str, direction: str) -> str:
    """A transfer category turned the way the money went (Zelle or Venmo, in or out)."""
    wrong, right = TURNED[direction]
    if not detailed.startswith(wrong):
        return detailed
    flipped = right + detailed.removeprefix(wrong)
    return flipped if is_known(flipped) else f"{right}OTHER_{right.removesuffix('_')}"


def _by_keyword(raw: RawTransaction, text: str) -> Enrichment | None:
    """A row the words explain: payroll, a transfer, a fee, a card or loan payment."""
    if raw.account_type == "credit" and raw.direction == "INFLOW" and CARD_PAYMENT.search(text):
        return Enrichment(
            categorize("LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"), KEYWORD, "other", location=_place(raw)
        )
    rule = next((r for r in _rules() if r.words.search(text)), None)
    if rule is None:
        return None
    detailed = rule.inflow if raw.direction == "INFLOW" else rule.outflow
    name, kind = rule.counterparty or (None, None)
    return Enrichment(
        categorize(detailed),
        KEYWORD,
        "other",
        merchant_name=name,
        counterparty_type=kind,
        location=_place(raw),
    )


def _by_mcc(raw: RawTransaction) -> Enrichment | None:
    """A row its merchant category code explains (no merchant named)."""
    if not raw.mcc:
        return None
    code = int(raw.mcc)
    found = next(((c, channel) for codes, c, channel in MCC_CATEGORIES if code in codes), None)
    if found is None:
        return None
    return Enrichment(categorize(found[0]), KEYWORD, found[1], location=_place(raw))


def _place(raw: RawTransaction, read: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The app's own location, with the store number (and city) the descriptor gave."""
    place = {key: value for key, value in raw.location.items() if value}
    read = read or {}
    if read.get("store"):
        place["store_number"] = read["store"]
    city = read.get("city")
    if city and "city" not in place:
        place["city"] = city.strip().title()
    return place
