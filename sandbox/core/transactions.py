"""Transaction reads and sandbox-made transactions: what ``Bank``'s transaction calls share.

``Bank`` resolves the item and bills the product; this module pages the rows, picks the
accounts Plaid reports with them, and checks ``/sandbox/transactions/create`` input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import errors, sync
from .accounts import plans as account_plans
from .models import Account, Item, Transaction

CREATE_WINDOW_DAYS = 14


@dataclass
class SyncView:
    """A ``/transactions/sync`` page with the item's transaction accounts."""

    item: Item
    accounts: list[Account]
    page: sync.Page
    update_status: str


@dataclass
class TransactionsView:
    """A ``/transactions/get`` page; rows as a sync page has them (``sync.RENDERED``)."""

    item: Item
    accounts: list[Account]
    transactions: Sequence[sync.RenderedRow]
    total: int


def between(
    session: Session,
    item: Item,
    accounts: list[Account],
    start: dt.date,
    end: dt.date,
    *,
    count: int,
    offset: int,
) -> TransactionsView:
    """Live transactions of ``accounts`` dated ``start``..``end``, newest first, one page."""
    if end < start:
        raise errors.InvalidField("end_date must not be before start_date", field="end_date")
    where = (
        Transaction.item_pk == item.pk,
        Transaction.removed.is_(False),
        Transaction.date >= start,
        Transaction.date <= end,
        Transaction.account_id.in_([a.id for a in accounts]),
    )
    total = session.scalar(select(func.count()).select_from(Transaction).where(*where)) or 0
    rows = session.execute(
        select(*sync.RENDERED)
        .where(*where)
        .order_by(Transaction.date.desc(), Transaction.id)
        .offset(offset)
        .limit(count)
    ).all()
    return TransactionsView(item, with_transactions(item, None, accounts), rows, total)


def with_transactions(
    item: Item, account_id: str | None, among: list[Account] | None = None
) -> list[Account]:
    """The accounts Transactions covers (optionally one of them), as Plaid lists them."""
    candidates = among if among is not None else list(item.accounts)
    return [
        a
        for a, plan in zip(candidates, account_plans(candidates), strict=True)
        if plan.has_transactions and (account_id is None or a.id == account_id)
    ]


def check_created(extra: list[dict[str, Any]], today: dt.date) -> None:
    """Plaid's rules for ``/sandbox/transactions/create``: recent, not future, posted after."""
    for index, raw in enumerate(extra):
        transacted = dt.date.fromisoformat(raw["date_transacted"])
        posted = dt.date.fromisoformat(raw["date_posted"])
        field = f"transactions[{index}]"
        if transacted > today or posted > today:
            raise errors.InvalidField(f"{field}: dates must not be in the future", field=field)
        if (today - transacted).days > CREATE_WINDOW_DAYS:
            raise errors.InvalidField(
                f"{field}.date_transacted must be within the last 14 days", field=field
            )
        if posted < transacted:
            raise errors.InvalidField(
                f"{field}.date_posted must not precede date_transacted", field=field
            )
