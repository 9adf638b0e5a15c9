"""TrueLayer Data API v1 objects in the local model: accounts, cards, transactions, standing
orders, direct debits, and the local ids that make re-reading a date window idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from client.providers.model import (
    LocalAccount,
    LocalCard,
    LocalDirectDebit,
    LocalStandingOrder,
    LocalTransaction,
    ProviderCategory,
    TransactionDetails,
    normalise_payee,
)
from client.store.taxonomy import by_subcategory, other_of, primary_of

SOURCE = "truelayer"
ACCOUNTS, CARDS = "accounts", "cards"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,40}$")
_SUBTYPES = {
    "TRANSACTION": "checking",
    "SAVINGS": "savings",
    "BUSINESS_TRANSACTION": "checking",
    "BUSINESS_SAVINGS": "savings",
}
# TrueLayer's transaction_classification (category, sub-category) in the client's taxonomy.
_BY_CLASSIFICATION = {
    ("Shopping", "Groceries"): "FOOD_AND_DRINK_GROCERIES",
    ("Entertainment", "Games"): "ENTERTAINMENT_VIDEO_GAMES",
    ("Bills and Utilities", "Internet"): "RENT_AND_UTILITIES_INTERNET_AND_CABLE",
    ("Bills and Utilities", "Mobile Phone"): "RENT_AND_UTILITIES_TELEPHONE",
}
# Else the top-level classification names the primary category (TrueLayer's sub-categories,
# matched by their words, pick the detailed one: "Fast food" is FOOD_AND_DRINK_FAST_FOOD).
_PRIMARY_BY_CLASSIFICATION = {
    "Food & Dining": "FOOD_AND_DRINK",
    "Shopping": "GENERAL_MERCHANDISE",
    "Auto & Transport": "TRANSPORTATION",
    "Entertainment": "ENTERTAINMENT",
    "Bills and Utilities": "RENT_AND_UTILITIES",
    "Home": "HOME_IMPROVEMENT",
    "Personal Care": "PERSONAL_CARE",
    "Health & Fitness": "MEDICAL",
    "Travel": "TRAVEL",
    "Fees & Charges": "BANK_FEES",
    "Gifts & Donations": "GOVERNMENT_AND_NON_PROFIT",
    "Taxes": "GOVERNMENT_AND_NON_PROFIT",
    "Business Services": "GENERAL_SERVICES",
    "Personal Services": "GENERAL_SERVICES",
    "Education": "GENERAL_SERVICES",
}
# Else TrueLayer's transaction_category; (outflow, inflow) where the direction matters.
_BY_CATEGORY: dict[str, tuple[str, str]] = {
    "ATM": ("TRANSFER_OUT_WITHDRAWAL", "TRANSFER_IN_DEPOSIT"),
    "CASH": ("TRANSFER_OUT_WITHDRAWAL", "TRANSFER_IN_DEPOSIT"),
    "INTEREST": ("BANK_FEES_INTEREST_CHARGE", "INCOME_INTEREST_EARNED"),
    "DIVIDEND": ("INCOME_DIVIDENDS", "INCOME_DIVIDENDS"),
    "FEE_CHARGE": ("BANK_FEES_OTHER_BANK_FEES", "BANK_FEES_OTHER_BANK_FEES"),
    "TRANSFER": ("TRANSFER_OUT_ACCOUNT_TRANSFER", "TRANSFER_IN_ACCOUNT_TRANSFER"),
    "STANDING_ORDER": ("TRANSFER_OUT_ACCOUNT_TRANSFER", "TRANSFER_IN_ACCOUNT_TRANSFER"),
    "PURCHASE": (
        "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
        "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
    ),
    "CREDIT": ("INCOME_OTHER_INCOME", "INCOME_OTHER_INCOME"),
}


def local_id(ns: str, *parts: str) -> str:
    """A connection-scoped local id: readable when the provider's id is short and plain,
    hashed otherwise (the store's id columns hold 100 characters)."""
    *scope, key = parts
    head = hashlib.sha256("\x00".join(scope).encode()).hexdigest()[:10] if scope else ""
    if not _SAFE_KEY.match(key):
        key = "h" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return "-".join(p for p in ("tl", ns, head, key) if p)


def account_id(ns: str, raw_account_id: str) -> str:
    """The local id of a TrueLayer account or card."""
    return local_id(ns, raw_account_id)


def _bank_key(app: str, *identifiers: Any) -> str | None:
    """`LocalAccount.bank_key` from what names an account at its bank, or None when any of
    it is missing: TrueLayer's account ids are new on every connection, these are not. Hashed
    with the app's client id: the store keeps no full account number, and two apps (tenants)
    sharing a store never match each other's accounts."""
    parts = [re.sub(r"[\s-]+", "", str(i or "")).upper() for i in identifiers]
    if not all(parts):
        return None
    return hashlib.sha256("\x00".join([app, *parts]).encode()).hexdigest()


def _account_bank_key(app: str, number: Mapping[str, Any]) -> str | None:
    """An account's `bank_key`: its IBAN, else sort code and number (UK), else routing number
    and number (US)."""
    if number.get("iban"):
        return _bank_key(app, "iban", number["iban"])
    routing = number.get("sort_code") or number.get("routing_number")
    return _bank_key(app, "number", routing, number.get("number"))


def transaction_keys(raws: Iterable[Mapping[str, Any]]) -> list[str]:
    """A stable key per transaction: `normalised_provider_transaction_id`, else
    `provider_transaction_id` (TrueLayer's `transaction_id` may change between calls), else
    the content itself, numbered when the same content occurs twice in one read."""
    seen: Counter[str] = Counter()
    keys = []
    for raw in raws:
        key = raw.get("normalised_provider_transaction_id") or raw.get("provider_transaction_id")
        if not key:
            content = "|".join(
                str(raw.get(f)) for f in ("timestamp", "amount", "currency", "description")
            )
            seen[content] += 1
            key = f"c:{content}#{seen[content]}"
        keys.append(str(key))
    return keys


def money(value: Any) -> Decimal | None:
    """TrueLayer amounts are JSON numbers (some schemas say strings); via str so 0.1 stays 0.1."""
    return None if value is None or value == "" else Decimal(str(value))


def instant(value: str | None) -> dt.datetime | None:
    """ISO 8601 as TrueLayer's providers mix it (no offset, "+00:00", "Z", fractions); an
    instant without an offset is UTC."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def day(value: str | None) -> dt.date | None:
    """The calendar date a timestamp names, as written (not moved to UTC)."""
    return dt.date.fromisoformat(value[:10]) if value else None


def map_account(
    ns: str, raw: Mapping[str, Any], balance: Mapping[str, Any], *, app: str = ""
) -> LocalAccount:
    """A current or savings account with its balance (`overdraft` is the arranged limit;
    `app`: the app's client id, see `_bank_key`)."""
    number = raw.get("account_number") or {}
    digits = number.get("number") or number.get("iban") or ""
    return LocalAccount(
        provider_id=account_id(ns, raw["account_id"]),
        name=raw.get("display_name") or "",
        mask=digits[-4:] or None,
        type="depository",
        subtype=_SUBTYPES.get(raw.get("account_type") or "", "checking"),
        currency=str(raw.get("currency") or balance.get("currency") or "XXX"),
        current=money(balance.get("current")),
        available=money(balance.get("available")),
        limit=money(balance.get("overdraft")),
        official_name=raw.get("display_name"),
        bank_key=_account_bank_key(app, number),
    )


def map_card_account(
    ns: str, raw: Mapping[str, Any], balance: Mapping[str, Any], *, app: str = ""
) -> LocalAccount:
    """A card as a credit account: `current` is what is owed, `limit` the credit limit (`app`:
    the app's client id, see `_bank_key`)."""
    return LocalAccount(
        provider_id=account_id(ns, raw["account_id"]),
        name=raw.get("display_name") or "",
        mask=raw.get("partial_card_number"),
        type="credit",
        subtype="credit card",
        currency=str(raw.get("currency") or balance.get("currency") or "XXX"),
        current=money(balance.get("current")),
        available=money(balance.get("available")),
        limit=money(balance.get("credit_limit")),
        official_name=raw.get("display_name"),
        bank_key=_bank_key(
            app,
            "card",
            raw.get("card_network"),
            raw.get("partial_card_number"),
            raw.get("name_on_card"),
        ),
    )


def map_card(raw: Mapping[str, Any]) -> LocalCard:
    """What a card tells about the card itself."""
    return LocalCard(
        network=raw.get("card_network"),
        card_type=raw.get("card_type"),
        partial_number=raw.get("partial_card_number"),
        name_on_card=raw.get("name_on_card"),
        valid_from=raw.get("valid_from"),
        valid_to=raw.get("valid_to"),
    )


def signed_amount(raw: Mapping[str, Any]) -> Decimal:
    """Money in positive, money out negative, from `transaction_type`: card transactions
    report purchases as positive DEBITs, account transactions as negative ones."""
    amount = abs(money(raw.get("amount")) or Decimal(0))
    return -amount if raw.get("transaction_type") == "DEBIT" else amount


def category_of(raw: Mapping[str, Any], amount: Decimal) -> str | None:
    """The taxonomy key: from the classification pair, else from transaction_category."""
    classified = _classified(tuple(raw.get("transaction_classification") or ())[:2])
    if classified is not None:
        return classified
    out, into = _BY_CATEGORY.get(str(raw.get("transaction_category")), (None, None))
    return out if amount < 0 else into


def _classified(pair: tuple[str, ...]) -> str | None:
    """The taxonomy key of a classification: a known pair; else the sub-category's words under
    the top-level's primary (or under the one primary that has them); else that primary's
    catch-all. None for a top-level classification not listed."""
    if pair in _BY_CLASSIFICATION:
        return _BY_CLASSIFICATION[pair]
    primary = _PRIMARY_BY_CLASSIFICATION.get(pair[0]) if pair else None
    if primary is None:
        return None
    words = re.sub(r"[^A-Z0-9]+", "_", pair[1].upper()).strip("_") if len(pair) > 1 else ""
    keys = by_subcategory().get(words, ())
    if f"{primary}_{words}" in keys:
        return f"{primary}_{words}"
    return keys[0] if len(keys) == 1 else other_of(primary)


def map_transaction(
    ns: str, raw_account_id: str, raw: Mapping[str, Any], key: str, *, pending: bool
) -> LocalTransaction:
    """A settled or pending TrueLayer transaction in local form (key: `transaction_keys`)."""
    amount = signed_amount(raw)
    posted = day(raw.get("timestamp"))
    if posted is None:
        raise ValueError(f"transaction {raw.get('transaction_id')!r} has no timestamp")
    meta = dict(raw.get("meta") or {})
    currency = str(raw.get("currency") or "XXX")
    classification = tuple(raw.get("transaction_classification") or ())
    category = category_of(raw, amount)
    ids = {
        k: raw[k]
        for k in ("transaction_id", "normalised_provider_transaction_id", "provider_transaction_id")
        if raw.get(k)
    }
    running = raw.get("running_balance") or {}
    details = TransactionDetails(
        merchant_name=raw.get("merchant_name"),
        location={"address": meta["address"]} if meta.get("address") else {},
        payment_meta={**ids, **meta, "running_balance": running.get("amount")}
        if running
        else {**ids, **meta},
        payment_channel="online" if meta.get("location") == "INTERNET" else None,
        category=ProviderCategory(
            primary=primary_of(category),
            detailed=category,
            legacy_path=classification,
            legacy_id=raw.get("transaction_category"),
        ),
        posted_at=instant(raw.get("timestamp")),
        transaction_code=meta.get("provider_transaction_category"),
        iso_currency_code=currency,
        original_description=raw.get("description"),
    )
    return LocalTransaction(
        provider_id=local_id(ns, raw_account_id, key),
        account_provider_id=account_id(ns, raw_account_id),
        amount=amount,
        currency=currency,
        date=posted,
        description=raw.get("description") or "",
        payee=normalise_payee(raw.get("merchant_name") or raw.get("description")),
        category=category,
        pending=pending,
        source=SOURCE,
        details=details,
    )


def map_standing_order(raw: Mapping[str, Any]) -> LocalStandingOrder:
    """A standing order; the open end TrueLayer writes as 9999-12-31 is no final date."""
    final = day(raw.get("final_payment_date"))
    return LocalStandingOrder(
        frequency=str(raw.get("frequency") or ""),
        status=str(raw.get("status") or ""),
        currency=str(raw.get("currency") or "XXX"),
        reference=raw.get("reference"),
        payee=raw.get("payee"),
        next_date=day(raw.get("next_payment_date")),
        next_amount=money(raw.get("next_payment_amount")),
        first_date=day(raw.get("first_payment_date")),
        first_amount=money(raw.get("first_payment_amount")),
        final_date=None if final is None or final.year == 9999 else final,
        final_amount=money(raw.get("final_payment_amount"))
        if final and final.year < 9999
        else None,
    )


def map_direct_debit(raw: Mapping[str, Any]) -> LocalDirectDebit:
    """A direct-debit mandate with its last collection."""
    meta = raw.get("meta") or {}
    return LocalDirectDebit(
        name=str(raw.get("name") or ""),
        status=str(raw.get("status") or ""),
        currency=raw.get("currency"),
        mandate_id=meta.get("provider_mandate_identification"),
        previous_at=instant(raw.get("previous_payment_timestamp")),
        previous_amount=money(raw.get("previous_payment_amount")),
    )
