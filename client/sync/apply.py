"""Write one planned page into the store (the caller commits it with the cursor).

Which rows a page adds, updates, adopts and tombstones; how a row's values are made
(`client.sync.rows`), how earlier copies are claimed (`client.sync.earlier`) and how the batch
reaches the driver (`client.sync.batch`) live beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from client.imports import adopt as file_imports
from client.store.models import MANUAL_SOURCE, Account, Connection, Transaction, utcnow
from client.sync.batch import UPDATE, insert_rows
from client.sync.earlier import EarlierItems, adopt
from client.sync.merge import Plan
from client.sync.rows import PageContext, carried, changes, row_values


@dataclass
class Counts:
    """Rows created, updated and removed (tombstoned) by one page."""

    added: int = 0
    modified: int = 0
    removed: int = 0


def apply_plan(
    session: Session, conn: Connection, plan: Plan, accounts: dict[str, Account]
) -> Counts:
    """Tombstone removals, then upsert by provider id: replays update in place, no duplicates.

    Rows known by provider id are written with one executemany each for inserts and updates;
    a row adopted from an earlier Item or a file goes through the ORM, flushed before them."""
    counts = Counts(removed=tombstone(session, conn, plan.deletes))
    if not plan.upserts:
        return counts
    context = PageContext.load(session, conn, accounts.values())
    selected = conn.settings.get("account_ids")
    existing = _existing(session, [*plan.upserts, *_replaced(plan)])
    file_imports.prime_imports(session, list(accounts.values()))
    earlier = EarlierItems.load(session, conn, plan.upserts.values(), accounts)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for txn in plan.upserts.values():
        if selected is not None and txn.account_provider_id not in selected:
            continue
        account = accounts.get(txn.account_provider_id)
        if account is None:
            continue  # DIVERGES: investment accounts never carry sync transactions
        values = row_values(conn, account, txn, context)
        pending = existing.get(txn.pending_provider_id or "")
        row = existing.get(txn.provider_id)
        if row is not None:
            if txn.pending_provider_id is None:  # read again without it (TrueLayer's overlap)
                values["pending_provider_id"] = row.pending_provider_id
            update = {**values, **carried(row, pending)}
            updates.append({"row_id": row.id, **update})
            counts.added += row.removed_at is not None  # a tombstone back
            counts.modified += row.removed_at is None and changes(row, update)
        elif (adopted := adopt(session, account, txn, earlier)) is not None:
            for name, value in {**values, **carried(adopted, pending)}.items():
                setattr(adopted, name, value)
            counts.modified += 1
        else:
            inserts.append({**values, **carried(None, pending)})
            counts.added += 1
    session.flush()  # adopted rows first: they give up the ids the new rows may take
    if inserts:
        insert_rows(session, inserts)
    if updates:
        session.execute(UPDATE, updates)
    session.flush()
    return counts


def tombstone(session: Session, conn: Connection, provider_ids: Iterable[str]) -> int:
    """Mark rows removed (with when), keeping them and the user's edits; returns how many."""
    ids, removed = list(provider_ids), 0
    for start in range(0, len(ids), 500):
        result = session.execute(
            update(Transaction)
            .where(
                Transaction.provider_id.in_(ids[start : start + 500]),
                Transaction.removed_at.is_(None),
                Transaction.source != MANUAL_SOURCE,
            )
            .values(removed_at=utcnow(), sync_pass=conn.sync_pass)
            .execution_options(synchronize_session=False)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def _replaced(plan: Plan) -> list[str]:
    """Pending ids that posted transactions of this page replace (their edits carry over)."""
    return [t.pending_provider_id for t in plan.upserts.values() if t.pending_provider_id]


def _existing(session: Session, ids: list[str]) -> dict[str, Transaction]:
    """Rows already stored for these provider ids (tombstones too), in chunks for bind limits."""
    found: dict[str, Transaction] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.scalars(select(Transaction).where(Transaction.provider_id.in_(chunk))):
            found[row.provider_id] = row
    return found
