"""Run the rules again over transactions already stored (after the user adds or drops one)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.providers.model import (
    LocalTransaction,
    ProviderCategory,
    TransactionDetails,
    normalise_payee,
)
from client.store.models import MANUAL_SOURCE, Account, Connection, Transaction
from client.sync.rows import PageContext


def reclassify(session: Session, conn: Connection) -> int:
    """Payee, category and ignore flag of the connection's live rows as the rules now say;
    returns how many rows changed. The user's own edits are separate columns and stay."""
    accounts = list(session.scalars(select(Account).where(Account.connection_id == conn.id)))
    context = PageContext.load(session, conn, accounts)
    rows = session.scalars(
        select(Transaction).where(
            Transaction.account_id.in_([a.id for a in accounts]),
            Transaction.source != MANUAL_SOURCE,
            Transaction.removed_at.is_(None),
        )
    )
    changed = 0
    for row in rows:
        txn = as_local(row)
        outcome = context.outcome(txn)
        values = (outcome.payee, outcome.category_id or context.category_id(txn), outcome.ignored)
        if values != (row.payee, row.category_id, row.ignored):
            row.payee, row.category_id, row.ignored = values
            changed += 1
    return changed


def as_local(row: Transaction) -> LocalTransaction:
    """The fields rules look at, as the provider first sent them (payee before any rule)."""
    category = ProviderCategory(primary=row.category_primary, detailed=row.category)
    return LocalTransaction(
        provider_id=row.provider_id,
        account_provider_id="",
        amount=row.amount,
        currency=row.currency,
        date=row.date,
        description=row.description,
        payee=normalise_payee(row.merchant_name or row.description),
        category=row.category,
        pending=row.pending,
        details=TransactionDetails(category=category),
    )
