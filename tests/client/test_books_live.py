"""Keeping the data: every Plaid field stored, the user's edits survive sync, tombstones, manual."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from client.books import Books, BooksError, NotFoundError
from client.store.db import Store
from client.store.models import Account, Category, Transaction
from client.sync.connections import BankSync
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches


@pytest.fixture
def store(any_store: Store) -> Store:
    """This module runs on SQLite and on PostgreSQL."""
    return any_store


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _stored_fields(t: Transaction) -> dict[str, Any]:
    return {
        "merchant_name": t.merchant_name,
        "merchant_entity_id": t.merchant_entity_id,
        "website": t.website,
        "logo_url": t.logo_url,
        "payment_channel": t.payment_channel,
        "check_number": t.check_number,
        "transaction_code": t.transaction_code,
        "account_owner": t.account_owner,
        "iso_currency_code": t.iso_currency_code,
        "unofficial_currency_code": t.unofficial_currency_code,
        "authorized_date": t.authorized_date,
        "authorized_datetime": t.authorized_at,
        "datetime": t.posted_at,
        "location": t.location,
        "payment_meta": t.payment_meta,
        "counterparties": t.counterparties,
        "pfc": (t.category_primary, t.category, t.category_confidence),
        "icon": t.category_icon_url,
        "legacy": (t.legacy_category, t.legacy_category_id),
    }


def _sent_fields(raw: dict[str, Any]) -> dict[str, Any]:
    pfc = raw["personal_finance_category"]
    return {
        "merchant_name": raw["merchant_name"],
        "merchant_entity_id": raw["merchant_entity_id"],
        "website": raw["website"],
        "logo_url": raw["logo_url"],
        "payment_channel": raw["payment_channel"],
        "check_number": raw["check_number"],
        "transaction_code": raw["transaction_code"],
        "account_owner": raw["account_owner"],
        "iso_currency_code": raw["iso_currency_code"],
        "unofficial_currency_code": raw["unofficial_currency_code"],
        "authorized_date": dt.date.fromisoformat(raw["authorized_date"])
        if raw["authorized_date"]
        else None,
        "authorized_datetime": _instant(raw["authorized_datetime"]),
        "datetime": _instant(raw["datetime"]),
        "location": {k: v for k, v in raw["location"].items() if v is not None},
        "payment_meta": {k: v for k, v in raw["payment_meta"].items() if v is not None},
        "counterparties": raw["counterparties"],
        "pfc": (pfc["primary"], pfc["detailed"], pfc["confidence_level"]),
        "icon": raw["personal_finance_category_icon_url"],
        "legacy": (raw["category"] or [], raw["category_id"]),
    }


def test_every_field_plaid_sends_is_stored(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(cid).ok
    truth = {t["transaction_id"]: t for t in ground_truth(bank, cid)}
    with bank.store.session() as s:
        rows = {t.provider_id: t for t in s.scalars(select(Transaction))}
        keys = {c.id: c.key for c in s.scalars(select(Category))}
        assert rows.keys() == truth.keys()
        for pid, raw in truth.items():
            assert _stored_fields(rows[pid]) == _sent_fields(raw), pid
            assert keys[rows[pid].category_id] == raw["personal_finance_category"]["detailed"]
            assert rows[pid].original_description  # asked for on every sync
    kept = list(rows.values())
    assert any(t.location.get("city") for t in kept) and any(t.counterparties for t in kept)
    assert {t.payment_channel for t in kept} >= {"online", "in store"}
    assert all(t.authorized_date for t in kept) and any(t.merchant_name for t in kept)


def _user_edits(store: Any, user: str) -> dict[str, tuple[Any, ...]]:
    """provider id -> (user category, payee id, notes) of every row."""
    with store.session() as s:
        return {
            t.provider_id: (t.user_category_id, t.payee_id, t.notes)
            for t in s.scalars(select(Transaction))
        }


def _facts(store: Any) -> dict[str, tuple[Any, ...]]:
    with store.session() as s:
        return {
            t.provider_id: (t.amount, t.description, t.pending, t.date, t.removed_at)
            for t in s.scalars(select(Transaction))
        }


def test_user_edits_survive_resync_of_modified_and_posted_transactions(bank: BankSync) -> None:
    public = bank.plaid.sandbox_public_token_create(
        "ins_109508", username="user_transactions_dynamic", password="any"
    )["public_token"]
    cid = bank.connect(public, user_ref="ann")
    assert bank.sync(cid).ok
    books = Books(bank.store, "ann")
    mine = books.create_category("Treats", colour="#ff00aa")
    for view in books.transactions():
        books.edit(view.id, category_id=mine.id, payee="Corner shop", notes=f"n{view.id}")
    before, edits = _facts(bank.store), _user_edits(bank.store, "ann")
    result = bank.refresh(cid)
    assert result.ok and result.modified and result.removed and result.added
    after = _facts(bank.store)
    modified = [p for p in before if before[p][:4] != after[p][:4] and after[p][4] is None]
    assert modified, "the dynamic user's refresh modifies transactions"
    kept = _user_edits(bank.store, "ann")
    assert all(kept[p] == edits[p] for p in before)  # modified, removed or untouched alike
    with bank.store.session() as s:
        posted = {
            t.id: edits[t.pending_provider_id]
            for t in s.scalars(
                select(Transaction).where(Transaction.pending_provider_id.in_(before))
            )
        }
    assert posted, "the refresh posts pending transactions"
    for view in books.transactions():
        if view.id in posted:  # a posted row carries what was set on its pending version
            assert (view.category, view.payee, view.notes) == (
                "Treats",
                "Corner shop",
                posted[view.id][2],
            )
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))


def test_removed_transactions_stay_as_tombstones(bank: BankSync, tenant: Tenant) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=60, user_ref="bo")
    assert bank.sync(cid).ok
    tenant.advance(5)
    second = bank.sync(cid)
    assert second.ok and second.removed > 0
    books = Books(bank.store, "bo")
    live = {v.id for v in books.transactions()}
    everything = books.transactions(include_removed=True)
    gone = [v for v in everything if v.removed_at is not None]
    assert len(gone) == second.removed and not live & {v.id for v in gone}
    assert all(v.removed_at and v.removed_at <= dt.datetime.now(dt.UTC) for v in gone)
    assert books.transaction(gone[0].id).removed_at == gone[0].removed_at
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))


def test_manual_transactions_are_never_touched_by_sync(bank: BankSync, tenant: Tenant) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=60, user_ref="cy")
    books = Books(bank.store, "cy")
    wallet = books.add_account("Wallet", "usd")
    with bank.store.session() as s:
        checking = s.scalars(select(Account).where(Account.mask == "0000")).one().id
    cash = books.add_transaction(wallet.id, "-4.50", dt.date(2026, 1, 2), "Coffee", notes="cash")
    # Same date, amount and description as a bank row would have: still never adopted.
    on_bank = books.add_transaction(checking, Decimal("12"), dt.date(2026, 1, 3), "Refund")
    snapshot = [books.transaction(cash.id), books.transaction(on_bank.id)]
    assert bank.sync(cid).ok
    tenant.advance(4)
    bank.engine.page_size = 7

    def move_clock_once(page: int, _counts: object) -> None:
        if page == 1 and not restarted_at:
            restarted_at.append(page)
            tenant.advance(1)  # a mutation mid-chain: the engine restarts and sweeps

    restarted_at: list[int] = []
    result = bank.sync(cid, on_page=move_clock_once)
    assert result.ok and result.restarts >= 1
    assert [books.transaction(cash.id), books.transaction(on_bank.id)] == snapshot
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))  # manual rows are not the bank's
    edited = books.edit(cash.id, amount="-5", description="Coffee and cake")
    assert (edited.amount, edited.description, edited.manual) == (
        Decimal(-5),
        "Coffee and cake",
        True,
    )
    books.delete_transaction(cash.id)
    with pytest.raises(NotFoundError):
        books.transaction(cash.id)


def test_rules_and_payee_defaults_shape_synced_transactions(bank: BankSync) -> None:
    books = Books(bank.store, "di")
    eating = books.create_category("Eating out", kind="expense")
    books.add_rule("cheesecake", category_id=eating.id, payee_name="Cheesecake")
    cid = bank.connect_sandbox("ins_109508", days_requested=60, user_ref="di")
    assert bank.sync(cid).ok
    views = books.transactions(search="cheesecake")
    assert views and all((v.category, v.payee) == ("Eating out", "Cheesecake") for v in views)
    food = next(c for c in books.categories() if c.key == "FOOD_AND_DRINK")
    under_food = books.transactions(category_id=food.id)
    assert under_food and {v.colour for v in under_food} == {food.colour}
    assert {v.category_id for v in under_food} - {food.id}  # detailed children match too
    assert {a.user_ref for a in books.accounts()} == {"di"} and len(books.accounts()) >= 4
    late = books.create_category("Groceries (mine)")
    books.add_rule("kroger", category_id=late.id)  # added after the sync: applies on demand
    assert books.transactions(search="kroger")[0].category != "Groceries (mine)"
    changed = books.apply_rules()
    krogers = books.transactions(search="kroger")
    assert changed == len(krogers) and {v.category for v in krogers} == {"Groceries (mine)"}
    assert books.apply_rules() == 0  # nothing left to change
    books.delete_category(late.id)
    fallback = {v.category for v in books.transactions(search="kroger")}
    assert fallback == {"Groceries"}  # Plaid's FOOD_AND_DRINK_GROCERIES again
    other = next(v for v in books.transactions() if v.payee != "Cheesecake" and v.category)
    groceries = books.create_payee("Big shop", category_id=eating.id)
    assert books.edit(other.id, payee=groceries.name).category == "Eating out"
    assert books.edit(other.id, category_id=None, payee=None).category == other.category


def test_books_are_scoped_to_their_user(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30, user_ref="eve")
    assert bank.sync(cid).ok
    eve, mallory = Books(bank.store, "eve"), Books(bank.store, "mallory")
    target = eve.transactions(limit=1)[0]
    private = eve.create_category("Private")
    assert mallory.transactions() == []
    with pytest.raises(NotFoundError, match="transaction_id"):
        mallory.edit(target.id, notes="mine now")
    with pytest.raises(NotFoundError, match="category_id"):
        mallory.update_category(private.id, name="stolen")
    with pytest.raises(NotFoundError, match="account_id"):
        mallory.add_transaction(target.account_id, "1", dt.date(2026, 1, 1), "x")
    assert private.id not in {c.id for c in mallory.categories()}
    mallory.add_rule(".", ignore=True)  # another user's rule never touches eve's transactions
    assert eve.apply_rules() == 0 and not any(v.ignored for v in eve.transactions())
    with pytest.raises(BooksError, match="amount"):
        eve.edit(target.id, amount="3")  # a bank transaction's facts come from the bank
