"""Query parameters of the list endpoints, checked field by field (marshmallow, unknown = RAISE).

A bad value is a 400 naming the parameter; a parameter the endpoint does not know is one too, so
a typo (`sortby=amount`) is never silently ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from client.app.errors import InvalidField

SORTS = ("date", "amount")
ORDERS = ("asc", "desc")
STATUSES = ("pending", "posted")
DIRECTIONS = ("debit", "credit")
MAX_LIMIT = 500


class TransactionQuery(Schema):
    """`GET /transactions` and `GET /accounts/{id}/transactions`."""

    account_id = fields.Integer(validate=validate.Range(min=1))
    connection_id = fields.Integer(validate=validate.Range(min=1))
    start_date = fields.Date()
    end_date = fields.Date()
    category = fields.String(validate=validate.Length(min=1, max=100))
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf(DIRECTIONS))
    min_amount = fields.Decimal(validate=validate.Range(min=0), places=4)
    max_amount = fields.Decimal(validate=validate.Range(min=0), places=4)
    search = fields.String(validate=validate.Length(min=1, max=100))
    sort = fields.String(validate=validate.OneOf(SORTS), load_default="date")
    order = fields.String(validate=validate.OneOf(ORDERS), load_default="desc")
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT), load_default=50)
    cursor = fields.String(validate=validate.Length(min=1, max=500))

    @validates_schema
    def ranges(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """An empty range is a mistake, not an empty page."""
        if (
            data.get("start_date")
            and data.get("end_date")
            and data["start_date"] > data["end_date"]
        ):
            raise ValidationError("must not be after end_date", "start_date")
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not be more than max_amount", "min_amount")


class AccountQuery(Schema):
    """`GET /accounts`."""

    connection_id = fields.Integer(validate=validate.Range(min=1))
    type = fields.String(validate=validate.Length(min=1, max=30))
    institution_id = fields.String(validate=validate.Length(min=1, max=50))


class SpendingQuery(Schema):
    """`GET /spending`: debits by category over a period (default: the last 90 days)."""

    start_date = fields.Date()
    end_date = fields.Date()
    account_id = fields.Integer(validate=validate.Range(min=1))


@dataclass(frozen=True)
class TransactionFilters:
    """The parsed filters, sort and page of a transactions request."""

    account_id: int | None = None
    connection_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    category: str | None = None
    status: str | None = None
    type: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    search: str | None = None
    sort: str = "date"
    order: str = "desc"
    limit: int = 50
    cursor: str | None = None

    def identity(self) -> str:
        """The filters and sort a cursor belongs to (not the page: limit and cursor vary)."""
        parts = {k: v for k, v in vars(self).items() if k not in ("limit", "cursor")}
        return repr(sorted(parts.items()))

    def without_page(self) -> dict[str, str]:
        """The filters as query parameters (for links to other pages and sorts)."""
        return {
            k: str(v)
            for k, v in vars(self).items()
            if v is not None and k not in ("cursor",) and v != ""
        }


def load(schema: Schema, args: Mapping[str, Any]) -> dict[str, Any]:
    """Parsed parameters, or `InvalidField` naming the first bad one (empty values are unset)."""
    given = {k: v for k, v in args.items() if v != ""}
    try:
        data: dict[str, Any] = schema.load(given)
    except ValidationError as exc:
        raise _first(exc) from None
    return data


def transaction_filters(args: Mapping[str, Any], **fixed: Any) -> TransactionFilters:
    """The filters of a transactions request; `fixed` pins some (the per-account endpoint)."""
    return TransactionFilters(**{**load(TransactionQuery(), args), **fixed})


def _first(exc: ValidationError) -> InvalidField:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    name, problems = next(iter(sorted(messages.items())))
    text = problems[0] if isinstance(problems, list) and problems else str(problems)
    if text == "Unknown field.":
        text = "is not a parameter of this endpoint"
    return InvalidField(f"{name}: {text}", field=name)
