"""The plastic behind a credit-card account: network, last digits, holder and validity.

Like an account's numbers, these derive from the login's data key, so re-linking the same
user shows the same card; the last four digits are the account's mask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .accounts import owner
from .ledger.model import ANCHOR, add_months
from .models import Account
from .seeding import rng_for

NETWORKS = ("visa", "mastercard")
CHARGE_CARD_BANKS = {"American Express": "amex"}  # charge cards on their own network
VALID_YEARS = 4


@dataclass(frozen=True)
class PaymentCard:
    """What is printed on a card (``network`` and ``card_type`` in lower case, our words)."""

    account: Account
    network: str
    card_type: str  # "credit" or "charge"
    last_four: str
    holder: str
    valid_from: dt.date  # the first day of the month printed as "valid from"
    valid_to: dt.date  # the first day of the month printed as "expires end"


def is_card(account: Account) -> bool:
    """Whether the account is a payment card (credit cards; loans and deposits are not)."""
    return account.type == "credit" and account.subtype == "credit card"


def describe(
    account: Account, data_key: tuple[object, ...], country: str, institution: str
) -> PaymentCard:
    """The card of ``account`` for the login ``data_key`` at ``institution``."""
    rng = rng_for(*data_key, "card", account.ordinal)
    drawn = rng.choice(NETWORKS)  # drawn first, so a persona's own network keeps the dates
    given = str((account.details or {}).get("network") or "").lower() or None
    network = given or CHARGE_CARD_BANKS.get(institution) or drawn
    issued = add_months(ANCHOR, -rng.randint(3, 30), 1)
    return PaymentCard(
        account=account,
        network=network,
        card_type="charge" if institution in CHARGE_CARD_BANKS else "credit",
        last_four=account.mask or "0000",
        holder=owner(data_key, country)["names"][0].upper(),
        valid_from=issued,
        valid_to=add_months(issued, VALID_YEARS * 12 - 1, 1),
    )
