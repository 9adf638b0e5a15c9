"""Property tests: however the change log is paged and replayed, merge equals the truth."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from client.providers.model import LocalTransaction
from client.store.db import Store
from client.store.models import Account, Connection, Transaction
from client.sync.apply import apply_plan
from client.sync.merge import ChangePage, merge, plan_page

# A history is a list of events on a small id space; the server log collapses them.
EVENT = st.tuples(
    st.sampled_from(["add", "post", "modify", "remove"]), st.integers(0, 7), st.integers(-500, 500)
)


def _txn(tid: str, amount: int, pending: bool, pending_id: str | None = None) -> LocalTransaction:
    return LocalTransaction(
        provider_id=tid,
        account_provider_id="acc",
        amount=Decimal(amount),
        currency="USD",
        date=dt.date(2026, 1, 1),
        description=f"d{tid}",
        payee=None,
        category="Other",
        pending=pending,
        pending_provider_id=pending_id,
    )


def _simulate(
    events: list[tuple[str, int, int]],
) -> tuple[dict[str, LocalTransaction], list[tuple[str, str, LocalTransaction | None]]]:
    """Apply events to the provider's truth, producing a log of (kind, id, row) changes."""
    truth: dict[str, LocalTransaction] = {}
    log: list[tuple[str, str, LocalTransaction | None]] = []
    for serial, (kind, slot, amount) in enumerate(events, 1):
        tid = f"t{slot}"
        live = [k for k in truth if k.split("#")[0] == tid]
        if kind == "add" and not live:
            new = _txn(f"{tid}#{serial}", amount, pending=True)
            truth[new.provider_id] = new
            log.append(("added", new.provider_id, new))
        elif kind == "post" and live and truth[live[0]].pending:
            old = truth.pop(live[0])
            new = _txn(
                f"{tid}#{serial}", int(old.amount), pending=False, pending_id=old.provider_id
            )
            truth[new.provider_id] = new
            log += [("removed", old.provider_id, None), ("added", new.provider_id, new)]
        elif kind == "modify" and live:
            # As Plaid does, a modified posted transaction still names the pending one it replaced.
            old = truth[live[0]]
            new = _txn(live[0], amount, old.pending, pending_id=old.pending_provider_id)
            truth[live[0]] = new
            log.append(("modified", live[0], new))
        elif kind == "remove" and live:
            truth.pop(live[0])
            log.append(("removed", live[0], None))
    return truth, log


def _pages(
    log: list[tuple[str, str, LocalTransaction | None]], cuts: list[int]
) -> list[ChangePage]:
    """Split the log into pages at the given cut points."""
    bounds = sorted({0, len(log), *[c % (len(log) + 1) for c in cuts]})
    pages = []
    for start, end in itertools.pairwise(bounds):
        page = ChangePage()
        for kind, tid, row in log[start:end]:
            if kind == "removed":
                page.removed.append(tid)
            elif row is not None:
                (page.added if kind == "added" else page.modified).append(row)
        pages.append(page)
    return pages


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENT, max_size=40), st.lists(st.integers(0, 100), max_size=6))
def test_merge_any_paging_equals_truth(events: list[tuple[str, int, int]], cuts: list[int]) -> None:
    truth, log = _simulate(events)
    assert merge({}, _pages(log, cuts)) == truth


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENT, max_size=40), st.lists(st.integers(0, 100), max_size=6), st.integers(0, 10))
def test_merge_replaying_a_suffix_is_idempotent(
    events: list[tuple[str, int, int]], cuts: list[int], k: int
) -> None:
    """A crash before the cursor commits re-delivers the last page: same result."""
    truth, log = _simulate(events)
    pages = _pages(log, cuts)
    replay = pages + pages[-1:] if pages and k % 2 else pages
    assert merge({}, replay) == truth


@given(st.lists(EVENT, max_size=30))
def test_plan_never_upserts_and_deletes_same_id(events: list[tuple[str, int, int]]) -> None:
    _, log = _simulate(events)
    for page in _pages(log, [3, 9, 17]):
        plan = plan_page(page)
        assert not (plan.deletes & plan.upserts.keys())


def test_posted_replaces_pending_in_same_page() -> None:
    pending = _txn("p1", 5, pending=True)
    posted = _txn("s1", 5, pending=False, pending_id="p1")
    state = merge({}, [ChangePage(added=[pending])])
    assert merge(state, [ChangePage(added=[posted])]) == {"s1": posted}


@contextmanager
def _one_account_store() -> Iterator[tuple[Session, Connection, Account]]:
    """A fresh in-memory store with one connection and its one account, in one session."""
    store = Store("sqlite://")
    try:
        with store.session() as session:
            conn = Connection(item_id="item", settings={})
            session.add(conn)
            session.flush()
            acc = Account(
                connection_id=conn.id,
                provider_id="acc",
                name="A",
                type="depository",
                currency="USD",
            )
            session.add(acc)
            session.flush()
            yield session, conn, acc
    finally:
        store.close()


def _live_rows(session: Session) -> dict[str, Transaction]:
    live = select(Transaction).where(Transaction.removed_at.is_(None))
    return {t.provider_id: t for t in session.scalars(live)}


@settings(max_examples=25, deadline=None)
@given(st.lists(EVENT, max_size=25), st.lists(st.integers(0, 100), max_size=4))
def test_store_apply_matches_pure_merge(
    events: list[tuple[str, int, int]], cuts: list[int]
) -> None:
    """The SQL apply path implements exactly the pure merge."""
    truth, log = _simulate(events)
    with _one_account_store() as (session, conn, acc):
        for page in _pages(log, cuts):
            apply_plan(session, conn, plan_page(page), {"acc": acc})
            apply_plan(session, conn, plan_page(page), {"acc": acc})  # replay
        rows = {k: (t.amount, t.pending) for k, t in _live_rows(session).items()}
    assert rows == {k: (v.amount, v.pending) for k, v in truth.items()}


@settings(max_examples=60, deadline=None)
@given(st.lists(EVENT, max_size=25), st.lists(st.integers(0, 100), max_size=4), st.integers(0, 9))
@example(events=[("add", 0, 5), ("modify", 0, 7), ("post", 0, 0)], cuts=[1, 2], at=1)
def test_user_notes_survive_any_later_pages(
    events: list[tuple[str, int, int]], cuts: list[int], at: int
) -> None:
    """Notes set after any page survive modifications, replays and posting (pending -> posted)."""
    _, log = _simulate(events)
    pages = _pages(log, cuts)
    at %= len(pages) + 1
    noted: set[str] = set()
    with _one_account_store() as (session, conn, acc):
        for n, page in enumerate(pages):
            if n == at:
                for pid, row in _live_rows(session).items():
                    row.notes = f"note {pid}"
                    noted.add(pid)
                session.flush()
            apply_plan(session, conn, plan_page(page), {"acc": acc})
            apply_plan(session, conn, plan_page(page), {"acc": acc})  # replay
            session.expire_all()
            noted |= {t.provider_id for t in page.added if t.pending_provider_id in noted}
        notes = {pid: t.notes for pid, t in _live_rows(session).items()}
    for pid, note in notes.items():
        assert (note is not None) == (pid in noted), pid
