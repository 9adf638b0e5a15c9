"""Which webhooks a state change produces, with the facts each carries.

``Bank`` calls these right after the change, in the same transaction, so the outbox row
commits (or rolls back) with its cause. ``fire`` serves ``/sandbox/item/fire_webhook``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import assets, errors, microdeposits
from ..accounts import AUTH_SUBTYPES
from ..liabilities import LIABILITY_SUBTYPES
from ..models import AssetReport, Item, Tenant, Transaction
from . import partners
from .outbox import cancel_removed, emit, retarget_held

if TYPE_CHECKING:
    from ..investments import Extraction, Refresh

INITIAL_WINDOW = dt.timedelta(days=30)
PENDING_EXPIRATION_NOTICE = dt.timedelta(days=7)


def item_linked(session: Session, tenant: Tenant, item: Item, history_wait: dt.timedelta) -> None:
    """A new item with Transactions: ``INITIAL_UPDATE`` now, ``HISTORICAL_UPDATE`` when the
    older history is written (at once if there is none to load)."""
    if not _transactions_watched(session, item):
        return
    since = item.created_at.date() - INITIAL_WINDOW
    partners.send(
        session,
        tenant,
        item,
        "TRANSACTIONS",
        "INITIAL_UPDATE",
        _new(_count(session, item, since)),
        per_account=lambda account_id: _new(_count(session, item, since, account_id)),
    )
    if item.history_pending_through is None:
        history_loaded(session, tenant, item, history_wait)


def history_loaded(
    session: Session, tenant: Tenant, item: Item, history_wait: dt.timedelta
) -> None:
    """The whole requested history is written: ``HISTORICAL_UPDATE``, once ``history_wait``
    (what is left of the historical delay on the tenant clock) has passed."""
    if not _transactions_watched(session, item):
        return
    partners.send(
        session,
        tenant,
        item,
        "TRANSACTIONS",
        "HISTORICAL_UPDATE",
        _new(_count(session, item, None)),
        per_account=lambda account_id: _new(_count(session, item, None, account_id)),
        delay=history_wait,
    )


def sync_started(session: Session, tenant: Tenant, item: Item, history_wait: dt.timedelta) -> None:
    """Sync added Transactions to the item: ``SYNC_UPDATES_AVAILABLE`` twice (plaid.md §4)."""
    code = ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    partners.send(session, tenant, item, *code, _sync(historical=False))
    partners.send(session, tenant, item, *code, _sync(True), delay=history_wait)


def transactions_changed(session: Session, tenant: Tenant, item: Item, since_seq: int) -> None:
    """New, posted or removed transactions since change-log position ``since_seq`` (a
    partner hears of its account's changes only)."""
    if item.change_seq <= since_seq or "transactions" not in item.products:
        return
    rows = list(
        session.scalars(
            select(Transaction).where(
                Transaction.item_pk == item.pk, Transaction.updated_seq > since_seq
            )
        )
    )
    added = _by_account([r for r in rows if r.created_seq > since_seq and not r.removed])
    removed = _by_account([r for r in rows if r.removed and r.created_seq <= since_seq])
    if added:
        partners.send(
            session,
            tenant,
            item,
            "TRANSACTIONS",
            "DEFAULT_UPDATE",
            _new(sum(len(ids) for ids in added.values())),
            per_account=lambda account_id: (
                _new(len(added[account_id])) if account_id in added else None
            ),
        )
    if removed:
        partners.send(
            session,
            tenant,
            item,
            "TRANSACTIONS",
            "TRANSACTIONS_REMOVED",
            _removed([i for ids in removed.values() for i in ids]),
            per_account=lambda account_id: (
                _removed(removed[account_id]) if account_id in removed else None
            ),
        )
    if item.sync_called:
        changed = _by_account(rows)
        partners.send(
            session,
            tenant,
            item,
            "TRANSACTIONS",
            "SYNC_UPDATES_AVAILABLE",
            _sync(True),
            per_account=lambda account_id: _sync(True) if account_id in changed else None,
        )


def auth_verification(
    session: Session, tenant: Tenant, item: Item, account_id: str, code: str
) -> None:
    """A micro-deposit settled: ``AUTOMATICALLY_VERIFIED`` or ``VERIFICATION_EXPIRED``."""
    emit(session, tenant, item, "AUTH", code, {"account_id": account_id, "error": None})


def investments_refreshed(session: Session, tenant: Tenant, item: Item, found: Refresh) -> None:
    """``/investments/refresh`` or the daily look: ``HOLDINGS`` and ``INVESTMENTS_TRANSACTIONS``
    updates (a partner hears of its account's new trades only; Holdings stays the app's)."""
    holdings = _holdings(found.new_holdings, found.updated_holdings)
    emit(session, tenant, item, "HOLDINGS", "DEFAULT_UPDATE", holdings)
    partners.send(
        session,
        tenant,
        item,
        "INVESTMENTS_TRANSACTIONS",
        "DEFAULT_UPDATE",
        _trades(found.new_transactions),
        per_account=lambda account_id: (
            _trades(found.trades[account_id]) if found.trades.get(account_id) else None
        ),
    )


def investments_extracted(
    session: Session, tenant: Tenant, item: Item, extraction: Extraction
) -> None:
    """The initial extraction ``async_update`` started has ended:
    ``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE`` with the trades it found, to whoever
    asked. A processor token that started it and has a webhook (and may still read
    Investments) gets it there alone, counting its account's trades. Otherwise the item's
    webhook gets the item's count, and each partner on an investment account its own."""
    code = ("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE")
    trades = extraction.trades
    partner = extraction.started_by
    if partner is not None and partner.webhook and partner.permits("investments"):
        own = _trades(trades.get(partner.account_id, 0))
        partners.copy(session, tenant, item, partner, *code, own)
        return
    partners.send(
        session,
        tenant,
        item,
        *code,
        _trades(sum(trades.values())),
        per_account=lambda account_id: (
            _trades(trades[account_id]) if account_id in trades else None
        ),
    )


def asset_report_ready(
    session: Session,
    tenant: Tenant,
    report: AssetReport,
    url: str | None,
    delay: dt.timedelta,
    report_type: str = "FULL",
) -> None:
    """``ASSETS``/``PRODUCT_READY`` once the report (``FULL``, after the same delay as history)
    or its Fast version (``FAST``) is built."""
    facts = _report_ready(report, report_type)
    emit(
        session, tenant, None, "ASSETS", "PRODUCT_READY", facts, url=url, report=report, delay=delay
    )


def item_error(session: Session, tenant: Tenant, item: Item, exc: errors.ItemError) -> None:
    """The item broke (for example ``ITEM_LOGIN_REQUIRED``): ``ITEM``/``ERROR``."""
    emit(session, tenant, item, "ITEM", "ERROR", {"error": exc})


def item_removed(session: Session, item: Item) -> None:
    """``/item/remove`` (or the dashboard's, or a TrueLayer connection deleted): no webhook
    follows, and the ones not sent yet are cancelled (``cancel_removed``)."""
    cancel_removed(session, item)


def webhook_updated(session: Session, tenant: Tenant, item: Item) -> None:
    """``/item/webhook/update``: acknowledge at the new URL (nothing when it was cleared),
    where the item's held-back webhooks now go too."""
    retarget_held(session, item, None, item.webhook)
    payload = {"new_webhook_url": item.webhook, "error": None}
    emit(session, tenant, item, "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", payload)


def fire(
    session: Session,
    tenant: Tenant,
    item: Item,
    webhook_type: str,
    code: str,
    now: dt.datetime,
    *,
    new_transactions: int | None = None,
) -> None:
    """``/sandbox/item/fire_webhook``: queue ``code`` with a representative payload, also to
    the partners that hear it (``partners.COPIED``), each worded by ``FIRED_COPIES``.
    ``new_transactions`` (``options.new_transactions``) sets the count of a ``TRANSACTIONS``
    ``DEFAULT_UPDATE`` (0 without it), and only of that webhook, as Plaid documents."""
    webhook_type = fired_type(webhook_type, code)
    if new_transactions is not None and (webhook_type, code) != ("TRANSACTIONS", "DEFAULT_UPDATE"):
        raise errors.InvalidField(
            "options.new_transactions is only valid for TRANSACTIONS DEFAULT_UPDATE",
            field="options.new_transactions",
        )
    if (webhook_type, code) in REPORT_FIREABLE:
        _fire_report(session, tenant, item, code)
        return
    product, facts = FIREABLE[webhook_type, code]
    hearing = partners.hearing(session, item, webhook_type, code)
    if not item.webhook and not hearing:
        raise errors.SandboxWebhookInvalid()
    if product is not None and product not in item.products:
        raise errors.SandboxProductNotEnabled()
    body = facts(item, now)
    if new_transactions is not None:
        body["new_transactions"] = new_transactions
    narrow = FIRED_COPIES.get((webhook_type, code))
    own = None if narrow is None else (lambda account_id: narrow(item, body, account_id))
    if not item.webhook and own and all(own(token.account_id) is None for token in hearing):
        raise errors.SandboxWebhookInvalid()  # the partners that hear it have no share in it
    partners.send(session, tenant, item, webhook_type, code, body, per_account=own)


def fired_type(webhook_type: str, code: str) -> str:
    """The type ``code`` is fired as: ``webhook_type`` picks DEFAULT_UPDATE's product; every
    other code has one type, whatever ``webhook_type`` says (it defaults to TRANSACTIONS)."""
    if (webhook_type, code) in FIREABLE or (webhook_type, code) in REPORT_FIREABLE:
        return webhook_type
    types = [kind for kind, fired in [*FIREABLE, *REPORT_FIREABLE] if fired == code]
    if not types:
        raise errors.InvalidField(f"webhook_code {code} cannot be fired", field="webhook_code")
    if len(types) > 1:
        raise errors.InvalidField(
            f"webhook_type {webhook_type} has no {code} webhook to fire "
            f"(one of {', '.join(types)})",
            field="webhook_type",
        )
    return types[0]


def _fire_report(session: Session, tenant: Tenant, item: Item, code: str) -> None:
    """A fired Assets webhook about the item's latest live Asset Report, sent where that
    report's own webhooks go (its ``options.webhook``, else the item's), without an item id
    as Plaid's Assets webhooks have none.

    DIVERGES: which report Plaid's fired webhook names is not documented, and its schema
    requires one; an item with no report is refused, naming how to make one.
    """
    if "assets" not in item.products:
        raise errors.SandboxProductNotEnabled()
    report = assets.latest_of(session, item)
    if report is None:
        raise errors.InvalidField(
            f"the item has no Asset Report to fire {code} for: create a report first",
            field="webhook_code",
        )
    url = report.options.get("webhook") or item.webhook
    if not url:
        raise errors.SandboxWebhookInvalid()
    facts = REPORT_FIREABLE["ASSETS", code](report)
    emit(session, tenant, None, "ASSETS", code, facts, url=url, report=report)


def _report_ready(report: AssetReport, report_type: str = "FULL") -> dict[str, Any]:
    return {"asset_report_id": report.report_id, "report_type": report_type}


def _report_failed(report: AssetReport) -> dict[str, Any]:
    return {"asset_report_id": report.report_id, "error": errors.AssetReportGenerationFailed()}


def _sms_verification(item: Item, _now: dt.datetime) -> dict[str, Any]:
    """``SMS_MICRODEPOSITS_VERIFICATION`` of the item's Same Day account; the state stays.

    DIVERGES: what Plaid answers for an item without a Same Day micro-deposit is not
    documented; the sandbox says the item does not support it, as for a missing product.
    """
    account = microdeposits.same_day_account(item)
    if account is None:
        raise errors.SandboxProductNotEnabled()
    return {"account_id": account.id, "status": microdeposits.sms_verification_status(account)}


def _auth_update(item: Item, _now: dt.datetime) -> dict[str, Any]:
    """AUTH/DEFAULT_UPDATE naming the item's accounts with numbers as having new Auth.

    DIVERGES: which accounts Plaid's fired webhook lists is not documented; none is said
    to have changed numbers, as the sandbox never changes them.
    """
    new = [a.id for a in item.accounts if a.subtype in AUTH_SUBTYPES]
    return {"account_ids_with_new_auth": new, "account_ids_with_updated_auth": {}, "error": None}


def _identity_update(_item: Item, _now: dt.datetime) -> dict[str, Any]:
    """IDENTITY/DEFAULT_UPDATE naming no account: the sandbox never changes identity data.

    DIVERGES: which accounts Plaid's fired webhook lists is not documented.
    """
    return {"account_ids_with_updated_identity": {}, "error": None}


def _liabilities_update(item: Item, _now: dt.datetime) -> dict[str, Any]:
    """LIABILITIES/DEFAULT_UPDATE naming the item's liability accounts as new.

    DIVERGES: which accounts Plaid's fired webhook lists is not documented.
    """
    new = [a.id for a in item.accounts if a.subtype in LIABILITY_SUBTYPES]
    return {
        "error": None,
        "account_ids_with_new_liabilities": new,
        "account_ids_with_updated_liabilities": {},
    }


def _own_auth(_item: Item, facts: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    """A partner's AUTH/DEFAULT_UPDATE: the lists narrowed to its account (none: no copy;
    the shape is a guess, ``partners.COPIED``)."""
    new = [a for a in facts["account_ids_with_new_auth"] if a == account_id]
    updated = facts["account_ids_with_updated_auth"]
    if not new and account_id not in updated:
        return None
    own = {a: fields for a, fields in updated.items() if a == account_id}
    return {**facts, "account_ids_with_new_auth": new, "account_ids_with_updated_auth": own}


def _own_trades(item: Item, facts: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    """A partner's fired INVESTMENTS_TRANSACTIONS/DEFAULT_UPDATE: only on an investment
    account."""
    investment = any(a.id == account_id and a.type == "investment" for a in item.accounts)
    return facts if investment else None


def _pending_disconnect(_item: Item, now: dt.datetime) -> dict[str, Any]:
    return {
        "reason": "INSTITUTION_TOKEN_EXPIRATION",
        "disconnect_time": now + PENDING_EXPIRATION_NOTICE,
    }


def _account_ids(item: Item) -> list[str]:
    return [a.id for a in item.accounts]


def _first_account(item: Item, _now: dt.datetime) -> dict[str, Any]:
    ids = _account_ids(item)
    return {"account_id": ids[0] if ids else None}


def _transactions_watched(session: Session, item: Item) -> bool:
    """Whether Transactions webhooks of ``item`` go anywhere (the app's URL or a partner's):
    without one nothing is queued, so the rows they would count (a query over thousands at a
    link) are not counted."""
    if "transactions" not in item.products:
        return False
    return bool(item.webhook) or bool(partners.watchers(session, item, "transactions"))


def _count(
    session: Session, item: Item, since: dt.date | None, account_id: str | None = None
) -> int:
    where = [Transaction.item_pk == item.pk, Transaction.removed.is_(False)]
    if since is not None:
        where.append(Transaction.date >= since)
    if account_id is not None:
        where.append(Transaction.account_id == account_id)
    return session.scalar(select(func.count()).select_from(Transaction).where(*where)) or 0


def _by_account(rows: list[Transaction]) -> dict[str, list[str]]:
    """Transaction ids grouped by their account."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row.account_id, []).append(row.id)
    return grouped


def _removed(ids: list[str]) -> dict[str, Any]:
    return {"removed_transactions": sorted(ids), "error": None}


def _new(count: int) -> dict[str, Any]:
    return {"error": None, "new_transactions": count}


def _holdings(new: int, updated: int) -> dict[str, Any]:
    return {"error": None, "new_holdings": new, "updated_holdings": updated}


def _trades(new: int) -> dict[str, Any]:
    return {
        "error": None,
        "new_investments_transactions": new,
        "cancelled_investments_transactions": 0,
    }


def _sync(historical: bool) -> dict[str, Any]:
    return {"initial_update_complete": True, "historical_update_complete": historical}


Facts = Callable[[Item, dt.datetime], dict[str, Any]]
# Every (webhook_type, webhook_code) ``/sandbox/item/fire_webhook`` sends (the OpenAPI
# description of the endpoint), with the product the item needs (None: any item) and the
# body's facts (plaid.md §7). A pair absent here is refused, so none reaches the outbox unknown.
FIREABLE: dict[tuple[str, str], tuple[str | None, Facts]] = {
    ("TRANSACTIONS", "DEFAULT_UPDATE"): ("transactions", lambda _i, _n: _new(0)),
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): ("transactions", lambda _i, _n: _sync(True)),
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): (
        "transactions",
        lambda item, _n: {"account_ids": _account_ids(item)},
    ),
    ("AUTH", "DEFAULT_UPDATE"): ("auth", _auth_update),
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): ("auth", _sms_verification),
    ("IDENTITY", "DEFAULT_UPDATE"): ("identity", _identity_update),
    ("HOLDINGS", "DEFAULT_UPDATE"): ("investments", lambda _i, _n: _holdings(0, 0)),
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): ("investments", lambda _i, _n: _trades(0)),
    ("LIABILITIES", "DEFAULT_UPDATE"): ("liabilities", _liabilities_update),
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): (None, lambda _i, _n: {"error": None}),
    ("ITEM", "USER_PERMISSION_REVOKED"): (
        None,
        lambda _i, _n: {"error": errors.UserPermissionRevoked()},
    ),
    ("ITEM", "USER_ACCOUNT_REVOKED"): (None, _first_account),
    ("ITEM", "PENDING_DISCONNECT"): (None, _pending_disconnect),
    ("ITEM", "LOGIN_REPAIRED"): (None, lambda _i, _n: {"error": None}),
}

# The Assets pairs it fires: each about the item's latest Asset Report (``_fire_report``).
REPORT_FIREABLE: dict[tuple[str, str], Callable[[AssetReport], dict[str, Any]]] = {
    ("ASSETS", "PRODUCT_READY"): _report_ready,
    ("ASSETS", "ERROR"): _report_failed,
}

# A fired webhook's copy for the partner on an account, from the item's body (None: that
# partner gets none); a copied pair absent here reaches every partner unchanged.
FiredCopy = Callable[[Item, dict[str, Any], str], dict[str, Any] | None]
FIRED_COPIES: dict[tuple[str, str], FiredCopy] = {
    # A partner's RECURRING_TRANSACTIONS_UPDATE names its account only (``account_id``).
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): lambda _i, _f, _a: {},
    ("AUTH", "DEFAULT_UPDATE"): _own_auth,
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): _own_trades,
}
