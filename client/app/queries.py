"""The app's reads over the client store, every one scoped to one app user.

Transactions reuse the books' query (the category and payee the user should see) and add the
API's filters, a stable sort and keyset cursors: a page never repeats or skips a row while new
transactions arrive, and `total` counts every row the filters match.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from client.app.errors import InvalidCursor, InvalidField, NotFound
from client.app.params import MAX_ID, NO_ID, TransactionFilters
from client.books.queries import TransactionView, transactions_query, view
from client.store.models import Account, Category, Connection, SyncRun, Transaction, utcnow
from client.store.types import Money

LIABILITIES = ("credit", "loan")
HISTORY_DAYS = 90


@dataclass(frozen=True)
class TransactionPage:
    """One page of transactions and where the next one starts."""

    items: list[TransactionView]
    total: int
    has_more: bool
    next_cursor: str | None


def owned_connection(session: Session, user: str, connection_id: int) -> Connection:
    """The user's connection, or `NotFound` (another user's is not found either)."""
    conn = session.get(Connection, connection_id)
    if conn is None or conn.user_ref != user:
        raise _not_found("connection", connection_id)
    return conn


def owned_account(session: Session, user: str, account_id: int) -> Account:
    """The user's account, or `NotFound`."""
    account = session.get(Account, account_id)
    if account is None or account.user_ref != user:
        raise _not_found("account", account_id)
    return account


def _not_found(kind: str, row_id: int) -> NotFound:
    """``no <kind> <id>``; an id beyond any column arrives as ``NO_ID``, which is not the
    number asked for, so that one is named by its kind only."""
    named = f"no {kind} {row_id}" if row_id != NO_ID else f"no such {kind}"
    return NotFound(named, field=f"{kind}_id")


def connections(session: Session, user: str) -> list[Connection]:
    """The user's connections, oldest first."""
    query = select(Connection).where(Connection.user_ref == user).order_by(Connection.id)
    return list(session.scalars(query))


def sync_runs(session: Session, connection_id: int, limit: int = 20) -> list[SyncRun]:
    """A connection's sync runs, newest first."""
    query = (
        select(SyncRun)
        .where(SyncRun.connection_id == connection_id)
        .order_by(SyncRun.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def accounts(
    session: Session,
    user: str,
    *,
    connection_id: int | None = None,
    type: str | None = None,
    institution_id: str | None = None,
) -> list[Account]:
    """The user's accounts, filtered, by connection then name."""
    query = select(Account).where(Account.user_ref == user)
    if connection_id is not None:
        query = query.where(Account.connection_id == connection_id)
    if type is not None:
        query = query.where(Account.type == type)
    if institution_id is not None:
        query = query.where(Account.institution_id == institution_id)
    return list(session.scalars(query.order_by(Account.connection_id, Account.name, Account.id)))


# -- transactions ------------------------------------------------------------------------------


def category_id(session: Session, user: str, key: str) -> int:
    """The id of a built-in or the user's own category key; unknown keys name the field."""
    query = select(Category.id).where(
        Category.key == key, or_(Category.user_ref.is_(None), Category.user_ref == user)
    )
    found = session.scalar(query.order_by(Category.user_ref.is_(None)).limit(1))
    if found is None:
        raise InvalidField(f"category: no category {key!r} (see GET /categories)", field="category")
    return found


def magnitude() -> ColumnElement[Decimal]:
    """|amount|: amount filters and the amount sort are about size, debit or credit."""
    return type_coerce(func.abs(Transaction.amount), Money)


def filtered(
    session: Session, user: str, f: TransactionFilters
) -> Select[Transaction, str, Category]:
    """The books' user-scoped transactions query with the API's filters, unordered."""
    query = transactions_query(
        user,
        account_id=f.account_id,
        since=f.start_date,
        until=f.end_date,
        search=f.search,
        category_id=category_id(session, user, f.category) if f.category else None,
    ).order_by(None)
    if f.connection_id is not None:
        query = query.where(Account.connection_id == f.connection_id)
    if f.status is not None:
        query = query.where(Transaction.pending.is_(f.status == "pending"))
    if f.type is not None:
        query = query.where(Transaction.amount < 0 if f.type == "debit" else Transaction.amount > 0)
    if f.min_amount is not None:
        query = query.where(magnitude() >= f.min_amount)
    if f.max_amount is not None:
        query = query.where(magnitude() <= f.max_amount)
    return query


def transactions_page(session: Session, user: str, f: TransactionFilters) -> TransactionPage:
    """One page in the requested order, with the total and the next page's cursor."""
    query = filtered(session, user, f)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    key = Transaction.date if f.sort == "date" else magnitude()
    descending = f.order == "desc"
    if f.cursor:
        value, last_id = _decode(f.cursor, f)
        after = key < value if descending else key > value
        tie = Transaction.id < last_id if descending else Transaction.id > last_id
        query = query.where(or_(after, and_(key == value, tie)))
    order = (key.desc(), Transaction.id.desc()) if descending else (key.asc(), Transaction.id.asc())
    rows = session.execute(query.order_by(*order).limit(f.limit + 1)).all()
    items = [view(t, payee, cat) for t, payee, cat in rows[: f.limit]]
    has_more = len(rows) > f.limit
    cursor = _encode(items[-1], f) if has_more else None
    return TransactionPage(items, total, has_more, cursor)


def _fingerprint(f: TransactionFilters) -> str:
    return hashlib.sha256(f.identity().encode()).hexdigest()[:16]


def _encode(last: TransactionView, f: TransactionFilters) -> str:
    value = last.date.isoformat() if f.sort == "date" else str(abs(last.amount))
    raw = json.dumps({"v": value, "i": last.id, "f": _fingerprint(f)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, f: TransactionFilters) -> tuple[Any, int]:
    """The sort value and id a cursor points after; it must belong to these filters."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        fingerprint = str(data["f"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidCursor("cursor: not a cursor from this API", field="cursor") from None
    # Filters and sort first: another sort's cursor holds another kind of value.
    if fingerprint != _fingerprint(f):
        raise InvalidCursor(
            "cursor: made for other filters or another sort; start again without it",
            field="cursor",
        )
    try:
        value = dt.date.fromisoformat(data["v"]) if f.sort == "date" else Decimal(data["v"])
        last_id = int(data["i"])
    except (ValueError, KeyError, TypeError, ArithmeticError):
        raise InvalidCursor("cursor: not a cursor from this API", field="cursor") from None
    # A cursor is plain base64 JSON: an edited one may hold what no row can (NaN, 1e400, too
    # many places, an id beyond 64 bits); it points after nothing this API wrote.
    if not 1 <= last_id <= MAX_ID or (isinstance(value, Decimal) and not Money.storable(value)):
        raise InvalidCursor("cursor: not a cursor from this API", field="cursor")
    return value, last_id


# -- balances, statements, spending ------------------------------------------------------------


def _as_of(session: Session, account: Account) -> dt.date:
    """The day the stored balance describes: the last sync, or the newest transaction."""
    newest = session.scalar(select(func.max(Transaction.date)).where(_posted(account.id)))
    day = account.balance_at.date() if account.balance_at else utcnow().date()
    return max(day, newest) if newest else day


def _posted(account_id: int) -> ColumnElement[bool]:
    return and_(
        Transaction.account_id == account_id,
        Transaction.removed_at.is_(None),
        Transaction.pending.is_(False),
    )


def balance_history(
    session: Session, account: Account, days: int = HISTORY_DAYS
) -> list[tuple[dt.date, Decimal]]:
    """End-of-day balances for `days` days, walked back from the provider's current balance
    through posted transactions (a liability grows with spending, an asset shrinks)."""
    if account.current is None:
        return []
    end = _as_of(session, account)
    start = end - dt.timedelta(days=days - 1)
    moves = dict(
        session.execute(
            select(Transaction.date, func.sum(Transaction.amount))
            .where(_posted(account.id), Transaction.date > start)
            .group_by(Transaction.date)
        ).all()
    )
    sign = 1 if account.type in LIABILITIES else -1
    balance, points = account.current, []
    for offset in range(days):
        day = end - dt.timedelta(days=offset)
        points.append((day, balance))
        balance += sign * (moves.get(day) or Decimal(0))
    return points[::-1]


def statement(session: Session, account: Account) -> dict[str, Any] | None:
    """The last complete calendar month: opening and closing balance, money in and out."""
    history = dict(balance_history(session, account, days=75))
    if not history:
        return None
    end = _as_of(session, account).replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    totals = session.execute(
        select(
            func.sum(Transaction.amount).filter(Transaction.amount > 0),
            func.sum(Transaction.amount).filter(Transaction.amount < 0),
        ).where(_posted(account.id), Transaction.date >= start, Transaction.date <= end)
    ).one()
    money_in, money_out = (Decimal(v or 0) for v in totals)
    before = start - dt.timedelta(days=1)
    return {
        "period_start": start,
        "period_end": end,
        "opening_balance": history.get(before),
        "closing_balance": history.get(end),
        "money_in": money_in,
        "money_out": -money_out,
    }


def spending(
    session: Session,
    user: str,
    start: dt.date,
    end: dt.date,
    account_id: int | None = None,
) -> list[dict[str, Any]]:
    """Debits by top-level category, largest first (transfers and income left out)."""
    query = transactions_query(user, account_id=account_id, since=start, until=end).where(
        Transaction.amount < 0, Transaction.ignored.is_(False)
    )
    totals: dict[int | None, Decimal] = defaultdict(Decimal)
    for t, _payee, cat in session.execute(query):
        if cat is not None and cat.kind != "expense":
            continue
        totals[(cat.parent_id or cat.id) if cat else None] += -t.amount
    names = {
        c.id: c
        for c in session.scalars(select(Category).where(Category.id.in_([k for k in totals if k])))
    }
    rows = [
        {
            "category": names[k].key if k else None,
            "name": names[k].name if k else "Uncategorised",
            "colour": names[k].colour if k else "#8a8f98",
            "total": total,
        }
        for k, total in totals.items()
    ]
    return sorted(rows, key=lambda r: r["total"], reverse=True)


def categories(session: Session, user: str) -> list[Category]:
    """Top-level built-in categories and the user's own, for filters."""
    query = select(Category).where(
        or_(
            and_(Category.user_ref.is_(None), Category.parent_id.is_(None)),
            Category.user_ref == user,
        )
    )
    return list(session.scalars(query.order_by(Category.name)))
