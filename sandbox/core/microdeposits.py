"""Auth verification by automated micro-deposits, as Plaid's sandbox runs it.

``user_good`` / ``microdeposits_good`` links an item whose checking account waits for
Plaid to match its deposits: ``verification_status`` is ``pending_automatic_verification``
and ``/auth/get`` answers ``PRODUCT_NOT_READY`` until ``/sandbox/item/set_verification_status``
moves it to ``automatically_verified`` (numbers released) or ``verification_expired``, or the
tenant clock moves 24 hours past the link (``verify_due``).
The status lives in the account's ``details`` so account replies read it without a query.
"""

from __future__ import annotations

import datetime as dt

from .errors import InvalidAccountId, InvalidField, ProductNotReady
from .models import Account, Item

PASSWORD = "microdeposits_good"
PENDING = "pending_automatic_verification"
# Settable statuses -> the AUTH webhook code each one sends.
SETTABLE = {
    "automatically_verified": "AUTOMATICALLY_VERIFIED",
    "verification_expired": "VERIFICATION_EXPIRED",
}
_KEY = "verification_status"
# Plaid's sandbox matches an automated deposit about a day after the link.
VERIFICATION_DELAY = dt.timedelta(hours=24)


def verification_status(account: Account) -> str | None:
    """The account's ``verification_status`` (None: not a micro-deposit account)."""
    value: str | None = account.details.get(_KEY)
    return value


def start(item: Item) -> None:
    """A fresh automated micro-deposit item: its first checking account waits (Plaid's ••0000)."""
    checking = next((a for a in item.accounts if a.subtype == "checking"), None)
    if checking is not None:
        checking.details = {**checking.details, _KEY: PENDING}


def check_verified(accounts: list[Account]) -> None:
    """``/auth/get`` releases no numbers while a deposit is unmatched (or never was)."""
    if any(verification_status(a) in (PENDING, "verification_expired") for a in accounts):
        raise ProductNotReady()


def verify_due(item: Item, now: dt.datetime) -> list[str]:
    """Verify the item's pending accounts once the delay has passed; returns their ids."""
    if item.created_at + VERIFICATION_DELAY > now:
        return []
    due = [a for a in item.accounts if verification_status(a) == PENDING]
    for account in due:
        account.details = {**account.details, _KEY: "automatically_verified"}
    return [a.id for a in due]


def set_status(item: Item, account_id: str, value: str) -> str:
    """Move the item's pending account to ``value``; returns the AUTH webhook code to send."""
    if value not in SETTABLE:
        raise InvalidField(
            "verification_status must be one of " + ", ".join(sorted(SETTABLE)),
            field="verification_status",
        )
    account = next((a for a in item.accounts if a.id == account_id), None)
    if account is None:
        raise InvalidAccountId(f"account {account_id} not found", field="account_id")
    if verification_status(account) != PENDING:
        raise InvalidField(
            f"account_id {account.id} is not pending automated micro-deposit verification",
            field="account_id",
        )
    account.details = {**account.details, _KEY: value}
    return SETTABLE[value]
