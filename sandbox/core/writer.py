"""Writing the ledger into the change log: rows, sequence numbers and balances together.

``items`` decides *what* to write (new days, postings, the historical pull, a dynamic
refresh); a ``LedgerWriter`` writes it: each row gets the next position in the item's change
log, balances move with posted amounts, and everything goes to the database in one bulk
insert. Available balances are recomputed only when a write can have moved them (the
historical pull adds posted rows to settled balances, so it reads nothing back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import bulk, ledger
from .models import Account, Item, Transaction
from .seeding import make_id


class LedgerWriter:
    """Appends rows to the change log and keeps balances in step, in one flush.

    ``adjust_balances``: posted rows move current balances (not at creation, whose balances
    come from the engine, nor in the historical pull, whose rows are older than them);
    ``new_balances``: the caller has just set every current balance (a new item).
    """

    def __init__(
        self,
        session: Session,
        item: Item,
        accounts: dict[int, Account],
        *,
        adjust_balances: bool,
        new_balances: bool = False,
    ) -> None:
        self.session, self.item, self.accounts = session, item, accounts
        self.adjust_balances = adjust_balances
        self.new_balances = new_balances
        self.rows: list[dict[str, Any]] = []
        self.changed = False
        self.available_moved = new_balances  # or a pending row came or went, a balance moved
        # Read once: ORM attribute reads cost more than the rest of a row (thousands per link).
        self.item_id, self.item_pk = item.id, item.pk
        self.seq = item.change_seq  # stored on the item at flush (ORM writes per row are slow)
        self.next_post_on = dt.date.max  # of the pending rows added

    def next_seq(self) -> int:
        self.seq += 1
        self.changed = True
        return self.seq

    def add(self, entry: ledger.Entry, today: dt.date) -> None:
        account = self.accounts[entry.account]
        pending = entry.post_date > today
        amount = entry.amount_minor if pending else entry.final_amount_minor
        row_date = entry.date if pending else entry.post_date
        seq = self.next_seq()
        self.rows.append(
            {
                "id": make_id(self.item_id, entry.key, "pending" if pending else "posted"),
                "item_pk": self.item_pk,
                "account_id": account.id,
                "amount_minor": amount,
                "currency": account.currency,
                "date": row_date,
                "authorized_date": entry.date,
                "name": entry.name if pending else entry.final_name,
                "merchant_name": entry.merchant_name,
                "category": entry.category,
                "payment_channel": entry.payment_channel,
                "pending": pending,
                "pending_transaction_id": None,
                "removed": False,
                "created_seq": seq,
                "updated_seq": seq,
                "post_on": entry.post_date if pending else None,
                "posted_amount_minor": entry.final_amount_minor if pending else None,
                "posted_name": entry.final_name if pending else None,
                "details": entry.stored_details,
            }
        )
        if pending:
            self.next_post_on = min(self.next_post_on, entry.post_date)
            self.available_moved = True
        else:
            self.apply(account, amount)

    def post(self, pending_row: Transaction, today: dt.date) -> None:
        """Pending → posted: remove the pending row, add the posted one pointing back to it."""
        assert pending_row.post_on is not None and pending_row.posted_amount_minor is not None
        posted_date = min(pending_row.post_on, today)
        amount = pending_row.posted_amount_minor
        name = pending_row.posted_name or pending_row.name
        details = pending_row.details
        pending_row.removed = True
        pending_row.updated_seq = self.next_seq()
        pending_row.post_on = pending_row.posted_amount_minor = pending_row.posted_name = None
        account = next(a for a in self.accounts.values() if a.id == pending_row.account_id)
        seq = self.next_seq()
        self.available_moved = True
        self.rows.append(
            {
                "id": make_id(self.item_id, details["key"], "posted"),
                "item_pk": self.item_pk,
                "account_id": account.id,
                "amount_minor": amount,
                "currency": pending_row.currency,
                "date": posted_date,
                "authorized_date": pending_row.date,
                "name": name,
                "merchant_name": pending_row.merchant_name,
                "category": pending_row.category,
                "payment_channel": pending_row.payment_channel,
                "pending": False,
                "pending_transaction_id": pending_row.id,
                "removed": False,
                "created_seq": seq,
                "updated_seq": seq,
                "post_on": None,
                "posted_amount_minor": None,
                "posted_name": None,
                "details": bulk.json_text(details),
            }
        )
        self.apply(account, amount, force=True)

    def apply(self, account: Account, amount_minor: int, *, force: bool = False) -> None:
        if not (self.adjust_balances or force):
            return
        sign = 1 if account.type in ("credit", "loan") else -1
        account.current_minor += sign * amount_minor
        self.available_moved = True

    def flush(self) -> None:
        self.item.change_seq = self.seq
        if self.item.next_post_on is not None:
            self.item.next_post_on = min(self.item.next_post_on, self.next_post_on)
        accounts = list(self.accounts.values())
        if self.available_moved and self.new_balances:
            # A new item's pending rows are all here: summed before the flush, which then
            # inserts its accounts with their final balances.
            written = ((r["account_id"], r["amount_minor"]) for r in self.rows if r["pending"])
            refresh_available(accounts, pending_outflows(accounts, written))
        self.session.flush()
        bulk.insert_transactions(self.session, self.rows)
        if self.available_moved and not self.new_balances and accounts:
            refresh_available(accounts, _stored_pending_outflows(self.session, accounts))


def _stored_pending_outflows(session: Session, accounts: list[Account]) -> dict[str, int]:
    """Each account's live pending outflows, as stored."""
    rows = session.execute(
        select(Transaction.account_id, Transaction.amount_minor).where(
            Transaction.item_pk.in_({a.item_pk for a in accounts}),
            Transaction.account_id.in_([a.id for a in accounts]),
            Transaction.pending.is_(True),
            Transaction.removed.is_(False),
        )
    )
    return pending_outflows(accounts, ((account_id, amount) for account_id, amount in rows))


def pending_outflows(
    accounts: list[Account], pending_rows: Iterable[tuple[str, int]]
) -> dict[str, int]:
    """Sum of pending outflows by account (pending inflows do not count until posted)."""
    pending: dict[str, int] = {a.id: 0 for a in accounts}
    for account_id, amount in pending_rows:
        pending[account_id] += max(amount, 0)
    return pending


def refresh_available(accounts: list[Account], pending: dict[str, int]) -> None:
    """Available balance = current ∓ pending outflows (depository and credit only)."""
    for account in accounts:
        account.available_minor = available_balance(
            account, account.current_minor, pending[account.id]
        )


def available_balance(account: Account, current_minor: int, pending_minor: int) -> int | None:
    """The available balance ``account`` shows with this ``current`` and these pending
    outflows: one rule for ``/accounts/get`` and for an Asset Report's day. An account
    without one (a CD, a loan) keeps what it has, often null."""
    if account.type == "depository" and account.available_minor is not None:
        return current_minor - pending_minor
    if account.type == "credit" and account.limit_minor is not None:
        return account.limit_minor - current_minor - pending_minor
    return account.available_minor
