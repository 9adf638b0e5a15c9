"""Plaid's Transactions endpoints: sync, get, refresh, recurring, and categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response

from ..core import categories
from ..core.bank import SyncView
from . import requests, transaction_json
from .auth import current_bank
from .blueprint import bp
from .responses import accounts_array, stream_json, timestamp
from .views import item_json, load, reply


def transactions_json(rows: Sequence[Sequence[Any]], options: dict[str, Any]) -> Any:
    """Rows read with ``sync.RENDERED`` as Plaid's ``Transaction`` array, for the request's
    ``include_original_description`` and ``personal_finance_category_version`` options."""
    return transaction_json.array(rows, *transaction_json.options_of(options))


def sync_page(view: SyncView, options: dict[str, Any]) -> dict[str, Any]:
    """A sync page's changes and status (``/transactions/sync`` and its processor twin).

    ``added`` and ``modified`` are ``orjson.Fragment`` arrays (``transaction_json``): the
    reply's renderer writes their bytes as they are.
    """
    page = view.page
    return {
        "added": transactions_json(page.added, options),
        "modified": transactions_json(page.modified, options),
        "removed": transaction_json.removed_array(page.removed),
        "next_cursor": view.page.next_cursor,
        "has_more": view.page.has_more,
        "transactions_update_status": view.update_status,
    }


@bp.post("/transactions/sync")
def transactions_sync() -> Response:
    """One page of changes since ``cursor``."""
    req = load(requests.TransactionsSyncRequest)
    options = req["options"]
    view = current_bank().transactions.sync(
        req["access_token"],
        req["cursor"],
        req["count"],
        options.get("account_id"),
        options.get("days_requested"),
    )
    return reply(**sync_page(view, options), accounts=accounts_array(view.accounts))


@bp.post("/transactions/get")
def transactions_get() -> Response:
    """Transactions between two dates, newest first, with count/offset paging."""
    req = load(requests.TransactionsGetRequest)
    options = req["options"]
    bank = current_bank()
    view = bank.transactions.get(
        req["access_token"],
        req["start_date"],
        req["end_date"],
        account_ids=options.get("account_ids"),
        count=options["count"],
        offset=options["offset"],
        days_requested=options.get("days_requested"),
    )
    return reply(
        accounts=accounts_array(view.accounts),
        transactions=transactions_json(view.transactions, options),
        total_transactions=view.total,
        item=item_json(bank, view.item),
    )


@bp.post("/transactions/refresh")
def transactions_refresh() -> Response:
    """Ask the bank for new data now."""
    req = load(requests.AccessTokenRequest)
    current_bank().transactions.refresh(req["access_token"])
    return reply()


@bp.post("/transactions/recurring/get")
def transactions_recurring_get() -> Response:
    """Inflow and outflow streams found in the item's transactions."""
    req = load(requests.TransactionsRecurringGetRequest)
    bank = current_bank()
    view = bank.accounts(req["access_token"], req.get("account_ids"))
    streams = bank.transactions.recurring(view)
    return reply(
        inflow_streams=[stream_json(s) for s in streams if s.inflow],
        outflow_streams=[stream_json(s) for s in streams if not s.inflow],
        updated_datetime=timestamp(bank.now()),
    )


@bp.post("/categories/get")
def categories_get() -> Response:
    """Plaid's legacy category hierarchy (no authentication needed)."""
    load(requests.CategoriesGetRequest)
    return reply(categories=categories.legacy())
