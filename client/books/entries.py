"""The user's edits to transactions, and manual transactions that sync never touches."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from client.books import categories
from client.books.errors import BooksError, NotFoundError
from client.store.models import MANUAL_SOURCE, Account, Transaction, utcnow

MANUAL_FIELDS = ("amount", "date", "description", "currency", "account_id", "pending")


def account(session: Session, user_ref: str, account_id: int) -> Account:
    """One of the user's accounts."""
    row = session.get(Account, account_id)
    if row is None or row.user_ref != user_ref:
        raise NotFoundError(f"account_id: {account_id} is not one of your accounts")
    return row


def transaction(
    session: Session, user_ref: str, txn_id: int, *, manual: bool = False
) -> Transaction:
    """One of the user's transactions (`manual`: one the user entered)."""
    row = session.get(Transaction, txn_id)
    owner = session.get(Account, row.account_id) if row is not None else None
    if row is None or owner is None or owner.user_ref != user_ref:
        raise NotFoundError(f"transaction_id: {txn_id} is not one of your transactions")
    if manual and not row.manual:
        raise BooksError(
            f"transaction_id: {txn_id} came from the bank; only its category, payee and notes "
            "can change"
        )
    return row


def add_account(
    session: Session, user_ref: str, name: str, currency: str, type_: str = "cash"
) -> Account:
    """A manual account (cash, a wallet, an unlinked bank) for manual transactions."""
    row = Account(
        user_ref=user_ref,
        provider_id=f"manual-{secrets.token_hex(12)}",
        manual=True,
        name=categories.required(name, "name"),
        type=type_,
        currency=_currency(currency),
    )
    session.add(row)
    session.flush()
    return row


def add_manual(
    session: Session,
    user_ref: str,
    account_id: int,
    amount: Decimal | str,
    date: dt.date,
    description: str,
    **fields: Any,
) -> Transaction:
    """A transaction the user typed in: positive is money in; on any of the user's accounts."""
    owner = account(session, user_ref, account_id)
    row = Transaction(
        account_id=owner.id,
        provider_id=f"manual-{secrets.token_hex(12)}",
        source=MANUAL_SOURCE,
        amount=_amount(amount),
        currency=owner.currency,
        date=date,
        description=categories.required(description, "description"),
        pending=False,
    )
    session.add(row)
    session.flush()
    return edit(session, user_ref, row, **fields)


def edit(session: Session, user_ref: str, row: Transaction, **fields: Any) -> Transaction:
    """Apply the user's changes: category, payee, notes anywhere; facts only on manual rows."""
    for name, value in fields.items():
        if name == "category_id":
            row.user_category_id = (
                None if value is None else categories.category(session, user_ref, value).id
            )
        elif name == "payee":
            row.payee_id = None if value is None else categories.payee(session, user_ref, value).id
        elif name == "notes":
            row.notes = value or None
        elif name in MANUAL_FIELDS and row.manual:
            _set_fact(session, user_ref, row, name, value)
        elif name in MANUAL_FIELDS:
            raise BooksError(f"{name}: comes from the bank and cannot be edited")
        else:
            raise BooksError(f"{name}: not a transaction field")
    row.updated_at = utcnow()
    session.flush()
    return row


def _set_fact(session: Session, user_ref: str, row: Transaction, name: str, value: Any) -> None:
    """One of a manual transaction's facts, validated."""
    if name == "amount":
        row.amount = _amount(value)
    elif name == "date":
        if not isinstance(value, dt.date):
            raise BooksError("date: must be a date")
        row.date = value
    elif name == "description":
        row.description = categories.required(value, "description")
    elif name == "currency":
        row.currency = _currency(value)
    elif name == "account_id":
        row.account_id = account(session, user_ref, value).id
    else:
        row.pending = bool(value)


def _amount(value: Decimal | str) -> Decimal:
    """An exact amount with at most four decimals."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BooksError(f"amount: not a number: {value!r}") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.0001")):
        raise BooksError(f"amount: must be finite with at most 4 decimals, not {value!r}")
    return amount


def _currency(value: str | None) -> str:
    """A three-letter currency code."""
    if not value or len(value) != 3 or not value.isalpha():
        raise BooksError(f"currency: must be a 3-letter code like USD, not {value!r}")
    return value.upper()
