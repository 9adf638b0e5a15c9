"""Write one planned page into the store (the caller commits it with the cursor)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from client.books.taxonomy import builtin_ids, kind_of
from client.providers.model import LocalAccount, LocalTransaction
from client.store.models import (
    MANUAL_SOURCE,
    USER_FIELDS,
    Account,
    Connection,
    Rule,
    Transaction,
    utcnow,
)
from client.sync.merge import Plan
from client.sync.rules import Outcome, apply_rules, from_settings
from client.sync.rules import Rule as RuleSpec


@dataclass
class Counts:
    """Rows created, updated and removed (tombstoned) by one page."""

    added: int = 0
    modified: int = 0
    removed: int = 0


@dataclass(frozen=True)
class PageContext:
    """What every row of a page needs: category ids, the rules in order, own account masks."""

    categories: dict[str, int]
    rules: list[RuleSpec]
    masks: frozenset[str]

    @classmethod
    def load(cls, session: Session, conn: Connection, accounts: Iterable[Account]) -> PageContext:
        """Read categories and rules once per page, not once per row."""
        categories = builtin_ids(session)
        own = session.scalars(
            select(Rule).where(Rule.user_ref == conn.user_ref).order_by(Rule.position, Rule.id)
        )
        rules = [RuleSpec(r.pattern, r.payee, r.category_id, r.ignore) for r in own]
        rules += from_settings(conn.settings.get("rules", []), categories)
        masks = frozenset(a.mask for a in accounts if a.mask)
        return cls(categories, rules, masks)

    def category_id(self, txn: LocalTransaction) -> int | None:
        """The built-in category of the provider's code (its primary when the code is new)."""
        code = txn.category
        found = self.categories.get(code) if code else None
        return found or self.categories.get(txn.details.category.primary or "")

    def outcome(self, txn: LocalTransaction) -> Outcome:
        """The rules' decision for this transaction."""
        transfer = kind_of(txn.category or txn.details.category.primary) == "transfer"
        return apply_rules(txn, self.rules, self.masks, transfer=transfer)


def upsert_account(session: Session, conn: Connection, acc: LocalAccount) -> Account:
    """Create or refresh the local account (balances, currency) for a provider account."""
    row = session.scalar(select(Account).where(Account.provider_id == acc.provider_id))
    if row is None:
        row = Account(
            provider_id=acc.provider_id, name=acc.name, type=acc.type, currency=acc.currency
        )
        session.add(row)
    row.connection_id, row.user_ref = conn.id, conn.user_ref
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
    """Tombstone removals, then upsert by provider id: replays update in place, no duplicates."""
    counts = Counts(removed=tombstone(session, conn, plan.deletes))
    context = PageContext.load(session, conn, accounts.values())
    selected = conn.settings.get("account_ids")
    existing = _existing(session, [*plan.upserts, *_replaced(plan)])
    for txn in plan.upserts.values():
        if selected is not None and txn.account_provider_id not in selected:
            continue
        account = accounts.get(txn.account_provider_id)
        if account is None:
            continue  # DIVERGES: investment accounts never carry sync transactions
        row = existing.get(txn.provider_id) or _adopt(session, conn, account, txn)
        if row is None or row.removed_at is not None:
            counts.added += 1
        else:
            counts.modified += 1
        if row is None:
            row = Transaction(provider_id=txn.provider_id, account_id=account.id)
            session.add(row)
        _fill(row, conn, account, txn)
        _classify(row, txn, context)
        _carry_user_fields(row, existing.get(txn.pending_provider_id or ""))
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
            Transaction.source != MANUAL_SOURCE,
            Transaction.removed_at.is_(None),
            Transaction.date == txn.date,
            Transaction.amount == txn.amount,
            Transaction.description == txn.description,
            Transaction.pending == txn.pending,
        )
        .limit(1)
    )


def _fill(row: Transaction, conn: Connection, account: Account, txn: LocalTransaction) -> None:
    """Copy the provider's facts onto the row, stamp the sync pass, undo any tombstone."""
    d = txn.details
    row.provider_id, row.account_id, row.item_id = txn.provider_id, account.id, conn.item_id
    row.amount, row.currency, row.date = txn.amount, txn.currency, txn.date
    row.iso_currency_code, row.unofficial_currency_code = (
        d.iso_currency_code,
        d.unofficial_currency_code,
    )
    row.authorized_date, row.authorized_at, row.posted_at = (
        txn.authorized_date,
        d.authorized_at,
        d.posted_at,
    )
    row.description, row.original_description = txn.description, d.original_description
    row.merchant_name, row.merchant_entity_id = d.merchant_name, d.merchant_entity_id
    row.logo_url, row.website = d.logo_url, d.website
    row.counterparties = [dataclasses.asdict(c) for c in d.counterparties]
    row.location, row.payment_meta = dict(d.location), dict(d.payment_meta)
    row.payment_channel, row.check_number = d.payment_channel, d.check_number
    row.transaction_code, row.account_owner = d.transaction_code, d.account_owner
    row.category, row.category_primary = txn.category, d.category.primary
    row.category_confidence, row.category_icon_url = (
        d.category.confidence_level,
        d.category.icon_url,
    )
    row.legacy_category, row.legacy_category_id = list(d.category.legacy_path), d.category.legacy_id
    row.pending, row.pending_provider_id = txn.pending, txn.pending_provider_id
    row.source, row.sync_pass, row.removed_at = txn.source, conn.sync_pass, None
    row.updated_at = utcnow()


def _classify(row: Transaction, txn: LocalTransaction, context: PageContext) -> None:
    """Payee, category and the ignore flag from the provider, then the rules."""
    outcome = context.outcome(txn)
    row.payee, row.ignored = outcome.payee, outcome.ignored
    row.category_id = outcome.category_id or context.category_id(txn)


def _carry_user_fields(row: Transaction, pending: Transaction | None) -> None:
    """A posted transaction keeps what the user set on its pending version."""
    if pending is None or pending is row:
        return
    for name in USER_FIELDS:
        if getattr(row, name) is None and getattr(pending, name) is not None:
            setattr(row, name, getattr(pending, name))
