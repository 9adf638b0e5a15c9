"""``/accounts/{id}/standing_orders`` and ``/accounts/{id}/direct_debits``: read off the
ledger's recurring payments, so they agree with the transactions they made."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sandbox.extensions import db
from tests.api.truelayer.conftest import TrueLayerData

FREQUENCY = re.compile(
    r"^(EvryDay|EvryWorkgDay|QtrDay|IntrvlDay:\d\d"
    r"|(IntrvlMnthDay|IntrvlWkDay|WkInMnthDay):\d\d:\d\d)$"
)


def _current_and_transactions(
    truelayer: TrueLayerData, token: str
) -> tuple[str, list[dict[str, Any]]]:
    account = truelayer.results("/accounts", token)[0]["account_id"]
    return account, truelayer.results(f"/accounts/{account}/transactions", token)


def test_standing_orders_match_the_payments_they_made(truelayer: TrueLayerData, token: str) -> None:
    account, found = _current_and_transactions(truelayer, token)
    orders = truelayer.results(f"/accounts/{account}/standing_orders", token)
    made = [t for t in found if t["transaction_category"] == "STANDING_ORDER"]
    assert orders and {t["description"] for t in made} == {o["reference"] for o in orders}
    for order in orders:
        own = [t for t in made if t["description"] == order["reference"]]
        assert FREQUENCY.match(order["frequency"]), order["frequency"]
        assert order["status"] == "Active" and order["currency"] == "GBP"
        assert order["meta"] == {"provider_account_id": account}
        assert (order["first_payment_date"], order["first_payment_amount"]) == (
            own[-1]["timestamp"],
            -own[-1]["amount"],
        )
        assert order["next_payment_date"] > "2026-03-16"
        assert order["final_payment_date"] == "9999-12-31T00:00:00+00:00"
        day = int(order["frequency"].rsplit(":", 1)[1])
        assert int(order["next_payment_date"][8:10]) in (day, day + 1, day + 2)  # weekends move


def test_direct_debits_match_the_collections_they_made(
    truelayer: TrueLayerData, token: str
) -> None:
    account, found = _current_and_transactions(truelayer, token)
    debits = truelayer.results(f"/accounts/{account}/direct_debits", token)
    made = [t for t in found if t["transaction_category"] == "DIRECT_DEBIT"]
    assert debits and len({d["direct_debit_id"] for d in debits}) == len(debits)
    for debit in debits:
        collected = (debit["previous_payment_timestamp"], -debit["previous_payment_amount"])
        assert collected in {(t["timestamp"], t["amount"]) for t in made}, debit
        assert debit["status"] == "Active" and debit["name"]
        assert debit["meta"]["provider_account_id"] == account
        assert debit["meta"]["provider_mandate_identification"]


def test_a_savings_account_pays_no_standing_order(truelayer: TrueLayerData, token: str) -> None:
    savings = truelayer.results("/accounts", token)[1]["account_id"]
    assert truelayer.results(f"/accounts/{savings}/standing_orders", token) == []
    assert truelayer.results(f"/accounts/{savings}/direct_debits", token) == []


def test_cards_have_no_standing_orders(truelayer: TrueLayerData, token: str) -> None:
    card_id = truelayer.results("/cards", token)[0]["account_id"]
    truelayer.error(f"/accounts/{card_id}/standing_orders", token, 404, "account_not_found")


def test_a_standing_orders_next_payment_is_made_on_that_day(
    truelayer: TrueLayerData, token: str
) -> None:
    account = truelayer.results("/accounts", token)[0]["account_id"]
    orders = truelayer.results(f"/accounts/{account}/standing_orders", token)
    truelayer.bank().move_clock(advance=dt.timedelta(days=40))  # past every next payment
    db.session.commit()
    _, found = _current_and_transactions(truelayer, truelayer.connect())  # the token expired
    made = {(t["description"], t["timestamp"]) for t in found if t["amount"] < 0}
    assert orders
    for order in orders:
        assert (order["reference"], order["next_payment_date"]) in made, order
