"""``/cards``, ``/cards/{id}``, ``/cards/{id}/balance`` and ``/cards/{id}/transactions``
(+ ``/pending``): networks, ids apart from accounts, what is owed, purchase signs."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.api.truelayer.conftest import TrueLayerData


def test_john_has_a_visa_and_a_mastercard(truelayer: TrueLayerData, token: str) -> None:
    cards = truelayer.results("/cards", token)
    assert sorted(c["card_network"] for c in cards) == ["MASTERCARD", "VISA"]
    for card in cards:
        assert card["card_type"] == "CREDIT" and card["currency"] == "GBP"
        assert re.fullmatch(r"\d{4}", card["partial_card_number"])
        assert re.fullmatch(r"\d{4}-\d{2}", card["valid_from"])
        assert card["valid_from"] < "2026-03" < card["valid_to"]
        assert card["name_on_card"] == card["name_on_card"].upper()
        assert card["provider"]["provider_id"] == "mock"


def test_one_card_by_id_and_an_account_id_is_no_card(truelayer: TrueLayerData, token: str) -> None:
    listed = truelayer.results("/cards", token)[0]
    assert truelayer.results(f"/cards/{listed['account_id']}", token) == [listed]
    account_id = truelayer.results("/accounts", token)[0]["account_id"]
    for suffix in ("", "/balance", "/transactions", "/transactions/pending"):
        truelayer.error(f"/cards/{account_id}{suffix}", token, 404, "account_not_found")


def test_card_balance_is_what_is_owed_against_the_limit(
    truelayer: TrueLayerData, token: str
) -> None:
    card_id = truelayer.results("/cards", token)[0]["account_id"]
    [balance] = truelayer.results(f"/cards/{card_id}/balance", token)
    assert balance["current"] > 0
    pending = truelayer.results(f"/cards/{card_id}/transactions/pending", token)
    purchases = sum(Decimal(str(t["amount"])) for t in pending if t["transaction_type"] == "DEBIT")
    assert purchases > 0, "john's Visa has pending purchases"
    # what is left of the limit once what is owed and what is pending are taken off
    left = Decimal(str(balance["credit_limit"])) - Decimal(str(balance["current"])) - purchases
    assert Decimal(str(balance["available"])) == left
    assert balance["payment_due"] <= balance["last_statement_balance"]
    assert balance["last_statement_date"] < "2026-03-17" < balance["payment_due_date"]


def test_card_purchases_are_positive_debits_and_repayments_negative_credits(
    truelayer: TrueLayerData, token: str
) -> None:
    card_id = truelayer.results("/cards", token)[0]["account_id"]
    found = truelayer.results(f"/cards/{card_id}/transactions", token)
    purchases = [t for t in found if t["transaction_category"] == "PURCHASE"]
    assert purchases and all(
        t["amount"] > 0 and t["transaction_type"] == "DEBIT" for t in purchases
    )
    credits = [t for t in found if t["transaction_type"] == "CREDIT"]
    assert credits and all(t["amount"] < 0 for t in credits)
    [balance] = truelayer.results(f"/cards/{card_id}/balance", token)
    assert found[0]["running_balance"]["amount"] == balance["current"]


def test_card_pending_transactions(truelayer: TrueLayerData, token: str) -> None:
    card_id = truelayer.results("/cards", token)[0]["account_id"]
    pending = truelayer.results(f"/cards/{card_id}/transactions/pending", token)
    settled = truelayer.results(f"/cards/{card_id}/transactions", token, **{"from": "2026-03-01"})
    assert pending and all("running_balance" not in t for t in pending)
    assert not {t["transaction_id"] for t in pending} & {t["transaction_id"] for t in settled}
    truelayer.error(
        f"/cards/{card_id}/transactions/pending", token, 400, "invalid_date_range", to="x"
    )
