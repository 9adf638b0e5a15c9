"""Pure dedup/merge rules for one sync page, shared by the store and the property tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from client.providers.base import ChangePage
from client.providers.model import LocalTransaction

__all__ = ["ChangePage", "Plan", "merge", "plan_page"]


@dataclass(frozen=True)
class Plan:
    """What applying a page does: the final row per upserted id, and ids that stop existing."""

    upserts: dict[str, LocalTransaction]
    deletes: frozenset[str]


def plan_page(page: ChangePage) -> Plan:
    """Upsert added/modified (a replayed `added` is an update, never a duplicate); remove the
    removed ids and the pending rows that a posted transaction replaces."""
    upserts: dict[str, LocalTransaction] = {}
    for txn in [*page.added, *page.modified]:
        upserts[txn.provider_id] = txn
    deletes = set(page.removed)
    deletes.update(t.pending_provider_id for t in upserts.values() if t.pending_provider_id)
    # A removal in the same page is the later state of that row.
    for gone in page.removed:
        upserts.pop(gone, None)
    return Plan(upserts, frozenset(deletes - upserts.keys()))


def merge(
    state: Mapping[str, LocalTransaction], pages: Iterable[ChangePage]
) -> dict[str, LocalTransaction]:
    """Apply pages in order to an id -> transaction map (the reference the store must match)."""
    result = dict(state)
    for page in pages:
        plan = plan_page(page)
        for gone in plan.deletes:
            result.pop(gone, None)
        result.update(plan.upserts)
    return result
