"""`/api/v1/transactions`: filters, sorting, cursor pages and totals, checked against the store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from client.store.models import Account, Transaction
from tests.client.app.conftest import World

pytestmark = pytest.mark.e2e


def stored_count(world: World, user: str, *where: Any) -> int:
    """The user's live transactions in the store that match `where`."""
    with world.bank.store.session() as session:
        query = (
            select(func.count())
            .select_from(Transaction)
            .join(Account)
            .where(Account.user_ref == user, Transaction.removed_at.is_(None), *where)
        )
        return int(session.scalar(query) or 0)


def walk(world: World, user: str, **params: Any) -> tuple[list[dict[str, Any]], set[int]]:
    """Every page of a query, following next_cursor; checks the total never moves."""
    rows: list[dict[str, Any]] = []
    totals, cursor = set(), None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        reply = world.get(user, "/api/v1/transactions", **params, **extra)
        assert reply.status_code == 200, reply.json
        page = reply.json["pagination"]
        rows += reply.json["transactions"]
        totals.add(page["total"])
        assert len(reply.json["transactions"]) <= page["limit"]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return rows, totals
        cursor = page["next_cursor"]


def test_cursor_pages_cover_every_transaction_once_with_a_steady_total(world: World) -> None:
    rows, totals = walk(world, "alice", limit=37)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a row appeared on two pages"
    assert totals == {len(ids)} == {stored_count(world, "alice")}
    assert len(ids) > 37 * 2, "the walk should span several pages"


def test_date_sort_is_newest_first_by_default_and_oldest_first_when_asked(world: World) -> None:
    newest, _ = walk(world, "alice", limit=100)
    oldest, _ = walk(world, "alice", limit=100, sort="date", order="asc")
    assert [r["date"] for r in newest] == sorted((r["date"] for r in newest), reverse=True)
    assert [r["date"] for r in oldest] == sorted(r["date"] for r in oldest)
    assert {r["id"] for r in newest} == {r["id"] for r in oldest}


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_amount_sort_orders_by_size_across_pages(world: World, order: str) -> None:
    rows, _ = walk(world, "alice", limit=45, sort="amount", order=order)
    sizes = [abs(Decimal(r["amount"])) for r in rows]
    assert sizes == sorted(sizes, reverse=order == "desc")
    assert len(rows) == stored_count(world, "alice")


def test_debit_and_credit_split_the_transactions(world: World) -> None:
    debits, _ = walk(world, "alice", type="debit", limit=500)
    credits, _ = walk(world, "alice", type="credit", limit=500)
    assert debits and credits
    assert all(Decimal(r["amount"]) < 0 and r["type"] == "debit" for r in debits)
    assert all(Decimal(r["amount"]) > 0 and r["type"] == "credit" for r in credits)
    assert len(debits) == stored_count(world, "alice", Transaction.amount < 0)
    assert len(credits) == stored_count(world, "alice", Transaction.amount > 0)


def test_status_filter_keeps_pending_or_posted(world: World) -> None:
    posted = world.get("alice", "/api/v1/transactions", status="posted", limit=500).json
    pending = world.get("alice", "/api/v1/transactions", status="pending", limit=500).json
    assert all(r["status"] == "posted" for r in posted["transactions"])
    assert all(r["status"] == "pending" for r in pending["transactions"])
    everything = stored_count(world, "alice")
    assert posted["pagination"]["total"] + pending["pagination"]["total"] == everything
    assert pending["pagination"]["total"] == stored_count(world, "alice", Transaction.pending)


def test_amount_range_and_dates_bound_the_rows(world: World) -> None:
    every, _ = walk(world, "alice", limit=500)
    dates = sorted(r["date"] for r in every)
    start, end = dates[len(dates) // 4], dates[len(dates) // 2]
    reply = world.get(
        "alice",
        "/api/v1/transactions",
        start_date=start,
        end_date=end,
        min_amount="10",
        max_amount="100.50",
        limit=500,
    ).json
    rows = reply["transactions"]
    expected = [
        r
        for r in every
        if start <= r["date"] <= end
        and Decimal("10") <= abs(Decimal(r["amount"])) <= Decimal("100.50")
    ]
    assert rows, "the window should hold some transactions"
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in expected)
    assert reply["pagination"]["total"] == len(expected)


def test_top_level_categories_partition_the_categorised_transactions(world: World) -> None:
    every, _ = walk(world, "alice", limit=500)
    cats = world.get("alice", "/api/v1/categories").json["categories"]
    assert len(cats) > 5, "the built-in top-level categories are listed"
    counts = {
        c["key"]: world.get("alice", "/api/v1/transactions", category=c["key"], limit=1).json[
            "pagination"
        ]["total"]
        for c in cats
    }
    assert sum(counts.values()) == sum(1 for r in every if r["category"])
    assert 0 < max(counts.values()) < len(every)


def test_search_finds_text_in_description_or_payee(world: World) -> None:
    every, _ = walk(world, "alice", limit=500)
    named = next(r for r in every if r["payee"])
    word = named["payee"].split()[0]
    found = world.get("alice", "/api/v1/transactions", search=word, limit=500).json
    assert named["id"] in {r["id"] for r in found["transactions"]}
    assert found["pagination"]["total"] < len(every)
    assert all(
        word.lower() in " ".join(filter(None, (r["payee"], r["description"], r["notes"]))).lower()
        for r in found["transactions"]
    )


@pytest.mark.parametrize("wildcard", ["%", "_", "%_%"])
def test_search_for_a_wildcard_finds_that_character_only(world: World, wildcard: str) -> None:
    every, _ = walk(world, "alice", limit=500)
    with world.bank.store.session() as session:
        noted = session.get(Transaction, every[0]["id"])
        assert noted is not None
        noted.notes = f"split 50{wildcard}50"
    found = world.get("alice", "/api/v1/transactions", search=wildcard, limit=500).json
    assert [r["id"] for r in found["transactions"]] == [every[0]["id"]], (
        "a LIKE wildcard matched other text, or the noted row was not found"
    )


def test_per_account_endpoint_is_the_account_filter(world: World) -> None:
    account = world.get("alice", "/api/v1/accounts").json["accounts"][0]
    path = f"/api/v1/accounts/{account['id']}/transactions"
    own = world.get("alice", path, limit=500).json
    filtered = world.get("alice", "/api/v1/transactions", account_id=account["id"], limit=500).json
    assert own["transactions"] == filtered["transactions"]
    assert {r["account_id"] for r in own["transactions"]} <= {account["id"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"sort": "merchant"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"type": "refund"}, "type"),
        ({"start_date": "2024-13-01"}, "start_date"),
        ({"start_date": "2024-05-02", "end_date": "2024-05-01"}, "start_date"),
        ({"min_amount": "-3"}, "min_amount"),
        ({"min_amount": "9", "max_amount": "3"}, "min_amount"),
        ({"category": "NOT_A_CATEGORY"}, "category"),
        ({"sortby": "amount"}, "sortby"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        # beyond the store's 64-bit columns
        ({"account_id": str(2**63)}, "account_id"),
        ({"connection_id": str(2**70)}, "connection_id"),
        ({"min_amount": "99999999999999999.9999"}, "min_amount"),
        ({"max_amount": "1180591620717411303424"}, "max_amount"),
    ],
)
def test_bad_parameters_are_400s_naming_the_field(
    world: World, params: dict[str, str], field: str
) -> None:
    reply = world.get("alice", "/api/v1/transactions", **params)
    assert reply.status_code == 400, reply.json
    assert reply.json["error"]["field"] == field
    assert field in reply.json["error"]["message"]


def test_a_cursor_is_refused_with_other_filters(world: World) -> None:
    first = world.get("alice", "/api/v1/transactions", limit=5).json
    cursor = first["pagination"]["next_cursor"]
    reply = world.get("alice", "/api/v1/transactions", limit=5, sort="amount", cursor=cursor)
    assert reply.status_code == 400
    assert reply.json["error"]["code"] == "INVALID_CURSOR"
    same = world.get("alice", "/api/v1/transactions", limit=7, cursor=cursor)
    assert same.status_code == 200, "the page size may change between pages"
    assert same.json["transactions"][0]["id"] not in {r["id"] for r in first["transactions"]}


def test_spending_adds_up_the_debits_by_category(world: World) -> None:
    every, _ = walk(world, "alice", limit=500)
    end = max(dt.date.fromisoformat(r["date"]) for r in every)
    start = end - dt.timedelta(days=60)
    reply = world.get(
        "alice", "/api/v1/spending", start_date=start.isoformat(), end_date=end.isoformat()
    ).json
    totals = [Decimal(c["total"]) for c in reply["categories"]]
    assert totals == sorted(totals, reverse=True) and all(t > 0 for t in totals)
    window = [r for r in every if start.isoformat() <= r["date"] <= end.isoformat()]
    debits = [r for r in window if Decimal(r["amount"]) < 0]
    spent = [r for r in debits if r["category_kind"] in ("expense", None)]  # not transfers
    assert len(spent) < len(debits), "some debits are transfers, left out of spending"
    assert sum(totals) == sum(-Decimal(r["amount"]) for r in spent)
