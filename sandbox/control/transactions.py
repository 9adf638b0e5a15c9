"""``GET /control/transactions``: the transactions explorer of the control API and dashboard.

Every live item's transactions of the tenant, filtered (item, account, category, pending or
posted, debit or credit, date and amount range, a search in the name and merchant), sorted
by date or amount in either order, and paged with opaque cursors. The reply carries the
number of matching rows and their money out and in per currency. The dashboard's explorer
parses the same query string with :func:`parse_query` and shows :func:`page_body`.

Amounts follow Plaid's sign (positive leaves the account); ``min_amount``, ``max_amount``
and the amount sort use magnitudes, so "over 100" means 100 in or out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, g, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from ..core.bank import Bank, ExplorerPage, ExplorerRow, TransactionQuery
from ..plaid.errors import from_validation
from ..plaid.responses import money
from .blueprint import bp

LISTS = ("item_id", "account_id", "category")
DEFAULT_LIMIT = 50


class ExplorerQuery(Schema):
    """The query string; unknown parameters are refused, naming them."""

    class Meta:
        unknown = RAISE

    item_id = fields.List(fields.String(validate=validate.Length(1, 64)))
    account_id = fields.List(fields.String(validate=validate.Length(1, 64)))
    category = fields.List(fields.String(validate=validate.Length(1, 64)))
    status = fields.String(validate=validate.OneOf(TransactionQuery.STATUSES))
    direction = fields.String(validate=validate.OneOf(TransactionQuery.DIRECTIONS))
    start_date = fields.Date()
    end_date = fields.Date()
    min_amount = fields.Decimal(validate=validate.Range(min=0, max=10**9))
    max_amount = fields.Decimal(validate=validate.Range(min=0, max=10**9))
    q = fields.String(validate=validate.Length(1, 100))
    sort = fields.String(validate=validate.OneOf(TransactionQuery.SORTS))
    order = fields.String(validate=validate.OneOf(TransactionQuery.ORDERS))
    limit = fields.Integer(validate=validate.Range(min=1, max=TransactionQuery.MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(1, 512))


def parse_query(args: MultiDict[str, str]) -> TransactionQuery:
    """The explorer query of a query string (empty values count as absent, as forms send)."""
    raw: dict[str, Any] = {}
    for name in args:
        values = [v.strip() for v in args.getlist(name) if v.strip()]
        if values:
            raw[name] = values if name in LISTS else values[0]
    try:
        data = ExplorerQuery().load(raw)
    except ValidationError as err:
        raise from_validation(err) from None
    return TransactionQuery(
        item_ids=tuple(data.get("item_id", ())),
        account_ids=tuple(data.get("account_id", ())),
        categories=tuple(data.get("category", ())),
        status=data.get("status"),
        direction=data.get("direction"),
        start=data.get("start_date"),
        end=data.get("end_date"),
        min_amount_minor=_minor(data.get("min_amount")),
        max_amount_minor=_minor(data.get("max_amount")),
        search=data.get("q"),
        sort=data.get("sort", "date"),
        order=data.get("order", "desc"),
        limit=data.get("limit", DEFAULT_LIMIT),
        cursor=data.get("cursor"),
    )


def _minor(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def page_body(page: ExplorerPage) -> dict[str, Any]:
    """The reply: the rows, the count and sums of every match, and the next cursor."""
    return {
        "transactions": [_row(row) for row in page.rows],
        "total": page.total,
        "totals": [
            {
                "iso_currency_code": t.currency,
                "debits": money(t.debits_minor),
                "credits": money(t.credits_minor),
            }
            for t in page.totals
        ],
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    }


def _row(row: ExplorerRow) -> dict[str, Any]:
    txn = row.transaction
    return {
        "transaction_id": txn.id,
        "item_id": row.item.id,
        "institution_id": row.item.institution_id,
        "account_id": txn.account_id,
        "account_name": row.account.name,
        "account_mask": row.account.mask,
        "date": txn.date.isoformat(),
        "name": txn.name,
        "merchant_name": txn.merchant_name,
        "amount": money(txn.amount_minor),
        "iso_currency_code": txn.currency,
        "direction": "debit" if txn.amount_minor > 0 else "credit",
        "category": txn.category,
        "pending": txn.pending,
    }


@bp.get("/transactions")
def transactions_explore() -> Response:
    """Transactions across the tenant's items: filters, sort, cursor pages and totals."""
    bank: Bank = g.bank
    return jsonify(page_body(bank.explore_transactions(parse_query(request.args))))
