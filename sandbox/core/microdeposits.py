"""Auth verification by automated micro-deposits, as Plaid's sandbox runs it.

``user_good`` / ``microdeposits_good`` links an item whose checking account waits for
Plaid to match its deposits: ``verification_status`` is ``pending_automatic_verification``
and ``/auth/get`` answers ``PRODUCT_NOT_READY`` until ``/sandbox/item/set_verification_status``
moves it to ``automatically_verified`` (numbers released) or ``verification_expired``, or the
tenant clock moves 24 hours past the link (``verify_due``).

Same Day micro-deposits: the user enters routing and account numbers by hand in Link (the
link token's ``auth.same_day_microdeposits_enabled``); the item's one checking account is
``pending_manual_verification`` until the user reopens Link in update mode and types the code
of the deposit's description (sandbox: ``ABC``, any case). Three wrong codes lock it
(``verification_failed``); ``/sandbox/item/set_verification_status`` cannot settle it.
Instant micro-deposits: at a bank that runs them (Plaid's sandbox: Windowpane Bank, routing
``333333334``) and with the link token's ``auth.instant_microdeposits_enabled``, the deposit
lands at once, so Link asks for its code in the same session and the item is made only once
the code is right (``manually_verified``); the same three tries apply, counted on the session.

The status is a column of the account (``Account.verification_status``), so account replies
read it with the account, and so is the flow that set it (``Account.auth_method``: Same Day
and Instant both end ``manually_verified``); the Same Day attempts are kept in its ``details``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from . import database_auth
from .accounts import ShownAccount
from .errors import InvalidAccountId, InvalidField, ProductNotReady
from .models import Account, Item
from .prepared import Prepared

PASSWORD = "microdeposits_good"
PENDING = "pending_automatic_verification"
MANUAL_PENDING = "pending_manual_verification"
# The code of Plaid's sandbox Same Day deposit (``#ABC <client> ACCTVERIFY``), any case.
CODE = "ABC"
# Wrong codes allowed before the account is locked as ``verification_failed``.
MAX_ATTEMPTS = 3
FAILED = "verification_failed"
# Statuses under which ``/auth/get`` releases no numbers.
_NOT_READY = (PENDING, MANUAL_PENDING, "verification_expired", FAILED)
VERIFIED_BY_CODE = "manually_verified"
# Statuses a Same Day account goes through (``manually_verified``: the right code); an Instant
# micro-deposit account is made ``manually_verified``.
_SAME_DAY = (MANUAL_PENDING, VERIFIED_BY_CODE, FAILED)
# Statuses of the accounts whose numbers the user typed into Link (micro-deposits by code,
# Database Insights and Match).
_TYPED = (*_SAME_DAY, *database_auth.STATUSES)
# What an item of numbers typed by hand can do: Plaid links it for Auth (or Transfer) only,
# as there is no login to read balances, transactions or the owner's identity through.
TYPED_ITEM_PRODUCTS = ("auth", "transfer")
# Plaid's ``auth_method`` of each micro-deposit flow.
AUTOMATED, SAME_DAY, INSTANT = (
    "AUTOMATED_MICRODEPOSITS",
    "SAME_DAY_MICRODEPOSITS",
    "INSTANT_MICRODEPOSITS",
)
# Plaid's ``auth_method`` of an account whose typed numbers matched the login's (no deposit).
INSTANT_MATCH = "INSTANT_MATCH"
# Plaid's sandbox Instant micro-deposits: Windowpane Bank, its test routing number.
INSTANT_INSTITUTION, INSTANT_ROUTING = "ins_135858", "333333334"
# Settable statuses -> the AUTH webhook code each one sends.
SETTABLE = {
    "automatically_verified": "AUTOMATICALLY_VERIFIED",
    "verification_expired": "VERIFICATION_EXPIRED",
}
_ATTEMPTS = "verification_attempts"
# Plaid's sandbox matches an automated deposit about a day after the link.
VERIFICATION_DELAY = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Typed:
    """How the account of numbers the user typed into Link starts: its ``verification_status``,
    the flow (``auth_method``) and the account holder's name typed with them."""

    status: str
    method: str
    name: str | None = None


def start(
    item: Item, status: str = PENDING, method: str = AUTOMATED, name: str | None = None
) -> None:
    """A fresh micro-deposit (or typed) item: its first checking account (Plaid's ••0000)
    takes the flow's ``status`` and ``method``, and the holder's ``name`` typed in Link."""
    checking = next((a for a in item.accounts if a.subtype == "checking"), None)
    if checking is not None:
        checking.verification_status, checking.auth_method = status, method
        checking.verification_name = name


def match_instantly(item: Item, ordinal: int) -> None:
    """Instant Match verified the item's account ``ordinal`` at once: no status to wait on
    (``verification_status`` stays null), only the method its numbers came by."""
    for account in item.accounts:
        if account.ordinal == ordinal:
            account.auth_method = INSTANT_MATCH


def awaiting_code(item: Item) -> Account | None:
    """The account whose Same Day deposit code the user has still to enter (or None)."""
    return next((a for a in item.accounts if a.verification_status == MANUAL_PENDING), None)


def same_day_account(item: Item) -> Account | None:
    """The item's Same Day micro-deposit account, whatever its code's fate (or None); an
    Instant micro-deposit account, verified by code too, is not one."""
    return next((a for a in item.accounts if a.auth_method == SAME_DAY), None)


def typed_by_hand(accounts: Iterable[ShownAccount]) -> bool:
    """Whether these are an item's accounts whose numbers the user typed into Link (Same Day
    or Instant micro-deposits, Database Insights or Match): such an item's one account
    carries one of those flows' statuses from the start."""
    return any(a.verification_status in _TYPED for a in accounts)


def sms_verification_status(account: Account) -> str:
    """The ``status`` of an ``SMS_MICRODEPOSITS_VERIFICATION`` webhook about ``account``.

    Plaid sends that webhook when the user verifies the code on Plaid's SMS page (Production
    only); ``/sandbox/item/fire_webhook`` fires it, saying how the code has fared so far.
    """
    return "VERIFICATION_FAILED" if account.verification_status == FAILED else "MANUALLY_VERIFIED"


def attempts_left(account: Account) -> int:
    """Wrong codes the user may still enter before the account is locked."""
    used: int = account.details.get(_ATTEMPTS, 0)
    return max(MAX_ATTEMPTS - used, 0)


def check_code(code: str, used: int) -> tuple[bool, int]:
    """Whether ``code`` is the deposit's (any case, spaces around ignored), and the wrong
    tries counted once it is judged (``used`` before it). Every flow that asks for a code
    (Same Day in update mode, Instant in the same session) counts its tries with this."""
    if used >= MAX_ATTEMPTS:
        return False, used  # locked: the right code comes too late
    if code.strip().upper() == CODE:
        return True, used
    return False, used + 1


def enter_code(account: Account, code: str) -> bool:
    """Check the code the user typed: right → ``manually_verified``; the last wrong try
    → ``verification_failed``. Returns whether it was right (a locked account never is)."""
    if account.verification_status != MANUAL_PENDING:
        return False
    right, used = check_code(code, MAX_ATTEMPTS - attempts_left(account))
    if right:
        account.verification_status = VERIFIED_BY_CODE
        return True
    account.details = {**account.details, _ATTEMPTS: used}
    if used >= MAX_ATTEMPTS:
        account.verification_status = FAILED
    return False


def auth_method(products: Iterable[str], method: str | None) -> str | None:
    """Plaid's ``item.auth_method``: how the item's Auth numbers came, null on an item without
    Auth. ``method``: the ``auth_method`` of the item's account verified another way than
    the login (micro-deposits, typed numbers), if it has one; else the numbers came from the
    login (Instant Auth)."""
    if "auth" not in products:
        return None
    return method or "INSTANT_AUTH"


# The method of an item's account verified another way than the login, if it has one: read
# for every reply that shows an item with Auth (``item.auth_method``), on the driver's cursor.
_DEPOSIT_METHOD = Prepared(
    select(Account.auth_method)
    .where(Account.item_pk == bindparam("item_pk"), Account.auth_method.is_not(None))
    .limit(1)
)


def item_auth_method(session: Session, item: Item) -> str | None:
    """``auth_method`` of a stored item; only an item with Auth reads its accounts."""
    if "auth" not in item.products:
        return None
    session.flush()  # a status this call changed is the one read
    row = _DEPOSIT_METHOD.first(session, {"item_pk": item.pk})
    return auth_method(item.products, None if row is None else row[0])


def check_verified(accounts: list[Account]) -> None:
    """``/auth/get`` releases no numbers while a deposit is unmatched (or never was)."""
    if any(a.verification_status in _NOT_READY for a in accounts):
        raise ProductNotReady()


def verify_due(item: Item, now: dt.datetime) -> list[str]:
    """Verify the item's pending accounts once the delay has passed; returns their ids."""
    if item.created_at + VERIFICATION_DELAY > now:
        return []
    due = [a for a in item.accounts if a.verification_status == PENDING]
    for account in due:
        account.verification_status = "automatically_verified"
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
    if account.verification_status != PENDING:
        raise InvalidField(
            f"account_id {account.id} is not pending automated micro-deposit verification",
            field="account_id",
        )
    account.verification_status = value
    return SETTABLE[value]
