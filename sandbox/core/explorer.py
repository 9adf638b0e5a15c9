"""The transactions explorer: one tenant's transactions across items, filtered, sorted and paged.

Plaid's ``/transactions/get`` reads one item by offset; a dashboard or demo wants every
account of the tenant at once, with filters, a sort by date or amount and stable cursors.
Cursors are keyset positions (the last row's sort key, item and id), so a page never
repeats or skips a row when newer rows arrive; each cursor is bound to the filters and
sort it was made with.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import astuple, dataclass, field
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from . import errors, strict_json
from .categories import PRIMARIES, is_known
from .models import Account, Item, Transaction


@dataclass(frozen=True)
class TransactionQuery:
    """What to show: every filter is optional; amounts are magnitudes in minor units."""

    SORTS: ClassVar = ("date", "amount")
    ORDERS: ClassVar = ("desc", "asc")
    STATUSES: ClassVar = ("pending", "posted")
    DIRECTIONS: ClassVar = ("debit", "credit")
    MAX_LIMIT: ClassVar = 500

    item_ids: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # PFC primary or detailed values
    status: str | None = None  # pending | posted
    direction: str | None = None  # debit (money out) | credit (money in)
    start: dt.date | None = None
    end: dt.date | None = None
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    search: str | None = None
    sort: str = "date"
    order: str = "desc"
    limit: int = 50
    cursor: str | None = field(default=None, compare=False)

    def fingerprint(self) -> str:
        """A digest of the filters and sort (not the page size): what a cursor is bound to."""
        kept = astuple(self)[:-2]  # without limit and cursor
        return hashlib.sha256(repr(kept).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ExplorerRow:
    """One transaction with the item and account it belongs to."""

    transaction: Transaction
    item: Item
    account: Account


@dataclass(frozen=True)
class Totals:
    """Money out and in of every matching row, per currency (minor units, magnitudes)."""

    currency: str
    debits_minor: int
    credits_minor: int


@dataclass(frozen=True)
class ExplorerPage:
    """One page of rows, the number of matching rows and the cursor of the next page."""

    rows: list[ExplorerRow]
    total: int
    totals: list[Totals]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        """Whether another page follows."""
        return self.next_cursor is not None


def check(query: TransactionQuery) -> None:
    """Refuse contradictory or unknown values, naming the field."""
    if query.start and query.end and query.end < query.start:
        raise errors.InvalidField("end_date must not be before start_date", field="end_date")
    low, high = query.min_amount_minor, query.max_amount_minor
    if low is not None and high is not None and high < low:
        raise errors.InvalidField("max_amount must not be below min_amount", field="max_amount")
    for value in query.categories:
        if not is_known(value):
            raise errors.InvalidField(f"unknown category {value}", field="category")


def page(session: Session, items: list[Item], query: TransactionQuery) -> ExplorerPage:
    """The page of ``items``' live transactions that ``query`` asks for."""
    check(query)
    where = _filters(items, query)
    key = _sort_key(query.sort)
    joined = (
        select(Transaction, Item, Account)
        .join(Item, Item.pk == Transaction.item_pk)
        .join(
            Account,
            and_(Account.item_pk == Transaction.item_pk, Account.id == Transaction.account_id),
        )
        .where(*where)
    )
    after = _decode(query)
    if after is not None:
        joined = joined.where(_beyond(key, after, query.order))
    ordering = [key, Transaction.item_pk, Transaction.id]
    ordered = [c.desc() if query.order == "desc" else c.asc() for c in ordering]
    found = session.execute(joined.order_by(*ordered).limit(query.limit + 1)).all()
    rows = [ExplorerRow(t, i, a) for t, i, a in found[: query.limit]]
    more = len(found) > query.limit
    cursor = _encode(query, rows[-1], key) if more and rows else None
    return ExplorerPage(rows, _count(session, where), _totals(session, where), cursor)


def _filters(items: list[Item], query: TransactionQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        Transaction.item_pk.in_([i.pk for i in items]),
        Transaction.removed.is_(False),
    ]
    if query.account_ids:
        where.append(Transaction.account_id.in_(query.account_ids))
    if query.categories:
        where.append(or_(*(_category(value) for value in query.categories)))
    if query.status:
        where.append(Transaction.pending.is_(query.status == "pending"))
    if query.direction:  # Plaid's sign: positive amounts leave the account
        money_out = query.direction == "debit"
        where.append(Transaction.amount_minor > 0 if money_out else Transaction.amount_minor < 0)
    if query.start:
        where.append(Transaction.date >= query.start)
    if query.end:
        where.append(Transaction.date <= query.end)
    magnitude = func.abs(Transaction.amount_minor)
    if query.min_amount_minor is not None:
        where.append(magnitude >= query.min_amount_minor)
    if query.max_amount_minor is not None:
        where.append(magnitude <= query.max_amount_minor)
    if query.search:
        words = query.search.lower()
        where.append(
            or_(
                func.lower(Transaction.name).contains(words, autoescape=True),
                func.lower(func.coalesce(Transaction.merchant_name, "")).contains(
                    words, autoescape=True
                ),
            )
        )
    return where


def _category(value: str) -> ColumnElement[bool]:
    """A detailed value matches itself; a primary matches its detailed values."""
    if value in PRIMARIES:
        return or_(
            Transaction.category == value,
            Transaction.category.startswith(value + "_", autoescape=True),
        )
    return Transaction.category == value


def _sort_key(sort: str) -> Any:
    return Transaction.date if sort == "date" else func.abs(Transaction.amount_minor)


def _beyond(key: Any, after: tuple[Any, int, str], order: str) -> ColumnElement[bool]:
    """Rows strictly after the keyset position ``after`` in the page order."""
    value, item_pk, txn_id = after

    def past(column: Any, bound: Any) -> Any:
        return column < bound if order == "desc" else column > bound

    return or_(
        past(key, value),
        and_(
            key == value,
            or_(
                past(Transaction.item_pk, item_pk),
                and_(Transaction.item_pk == item_pk, past(Transaction.id, txn_id)),
            ),
        ),
    )


def _count(session: Session, where: list[ColumnElement[bool]]) -> int:
    return session.scalar(select(func.count()).select_from(Transaction).where(*where)) or 0


def _totals(session: Session, where: list[ColumnElement[bool]]) -> list[Totals]:
    out = func.sum(case((Transaction.amount_minor > 0, Transaction.amount_minor), else_=0))
    into = func.sum(case((Transaction.amount_minor < 0, -Transaction.amount_minor), else_=0))
    found = session.execute(
        select(Transaction.currency, out, into)
        .where(*where)
        .group_by(Transaction.currency)
        .order_by(Transaction.currency)
    )
    return [Totals(currency, int(d or 0), int(c or 0)) for currency, d, c in found]


def _encode(query: TransactionQuery, last: ExplorerRow, key: Any) -> str:
    txn = last.transaction
    value: Any = txn.date.isoformat() if query.sort == "date" else abs(txn.amount_minor)
    raw = json.dumps({"k": [value, txn.item_pk, txn.id], "f": query.fingerprint()})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(query: TransactionQuery) -> tuple[Any, int, str] | None:
    """The keyset position in ``query.cursor``; a cursor of other filters is refused."""
    if not query.cursor:
        return None
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value, item_pk, txn_id = raw["k"]
        if raw["f"] != query.fingerprint():
            raise errors.InvalidField(
                "cursor was made for other filters or another sort; start without it",
                field="cursor",
            )
        key = dt.date.fromisoformat(value) if query.sort == "date" else int(value)
        numbers = (item_pk,) if query.sort == "date" else (key, item_pk)
        if not all(isinstance(n, int) and 0 <= n <= strict_json.INT64_MAX for n in numbers):
            # made up: the cursor is not signed, and the numbers go into a query's integers
            raise ValueError("a cursor number out of range")
        if not isinstance(txn_id, str) or strict_json.FORBIDDEN.search(txn_id):
            # made up too: the id goes into the query as text, which neither database takes
            # with NUL or an unpaired surrogate in it
            raise ValueError("a cursor id no column holds")
        return key, item_pk, txn_id
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
        raise errors.InvalidField(
            "cursor is not one this endpoint returned", field="cursor"
        ) from None
