"""``/asset_report/get`` with ``include_insights``: each transaction's ``credit_category``."""

from __future__ import annotations

from typing import Any

from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.conftest import PlaidClient


def _report_transactions(plaid: PlaidClient, token: str, insights: bool) -> list[dict[str, Any]]:
    report_token = plaid.ok("/asset_report/create", access_tokens=[token], days_requested=60)[
        "asset_report_token"
    ]
    body = plaid.ok("/asset_report/get", asset_report_token=report_token, include_insights=insights)
    assert openapi_errors("/asset_report/get", body) == []
    sdk_deserialize("/asset_report/get", body)
    return [t for a in body["report"]["items"][0]["accounts"] for t in a["transactions"]]


def test_insights_give_every_transaction_its_credit_category(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions", "assets"))
    rows = _report_transactions(plaid, token, insights=True)
    pfc = {
        t["transaction_id"]: t["personal_finance_category"]["detailed"]
        for t in plaid.ok(
            "/transactions/get",
            access_token=token,
            start_date="2025-12-01",
            end_date="2026-03-16",
            options={"count": 500},
        )["transactions"]
    }
    pairs = {(pfc[t["transaction_id"]], t["credit_category"]["detailed"]) for t in rows}
    assert {
        ("FOOD_AND_DRINK_GROCERIES", "FOOD_RETAIL_GROCERIES"),  # as in Plaid's examples
        ("FOOD_AND_DRINK_RESTAURANT", "DINING_DINING"),
        ("INCOME_WAGES", "INCOME_SALARY"),
        ("LOAN_PAYMENTS_MORTGAGE_PAYMENT", "LOAN_PAYMENTS_MORTGAGE_AND_AUTO"),
        ("BANK_FEES_INTEREST_CHARGE", "INTEREST_PAYMENTS_INTEREST_CHARGED"),
    } <= pairs
    assert len(pairs) == len({ledger for ledger, _ in pairs})  # one credit category per category
    for t in rows:
        category = t["credit_category"]
        assert set(category) == {"primary", "detailed"}
        assert category["detailed"].startswith(category["primary"] + "_")
    assert len({t["credit_category"]["primary"] for t in rows}) > 3


def test_report_without_insights_has_no_credit_category(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions", "assets"))
    assert all("credit_category" not in t for t in _report_transactions(plaid, token, False))
