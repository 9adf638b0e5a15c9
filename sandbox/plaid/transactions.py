"""Plaid's Transactions endpoints: sync, get, refresh, recurring, and categories."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Response

from ..core import categories
from ..core.bank import SyncView
from . import requests, transaction_json
from .auth import current_bank
from .blueprint import bp
from .responses import TransactionSchema, stream_json, timestamp
from .views import accounts_json, item_json, load, reply


def _transaction_schema(options: dict[str, Any]) -> TransactionSchema:
    return _schema_for(
        bool(options.get("include_original_description")),
        options.get("personal_finance_category_version") or "v1",
    )


@cache
def _schema_for(original_description: bool, pfc_version: str) -> TransactionSchema:
    """One schema per option pair: building one deep-copies its 30 fields (a sync call's
    tenth), and dumping keeps no state in the instance."""
    return TransactionSchema(
        many=True, original_description=original_description, pfc_version=pfc_version
    )


def sync_page(view: SyncView, options: dict[str, Any]) -> dict[str, Any]:
    """A sync page's changes and status (``/transactions/sync`` and its processor twin).

    ``added`` and ``modified`` are ``orjson.Fragment`` arrays (``transaction_json``): the
    reply's renderer writes their bytes as they are.
    """
    original_description, pfc_version = transaction_json.options_of(options)
    page = view.page
    return {
        "added": transaction_json.array(page.added, original_description, pfc_version),
        "modified": transaction_json.array(page.modified, original_description, pfc_version),
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
    view = current_bank().sync_transactions(
        req["access_token"], req["cursor"], req["count"], options.get("account_id")
    )
    return reply(**sync_page(view, options), accounts=accounts_json(view.accounts))


@bp.post("/transactions/get")
def transactions_get() -> Response:
    """Transactions between two dates, newest first, with count/offset paging."""
    req = load(requests.TransactionsGetRequest)
    options = req["options"]
    bank = current_bank()
    view = bank.transactions(
        req["access_token"],
        req["start_date"],
        req["end_date"],
        account_ids=options.get("account_ids"),
        count=options["count"],
        offset=options["offset"],
    )
    return reply(
        accounts=accounts_json(view.accounts),
        transactions=_transaction_schema(options).dump(view.transactions),
        total_transactions=view.total,
        item=item_json(bank, view.item),
    )


@bp.post("/transactions/refresh")
def transactions_refresh() -> Response:
    """Ask the bank for new data now."""
    req = load(requests.AccessTokenRequest)
    current_bank().refresh_transactions(req["access_token"])
    return reply()


@bp.post("/transactions/recurring/get")
def transactions_recurring_get() -> Response:
    """Inflow and outflow streams found in the item's transactions."""
    req = load(requests.TransactionsRecurringGetRequest)
    bank = current_bank()
    view = bank.accounts(req["access_token"], req.get("account_ids"))
    streams = bank.recurring_streams(view)
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
