"""`Books`: one user's categories, payees, rules, notes, overrides and manual transactions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.books import categories, entries, queries
from client.books.errors import NotFoundError
from client.books.queries import TransactionView
from client.store.db import Store
from client.store.models import Account, Category, Connection, Payee, Rule, Transaction
from client.sync.reclassify import reclassify


class Books:
    """Everything the user edits, scoped to one `user_ref`; sync never overwrites any of it."""

    def __init__(self, store: Store, user_ref: str = "default") -> None:
        self.store, self.user_ref = store, user_ref

    def __repr__(self) -> str:
        return f"Books({self.store!r}, user_ref={self.user_ref!r})"

    # -- reading -----------------------------------------------------------------------------

    def transactions(self, **filters: Any) -> list[TransactionView]:
        """Newest first; filters: account_id, since, until, search, category_id (with its
        children), include_removed, limit."""
        with self.store.session() as session:
            return queries.transactions(session, self.user_ref, **filters)

    def transaction(self, txn_id: int) -> TransactionView:
        """One transaction as the app shows it (removed ones too)."""
        with self.store.session() as session:
            entries.transaction(session, self.user_ref, txn_id)
            query = queries.transactions_query(self.user_ref, include_removed=True)
            txn, payee, category = session.execute(query.where(Transaction.id == txn_id)).one()
            return queries.view(txn, payee, category)

    def accounts(self) -> list[Account]:
        """The user's accounts, linked and manual, by name."""
        with self.store.session() as session:
            query = select(Account).where(Account.user_ref == self.user_ref)
            return list(session.scalars(query.order_by(Account.name, Account.id)))

    def categories(self) -> list[Category]:
        """Built-in categories (Plaid's taxonomy) and the user's own, parents before children."""
        with self.store.session() as session:
            query = select(Category).where(categories.visible(self.user_ref))
            rows = list(session.scalars(query.order_by(Category.id)))
        return sorted(rows, key=lambda c: c.parent_id is not None)

    def payees(self) -> list[Payee]:
        """The user's payees by name."""
        with self.store.session() as session:
            query = select(Payee).where(Payee.user_ref == self.user_ref).order_by(Payee.name)
            return list(session.scalars(query))

    def rules(self) -> list[Rule]:
        """The user's rules in the order they apply."""
        with self.store.session() as session:
            query = select(Rule).where(Rule.user_ref == self.user_ref)
            return list(session.scalars(query.order_by(Rule.position, Rule.id)))

    # -- categories, payees, rules -----------------------------------------------------------

    def create_category(self, name: str, **options: Any) -> Category:
        """A user category (options: parent_id, kind, colour, icon)."""
        with self.store.session() as session:
            return categories.create_category(session, self.user_ref, name, **options)

    def update_category(self, category_id: int, **changes: str | None) -> Category:
        """Change one of the user's categories (name, colour, kind, icon)."""
        with self.store.session() as session:
            return categories.update_category(session, self.user_ref, category_id, **changes)

    def delete_category(self, category_id: int) -> None:
        """Delete one of the user's categories; what used it falls back to the rules' or the
        provider's category, and rules that set it stop setting a category."""
        with self.store.session() as session:
            categories.delete_category(session, self.user_ref, category_id)
            self._reclassify(session)

    def _reclassify(self, session: Session) -> int:
        """Rules over every synced transaction of the user's connections."""
        query = select(Connection).where(Connection.user_ref == self.user_ref)
        return sum(reclassify(session, conn) for conn in session.scalars(query))

    def create_payee(self, name: str, *, category_id: int | None = None) -> Payee:
        """A payee, optionally with the category its transactions get by default."""
        with self.store.session() as session:
            return categories.payee(session, self.user_ref, name, category_id)

    def add_rule(self, pattern: str, **actions: Any) -> Rule:
        """A rule for transactions synced from now on (actions: category_id, payee_name, ignore)."""
        with self.store.session() as session:
            return categories.add_rule(session, self.user_ref, pattern, **actions)

    def apply_rules(self) -> int:
        """Run the rules again over the user's synced transactions; returns how many changed."""
        with self.store.session() as session:
            return self._reclassify(session)

    def delete_rule(self, rule_id: int) -> None:
        """Stop applying a rule (transactions it already shaped keep their values)."""
        with self.store.session() as session:
            row = session.get(Rule, rule_id)
            if row is None or row.user_ref != self.user_ref:
                raise NotFoundError(f"rule_id: {rule_id} is not one of your rules")
            session.delete(row)

    # -- per-transaction edits and manual transactions ----------------------------------------

    def edit(self, txn_id: int, **fields: Any) -> TransactionView:
        """Set category_id, payee (a name) or notes on any transaction (None clears); on a
        manual one also amount, date, description, currency, account_id, pending."""
        with self.store.session() as session:
            row = entries.transaction(session, self.user_ref, txn_id)
            entries.edit(session, self.user_ref, row, **fields)
        return self.transaction(txn_id)

    def add_account(self, name: str, currency: str, *, type: str = "cash") -> Account:
        """A manual account for cash or an unlinked bank."""
        with self.store.session() as session:
            return entries.add_account(session, self.user_ref, name, currency, type)

    def add_transaction(
        self,
        account_id: int,
        amount: Decimal | str,
        date: dt.date,
        description: str,
        **fields: Any,
    ) -> TransactionView:
        """A manual transaction (positive = money in); fields as in `edit`."""
        with self.store.session() as session:
            row = entries.add_manual(
                session, self.user_ref, account_id, amount, date, description, **fields
            )
            txn_id = row.id
        return self.transaction(txn_id)

    def delete_transaction(self, txn_id: int) -> None:
        """Delete a manual transaction (bank transactions are removed only by the bank)."""
        with self.store.session() as session:
            session.delete(entries.transaction(session, self.user_ref, txn_id, manual=True))
