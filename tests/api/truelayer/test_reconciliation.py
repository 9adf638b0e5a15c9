"""One ledger, two dialects: a UK connection read through Plaid and through TrueLayer agrees
to the penny (balances, every transaction, card balances, account numbers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandbox.extensions import db
from tests.api.truelayer.conftest import TrueLayerData
from tests.conftest import PlaidClient

BARCLAYS = "ins_118274"


def _pence(amount: float) -> int:
    return int(Decimal(str(amount)) * 100)


@pytest.fixture
def both(truelayer: TrueLayerData, plaid: PlaidClient) -> tuple[str, str]:
    """A TrueLayer token and a Plaid access token of the same Barclays connection."""
    token = truelayer.connect("user_good", "pass_good", institution_id=BARCLAYS)
    access_token = truelayer.bank().issue_access_token(truelayer.grant_of(token).item)
    db.session.commit()
    return token, access_token


def _plaid_transactions(plaid: PlaidClient, access_token: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = plaid.ok(
            "/transactions/get",
            access_token=access_token,
            start_date="2000-01-01",
            end_date="2026-03-16",
            options={"count": 500, "offset": len(found)},
        )
        found += page["transactions"]
        if len(found) >= page["total_transactions"]:
            return found


def test_balances_agree_to_the_penny(
    truelayer: TrueLayerData, plaid: PlaidClient, both: tuple[str, str]
) -> None:
    token, access_token = both
    plaid_accounts = {
        a["account_id"]: a for a in plaid.ok("/accounts/get", access_token=access_token)["accounts"]
    }
    for account in truelayer.results("/accounts", token):
        [balance] = truelayer.results(f"/accounts/{account['account_id']}/balance", token)
        plaid_balance = plaid_accounts[account["account_id"]]["balances"]
        assert _pence(balance["current"]) == _pence(plaid_balance["current"])
        assert plaid_balance["iso_currency_code"] == balance["currency"] == "GBP"
    for card in truelayer.results("/cards", token):
        [balance] = truelayer.results(f"/cards/{card['account_id']}/balance", token)
        plaid_balance = plaid_accounts[card["account_id"]]["balances"]
        assert _pence(balance["current"]) == _pence(plaid_balance["current"])
        assert _pence(balance["credit_limit"]) == _pence(plaid_balance["limit"])
        assert _pence(balance["available"]) == _pence(plaid_balance["available"])


def test_every_transaction_agrees_to_the_penny(
    truelayer: TrueLayerData, plaid: PlaidClient, both: tuple[str, str]
) -> None:
    token, access_token = both
    plaid_rows = {t["transaction_id"]: t for t in _plaid_transactions(plaid, access_token)}
    seen = set()
    for kind in ("accounts", "cards"):
        for account in truelayer.results(f"/{kind}", token):
            base = f"/{kind}/{account['account_id']}/transactions"
            for txn in truelayer.results(base, token) + truelayer.results(f"{base}/pending", token):
                mirror = plaid_rows[txn["transaction_id"]]
                # Plaid: money out > 0; TrueLayer: account debits < 0, card debits > 0
                sign = 1 if kind == "cards" else -1
                assert _pence(txn["amount"]) == sign * _pence(mirror["amount"]), txn
                assert txn["timestamp"][:10] == mirror["date"]
                assert txn["description"] == mirror["name"]
                assert mirror["account_id"] == account["account_id"]
                seen.add(txn["transaction_id"])
    tl_accounts = {
        a["account_id"]
        for kind in ("accounts", "cards")
        for a in truelayer.results(f"/{kind}", token)
    }
    assert seen == {t for t, row in plaid_rows.items() if row["account_id"] in tl_accounts}
    assert len(seen) > 200  # 90 days of an everyday account, its savings and two cards


def test_account_numbers_agree(
    truelayer: TrueLayerData, plaid: PlaidClient, both: tuple[str, str]
) -> None:
    token, access_token = both
    numbers = plaid.ok("/auth/get", access_token=access_token)["numbers"]
    bacs = {n["account_id"]: n for n in numbers["bacs"]}
    international = {n["account_id"]: n for n in numbers["international"]}
    for account in truelayer.results("/accounts", token):
        own = account["account_number"]
        if account["account_id"] in bacs:
            mirror = bacs[account["account_id"]]
            assert (own["number"], own["sort_code"].replace("-", "")) == (
                mirror["account"],
                mirror["sort_code"],
            )
        if account["account_id"] in international:
            assert own["iban"] == international[account["account_id"]]["iban"]
    assert bacs and international
