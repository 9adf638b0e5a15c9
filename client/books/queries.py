"""Reading the books: transactions with the category and payee the user should see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from client.store.models import Account, Category, Payee, Transaction

Chosen = aliased(Category)


@dataclass(frozen=True)
class TransactionView:
    """A transaction as an app shows it: the user's edits win over rules, rules over the bank."""

    id: int
    account_id: int
    date: dt.date
    amount: Decimal
    currency: str
    description: str
    payee: str | None
    category_id: int | None
    category: str | None
    kind: str | None
    colour: str | None
    icon: str | None
    pending: bool
    ignored: bool
    manual: bool
    notes: str | None
    merchant_name: str | None
    logo_url: str | None
    website: str | None
    location: dict[str, Any]
    counterparties: list[dict[str, Any]]
    payment_channel: str | None
    authorized_date: dt.date | None
    removed_at: dt.datetime | None


def effective_category_id() -> Any:
    """The user's choice, else the assigned payee's default, else the synced category."""
    return func.coalesce(Transaction.user_category_id, Payee.category_id, Transaction.category_id)


def transactions_query(
    user_ref: str,
    *,
    account_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    search: str | None = None,
    category_id: int | None = None,
    include_removed: bool = False,
) -> Select[Transaction, str, Category]:
    """Rows for `TransactionView`, newest first; removed transactions only when asked.
    `category_id` matches the category and its children (a primary and its detailed ones)."""
    query = (
        select(Transaction, Payee.name, Chosen)
        .join(Account, Transaction.account_id == Account.id)
        .outerjoin(Payee, Transaction.payee_id == Payee.id)
        .outerjoin(Chosen, Chosen.id == effective_category_id())
        .where(Account.user_ref == user_ref)
        .order_by(Transaction.date.desc(), Transaction.id.desc())
    )
    if not include_removed:
        query = query.where(Transaction.removed_at.is_(None))
    if account_id is not None:
        query = query.where(Transaction.account_id == account_id)
    if since is not None:
        query = query.where(Transaction.date >= since)
    if until is not None:
        query = query.where(Transaction.date <= until)
    if category_id is not None:
        query = query.where((Chosen.id == category_id) | (Chosen.parent_id == category_id))
    if search:
        columns = (Transaction.description, Transaction.payee, Payee.name, Transaction.notes)
        query = query.where(text_matches(search, *columns))
    return query


def text_matches(search: str, *columns: Any) -> Any:
    """Any of ``columns`` holds ``search``, case aside; ``%`` and ``_`` match only themselves
    (autoescape), not as LIKE wildcards."""
    return or_(*(column.icontains(search, autoescape=True) for column in columns))


def transactions(
    session: Session, user_ref: str, *, limit: int | None = None, **filters: Any
) -> list[TransactionView]:
    """The user's transactions as views (filters: see `transactions_query`)."""
    query = transactions_query(user_ref, **filters)
    if limit is not None:
        query = query.limit(limit)
    return [view(t, payee, cat) for t, payee, cat in session.execute(query)]


def view(t: Transaction, payee_name: str | None, cat: Category | None) -> TransactionView:
    """One row as the app shows it."""
    return TransactionView(
        id=t.id,
        account_id=t.account_id,
        date=t.date,
        amount=t.amount,
        currency=t.currency,
        description=t.description,
        payee=payee_name or t.payee,
        category_id=cat.id if cat else None,
        category=cat.name if cat else None,
        kind=cat.kind if cat else None,
        colour=cat.colour if cat else None,
        icon=cat.icon if cat else None,
        pending=t.pending,
        ignored=t.ignored,
        manual=t.manual,
        notes=t.notes,
        merchant_name=t.merchant_name,
        logo_url=t.logo_url,
        website=t.website,
        location=t.location,
        counterparties=t.counterparties,
        payment_channel=t.payment_channel,
        authorized_date=t.authorized_date,
        removed_at=t.removed_at,
    )
