"""How generated history is stored fast: ids, bulk rows, shared day caches, posting checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from sandbox.core import bulk, items, ledger
from sandbox.core.accounts import owner
from sandbox.core.bank import Bank
from sandbox.core.models import Base, Item, Transaction
from sandbox.core.seeding import digest, make_id

from .conftest import link
from .ledger_helpers import plan_for

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _digit_by_digit(*key: object) -> str:
    """The plain definition of an id: base 62 of the key's digests, one digit at a time."""
    number = int.from_bytes(digest(*key) + digest("more", *key), "big")
    chars = []
    for _ in range(37):
        number, index = divmod(number, 62)
        chars.append(BASE62[index])
    return "".join(chars)


def test_make_id_is_base62_of_the_key_digests() -> None:
    keys: list[tuple[object, ...]] = [
        ("item", f"2025-03-{day:02d}:buy:{n}", state)
        for day in range(1, 29)
        for n in range(4)
        for state in ("pending", "posted")
    ]
    keys += [(), (7,), ("é", None, 1.5, ("nested", 2))]
    for key in keys:
        assert make_id(*key) == _digit_by_digit(*key)


def _row(item: Item, row_id: str) -> dict[str, Any]:
    account = item.accounts[0]
    return {
        "id": row_id,
        "item_pk": item.pk,
        "account_id": account.id,
        "amount_minor": -1234,
        "currency": account.currency,
        "date": dt.date(2026, 3, 1),
        "authorized_date": None,
        "name": "CAFÉ #12 PARIS",
        "merchant_name": None,
        "category": "FOOD_AND_DRINK_COFFEE",
        "payment_channel": "in store",
        "pending": True,
        "pending_transaction_id": None,
        "removed": False,
        "created_seq": 1,
        "updated_seq": 2,
        "post_on": dt.date(2026, 3, 4),
        "posted_amount_minor": -1300,
        "posted_name": "CAFE 12 PARIS",
        "details": {"key": "k", "location": {"lat": 1.5, "city": "Paris"}, "n": [1, None]},
    }


def test_bulk_rows_are_stored_as_the_orm_stores_them(bank: Bank, session: Session) -> None:
    item = bank.item(link(bank))
    row = _row(item, "bulk")
    bulk.insert_transactions(session, [row | {"details": bulk.json_text(row["details"])}])
    session.execute(Base.metadata.tables["transactions"].insert(), [_row(item, "orm")])
    others = ", ".join(c for c in bulk.COLUMNS if c != "id")
    raw = {
        row[0]: row[1:]
        for row in session.execute(
            text(f"SELECT id, {others} FROM transactions WHERE id IN ('bulk', 'orm')")
        )
    }
    assert raw["bulk"] == raw["orm"]
    loaded = session.get(Transaction, (item.pk, "bulk"))
    assert loaded is not None and loaded.details == _row(item, "bulk")["details"]
    assert loaded.date == dt.date(2026, 3, 1) and loaded.pending is True


def test_plans_with_the_same_inputs_share_their_day_cache() -> None:
    def shared(seed: int) -> ledger.ItemPlan:
        base = plan_for("classic", seed=seed)
        return ledger.shared_plan(
            key=base.key,
            country=base.country,
            currency=base.currency,
            persona=base.persona,
            accounts=base.accounts,
            habits=base.habits,
        )

    first, again, other = shared(7), shared(7), shared(8)
    day = dt.date(2026, 3, 2)
    assert first.memo is again.memo and first.memo is not other.memo
    entries = ledger.entries_for_day(first, day)
    assert entries == ledger.entries_for_day(plan_for("classic", seed=7), day)
    account = first.accounts[0]
    assert ledger.balance_on(again, account, day) == ledger.balance_on(
        plan_for("classic", seed=7), account, day
    )


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements ``session`` sends inside the block, in order."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_reads_skip_the_pending_query_until_a_row_may_post(bank: Bank, session: Session) -> None:
    item = bank.item(link(bank))
    pending = [r for r in session.scalars(select(Transaction)) if r.pending]
    first_post = min(r.post_on for r in pending if r.post_on is not None)
    assert item.next_post_on == first_post
    with _statements(session) as statements:
        assert not items.materialize(session, item, first_post - dt.timedelta(days=1))
        assert not any("FROM transactions" in s for s in statements)
        assert items.materialize(session, item, first_post)
    assert any("FROM transactions" in s for s in statements)
    assert item.next_post_on is not None and item.next_post_on > first_post


def test_faker_for_in_parallel_threads_gives_what_it_gives_serially() -> None:
    logins = [(7, f"user_{n}", "ins_109508") for n in range(24)] * 4
    serial = [owner(login, "US") for login in logins]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda login: owner(login, "US"), logins)) == serial


def test_the_historical_pull_only_inserts(bank: Bank, session: Session) -> None:
    """Older rows are all posted and older than the balances: nothing needs reading back
    (no pending rows, no available balances, no row count for an item without a webhook)."""
    bank.sandbox_public_token("ins_109508", ["transactions"], days_requested=730)
    item_pk = session.scalars(select(Item.pk)).one()
    item = session.get(Item, item_pk)
    assert item is not None and item.webhook is None and item.history_pending_through
    session.flush()
    available = {a.id: a.available_minor for a in item.accounts}
    before = session.scalar(select(func.count()).select_from(Transaction))
    with _statements(session) as statements:
        bank.load_history(item)
        session.flush()
    assert item.history_pending_through is None
    assert session.scalar(select(func.count()).select_from(Transaction)) > (before or 0)
    touching = [s for s in statements if "transactions" in s]
    assert touching and all(s.startswith("INSERT INTO transactions") for s in touching)
    assert {a.id: a.available_minor for a in item.accounts} == available


def test_a_new_items_available_balances_are_summed_from_its_rows(
    bank: Bank, session: Session
) -> None:
    """At creation every pending row is in the writer's flush, so none is read back."""
    with _statements(session) as statements:
        item = bank.item(link(bank))
    assert not any("FROM transactions" in s for s in statements)
    stored = {a.id: 0 for a in item.accounts}
    for row in session.scalars(select(Transaction).where(Transaction.pending.is_(True))):
        stored[row.account_id] += max(row.amount_minor, 0)
    assert any(stored.values())
    for account in item.accounts:
        if account.type == "depository" and account.available_minor is not None:
            assert account.available_minor == account.current_minor - stored[account.id]
        elif account.type == "credit" and account.limit_minor is not None:
            assert account.available_minor == (
                account.limit_minor - account.current_minor - stored[account.id]
            )


def test_a_shared_cache_keeps_each_day_and_balance_once(monkeypatch: pytest.MonkeyPatch) -> None:
    plan, day = plan_for("classic"), dt.date(2026, 2, 28)  # a month's end: the sweep runs
    assert ledger.entries_for_day(plan, day) is ledger.entries_for_day(plan, day)
    computed: list[int] = []
    uncached = ledger._balance_on

    def counted(plan: ledger.ItemPlan, account: ledger.AccountPlan, day: dt.date) -> int:
        computed.append(account.ordinal)
        return uncached(plan, account, day)

    monkeypatch.setattr(ledger, "_balance_on", counted)
    balances = [ledger.balance_on(plan, account, day) for account in plan.accounts]
    assert balances == [ledger.balance_on(plan, account, day) for account in plan.accounts]
    assert computed == [account.ordinal for account in plan.accounts]


def test_an_entry_encodes_its_stored_details_once() -> None:
    plan = plan_for("classic")
    for entry in ledger.entries_between(plan, dt.date(2026, 1, 1), dt.date(2026, 1, 31)):
        assert json.loads(entry.stored_details) == {**entry.details, "key": entry.key}
        assert entry.stored_details == bulk.json_text({**entry.details, "key": entry.key})
        assert entry.stored_details is entry.stored_details


def test_a_new_items_accounts_are_inserted_once_with_their_balances(
    bank: Bank, session: Session
) -> None:
    with _statements(session) as statements:
        bank.sandbox_public_token("ins_109508", ["transactions"], days_requested=730)
    touching = [s for s in statements if "accounts" in s.split("(")[0]]
    assert len(touching) == 1 and touching[0].startswith("INSERT INTO accounts")
    item = session.scalars(select(Item)).one()
    session.expire_all()
    assert all(a.current_minor is not None for a in item.accounts)
    assert any(a.available_minor is not None for a in item.accounts)
