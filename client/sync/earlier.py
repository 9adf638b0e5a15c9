"""After a re-link, the rows earlier Items (or a file import) stored for the transactions the
new Item sends: claimed once each, so the history carries over without duplicates.

Apart from the page writer because matching a transaction to an earlier copy (the bank's own
transaction ids, fingerprints, pending rows that posted since) is its own rule set, read once
per page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from client.imports import adopt as file_imports
from client.providers.model import LocalTransaction
from client.store.models import MANUAL_SOURCE, Account, Connection, Transaction, utcnow


def drop_unclaimed_pending(session: Session, conn: Connection) -> int:
    """At the end of the run that adopted earlier Items' history: their pending rows on this
    connection's accounts that no transaction claimed are pending no more at the bank (posted
    under other details, or dropped), as the run read every pending transaction; no sync of
    the earlier Item will ever remove them, so they are removed now. Returns how many."""
    result = session.execute(
        update(Transaction)
        .where(
            Transaction.account_id.in_(select(Account.id).where(Account.connection_id == conn.id)),
            Transaction.item_id != conn.item_id,
            Transaction.source.not_in((MANUAL_SOURCE, *file_imports.IMPORT_SOURCES)),
            Transaction.pending.is_(True),
            Transaction.removed_at.is_(None),
        )
        .values(removed_at=utcnow(), sync_pass=conn.sync_pass)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def adopt(
    session: Session, account: Account, txn: LocalTransaction, earlier: EarlierItems | None
) -> Transaction | None:
    """Claim the old Item's copy of this transaction after re-linking, or the copy a file
    imported, instead of duplicating it."""
    found = earlier.claim(account, txn) if earlier is not None else None
    return found or file_imports.claim_imported(session, account, txn)


Fingerprint = tuple[int, dt.date, Decimal, str, bool]
# The bank's own ids of a transaction, the same whichever connection reads it (TrueLayer's;
# clients dedupe on the normalised one), as `payment_meta` keeps them. Plaid sends none.
BANK_IDS = ("normalised_provider_transaction_id", "provider_transaction_id")


def bank_id(payment_meta: Mapping[str, Any]) -> str | None:
    """The transaction's id at the bank, if the provider sent one."""
    return next((str(payment_meta[k]) for k in BANK_IDS if payment_meta.get(k)), None)


class EarlierItems:
    """After a re-link: the rows earlier Items of this connection's accounts stored, by the
    bank's id of the transaction when both copies have one (`bank_id`), else by what identifies
    a transaction (account, date, amount, description, pending), read with one query per page
    rather than one per transaction. Each row is handed out once."""

    def __init__(self, item_id: str | None, rows: Iterable[Transaction], wanted: set[str]) -> None:
        """`wanted`: the bank ids the page sends; rows with one of them wait for it, rather
        than go to another transaction of the same fingerprint."""
        self.item_id = item_id
        self.rows: dict[Fingerprint, list[Transaction]] = {}
        self.by_bank_id: dict[tuple[int, str], Transaction] = {}
        # Pending rows by account and date: the new Item may know one only as posted since.
        self.pending: dict[tuple[int, dt.date], list[Transaction]] = {}
        for row in rows:
            known = bank_id(row.payment_meta or {})
            if known is not None:
                self.by_bank_id.setdefault((row.account_id, known), row)
                if known in wanted:
                    continue
            key = (row.account_id, row.date, row.amount, row.description, row.pending)
            self.rows.setdefault(key, []).append(row)
            if row.pending:
                self.pending.setdefault((row.account_id, row.date), []).append(row)

    @classmethod
    def load(
        cls,
        session: Session,
        conn: Connection,
        txns: Iterable[LocalTransaction],
        accounts: dict[str, Account],
    ) -> EarlierItems | None:
        """The page's candidates (live rows of other Items, on the page's accounts and dates),
        oldest first; None unless the connection is adopting its history."""
        if not conn.settings.get("adopt_history"):
            return None
        account_ids = {a.id for a in accounts.values()}
        dates = [t.date for t in txns] + [t.authorized_date for t in txns if t.authorized_date]
        rows = session.scalars(
            select(Transaction)
            .where(
                Transaction.account_id.in_(account_ids),
                Transaction.item_id != conn.item_id,
                Transaction.source != MANUAL_SOURCE,
                Transaction.removed_at.is_(None),
                Transaction.date.between(min(dates), max(dates)),
            )
            .order_by(Transaction.id)
        )
        wanted = {found for t in txns if (found := bank_id(t.details.payment_meta))}
        return cls(conn.item_id, rows, wanted)

    def claim(self, account: Account, txn: LocalTransaction) -> Transaction | None:
        """The candidate with this transaction's bank id, else the oldest with its fingerprint,
        that no transaction of this Item has taken yet; for a posted transaction without one,
        the earlier Item's pending copy of it (``_posted_from``)."""
        known = bank_id(txn.details.payment_meta)
        same = self.by_bank_id.get((account.id, known)) if known is not None else None
        if same is not None and same.item_id != self.item_id:
            return same
        key = (account.id, txn.date, txn.amount, txn.description, txn.pending)
        candidates = self.rows.get(key, [])
        while candidates:
            row = candidates.pop(0)
            if row.item_id != self.item_id:
                return row
        if txn.pending or txn.authorized_date is None:
            return None
        return self._posted_from(account, txn)

    def _posted_from(self, account: Account, txn: LocalTransaction) -> Transaction | None:
        """The earlier Item's pending row that ``txn`` posted from: pending on the day the
        posted one was authorized, with the same amount (a renamed merchant) or the same
        description (a tip added). Left behind, that row would stay pending beside the posted
        one for good: no sync of the earlier Item will ever remove it."""
        assert txn.authorized_date is not None
        candidates = self.pending.get((account.id, txn.authorized_date), [])
        for row in candidates:
            alike = row.amount == txn.amount or row.description == txn.description
            if alike and row.item_id != self.item_id:
                candidates.remove(row)
                return row
        return None
