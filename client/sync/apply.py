"""Write one planned page into the store (the caller commits it with the cursor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from client.providers.model import LocalAccount, LocalTransaction
from client.store.models import Account, Connection, Transaction, utcnow
from client.sync.merge import Plan
from client.sync.rules import apply_rules


@dataclass
class Counts:
    """Rows created, updated and deleted by one page."""

    added: int = 0
    modified: int = 0
    removed: int = 0


def upsert_account(session: Session, conn: Connection, acc: LocalAccount) -> Account:
    """Create or refresh the local account (balances, currency) for a provider account."""
    row = session.scalar(select(Account).where(Account.provider_id == acc.provider_id))
    if row is None:
        row = Account(
            provider_id=acc.provider_id, name=acc.name, type=acc.type, currency=acc.currency
        )
        session.add(row)
    row.connection_id = conn.id
    row.institution_id = conn.institution_id
    row.name, row.official_name, row.mask = acc.name, acc.official_name, acc.mask
    row.type, row.subtype, row.currency = acc.type, acc.subtype, acc.currency
    row.current, row.available, row.credit_limit = acc.current, acc.available, acc.limit
    row.balance_at = utcnow()
    session.flush()
    return row


def apply_plan(
    session: Session, conn: Connection, plan: Plan, accounts: dict[str, Account]
) -> Counts:
    """Delete, then upsert by provider id: replays update in place, so no duplicates."""
    counts = Counts()
    if plan.deletes:
        result = session.execute(
            delete(Transaction).where(Transaction.provider_id.in_(plan.deletes))
        )
        counts.removed = int(getattr(result, "rowcount", 0) or 0)
    selected = conn.settings.get("account_ids")
    rules: list[dict[str, Any]] = conn.settings.get("rules", [])
    masks = frozenset(a.mask for a in accounts.values() if a.mask)
    existing = _existing(session, list(plan.upserts))
    for txn in plan.upserts.values():
        if selected is not None and txn.account_provider_id not in selected:
            continue
        account = accounts.get(txn.account_provider_id)
        if account is None:
            continue  # DIVERGES: investment accounts never carry sync transactions
        txn, ignored = apply_rules(txn, rules, masks)
        row = existing.get(txn.provider_id) or _adopt(session, conn, account, txn)
        if row is None:
            row = Transaction(provider_id=txn.provider_id, account_id=account.id)
            session.add(row)
            counts.added += 1
        else:
            counts.modified += 1
        _fill(row, conn, account, txn, ignored)
    session.flush()
    return counts


def _existing(session: Session, ids: list[str]) -> dict[str, Transaction]:
    """Rows already stored for these provider ids, in chunks to respect bind limits."""
    found: dict[str, Transaction] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.scalars(select(Transaction).where(Transaction.provider_id.in_(chunk))):
            found[row.provider_id] = row
    return found


def _adopt(
    session: Session, conn: Connection, account: Account, txn: LocalTransaction
) -> Transaction | None:
    """After re-linking, claim the old Item's copy of this transaction instead of duplicating."""
    if not conn.settings.get("adopt_history"):
        return None
    return session.scalar(
        select(Transaction)
        .where(
            Transaction.account_id == account.id,
            Transaction.item_id != conn.item_id,
            Transaction.date == txn.date,
            Transaction.amount == txn.amount,
            Transaction.description == txn.description,
            Transaction.pending == txn.pending,
        )
        .limit(1)
    )


def _fill(
    row: Transaction, conn: Connection, account: Account, txn: LocalTransaction, ignored: bool
) -> None:
    """Copy the local-model fields onto the row and stamp the sync pass."""
    row.provider_id, row.account_id, row.item_id = txn.provider_id, account.id, conn.item_id
    row.amount, row.currency, row.date = txn.amount, txn.currency, txn.date
    row.authorized_date, row.description, row.payee = (
        txn.authorized_date,
        txn.description,
        txn.payee,
    )
    row.category, row.pending, row.pending_provider_id = (
        txn.category,
        txn.pending,
        txn.pending_provider_id,
    )
    row.source, row.ignored, row.sync_pass = txn.source, ignored, conn.sync_pass
    row.updated_at = utcnow()
