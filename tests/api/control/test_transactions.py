"""``GET /control/transactions``: the explorer's filters, sorts, cursors, totals and tenancy."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask

from sandbox.core import tenants
from sandbox.extensions import db
from tests.conftest import FROZEN_NOW, PlaidClient


def explore(plaid: PlaidClient, expect: int = 200, **query: Any) -> dict[str, Any]:
    """GET the explorer with ``query``; asserts the status and returns the JSON body."""
    reply = plaid.client.get(
        "/control/transactions",
        query_string=query,
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    assert reply.status_code == expect, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def every_row(plaid: PlaidClient, **query: Any) -> list[dict[str, Any]]:
    """All rows of ``query``, following the cursors page by page."""
    rows, cursor = [], None
    while True:
        body = explore(plaid, **query, **({"cursor": cursor} if cursor else {}))
        rows.extend(body["transactions"])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return rows
        cursor = body["next_cursor"]


def item_id_of(plaid: PlaidClient, token: str) -> str:
    item_id: str = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    return item_id


@pytest.fixture
def two_items(plaid: PlaidClient) -> tuple[str, str]:
    """Two items of the tenant at different banks; their ids."""
    first = item_id_of(plaid, plaid.link_item("ins_109508"))
    second = item_id_of(plaid, plaid.link_item("ins_127989"))
    return first, second


def test_transactions_explore_spans_items_and_pages_without_repeats(
    plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    first = explore(plaid, limit=40)
    assert len(first["transactions"]) == 40 and first["has_more"]
    rows = every_row(plaid, limit=40)
    assert len(rows) == first["total"] > 40
    assert len({(r["item_id"], r["transaction_id"]) for r in rows}) == len(rows)
    assert {r["item_id"] for r in rows} == set(two_items)
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_transactions_explore_sorts_by_amount_magnitude_across_pages(
    plaid: PlaidClient, two_items: tuple[str, str], order: str
) -> None:
    rows = every_row(plaid, sort="amount", order=order, limit=75)
    sizes = [abs(r["amount"]) for r in rows]
    assert sizes == sorted(sizes, reverse=order == "desc")
    assert len(rows) == explore(plaid)["total"]


def test_transactions_explore_date_ascending_starts_at_the_oldest(
    plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    rows = every_row(plaid, order="asc", limit=200)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


def test_transactions_explore_filters_combine(
    plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    everything = every_row(plaid, limit=500)
    account = next(r["account_id"] for r in everything if r["item_id"] == two_items[0])
    query = {
        "item_id": two_items[0],
        "account_id": account,
        "direction": "debit",
        "status": "posted",
        "start_date": "2026-02-01",
        "end_date": "2026-03-01",
        "min_amount": "5",
        "max_amount": "500.50",
    }
    rows = every_row(plaid, **query)
    expected = [
        r
        for r in everything
        if r["item_id"] == two_items[0]
        and r["account_id"] == account
        and r["amount"] > 0
        and not r["pending"]
        and "2026-02-01" <= r["date"] <= "2026-03-01"
        and 5 <= abs(r["amount"]) <= 500.50
    ]
    assert rows and [r["transaction_id"] for r in rows] == [r["transaction_id"] for r in expected]
    assert all(r["direction"] == "debit" for r in rows)


def test_transactions_explore_credit_pending_category_and_search(
    plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    everything = every_row(plaid, limit=500)
    credits = every_row(plaid, direction="credit", limit=500)
    assert credits and len(credits) == sum(1 for r in everything if r["amount"] < 0)
    pending = every_row(plaid, status="pending")
    assert pending and len(pending) == sum(1 for r in everything if r["pending"])
    food = every_row(plaid, category="FOOD_AND_DRINK", limit=500)
    assert food and all(r["category"].startswith("FOOD_AND_DRINK_") for r in food)
    detailed = food[0]["category"]
    assert every_row(plaid, category=detailed, limit=500) == [
        r for r in food if r["category"] == detailed
    ]
    merchant = next(r["merchant_name"] for r in everything if r["merchant_name"])
    found = every_row(plaid, q=merchant.upper()[:6], limit=500)
    assert found and all(
        merchant.lower()[:6] in (r["name"] + (r["merchant_name"] or "")).lower() for r in found
    )


def test_transactions_explore_search_folds_case_beyond_ascii(plaid: PlaidClient) -> None:
    """SQLite's own ``lower()`` folds only ASCII: "café" missed "CAFÉ ÉCLAIR" there."""
    token = plaid.link_item(override_username="user_transactions_dynamic")
    purchase = {"date_transacted": "2026-03-14", "date_posted": "2026-03-15", "amount": 4.2}
    plaid.ok(
        "/sandbox/transactions/create",
        access_token=token,
        transactions=[{**purchase, "description": "CAFÉ ÉCLAIR"}],
    )
    for query in ("café", "CAFÉ", "éclair", "Café Éclair"):
        assert [r["name"] for r in every_row(plaid, q=query)] == ["CAFÉ ÉCLAIR"], query


def test_transactions_explore_totals_sum_every_match_not_the_page(
    plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    everything = every_row(plaid, limit=500)
    body = explore(plaid, limit=5)
    [usd] = body["totals"]
    assert usd["iso_currency_code"] == "USD" and body["total"] == len(everything)
    assert usd["debits"] == round(sum(r["amount"] for r in everything if r["amount"] > 0), 2)
    assert usd["credits"] == round(-sum(r["amount"] for r in everything if r["amount"] < 0), 2)


def test_transactions_explore_cursor_survives_new_rows_and_refuses_other_filters(
    plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    first = explore(plaid, limit=10, order="asc")
    plaid.client.post(
        "/control/clock",
        json={"advance_days": 3},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    second = explore(plaid, limit=10, order="asc", cursor=first["next_cursor"])
    assert second["transactions"][0]["date"] >= first["transactions"][-1]["date"]
    seen = {r["transaction_id"] for r in first["transactions"]}
    assert not seen & {r["transaction_id"] for r in second["transactions"]}
    refused = explore(plaid, 400, limit=10, order="desc", cursor=first["next_cursor"])
    assert refused["error"]["field"] == "cursor"
    assert explore(plaid, 400, cursor="not-a-cursor")["error"]["field"] == "cursor"


@pytest.mark.parametrize("key", [[1e400, 1, "x"], [2**63, 1, "x"], [1, 2**70, "x"], [-1, 1, "x"]])
def test_transactions_explore_made_up_cursor_numbers_are_refused(
    plaid: PlaidClient, two_items: tuple[str, str], key: list[Any]
) -> None:
    """The cursor is not signed: numbers beyond the query's integers were a 500 (both
    databases). One with the real filters' fingerprint and a bad key is refused too."""
    real = explore(plaid, limit=2, sort="amount")["next_cursor"]
    raw = json.loads(base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)))
    made = json.dumps({"k": key, "f": raw["f"]}).encode()
    cursor = base64.urlsafe_b64encode(made).decode().rstrip("=")
    assert explore(plaid, 400, limit=2, sort="amount", cursor=cursor)["error"]["field"] == "cursor"


@pytest.mark.parametrize("txn_id", ["\udc00", "\u0000"])
def test_transactions_explore_made_up_cursor_ids_are_refused(
    plaid: PlaidClient, two_items: tuple[str, str], txn_id: str
) -> None:
    """An id no column holds (an unpaired surrogate, NUL) went into the query: a 500."""
    real = explore(plaid, limit=2)["next_cursor"]
    raw = json.loads(base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)))
    raw["k"][2] = txn_id
    cursor = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    refused = explore(plaid, 400, limit=2, cursor=cursor)["error"]
    assert refused["field"] == "cursor"
    assert "cursor is not one this endpoint returned" in refused["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "merchant"}, "sort"),
        ({"order": "up"}, "order"),
        ({"status": "cleared"}, "status"),
        ({"direction": "out"}, "direction"),
        ({"start_date": "March"}, "start_date"),
        ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "end_date"),
        ({"min_amount": "-1"}, "min_amount"),
        ({"min_amount": "10", "max_amount": "5"}, "max_amount"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"category": "SHOPPING_SPREES"}, "category"),
        ({"item_id": "nope"}, "item_id"),
        ({"account_id": "nope"}, "account_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_transactions_explore_bad_input_names_the_field(
    plaid: PlaidClient, two_items: tuple[str, str], query: dict[str, str], field: str
) -> None:
    assert explore(plaid, 400, **query)["error"]["field"] == field


def test_transactions_explore_sees_only_its_tenant(
    app: Flask, plaid: PlaidClient, two_items: tuple[str, str]
) -> None:
    tenant, keys = tenants.create(db.session, "other", 8)  # another seed: other item ids
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    other = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    assert explore(other) == {
        "transactions": [],
        "total": 0,
        "totals": [],
        "has_more": False,
        "next_cursor": None,
    }
    theirs = item_id_of(other, other.link_item("ins_127991"))
    assert explore(plaid, 400, item_id=theirs)["error"]["field"] == "item_id"
    mine = {r["item_id"] for r in every_row(plaid, limit=500)}
    assert theirs not in mine and explore(other)["total"] > 0


def test_transactions_explore_needs_keys(app: Flask) -> None:
    reply = app.test_client().get("/control/transactions")
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "INVALID_API_KEYS"
