"""What each Plaid item webhook does to a connection (run by a worker, never in the request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from client.notify import Notification, advice_for
from client.schedule.reminders import remind
from client.sync.connections import BankSync

Event = dict[str, Any]
SYNC_CODES = frozenset(
    {
        "SYNC_UPDATES_AVAILABLE",
        "DEFAULT_UPDATE",
        "INITIAL_UPDATE",
        "HISTORICAL_UPDATE",
        "TRANSACTIONS_REMOVED",
    }
)


def _error(bank: BankSync, cid: int, event: Event) -> str:
    """ITEM/ERROR: record the error and tell the user what to do."""
    error = event.get("error") or {}
    code = str(error.get("error_code") or "")
    bank.set_error_from_webhook(cid, error)
    kind = "login_required" if code == "ITEM_LOGIN_REQUIRED" else "sync_failed"
    bank.notifier(Notification(kind, cid, advice_for(code), error_code=code))
    return "error_recorded"


def _repaired(bank: BankSync, cid: int, _event: Event) -> str:
    """LOGIN_REPAIRED: confirm with the provider, then catch up."""
    return "repaired" if bank.mark_repaired(cid) else "still_broken"


def _deadline(bank: BankSync, cid: int, event: Event) -> str:
    """PENDING_EXPIRATION / PENDING_DISCONNECT: keep the deadline and remind the user now."""
    text = event.get("consent_expiration_time") or event.get("disconnect_time")
    if not text:
        return "ignored"
    when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    bank.set_consent_deadline(cid, when)
    remind(bank.store, bank.notifier, cid, when, str(event["webhook_code"]))
    return "reminded"


def _new_accounts(bank: BankSync, cid: int, _event: Event) -> str:
    """NEW_ACCOUNTS_AVAILABLE: an update-mode link where the user picks the new accounts."""
    link = bank.repair_link(cid, account_selection=True)
    text = "New accounts are available at your bank: choose which ones to share."
    bank.notifier(Notification("new_accounts", cid, text, url=link.url))
    return "account_selection_link"


def _permission_revoked(bank: BankSync, cid: int, event: Event) -> str:
    """USER_PERMISSION_REVOKED: the whole Item is gone until the user connects again."""
    code = "USER_PERMISSION_REVOKED"
    bank.set_error_from_webhook(cid, {**(event.get("error") or {}), "error_code": code})
    bank.notifier(Notification("access_revoked", cid, advice_for(code), error_code=code))
    return "revoked"


def _account_revoked(bank: BankSync, cid: int, event: Event) -> str:
    """USER_ACCOUNT_REVOKED: one account stops syncing; its history stays."""
    account = event.get("account_id") or "an account"
    text = f"Access to {account} was revoked at the bank; its history is kept."
    bank.notifier(Notification("access_revoked", cid, text, error_code="USER_ACCOUNT_REVOKED"))
    return "account_revoked"


HANDLERS: dict[str, Callable[[BankSync, int, Event], str]] = {
    "ERROR": _error,
    "LOGIN_REPAIRED": _repaired,
    "PENDING_EXPIRATION": _deadline,
    "PENDING_DISCONNECT": _deadline,
    "NEW_ACCOUNTS_AVAILABLE": _new_accounts,
    "USER_PERMISSION_REVOKED": _permission_revoked,
    "USER_ACCOUNT_REVOKED": _account_revoked,
}


def handle_item_event(bank: BankSync, cid: int, event: Event) -> str:
    """Run the handler of one ITEM webhook for its connection (the receiver resolved the
    item when it queued the job); returns the action's name."""
    handler = HANDLERS.get(str(event.get("webhook_code")))
    if handler is None:
        return "ignored"
    return handler(bank, cid, event)
