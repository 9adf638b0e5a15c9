"""What a provider transaction becomes as a row: its column values after the user's rules,
and the user's own fields carried over from the row it replaces.

Apart from the page writer (`client.sync.apply`) because file imports
(`client.imports.importer`) and re-categorisation (`client.sync.reclassify`) build rows the
same way without writing a sync page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.providers.model import LocalTransaction, TransactionDetails
from client.store.models import USER_FIELDS, Account, Connection, Cut, Rule, Transaction, utcnow
from client.store.taxonomy import builtin_ids, kind_of
from client.sync.rules import Outcome, apply_rules, from_settings
from client.sync.rules import Rule as RuleSpec


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


def row_values(
    conn: Connection, account: Account, txn: LocalTransaction, context: PageContext
) -> dict[str, Any]:
    """The row's provider facts, then payee, category and ignore flag after the rules; the
    provider's names are cut to their columns' sizes (`Cut`)."""
    outcome = context.outcome(txn)
    return {
        "provider_id": txn.provider_id,
        "account_id": account.id,
        "item_id": conn.item_id,
        "amount": txn.amount,
        "currency": txn.currency,
        "date": txn.date,
        "authorized_date": txn.authorized_date,
        "description": txn.description,
        "category": txn.category,
        "pending": txn.pending,
        "pending_provider_id": txn.pending_provider_id,
        "source": txn.source,
        **_details(txn.details),
        "payee": Cut.payee(outcome.payee),
        "category_id": outcome.category_id or context.category_id(txn),
        "ignored": outcome.ignored,
        "sync_pass": conn.sync_pass,
        "removed_at": None,
        "updated_at": utcnow(),
    }


def _details(d: TransactionDetails) -> dict[str, Any]:
    """Merchant, counterparties, place, channel, provider category, times and codes as columns."""
    return {
        "iso_currency_code": d.iso_currency_code,
        "unofficial_currency_code": d.unofficial_currency_code,
        "posted_at": d.posted_at,
        "authorized_at": d.authorized_at,
        "original_description": d.original_description,
        "merchant_name": Cut.merchant_name(d.merchant_name),
        "merchant_entity_id": d.merchant_entity_id,
        "logo_url": d.logo_url,
        "website": d.website,
        "counterparties": [dict(vars(c)) for c in d.counterparties],
        "location": dict(d.location),
        "payment_meta": dict(d.payment_meta),
        "payment_channel": d.payment_channel,
        "check_number": d.check_number,
        "transaction_code": d.transaction_code,
        "account_owner": Cut.account_owner(d.account_owner),
        "category_primary": d.category.primary,
        "category_confidence": d.category.confidence_level,
        "category_icon_url": d.category.icon_url,
        "legacy_category": list(d.category.legacy_path),
        "legacy_category_id": d.category.legacy_id,
    }


# Columns every write of a row sets anew: when it was last seen, not what it says.
_SEEN = frozenset({"sync_pass", "updated_at"})


def changes(row: Transaction, update: dict[str, Any]) -> bool:
    """Whether ``update`` changes what the row says: a transaction read again as it was (as
    TrueLayer's overlapping windows bring them) is written, to mark it seen, but is no
    modification."""
    return any(getattr(row, name) != value for name, value in update.items() if name not in _SEEN)


def carried(row: Transaction | None, pending: Transaction | None) -> dict[str, Any]:
    """The user's fields of the row, each taken from its pending version when the row has
    none (a posted transaction keeps what the user set while it was pending). Always every
    user field, so one executemany covers all rows."""
    out = {name: getattr(row, name) if row is not None else None for name in USER_FIELDS}
    if pending is None or pending is row:
        return out
    for name in USER_FIELDS:
        if out[name] is None:
            out[name] = getattr(pending, name)
    return out
