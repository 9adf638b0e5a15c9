"""The change log behind /transactions/sync, driven through ``Bank`` without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core import errors
from sandbox.core.bank import Bank
from sandbox.core.clock import Clock

from .conftest import link


def _drain(
    bank: Bank, token: str, cursor: str = "", count: int = 100
) -> tuple[dict[str, str], str]:
    """Apply every page from ``cursor`` to a local copy: id → name; returns (copy, cursor)."""
    local: dict[str, str] = {}
    while True:
        view = bank.sync_transactions(token, cursor, count)
        for row in view.page.added + view.page.modified:
            local[row.id] = row.name
        for row in view.page.removed:
            local.pop(row.id, None)
        cursor = view.page.next_cursor
        if not view.page.has_more:
            return local, cursor


def test_sync_from_empty_cursor_returns_every_live_transaction(bank: Bank) -> None:
    token = link(bank)
    local, cursor = _drain(bank, token, count=37)
    item = bank.item(token)
    live = {
        t.id
        for t in bank.transactions(
            token, item.history_start, bank.clock.today(), account_ids=None, count=500, offset=0
        ).transactions
    }
    assert cursor
    assert set(local) == live


def test_sync_page_never_exceeds_count(bank: Bank) -> None:
    token = link(bank)
    view = bank.sync_transactions(token, "", 25)
    page = view.page
    assert len(page.added) + len(page.modified) + len(page.removed) <= 25
    assert page.has_more


def test_sync_after_clock_advance_posts_pending_as_remove_plus_add(bank: Bank) -> None:
    token = link(bank)
    _before, cursor = _drain(bank, token)
    clock = bank.clock
    clock.advance(dt.timedelta(days=5))
    bank.set_clock(clock)
    view = bank.sync_transactions(token, cursor, 500)
    removed = {r.id for r in view.page.removed}
    posted = [r for r in view.page.added if r.pending_transaction_id]
    assert removed, "pending transactions older than their posting delay must be removed"
    assert {r.pending_transaction_id for r in posted} == removed
    assert all(not r.pending for r in posted)


def test_sync_mutation_during_pagination_raises(bank: Bank) -> None:
    token = link(bank)
    first = bank.sync_transactions(token, "", 10).page
    assert first.has_more
    clock: Clock = bank.clock
    clock.advance(dt.timedelta(days=3))
    bank.set_clock(clock)
    with pytest.raises(errors.SyncMutationDuringPagination):
        bank.sync_transactions(token, first.next_cursor, 10)


def test_sync_cursor_from_another_item_is_rejected(bank: Bank) -> None:
    first, second = link(bank), link(bank)
    cursor = bank.sync_transactions(first, "", 5).page.next_cursor
    with pytest.raises(errors.InvalidField) as caught:
        bank.sync_transactions(second, cursor, 5)
    assert caught.value.detail["field"] == "cursor"


def test_sync_now_cursor_skips_history(bank: Bank) -> None:
    token = link(bank)
    view = bank.sync_transactions(token, "now", 100)
    assert (view.page.added, view.page.modified, view.page.removed) == ([], [], [])
    assert view.page.next_cursor and not view.page.has_more
