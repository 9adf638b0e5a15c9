"""The local transaction/account model shared by every provider and the CSV format."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Sign convention of the local model: money into the account is positive, money out is
# negative (the opposite of Plaid, which reports outflows as positive).


@dataclass(frozen=True)
class LocalAccount:
    """An account as the app sees it, whatever the provider."""

    provider_id: str
    name: str
    mask: str | None
    type: str
    subtype: str | None
    currency: str
    current: Decimal | None
    available: Decimal | None
    limit: Decimal | None
    official_name: str | None = None
    # What names the account at its bank whichever connection reads it (TrueLayer's IBAN, or
    # sort code and number; a card's network, last digits and holder), hashed; None when the
    # provider says nothing that stable. A re-link of the same account finds it by this.
    bank_key: str | None = None


@dataclass(frozen=True)
class Counterparty:
    """A party to the transaction (merchant, marketplace, payment processor, income source)."""

    name: str
    type: str | None = None
    entity_id: str | None = None
    logo_url: str | None = None
    website: str | None = None
    confidence_level: str | None = None


@dataclass(frozen=True)
class ProviderCategory:
    """The provider's own classification: a two-level code with its icon, plus a legacy path."""

    primary: str | None = None
    detailed: str | None = None
    confidence_level: str | None = None
    icon_url: str | None = None
    legacy_path: tuple[str, ...] = ()
    legacy_id: str | None = None


@dataclass(frozen=True)
class TransactionDetails:
    """Everything else the provider says that an app shows or reconciles with."""

    merchant_name: str | None = None
    merchant_entity_id: str | None = None
    logo_url: str | None = None
    website: str | None = None
    counterparties: tuple[Counterparty, ...] = ()
    location: Mapping[str, Any] = field(default_factory=dict)
    payment_meta: Mapping[str, Any] = field(default_factory=dict)
    payment_channel: str | None = None
    category: ProviderCategory = field(default_factory=ProviderCategory)
    authorized_at: dt.datetime | None = None
    posted_at: dt.datetime | None = None
    check_number: str | None = None
    transaction_code: str | None = None
    iso_currency_code: str | None = None
    unofficial_currency_code: str | None = None
    original_description: str | None = None
    account_owner: str | None = None


@dataclass(frozen=True)
class LocalTransaction:
    """A transaction in the app's format: signed Decimal amount, payee, category key.

    `category` is a key of the client's category taxonomy (Plaid's personal finance
    categories, e.g. ``FOOD_AND_DRINK_COFFEE``), or None when the provider gave none."""

    provider_id: str
    account_provider_id: str
    amount: Decimal
    currency: str
    date: dt.date
    description: str
    payee: str | None
    category: str | None
    pending: bool
    authorized_date: dt.date | None = None
    pending_provider_id: str | None = None
    source: str = "plaid"
    details: TransactionDetails = field(default_factory=TransactionDetails)


_NOISE = re.compile(r"[#*]+|\b\d{4,}\b|\s{2,}")
_SPACES = re.compile(r"\s+")
# What ``str.title`` capitalises after an apostrophe that ends a word: "'s", "'t", "'ll".
_APOSTROPHE_ENDING = re.compile(r"(?<=\w['\u2019])(\w{1,2})\b")


@functools.lru_cache(maxsize=4096)
def normalise_payee(raw: str | None) -> str | None:
    """One spelling per payee ("UBER 063015 SF**POOL**" -> "Uber Sf Pool") so rules can match.

    Words are title-cased, but a word's apostrophe ending stays lower case ("MCDONALD'S" ->
    "Mcdonald's", not ``str.title``'s "Mcdonald'S"), while a name after one keeps its capital
    ("O'Reilly"). Cached: a sync page names the same merchants again and again."""
    if not raw:
        return None
    cleaned = _NOISE.sub(" ", raw).strip(" -.")
    cleaned = _SPACES.sub(" ", cleaned).title()
    return _APOSTROPHE_ENDING.sub(lambda ending: ending.group(1).lower(), cleaned) or None


@dataclass(frozen=True)
class LocalCard:
    """What a card account says about the card itself (never the full number)."""

    network: str | None
    card_type: str | None
    partial_number: str | None
    name_on_card: str | None
    valid_from: str | None  # YYYY-MM
    valid_to: str | None


@dataclass(frozen=True)
class LocalStandingOrder:
    """A payment the account holder set up to repeat (open-ended ones have no final date)."""

    frequency: str
    status: str
    currency: str
    reference: str | None = None
    payee: str | None = None
    next_date: dt.date | None = None
    next_amount: Decimal | None = None
    first_date: dt.date | None = None
    first_amount: Decimal | None = None
    final_date: dt.date | None = None
    final_amount: Decimal | None = None


@dataclass(frozen=True)
class LocalDirectDebit:
    """A mandate that lets a payee collect from the account."""

    name: str
    status: str
    currency: str | None = None
    mandate_id: str | None = None
    previous_at: dt.datetime | None = None
    previous_amount: Decimal | None = None
