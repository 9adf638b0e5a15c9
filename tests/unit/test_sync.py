"""The change log behind /transactions/sync, driven through ``Bank`` without HTTP."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.core import errors, sync
from sandbox.core.bank import Bank
from sandbox.core.clock import Clock
from sandbox.core.models import Item, Tenant, Transaction

from .conftest import link


def _named(row: Sequence[Any]) -> dict[str, Any]:
    """A page row (the driver's tuple) by column name."""
    return dict(zip(sync.PAGE_COLUMNS, row, strict=True))


def _drain(
    bank: Bank, token: str, cursor: str = "", count: int = 100
) -> tuple[dict[str, str], str]:
    """Apply every page from ``cursor`` to a local copy: id → name; returns (copy, cursor).

    Strict, as a client's store is: ``added`` must be new to the copy, ``modified`` and
    ``removed`` must name a row in it.
    """
    local: dict[str, str] = {}
    while True:
        view = bank.transactions.sync(token, cursor, count)
        for row in map(_named, view.page.added):
            assert row["id"] not in local, f"added twice: {row['id']}"
            local[row["id"]] = row["name"]
        for row in map(_named, view.page.modified):
            assert row["id"] in local, f"modified before added: {row['id']}"
            local[row["id"]] = row["name"]
        for row in map(_named, view.page.removed):
            assert local.pop(row["id"], None) is not None, f"removed unseen: {row['id']}"
        cursor = view.page.next_cursor
        if not view.page.has_more:
            return local, cursor


def test_sync_from_empty_cursor_returns_every_live_transaction(bank: Bank) -> None:
    token = link(bank)
    local, cursor = _drain(bank, token, count=37)
    item = bank.item(token)
    live = {
        t.id
        for t in bank.transactions.get(
            token, item.history_start, bank.clock.today(), account_ids=None, count=500, offset=0
        ).transactions
    }
    assert cursor
    assert set(local) == live


def test_a_chain_begun_after_changes_adds_rows_changed_after_its_first_page(
    bank: Bank,
) -> None:
    """Pending rows that posted before the first sync were created early and changed late:
    a chain from ``""`` meets them on a later page, where they are new to the client. They
    came as ``removed``/``modified`` rows it had never been sent."""
    token = link(bank)
    clock = bank.clock
    clock.advance(dt.timedelta(days=5))
    bank.set_clock(clock)
    local, _cursor = _drain(bank, token, count=10)
    whole, _ = _drain(_next_call(bank, bank.session), token, count=500)
    assert local == whole and len(local) > 10


def test_sync_page_never_exceeds_count(bank: Bank) -> None:
    token = link(bank)
    view = bank.transactions.sync(token, "", 25)
    page = view.page
    assert len(page.added) + len(page.modified) + len(page.removed) <= 25
    assert page.has_more


def test_sync_after_clock_advance_posts_pending_as_remove_plus_add(bank: Bank) -> None:
    token = link(bank)
    _before, cursor = _drain(bank, token)
    clock = bank.clock
    clock.advance(dt.timedelta(days=5))
    bank.set_clock(clock)
    view = bank.transactions.sync(token, cursor, 500)
    removed = {r["id"] for r in map(_named, view.page.removed)}
    posted = [r for r in map(_named, view.page.added) if r["pending_transaction_id"]]
    assert removed, "pending transactions older than their posting delay must be removed"
    assert {r["pending_transaction_id"] for r in posted} == removed
    assert all(not r["pending"] for r in posted)


def test_sync_mutation_during_pagination_raises(bank: Bank) -> None:
    token = link(bank)
    first = bank.transactions.sync(token, "", 10).page
    assert first.has_more
    clock: Clock = bank.clock
    clock.advance(dt.timedelta(days=3))
    bank.set_clock(clock)
    with pytest.raises(errors.SyncMutationDuringPagination):
        bank.transactions.sync(token, first.next_cursor, 10)


def test_sync_cursor_from_another_item_is_rejected(bank: Bank) -> None:
    first, second = link(bank), link(bank)
    cursor = bank.transactions.sync(first, "", 5).page.next_cursor
    with pytest.raises(errors.InvalidField) as caught:
        bank.transactions.sync(second, cursor, 5)
    assert caught.value.detail["field"] == "cursor"


def test_sync_now_cursor_skips_history(bank: Bank) -> None:
    token = link(bank)
    view = bank.transactions.sync(token, "now", 100)
    assert (view.page.added, view.page.modified, view.page.removed) == ([], [], [])
    assert view.page.next_cursor and not view.page.has_more


def _written(session: Session) -> int:
    """Rows written on the session's SQLite connection so far (``total_changes``)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    changes: int = driver.total_changes
    return changes


def _next_call(bank: Bank, session: Session) -> Bank:
    """A later call's bank: all committed, nothing loaded, the tenant as its keys resolve it
    (a row, as ``tenants.authenticate`` returns it)."""
    tenants = Tenant.__table__
    tenant_id = bank.tenant.id
    session.commit()
    session.expunge_all()
    row = session.connection().execute(select(tenants).where(tenants.c.id == tenant_id)).one()
    return Bank(session, row)  # type: ignore[arg-type]


def test_sync_of_a_synced_caught_up_item_loads_no_object_and_writes_nothing(
    bank: Bank, session: Session
) -> None:
    token = link(bank)
    bank.transactions.sync(token, "", 10)  # the first sync marks the item synced
    reader = _next_call(bank, session)
    written = _written(session)
    view = reader.transactions.sync(token, "", 10)
    reader.transactions.sync(token, view.page.next_cursor, 10)
    one = reader.transactions.sync(token, "", 10, view.accounts[0].id)
    assert view.page.added and one.accounts == [view.accounts[0]]
    assert len(session.identity_map) == 0 and not session.new
    assert _written(session) == written


def test_first_sync_marks_the_item_synced(bank: Bank, session: Session) -> None:
    token = link(bank)
    assert not bank.item(token).sync_called
    reader = _next_call(bank, session)
    written = _written(session)
    reader.transactions.sync(token, "", 10)
    assert _written(session) > written
    assert reader.item(token).sync_called


def test_sync_pages_of_the_resolved_row_equal_those_of_the_loaded_item(
    bank: Bank, session: Session
) -> None:
    token = link(bank)
    bank.transactions.sync(token, "", 10)
    reader = _next_call(bank, session)
    cursor, account_id = "", reader.transactions.sync(token, "", 1).accounts[0].id
    for count in (7, 50, 500):
        from_row = reader.transactions.sync(token, cursor, count, account_id)
        from_item = reader.transactions.sync_item(reader.item(token), cursor, count, account_id)
        assert from_row.page == from_item.page
        assert from_row.accounts == from_item.accounts
        assert from_row.update_status == from_item.update_status
        cursor = from_row.page.next_cursor


def _log_change(session: Session, item_pk: int, copy_of: str | None, change: str) -> None:
    """What a concurrent writer does to the change log, committed: one row gets the next
    position, ``copy_of`` a new row made from that transaction, else ``change`` renamed."""
    item = session.get(Item, item_pk)
    assert item is not None
    item.change_seq += 1
    if copy_of is not None:
        source = session.get(Transaction, (item_pk, copy_of))
        assert source is not None
        values = {column.key: getattr(source, column.key) for column in Transaction.__table__.c}
        values.update(id=change, created_seq=item.change_seq, updated_seq=item.change_seq)
        session.add(Transaction(**values))
    else:
        row = session.get(Transaction, (item_pk, change))
        assert row is not None
        row.name, row.updated_seq = "Renamed by a later write", item.change_seq
    session.commit()


def test_a_row_written_after_the_call_read_its_item_is_added_not_modified(
    bank: Bank, session: Session
) -> None:
    """The call reads its item (and the end of the log) as it authenticates; a write can land
    before its page is read. A row new to the client and changed by that write must still
    come as ``added`` (it used to be left out, passed by the cursor, then sent as ``modified``
    to a client that had never seen it)."""
    token = link(bank)
    seen, cursor = _drain(bank, token)
    reader = _next_call(bank, session)
    item_pk, some_id = reader.called(token).pk, next(iter(seen))
    _log_change(session, item_pk, copy_of=some_id, change="txn-new-to-the-client")
    call = _next_call(reader, session)
    call.called(token)  # the call's read of its item: the row it keeps for the call
    _log_change(session, item_pk, copy_of=None, change="txn-new-to-the-client")
    page = call.transactions.sync(token, cursor, 100).page
    added = [row["id"] for row in map(_named, page.added)]
    assert added == ["txn-new-to-the-client"] and page.modified == page.removed == []
    assert _drain(_next_call(call, session), token, page.next_cursor)[0] == {}


def test_transactions_of_a_caught_up_item_load_no_object_and_count_every_row(
    bank: Bank, session: Session
) -> None:
    token = link(bank)
    bank.transactions.sync(token, "", 10)  # bills Transactions
    start, end = bank.item(token).history_start, bank.clock.today()
    reader = _next_call(bank, session)
    written = _written(session)
    pages = [
        reader.transactions.get(token, start, end, account_ids=None, count=40, offset=offset)
        for offset in range(0, 1000, 40)
    ]
    assert len(session.identity_map) == 0 and _written(session) == written
    rows = [row.id for page in pages for row in page.transactions]
    assert len(rows) == len(set(rows)) == pages[0].total
    assert {page.total for page in pages} == {len(rows)}


def test_an_account_stream_is_interrupted_only_by_changes_to_its_own_account(
    bank: Bank, session: Session
) -> None:
    """``account_id`` makes a stream of its own (Plaid keeps a cursor per account): a write to
    another account's rows mid-chain leaves it going; one to its own account's is a mutation."""
    token = link(bank)
    reader = _next_call(bank, session)
    item_pk = reader.called(token).pk
    query = select(Transaction.id, Transaction.account_id).where(Transaction.item_pk == item_pk)
    rows = session.execute(query).all()
    mine, other = [account for account, _ in Counter(r.account_id for r in rows).most_common(2)]
    first = reader.transactions.sync(token, "", 5, mine).page
    assert first.has_more
    _log_change(
        session, item_pk, copy_of=None, change=next(r.id for r in rows if r.account_id == other)
    )
    call = _next_call(reader, session)
    second = call.transactions.sync(token, first.next_cursor, 5, mine).page  # goes on
    assert second.has_more and {_named(r)["account_id"] for r in second.added} == {mine}
    _log_change(
        session, item_pk, copy_of=None, change=next(r.id for r in rows if r.account_id == mine)
    )
    call, cursor = _next_call(call, session), second.next_cursor
    with pytest.raises(errors.SyncMutationDuringPagination):
        while True:  # the renamed row was on the first page: a later page meets it
            page = call.transactions.sync(token, cursor, 5, mine).page
            assert page.has_more, "the chain must not end without reporting the change"
            cursor = page.next_cursor
