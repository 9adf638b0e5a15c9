"""Transaction reads and sandbox-made transactions: what ``bank.transactions`` calls share.

``bank.transactions`` (``transactions_part``) resolves the item and bills the product; this
module pages the rows, picks the accounts Plaid reports with them, and checks
``/sandbox/transactions/create`` input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from . import errors, sync, users
from .accounts import ShownAccount
from .ledger.model import has_transactions
from .models import Item, Transaction

CREATE_WINDOW_DAYS = 14


@dataclass
class SyncView:
    """A ``/transactions/sync`` page with the item's transaction accounts.

    ``accounts`` are read-only rows (``accounts.read_shown``), and so is ``item`` when the sync
    wrote nothing (``Bank.item_to_show``): a view shows them, never changes them.
    """

    item: Item
    accounts: list[ShownAccount]
    page: sync.Page
    update_status: str


@dataclass
class TransactionsView:
    """A ``/transactions/get`` page; rows as a sync page has them (``sync.RENDERED`` first).

    ``item`` and ``accounts`` may be read-only rows, as a ``SyncView``'s are.
    """

    item: Item
    accounts: list[ShownAccount]
    transactions: Sequence[sync.RenderedRow]
    total: int


# Built once (every /transactions/get runs them): compiled once and cached.
_T = Transaction.__table__.c
_BETWEEN = (
    _T.item_pk == bindparam("item_pk"),
    _T.removed.is_(False),
    _T.date >= bindparam("start"),
    _T.date <= bindparam("end"),
    _T.account_id.in_(bindparam("account_ids", expanding=True)),
)
_PAGE = (
    select(*sync.RENDERED)
    .where(*_BETWEEN)
    .order_by(_T.date.desc(), _T.id)
    .offset(bindparam("offset"))
    .limit(bindparam("count"))
)
_COUNT = select(func.count()).select_from(Transaction.__table__).where(*_BETWEEN)


def between(
    session: Session,
    item: Item,
    accounts: Sequence[ShownAccount],
    start: dt.date,
    end: dt.date,
    *,
    count: int,
    offset: int,
) -> TransactionsView:
    """Live transactions of ``accounts`` dated ``start``..``end``, newest first, one page."""
    if end < start:
        raise errors.InvalidField("end_date must not be before start_date", field="end_date")
    params = {
        "item_pk": item.pk,
        "start": start,
        "end": end,
        "account_ids": [a.id for a in accounts],
        "offset": offset,
        "count": count,
    }
    session.flush()  # rows this request wrote (a catch-up) are counted; no-op when clean
    connection = session.connection()
    rows = connection.execute(_PAGE, params).all()
    if len(rows) < count and (rows or not offset):
        total = offset + len(rows)  # the last page: it ends where the rows do
    else:
        # A count window on the page's statement would answer both, but SQLite then keeps
        # every row of the date range in full: dearer than this second, narrow statement.
        total = connection.execute(_COUNT, params).scalar_one()
    return TransactionsView(item, with_transactions(item, None, accounts), rows, total)


def with_transactions(
    item: Item, account_id: str | None, among: Sequence[ShownAccount] | None = None
) -> list[ShownAccount]:
    """The accounts Transactions covers (optionally one of them), as Plaid lists them."""
    candidates: Sequence[ShownAccount] = among if among is not None else item.accounts
    return [
        a
        for a in candidates
        if has_transactions(a.type, a.subtype) and (account_id is None or a.id == account_id)
    ]


def check_created(extra: list[dict[str, Any]], today: dt.date, currency: str) -> None:
    """Plaid's rules for ``/sandbox/transactions/create``: recent, not future, posted after;
    and an amount the ledger can keep (``users.MAX_AMOUNT``, as for a custom user's).

    DIVERGES: the transactions land on the depository account, in the bank's ``currency``
    (Plaid's default, USD, at a US bank); another ``iso_currency_code`` is refused rather
    than shown as that currency (Plaid's handling of a foreign code is not documented).
    """
    for index, raw in enumerate(extra):
        transacted = dt.date.fromisoformat(raw["date_transacted"])
        posted = dt.date.fromisoformat(raw["date_posted"])
        field = f"transactions[{index}]"
        if raw.get("iso_currency_code", currency) != currency:
            code = f"{field}.iso_currency_code"
            raise errors.InvalidField(
                f"{code} must be {currency}, the currency of the item's accounts", field=code
            )
        if not users.amount_fits(Decimal(raw["amount"])):
            amount = f"{field}.amount"
            raise errors.InvalidField(f"{amount} {users.AMOUNT_RULE}", field=amount)
        for name, day in (("date_transacted", transacted), ("date_posted", posted)):
            if day > today:
                code = f"{field}.{name}"
                raise errors.InvalidField(f"{code} must not be in the future", field=code)
        if (today - transacted).days > CREATE_WINDOW_DAYS:
            raise errors.InvalidField(
                f"{field}.date_transacted must be within the last 14 days", field=field
            )
        if posted < transacted:
            raise errors.InvalidField(
                f"{field}.date_posted must not precede date_transacted", field=field
            )
