"""Query parameters of the list endpoints, checked field by field (marshmallow, unknown = RAISE).

A bad value is a 400 naming the parameter; a parameter the endpoint does not know is one too, so
a typo (`sortby=amount`) is never silently ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from client.app.errors import InvalidField
from client.store.types import BIGINT_MAX, Money

SORTS = ("date", "amount")
ORDERS = ("asc", "desc")
STATUSES = ("pending", "posted")
DIRECTIONS = ("debit", "credit")
MAX_LIMIT = 500
MAX_ID = BIGINT_MAX  # ids are 64-bit columns: a larger one is simply not found
NO_ID = 0  # ids start at 1
_AMOUNT = validate.Range(min=0, max=Money.LARGEST)


class Whole(fields.Integer):
    """A whole number in a query string: ASCII digits (``int`` also takes Arabic-Indic or
    fullwidth digits, a sign and spaces)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not (value.isascii() and value.isdigit()):
            raise self.make_error("invalid", input=value)
        number: int = super()._deserialize(value, attr, data, **kwargs)
        return number


class IdField(Whole):
    """An id in a query string, naming a row a 64-bit column can hold."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Amount(fields.Decimal):
    """An amount in a query string, in ASCII (``Decimal`` also reads other scripts' digits)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=_AMOUNT, places=4, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class NoQuery(Schema):
    """An endpoint that takes no query parameters: any one given is a 400 naming it."""


def _no_nul(value: str) -> None:
    """No stored text holds a NUL, and SQLite's LIKE stops reading at one: a filter with one
    would match what its text before the NUL matches."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


_FILTER_TEXT: list[Callable[[str], Any]] = [validate.Length(min=1, max=100), _no_nul]


class Flag(fields.Boolean):
    """JSON ``true`` or ``false`` only: marshmallow's Boolean also takes "yes", "off", 1, 0."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class TransactionQuery(Schema):
    """`GET /transactions` and `GET /accounts/{id}/transactions`."""

    account_id = IdField()
    connection_id = IdField()
    start_date = fields.Date()
    end_date = fields.Date()
    category = fields.String(validate=_FILTER_TEXT)
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf(DIRECTIONS))
    min_amount = Amount()
    max_amount = Amount()
    search = fields.String(validate=_FILTER_TEXT)
    sort = fields.String(validate=validate.OneOf(SORTS), load_default="date")
    order = fields.String(validate=validate.OneOf(ORDERS), load_default="desc")
    limit = Whole(validate=validate.Range(min=1, max=MAX_LIMIT), load_default=50)
    cursor = fields.String(validate=validate.Length(min=1, max=500))

    @validates_schema
    def ranges(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """An empty range is a mistake, not an empty page."""
        _check_period(data)
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not be more than max_amount", "min_amount")


class AccountQuery(Schema):
    """`GET /accounts`."""

    connection_id = IdField()
    type = fields.String(validate=validate.Length(min=1, max=30))
    institution_id = fields.String(validate=validate.Length(min=1, max=50))


class SpendingQuery(Schema):
    """`GET /spending`: debits by category over a period (default: the last 90 days)."""

    start_date = fields.Date()
    end_date = fields.Date(load_default=dt.date.today)  # before the period's check
    account_id = IdField()

    @validates_schema
    def ranges(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """An empty period is a mistake, not an empty report."""
        _check_period(data)


def _check_period(data: dict[str, Any]) -> None:
    """``start_date`` after ``end_date`` is a 400 naming ``start_date``."""
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and start > end:
        raise ValidationError("must not be after end_date", "start_date")


class IdConverter(IntegerConverter):
    """`<int:…>` in the app's URLs: ASCII digits, and an id beyond a 64-bit column is simply
    not found (404), as any id that names nothing is. It still matches its route (refused by
    the converter, it made the other routes of the path answer 405 naming wrong methods), as
    ``NO_ID``, which no row has and no column refuses."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else NO_ID


def id_arg(args: Mapping[str, str], name: str) -> int | None:
    """An optional id in the query string; anything but one (words, beyond 64 bits) is a 400
    naming it, not a request without it."""
    raw = args.get(name, "")
    if raw == "":
        return None
    try:
        number: int = IdField().deserialize(raw)
    except ValidationError:
        raise InvalidField(f"{name}: must be an id (a positive whole number)", field=name) from None
    return number


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
    """Parsed parameters, or `InvalidField` naming the first bad one (empty values are unset;
    a parameter given twice is a mistake: which one was meant?)."""
    if isinstance(args, MultiDict):
        for name, values in args.lists():
            if len(values) > 1:
                raise InvalidField(f"{name}: is given more than once", field=name)
    given = {k: v for k, v in args.items() if v != ""}
    try:
        data: dict[str, Any] = schema.load(given)
    except ValidationError as exc:
        raise _first(exc) from None
    return data


def no_query() -> None:
    """Refuse any query parameter of a request to an endpoint that takes none (``NoQuery``)."""
    load(NoQuery(), request.args)


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
