"""JSON shapes of the API's resources: amounts as decimal strings, dates and times in ISO 8601.

An amount is signed from the account holder's side: negative is money out (a debit), positive
money in (a credit), whatever the provider's convention.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from client.app.service import SyncState
from client.books.queries import TransactionView
from client.notify import advice_for
from client.providers.truelayer import TrueLayerProvider
from client.store.models import Account, Connection, ConnectionStatus, SyncRun

Json = dict[str, Any]
# Failures Plaid says end with the user signing in again through Link's update mode, once
# they have done something at the bank (ITEM_LOCKED: unlocked the account there).
UPDATE_MODE_CODES = frozenset({"ITEM_LOCKED"})


def money(value: Decimal | None) -> str | None:
    """A decimal string with two places at least (`"-12.50"`), or None."""
    if value is None:
        return None
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)


def instant(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def action_for(conn: Connection) -> str | None:
    """What the user can do next in this app: `reconnect`, `retry` or nothing. Nothing for a
    TrueLayer connection: this app reconnects and syncs Plaid Items only (both answer 409
    there); the app that embeds `TrueLayerSync` renews or syncs it."""
    if conn.provider == TrueLayerProvider.name:
        return None
    return _remedy(conn)


def _remedy(conn: Connection) -> str | None:
    """What the connection's status calls for, whichever app can do it."""
    if conn.status in (ConnectionStatus.LOGIN_REQUIRED, ConnectionStatus.DISCONNECTED):
        return "reconnect"
    if conn.status == ConnectionStatus.ERROR and conn.last_error_code in UPDATE_MODE_CODES:
        return "reconnect"
    if conn.status == ConnectionStatus.ERROR:
        return "retry"
    return None


def needs_you(conn: Connection) -> bool:
    """A problem to raise on the overview (a TrueLayer connection's too): not a connection the
    user disconnected on purpose (its token forgotten); one the bank disconnected (token kept,
    Item gone) is."""
    deliberate = conn.status == ConnectionStatus.DISCONNECTED and conn.access_token_enc is None
    return _remedy(conn) is not None and not deliberate


def connection(conn: Connection, state: SyncState | None = None) -> Json:
    """A connection with its status, last sync, error and advice."""
    error = None
    if conn.last_error_code:
        error = {
            "code": conn.last_error_code,
            "message": conn.last_error_message,
            "advice": advice_for(conn.last_error_code, paused=conn.paused),
        }
    return {
        "id": conn.id,
        "provider": conn.provider,
        "institution_id": conn.institution_id,
        "institution_name": conn.institution_name,
        "status": conn.status,
        "paused": conn.paused,
        "schedule": conn.schedule,
        "last_sync_at": instant(conn.last_sync_at),
        "last_success_at": instant(conn.last_success_at),
        "consent_expires_at": instant(conn.consent_expires_at),
        "created_at": instant(conn.created_at),
        "error": error,
        "action": action_for(conn),
        "sync": sync(state) if state is not None else None,
    }


def account(acc: Account) -> Json:
    """An account with its balances."""
    return {
        "id": acc.id,
        "connection_id": acc.connection_id,
        "institution_id": acc.institution_id,
        "name": acc.name,
        "official_name": acc.official_name,
        "mask": acc.mask,
        "type": acc.type,
        "subtype": acc.subtype,
        "currency": acc.currency,
        "balances": {
            "current": money(acc.current),
            "available": money(acc.available),
            "limit": money(acc.credit_limit),
            "as_of": instant(acc.balance_at),
        },
    }


def limits(acc: Account) -> Json | None:
    """Credit limit, credit left and utilisation, for accounts that have a limit."""
    if acc.credit_limit is None:
        return None
    owed = acc.current or Decimal(0)
    used = (owed / acc.credit_limit * 100).quantize(Decimal("0.1")) if acc.credit_limit else None
    return {
        "credit_limit": money(acc.credit_limit),
        "available_credit": money(acc.credit_limit - owed),
        "utilization_percent": str(used) if used is not None else None,
    }


def statement(data: Json | None) -> Json | None:
    """The derived statement of the last full month."""
    if data is None:
        return None
    return {k: instant(v) if isinstance(v, dt.date) else money(v) for k, v in data.items()}


def history(points: list[tuple[dt.date, Decimal]]) -> list[Json]:
    """Balance history points."""
    return [{"date": day.isoformat(), "balance": money(value)} for day, value in points]


def transaction(t: TransactionView) -> Json:
    """A transaction as the user should see it (their category and payee win)."""
    return {
        "id": t.id,
        "account_id": t.account_id,
        "date": t.date.isoformat(),
        "authorized_date": instant(t.authorized_date),
        "amount": money(t.amount),
        "currency": t.currency,
        "type": "debit" if t.amount < 0 else "credit",
        "status": "pending" if t.pending else "posted",
        "description": t.description,
        "payee": t.payee,
        "merchant_name": t.merchant_name,
        "category": t.category,
        "category_kind": t.kind,
        "payment_channel": t.payment_channel,
        "notes": t.notes,
    }


def run(r: SyncRun) -> Json:
    """One sync run."""
    return {
        "id": r.id,
        "connection_id": r.connection_id,
        "trigger": r.trigger,
        "started_at": instant(r.started_at),
        "finished_at": instant(r.finished_at),
        "pages": r.pages,
        "added": r.added,
        "modified": r.modified,
        "removed": r.removed,
        "duration_seconds": r.duration,
        "error": {"code": r.error_code, "message": r.error_message} if r.error_code else None,
    }


def sync(state: SyncState) -> Json:
    """A connection's sync state and its newest run."""
    return {"state": state.state, "run": run(state.run) if state.run else None}
