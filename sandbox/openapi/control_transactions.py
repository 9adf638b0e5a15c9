"""``GET /control/transactions`` in the document: parameters from the view's own schema.

The query parameters are derived from ``ExplorerQuery`` (the schema the view loads), so the
document cannot drift from what the explorer accepts; the reply mirrors ``page_body``.
"""

from __future__ import annotations

from typing import Any

from ..control.transactions import ExplorerQuery
from .control import _op, _query
from .control_schemas import INTEGER, NULLABLE_STRING, STRING, closed_object, ref
from .from_marshmallow import object_schema

DESCRIPTIONS = {
    "item_id": "only these items (repeat the parameter for several)",
    "account_id": "only these accounts",
    "category": "a PFC primary (FOOD_AND_DRINK) or detailed value (FOOD_AND_DRINK_COFFEE)",
    "status": "pending or posted only",
    "direction": "debit: money out (positive amounts); credit: money in",
    "start_date": "first day",
    "end_date": "last day",
    "min_amount": "smallest magnitude, in the currency's units",
    "max_amount": "largest magnitude",
    "q": "words in the name or merchant name (case-insensitive)",
    "sort": "date (default) or amount (magnitude)",
    "order": "desc (default) or asc",
    "limit": "rows per page (default 50)",
    "cursor": "next_cursor of the previous page, with the same filters and sort",
}


def _parameters() -> list[dict[str, Any]]:
    properties = object_schema(ExplorerQuery())["properties"]
    params = [_query(name, schema, DESCRIPTIONS[name]) for name, schema in properties.items()]
    return [{**p, "explode": True} if p["schema"]["type"] == "array" else p for p in params]


def paths() -> dict[str, Any]:
    """The explorer's path."""
    return {
        "/control/transactions": {
            "get": _op(
                "transactions_explore",
                "Transactions across the tenant's items: filters, sort, cursor pages, totals",
                ref("ControlTransactionsPage"),
                parameters=_parameters(),
            ),
        },
    }


def schemas() -> dict[str, Any]:
    """``ControlTransactionsPage`` and the row it lists."""
    row = closed_object(
        {
            "transaction_id": STRING,
            "item_id": STRING,
            "institution_id": STRING,
            "account_id": STRING,
            "account_name": STRING,
            "account_mask": NULLABLE_STRING,
            "date": {"type": "string", "format": "date"},
            "name": STRING,
            "merchant_name": NULLABLE_STRING,
            "amount": {"type": "number", "description": "Plaid's sign: positive leaves"},
            "iso_currency_code": STRING,
            "direction": {"enum": ["debit", "credit"]},
            "category": {**STRING, "description": "PFC detailed value"},
            "pending": {"type": "boolean"},
        }
    )
    money = {"type": "number", "minimum": 0}
    totals = closed_object({"iso_currency_code": STRING, "debits": money, "credits": money})
    return {
        "ControlTransaction": row,
        "ControlTransactionsPage": closed_object(
            {
                "transactions": {"type": "array", "items": ref("ControlTransaction")},
                "total": {**INTEGER, "minimum": 0},
                "totals": {"type": "array", "items": totals},
                "has_more": {"type": "boolean"},
                "next_cursor": NULLABLE_STRING,
            }
        ),
    }
