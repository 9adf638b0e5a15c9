"""``/liabilities/get`` and ``/transactions/recurring/get`` agree with the generated ledger."""

from __future__ import annotations

from typing import Any

from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.conftest import PlaidClient


def test_liabilities_get_user_good_has_cards_mortgage_and_student_loan(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions", "liabilities"))
    body = plaid.ok("/liabilities/get", access_token=token)
    assert openapi_errors("/liabilities/get", body) == []
    sdk_deserialize("/liabilities/get", body)
    liabilities = body["liabilities"]
    assert len(liabilities["credit"]) == 2 and len(liabilities["mortgage"]) == 1
    assert len(liabilities["student"]) == 1
    balances = {a["account_id"]: a["balances"]["current"] for a in body["accounts"]}
    mortgage = liabilities["mortgage"][0]
    assert (
        mortgage["next_payment_due_date"] > "2026-03-16"
        and mortgage["interest_rate"]["percentage"] == 3.99
    )
    assert balances[mortgage["account_id"]] < mortgage["origination_principal_amount"]


def test_liabilities_get_student_loan_in_repayment_says_until_when(plaid: PlaidClient) -> None:
    """Plaid's ``loan_status.end_date``: until when the loan stays in its status (its sample
    gives a repaying loan's payoff date). The in-school loan of ``user_student`` has none:
    its persona does not say when school ends."""
    token = plaid.link_item(products=("transactions", "liabilities"))
    loan = plaid.ok("/liabilities/get", access_token=token)["liabilities"]["student"][0]
    assert loan["loan_status"]["type"] == "repayment"
    assert loan["loan_status"]["end_date"] == loan["expected_payoff_date"] > "2026-03-16"
    token = plaid.link_item(
        products=("transactions", "liabilities"), override_username="user_student"
    )
    loan = plaid.ok("/liabilities/get", access_token=token)["liabilities"]["student"][0]
    assert loan["loan_status"] == {"type": "in school", "end_date": None}


def test_liabilities_get_card_payment_matches_the_autopay_transaction(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions", "liabilities"))
    card = plaid.ok("/liabilities/get", access_token=token)["liabilities"]["credit"][0]
    txns = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2026-01-01",
        end_date="2026-03-16",
        options={"count": 500},
    )["transactions"]
    paid = [
        t
        for t in txns
        if t["account_id"] == card["account_id"]
        and t["amount"] < 0
        and t["date"] == card["last_payment_date"]
        and t["personal_finance_category"]["detailed"] == "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
    ]
    assert [-t["amount"] for t in paid] == [card["last_payment_amount"]]
    assert card["minimum_payment_amount"] <= card["last_statement_balance"]


def test_liabilities_get_without_liability_accounts_is_no_liability_accounts(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("transactions", "liabilities"))
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    checking = [a["account_id"] for a in accounts if a["subtype"] == "checking"]
    error = plaid.error("/liabilities/get", access_token=token, options={"account_ids": checking})
    assert error["error_code"] == "NO_LIABILITY_ACCOUNTS" and error["http_status"] == 400


def test_recurring_get_returns_the_generated_payroll_and_subscriptions(plaid: PlaidClient) -> None:
    token = plaid.link_item(transactions={"days_requested": 365})
    body: dict[str, Any] = plaid.ok("/transactions/recurring/get", access_token=token)
    assert openapi_errors("/transactions/recurring/get", body) == []
    inflows = {s["frequency"] for s in body["inflow_streams"]}
    assert "BIWEEKLY" in inflows
    outflows = {
        s["personal_finance_category"]["detailed"]
        if s.get("personal_finance_category")
        else s["description"]
        for s in body["outflow_streams"]
    }
    assert outflows
    mortgage = [s for s in body["outflow_streams"] if "MORTGAGE" in s["description"]]
    assert mortgage and mortgage[0]["frequency"] == "MONTHLY" and mortgage[0]["status"] == "MATURE"
