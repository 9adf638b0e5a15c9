"""Transactions: sync (cursors, paging, changes), get, refresh, sandbox create, recurring."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from sandbox.core.models import Item, Tenant, Transaction
from sandbox.extensions import db
from sandbox.plaid.responses import TransactionSchema
from tests.api.plaid.helpers import advance_clock, dynamic_item, sync_all
from tests.conftest import FROZEN_NOW, PlaidClient

TODAY = dt.date(2026, 3, 16)


# -- /transactions/sync: cursors and paging ---------------------------------------------------


@pytest.mark.parametrize("cursor", ["", None])
def test_transactions_sync_empty_or_null_cursor_starts_from_beginning(
    plaid: PlaidClient, cursor: str | None
) -> None:
    token = plaid.link_item()
    page = plaid.ok("/transactions/sync", access_token=token, cursor=cursor, count=500)
    assert page["added"] and page["modified"] == [] and page["removed"] == []
    assert page["next_cursor"]
    assert page["transactions_update_status"] == "HISTORICAL_UPDATE_COMPLETE"
    assert {a["type"] for a in page["accounts"]} <= {"depository", "credit", "loan"}
    omitted = plaid.ok("/transactions/sync", access_token=token, count=500)
    assert [t["transaction_id"] for t in omitted["added"]] == [
        t["transaction_id"] for t in page["added"]
    ]


def test_transactions_sync_now_cursor_returns_no_transactions(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    page = plaid.ok("/transactions/sync", access_token=token, cursor="now")
    assert (page["added"], page["modified"], page["removed"]) == ([], [], [])
    assert page["has_more"] is False
    assert page["next_cursor"] and page["next_cursor"] != "now"
    again = plaid.ok("/transactions/sync", access_token=token, cursor=page["next_cursor"])
    assert again["added"] == [] and again["next_cursor"]


@pytest.mark.parametrize("count", [0, 501, -1])
def test_transactions_sync_count_out_of_bounds_is_invalid_field(
    plaid: PlaidClient, count: int
) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/sync", access_token=token, count=count)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "count" in error["error_message"]


def test_transactions_sync_count_one_pages_one_update_at_a_time(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    first = plaid.ok("/transactions/sync", access_token=token, cursor="", count=1)
    assert len(first["added"]) == 1 and first["has_more"] is True
    second = plaid.ok(
        "/transactions/sync", access_token=token, cursor=first["next_cursor"], count=1
    )
    assert len(second["added"]) == 1
    assert second["added"][0]["transaction_id"] != first["added"][0]["transaction_id"]
    assert second["next_cursor"] != first["next_cursor"]


def test_transactions_sync_has_more_chain_equals_one_big_page(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    whole, _ = sync_all(plaid, token, count=500)
    chained, cursor = sync_all(plaid, token, count=37)
    ids = [t["transaction_id"] for t in chained["added"]]
    assert len(ids) == len(set(ids)) > 37
    assert sorted(ids) == sorted(t["transaction_id"] for t in whole["added"])
    done = plaid.ok("/transactions/sync", access_token=token, cursor=cursor)
    assert done["added"] == [] and done["has_more"] is False


def test_transactions_sync_invalid_cursor_is_invalid_field_naming_cursor(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/sync", access_token=token, cursor="bm90LWEtY3Vyc29y")
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "cursor" in error["error_message"]


def test_transactions_sync_cursor_of_another_item_is_invalid_field(plaid: PlaidClient) -> None:
    token, other = plaid.link_item(), plaid.link_item(institution_id="ins_109509")
    _, cursor = sync_all(plaid, other)
    error = plaid.error("/transactions/sync", access_token=token, cursor=cursor)
    assert error["error_code"] == "INVALID_FIELD" and "cursor" in error["error_message"]


# -- /transactions/sync: changes over time ------------------------------------------------------


def test_transactions_sync_after_clock_advance_posts_pending_as_remove_plus_add(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    before, cursor = sync_all(plaid, token)
    pending = {t["transaction_id"] for t in before["added"] if t["pending"]}
    assert pending
    advance_clock(plaid, 10)
    changes, _ = sync_all(plaid, token, cursor)
    removed = {r["transaction_id"] for r in changes["removed"]}
    assert pending <= removed
    posted = {
        t["pending_transaction_id"]: t for t in changes["added"] if t["pending_transaction_id"]
    }
    assert pending <= set(posted)
    for pending_id, transaction in posted.items():
        assert transaction["pending"] is False
        assert transaction["transaction_id"] != pending_id
    assert any(t["date"] > TODAY.isoformat() for t in changes["added"])


def test_transactions_sync_mutation_mid_chain_is_mutation_during_pagination(
    plaid: PlaidClient,
) -> None:
    token = dynamic_item(plaid)
    first = plaid.ok("/transactions/sync", access_token=token, cursor="", count=5)
    assert first["has_more"] is True
    plaid.ok("/transactions/refresh", access_token=token)
    error = plaid.error(
        "/transactions/sync", access_token=token, cursor=first["next_cursor"], count=5
    )
    assert (error["error_type"], error["error_code"]) == (
        "TRANSACTIONS_ERROR",
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    )
    restarted, _ = sync_all(plaid, token, "", count=100)
    assert restarted["added"]


def test_transactions_sync_account_id_streams_only_that_account(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    checking = accounts[0]["account_id"]
    stream, cursor = sync_all(plaid, token, options={"account_id": checking})
    assert stream["added"]
    assert {t["account_id"] for t in stream["added"]} == {checking}
    page = plaid.ok(
        "/transactions/sync", access_token=token, cursor="", options={"account_id": checking}
    )
    assert [a["account_id"] for a in page["accounts"]] == [checking]
    mixed = plaid.error("/transactions/sync", access_token=token, cursor=cursor)
    assert mixed["error_code"] == "INVALID_FIELD" and "cursor" in mixed["error_message"]


def test_transactions_sync_foreign_account_id_is_invalid_account_id(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/sync", access_token=token, options={"account_id": "A" * 37})
    assert error["error_code"] == "INVALID_ACCOUNT_ID"


# -- /transactions/get ---------------------------------------------------------------------------


def test_transactions_get_returns_window_newest_first_with_total(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    body = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2026-02-01",
        end_date="2026-02-28",
        options={"count": 500},
    )
    dates = [t["date"] for t in body["transactions"]]
    assert dates == sorted(dates, reverse=True)
    assert all("2026-02-01" <= d <= "2026-02-28" for d in dates)
    assert body["total_transactions"] == len(dates) > 0
    assert body["item"]["item_id"] and body["accounts"]


def test_transactions_get_count_and_offset_page_through_total(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    window = {"access_token": token, "start_date": "2025-12-01", "end_date": "2026-03-16"}
    everything = plaid.ok("/transactions/get", **window, options={"count": 500})
    total = everything["total_transactions"]
    assert total > 20
    pages = [
        plaid.ok("/transactions/get", **window, options={"count": 10, "offset": offset})
        for offset in range(0, total, 10)
    ]
    assert all(p["total_transactions"] == total for p in pages)
    ids = [t["transaction_id"] for p in pages for t in p["transactions"]]
    assert ids == [t["transaction_id"] for t in everything["transactions"]]
    beyond = plaid.ok("/transactions/get", **window, options={"offset": total})
    assert beyond["transactions"] == [] and beyond["total_transactions"] == total


def test_transactions_get_default_count_is_one_hundred(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    body = plaid.ok(
        "/transactions/get", access_token=token, start_date="2024-01-01", end_date="2026-03-16"
    )
    assert body["total_transactions"] > 100
    assert len(body["transactions"]) == 100


def test_transactions_get_account_ids_filters_transactions(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    checking = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    body = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2026-01-01",
        end_date="2026-03-16",
        options={"account_ids": [checking]},
    )
    assert {t["account_id"] for t in body["transactions"]} == {checking}


def test_transactions_get_foreign_account_ids_is_invalid_account_id(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error(
        "/transactions/get",
        access_token=token,
        start_date="2026-01-01",
        end_date="2026-03-16",
        options={"account_ids": ["A" * 37]},
    )
    assert error["error_code"] == "INVALID_ACCOUNT_ID"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/transactions/sync", {"count": 100}),
        ("/transactions/get", {"start_date": "2026-01-01", "end_date": "2026-03-17"}),
    ],
)
def test_transactions_reply_read_from_the_token_row_equals_the_catching_up_one(
    plaid: PlaidClient, path: str, body: dict[str, object]
) -> None:
    """A caught-up item is read from the row its token resolved to, one behind the clock
    from the item it loads and catches up: both replies are the same."""
    token = plaid.link_item()
    plaid.ok("/transactions/sync", access_token=token, count=1)  # the first sync writes
    advance_clock(plaid, 1)
    catching_up = plaid.ok(path, access_token=token, **body)
    caught_up = plaid.ok(path, access_token=token, **body)
    assert catching_up.pop("request_id") != caught_up.pop("request_id")
    assert caught_up == catching_up


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "end_date"),
        ({"start_date": "March 1", "end_date": "2026-02-01"}, "start_date"),
        (
            {"start_date": "2026-01-01", "end_date": "2026-02-01", "options": {"count": 501}},
            "options.count",
        ),
        (
            {"start_date": "2026-01-01", "end_date": "2026-02-01", "options": {"offset": -1}},
            "options.offset",
        ),
    ],
)
def test_transactions_get_bad_dates_or_paging_is_invalid_field(
    plaid: PlaidClient, body: dict[str, object], field: str
) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/get", access_token=token, **body)
    assert error["error_code"] == "INVALID_FIELD"
    assert field in error["error_message"]


def test_transactions_get_missing_dates_is_missing_fields(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/get", access_token=token)
    assert error["error_code"] == "MISSING_FIELDS"
    assert "end_date" in error["error_message"] and "start_date" in error["error_message"]


# -- /transactions/sync: what each transaction looks like, with the options -------------------

SYNC_OPTIONS = [
    {},
    {"include_original_description": True, "personal_finance_category_version": "v2"},
    {"include_original_description": False, "personal_finance_category_version": "v1"},
]


def _reference(plaid: PlaidClient, token: str, options: dict[str, Any]) -> Callable[[str], str]:
    """The item's rows as ``TransactionSchema`` (the reference rendering) writes them now."""
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    item = db.session.scalar(
        select(Item).join(Tenant).where(Item.id == item_id, Tenant.client_id == plaid.client_id)
    )
    assert item is not None
    rows = {
        row.id: row
        for row in db.session.scalars(
            select(Transaction)
            .where(Transaction.item_pk == item.pk)
            .execution_options(populate_existing=True)
        )
    }
    schema = TransactionSchema(
        original_description=bool(options.get("include_original_description")),
        pfc_version=options.get("personal_finance_category_version", "v1"),
    )
    return lambda transaction_id: json.dumps(schema.dump(rows[transaction_id]))


@pytest.mark.parametrize("options", SYNC_OPTIONS)
def test_transactions_sync_and_get_write_each_transaction_as_the_schema_does(
    plaid: PlaidClient, options: dict[str, Any]
) -> None:
    token = dynamic_item(plaid)
    first, cursor = sync_all(plaid, token, options=options)
    reference = _reference(plaid, token, options)
    assert [json.dumps(t) for t in first["added"]] == [
        reference(t["transaction_id"]) for t in first["added"]
    ]
    window = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2024-01-01",
        end_date=TODAY.isoformat(),
        options={**options, "count": 500},
    )["transactions"]
    assert window and [json.dumps(t) for t in window] == [
        reference(t["transaction_id"]) for t in window
    ]
    plaid.ok("/transactions/refresh", access_token=token)  # posts, adds and modifies one
    later, _ = sync_all(plaid, token, cursor, options=options)
    assert later["added"] and later["modified"] and later["removed"]
    reference = _reference(plaid, token, options)
    for key in ("added", "modified"):
        assert [json.dumps(t) for t in later[key]] == [
            reference(t["transaction_id"]) for t in later[key]
        ]
    pending = {t["transaction_id"]: t["account_id"] for t in first["added"] if t["pending"]}
    assert later["removed"] == [
        {"transaction_id": r["transaction_id"], "account_id": pending[r["transaction_id"]]}
        for r in later["removed"]
    ]


def test_transactions_sync_options_set_original_description_and_category_version(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    plain = plaid.ok("/transactions/sync", access_token=token, count=50)["added"]
    asked = plaid.ok(
        "/transactions/sync",
        access_token=token,
        count=50,
        options={"include_original_description": True, "personal_finance_category_version": "v2"},
    )["added"]
    assert [t["transaction_id"] for t in plain] == [t["transaction_id"] for t in asked]
    assert {t["original_description"] for t in plain} == {None}
    assert all(t["original_description"] == t["name"] for t in asked)
    assert {t["personal_finance_category"]["version"] for t in plain} == {"v1"}
    assert {t["personal_finance_category"]["version"] for t in asked} == {"v2"}


# -- /transactions/refresh and /sandbox/transactions/create ------------------------------------


def _amounts(transactions: list[dict[str, object]]) -> dict[object, object]:
    return {t["transaction_id"]: t["amount"] for t in transactions}


def test_transactions_refresh_dynamic_posts_pending_adds_new_and_bumps_one_amount(
    plaid: PlaidClient,
) -> None:
    token = dynamic_item(plaid)
    before, cursor = sync_all(plaid, token)
    pending = {t["transaction_id"] for t in before["added"] if t["pending"]}
    assert pending
    assert set(plaid.ok("/transactions/refresh", access_token=token)) == {"request_id"}
    changes, _ = sync_all(plaid, token, cursor)
    assert {r["transaction_id"] for r in changes["removed"]} == pending
    replaced = {t["pending_transaction_id"] for t in changes["added"]}
    assert pending <= replaced
    assert any(t["pending"] for t in changes["added"])  # new pending ones
    assert len(changes["modified"]) == 1
    modified = changes["modified"][0]
    old = _amounts(before["added"])[modified["transaction_id"]]
    assert round(modified["amount"] - old, 2) == 1.00  # type: ignore[operator]


def test_transactions_refresh_user_good_adds_nothing(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    _, cursor = sync_all(plaid, token)
    plaid.ok("/transactions/refresh", access_token=token)
    page = plaid.ok("/transactions/sync", access_token=token, cursor=cursor)
    assert (page["added"], page["modified"], page["removed"]) == ([], [], [])


def _custom(**overrides: object) -> dict[str, object]:
    return {
        "date_transacted": "2026-03-14",
        "date_posted": "2026-03-15",
        "amount": 12.34,
        "description": "Sandbox Coffee Roasters",
        **overrides,
    }


def test_sandbox_transactions_create_adds_the_transaction(plaid: PlaidClient) -> None:
    token = dynamic_item(plaid)
    _, cursor = sync_all(plaid, token)
    plaid.ok("/sandbox/transactions/create", access_token=token, transactions=[_custom()])
    changes, _ = sync_all(plaid, token, cursor)
    made = [t for t in changes["added"] if t["name"] == "Sandbox Coffee Roasters"]
    assert len(made) == 1
    assert made[0]["amount"] == 12.34
    assert made[0]["authorized_date"] == "2026-03-14"
    # DIVERGES: the sandbox adds it as pending (dated when transacted) and posts it later.
    assert made[0]["date"] == ("2026-03-14" if made[0]["pending"] else "2026-03-15")
    assert changes["removed"]  # it also acts like a refresh


@pytest.mark.parametrize("code", [None, "GBP"])
def test_sandbox_transactions_create_takes_the_banks_currency(
    plaid: PlaidClient, code: str | None
) -> None:
    """A UK bank's item: without ``iso_currency_code`` (Plaid's default is USD, for its US
    banks) or with GBP, the transaction is in pounds; USD there is refused."""
    token = plaid.link_item(
        institution_id="ins_116834",
        override_username="user_transactions_dynamic",
        override_password="pass_good",
    )
    _, cursor = sync_all(plaid, token)
    currency = {} if code is None else {"iso_currency_code": code}
    plaid.ok("/sandbox/transactions/create", access_token=token, transactions=[_custom(**currency)])
    changes, _ = sync_all(plaid, token, cursor)
    made = [t for t in changes["added"] if t["name"] == "Sandbox Coffee Roasters"]
    assert [t["iso_currency_code"] for t in made] == ["GBP"]
    refused = plaid.error(
        "/sandbox/transactions/create",
        access_token=token,
        transactions=[_custom(iso_currency_code="USD")],
    )
    assert "transactions[0].iso_currency_code must be GBP" in refused["error_message"]


@pytest.mark.parametrize(
    ("transaction", "field"),
    [
        (
            _custom(date_transacted="2026-03-17", date_posted="2026-03-17"),
            "transactions[0].date_transacted",
        ),
        # the future date is named, not only the transaction
        (
            _custom(date_transacted="2026-03-16", date_posted="2026-03-17"),
            "transactions[0].date_posted",
        ),
        (
            _custom(date_transacted="2026-02-01", date_posted="2026-02-02"),
            "transactions[0].date_transacted",
        ),
        (
            _custom(date_transacted="2026-03-15", date_posted="2026-03-14"),
            "transactions[0].date_posted",
        ),
        (_custom(amount="lots"), "transactions[0].amount"),
        (_custom(amount=1e17), "transactions[0].amount"),  # was a 500 (OverflowError)
        (_custom(amount=92233720368547758), "transactions[0].amount"),  # was kept: a bad tenant
        (_custom(amount=-10_000_000_000_000.01), "transactions[0].amount"),
        (_custom(date_posted="yesterday"), "transactions[0].date_posted"),
        # was accepted and the transaction shown in USD (the depository account's currency)
        (_custom(iso_currency_code="EUR"), "transactions[0].iso_currency_code"),
        (_custom(iso_currency_code="usd"), "transactions[0].iso_currency_code"),
    ],
)
def test_sandbox_transactions_create_bad_transaction_is_invalid_field(
    plaid: PlaidClient, transaction: dict[str, object], field: str
) -> None:
    token = dynamic_item(plaid)
    error = plaid.error(
        "/sandbox/transactions/create", access_token=token, transactions=[transaction]
    )
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert field in error["error_message"]


def test_sandbox_transactions_create_more_than_ten_is_invalid_field(plaid: PlaidClient) -> None:
    token = dynamic_item(plaid)
    error = plaid.error(
        "/sandbox/transactions/create", access_token=token, transactions=[_custom()] * 11
    )
    assert error["error_code"] == "INVALID_FIELD" and "transactions" in error["error_message"]


def test_sandbox_transactions_create_missing_description_is_missing_fields(
    plaid: PlaidClient,
) -> None:
    token = dynamic_item(plaid)
    transaction = _custom()
    del transaction["description"]
    error = plaid.error(
        "/sandbox/transactions/create", access_token=token, transactions=[transaction]
    )
    assert error["error_code"] == "MISSING_FIELDS"
    assert "description" in error["error_message"]


def test_sandbox_transactions_create_user_good_is_rejected(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error(
        "/sandbox/transactions/create", access_token=token, transactions=[_custom()]
    )
    assert error["error_type"] == "INVALID_REQUEST"
    assert "user_transactions_dynamic" in error["error_message"]


# -- /transactions/recurring/get and /categories/get ---------------------------------------------


def test_transactions_recurring_get_finds_inflow_and_outflow_streams(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    account_ids = {
        a["account_id"] for a in plaid.ok("/accounts/get", access_token=token)["accounts"]
    }
    body = plaid.ok("/transactions/recurring/get", access_token=token)
    assert body["inflow_streams"] and body["outflow_streams"]
    assert body["updated_datetime"] == "2026-03-16T15:30:00Z"
    for stream in body["inflow_streams"] + body["outflow_streams"]:
        assert stream["account_id"] in account_ids
        assert stream["frequency"] in {
            "UNKNOWN",
            "WEEKLY",
            "BIWEEKLY",
            "SEMI_MONTHLY",
            "MONTHLY",
            "ANNUALLY",
        }
        assert len(stream["transaction_ids"]) >= 2
        assert stream["first_date"] <= stream["last_date"]
    assert all(s["average_amount"]["amount"] < 0 for s in body["inflow_streams"])
    assert all(s["average_amount"]["amount"] > 0 for s in body["outflow_streams"])


def test_transactions_recurring_get_predicts_each_active_streams_next_date(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    body = plaid.ok("/transactions/recurring/get", access_token=token)
    streams = body["inflow_streams"] + body["outflow_streams"]
    assert any(s["is_active"] for s in streams)
    for stream in streams:
        if not stream["is_active"]:
            assert stream["predicted_next_date"] is None
            continue
        last = dt.date.fromisoformat(stream["last_date"])
        predicted = dt.date.fromisoformat(stream["predicted_next_date"])
        period = {"WEEKLY": 7, "BIWEEKLY": 14, "SEMI_MONTHLY": 15, "MONTHLY": 31}
        assert last < predicted <= last + dt.timedelta(days=period[stream["frequency"]] + 3)


# The engine's own streams (pay, rent, bills, loan and card payments, transfers).
GENERATED = {"INCOME", "RENT_AND_UTILITIES", "LOAN_PAYMENTS", "TRANSFER_IN", "TRANSFER_OUT"}


def test_transactions_recurring_get_predicts_the_day_the_payment_posts(
    plaid: PlaidClient,
) -> None:
    """Weekends included: a bill moves to Monday, a loan installment or card autopay does not."""
    token = plaid.link_item()
    before = plaid.ok("/transactions/recurring/get", access_token=token)
    advance_clock(plaid, 40)  # past every prediction
    dates: dict[str, str] = {}
    total = None
    while total is None or len(dates) < total:
        body = plaid.ok(
            "/transactions/get",
            access_token=token,
            start_date=FROZEN_NOW.date().isoformat(),
            end_date=(FROZEN_NOW.date() + dt.timedelta(days=40)).isoformat(),
            options={"count": 500, "offset": len(dates)},
        )
        dates |= {t["transaction_id"]: t["date"] for t in body["transactions"]}
        total = body["total_transactions"]
    after = plaid.ok("/transactions/recurring/get", access_token=token)
    now = {s["stream_id"]: s for s in after["inflow_streams"] + after["outflow_streams"]}
    checked = set()
    for stream in before["inflow_streams"] + before["outflow_streams"]:
        category = stream["personal_finance_category"]
        if stream["predicted_next_date"] is None or category["primary"] not in GENERATED:
            continue  # purchases that happen to recur are guessed from their rhythm
        posted = [dates[t] for t in now[stream["stream_id"]]["transaction_ids"] if t in dates]
        next_posted = min(d for d in posted if d > stream["last_date"])
        assert next_posted == stream["predicted_next_date"], stream["description"]
        checked.add(category["detailed"])
    assert "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT" in checked, checked
    assert {"LOAN_PAYMENTS_MORTGAGE_PAYMENT", "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT"} <= checked
    assert any(c.startswith("RENT_AND_UTILITIES") for c in checked), checked


def test_transactions_recurring_get_account_ids_limits_streams(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    checking = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    body = plaid.ok("/transactions/recurring/get", access_token=token, account_ids=[checking])
    streams = body["inflow_streams"] + body["outflow_streams"]
    assert streams and {s["account_id"] for s in streams} == {checking}


def test_transactions_recurring_get_needs_an_item_initialised_with_transactions(
    plaid: PlaidClient,
) -> None:
    """Plaid: recurring "can only be called on an Item that has already been initialized with
    Transactions"; it does not add the product, /transactions/sync does."""
    token = plaid.link_item(products=("auth",))
    error = plaid.error("/transactions/recurring/get", access_token=token)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "PRODUCT_NOT_READY")
    assert plaid.ok("/item/get", access_token=token)["item"]["products"] == ["auth"]
    plaid.ok("/transactions/sync", access_token=token)
    assert plaid.ok("/transactions/recurring/get", access_token=token)["outflow_streams"]


def test_transactions_recurring_get_waits_for_the_historical_pull(
    plaid: PlaidClient, app: Flask
) -> None:
    app.config["HISTORICAL_DELAY_SECONDS"] = 60
    token = plaid.link_item()
    error = plaid.error("/transactions/recurring/get", access_token=token)
    assert error["error_code"] == "PRODUCT_NOT_READY"
    advance_clock(plaid, seconds=60)
    assert plaid.ok("/transactions/recurring/get", access_token=token)["outflow_streams"]


@pytest.mark.parametrize(
    "options",
    [{"include_personal_finance_category": "x"}, {"personal_finance_category_version": "v9"}],
)
def test_transactions_recurring_get_bad_option_is_invalid_field(
    plaid: PlaidClient, options: dict[str, Any]
) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/recurring/get", access_token=token, options=options)
    assert error["error_code"] == "INVALID_FIELD"
    assert f"options.{next(iter(options))}" in error["error_message"]


def test_categories_get_without_auth_returns_hierarchy(plaid: PlaidClient) -> None:
    response = plaid.client.post("/categories/get", json={})
    assert response.status_code == 200
    categories = {c["category_id"]: c for c in response.get_json()["categories"]}
    assert categories["10000000"]["hierarchy"] == ["Bank Fees"]
    assert categories["10001000"]["hierarchy"] == ["Bank Fees", "Overdraft"]
    assert {c["group"] for c in categories.values()} <= {"place", "special", "digital"}
    assert response.get_json()["request_id"]


# -- options.days_requested of the call that adds Transactions ----------------------------------

TODAY = FROZEN_NOW.date()


def _oldest(added: list[dict[str, Any]]) -> dt.date:
    return min(dt.date.fromisoformat(t["date"]) for t in added)


def test_days_requested_of_the_first_sync_brings_that_much_history(plaid: PlaidClient) -> None:
    """Plaid: ``days_requested`` "controls the maximum number of days of transaction history"
    on an item not yet initialised with Transactions (linked with Auth only, 90 days)."""
    token = plaid.link_item(products=("auth",))
    balances = plaid.ok("/accounts/get", access_token=token)["accounts"]
    merged, _ = sync_all(plaid, token, options={"days_requested": 365})
    ids = [t["transaction_id"] for t in merged["added"]]
    assert len(ids) == len(set(ids))
    assert TODAY - dt.timedelta(days=365) <= _oldest(merged["added"]) < TODAY - dt.timedelta(90)
    assert plaid.ok("/accounts/get", access_token=token)["accounts"] == balances
    window = {"start_date": "2020-01-01", "end_date": TODAY.isoformat()}
    got = plaid.ok("/transactions/get", access_token=token, **window, options={"count": 1})
    assert got["total_transactions"] == len(ids)


def test_days_requested_of_the_first_transactions_get_brings_that_much_history(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("auth",))
    body = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2020-01-01",
        end_date=TODAY.isoformat(),
        options={"count": 500, "offset": 0, "days_requested": 200},
    )
    oldest = dt.date.fromisoformat(body["transactions"][-1]["date"])
    assert TODAY - dt.timedelta(days=200) <= oldest < TODAY - dt.timedelta(90)


def test_days_requested_on_an_item_initialised_with_transactions_changes_nothing(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("transactions",))
    merged, _ = sync_all(plaid, token, options={"days_requested": 730})
    assert _oldest(merged["added"]) >= TODAY - dt.timedelta(days=90)


def test_days_requested_of_a_processor_tokens_first_sync_brings_that_much_history(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("auth",))
    checking = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    processor = plaid.ok(
        "/processor/token/create", access_token=token, account_id=checking, processor="dwolla"
    )["processor_token"]
    page = plaid.ok(
        "/processor/transactions/sync",
        processor_token=processor,
        count=500,
        options={"days_requested": 365},
    )
    assert _oldest(page["added"]) < TODAY - dt.timedelta(days=90)
