"""``/accounts/{id}/transactions`` (+ ``/pending``): signs, windows, running balances,
categories, and ``invalid_date_range``."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import select

from sandbox.core.models import Transaction
from sandbox.extensions import db
from tests.api.truelayer.conftest import TrueLayerData

BARCLAYS = "ins_118274"
CATEGORIES = {
    "ATM", "BILL_PAYMENT", "CASH", "CASHBACK", "CHEQUE", "CORRECTION", "CREDIT", "DIRECT_DEBIT",
    "DIVIDEND", "FEE_CHARGE", "INTEREST", "OTHER", "PURCHASE", "STANDING_ORDER", "TRANSFER",
    "DEBIT", "UNKNOWN",
}  # fmt: skip


def _current(truelayer: TrueLayerData, token: str) -> str:
    return str(truelayer.results("/accounts", token)[0]["account_id"])


def test_debits_are_negative_and_credits_positive_in_major_units(
    truelayer: TrueLayerData, token: str
) -> None:
    found = truelayer.results(f"/accounts/{_current(truelayer, token)}/transactions", token)
    assert {t["transaction_type"] for t in found} == {"DEBIT", "CREDIT"}
    for txn in found:
        assert (txn["amount"] < 0) == (txn["transaction_type"] == "DEBIT"), txn
        assert txn["meta"]["transaction_type"] == txn["transaction_type"].title()
        assert Decimal(str(txn["amount"])).as_tuple().exponent >= -2
        assert txn["currency"] == "GBP" and txn["transaction_category"] in CATEGORIES


def test_running_balances_step_by_each_amount_down_to_the_current_balance(
    truelayer: TrueLayerData, token: str
) -> None:
    account = _current(truelayer, token)
    found = truelayer.results(f"/accounts/{account}/transactions", token)
    [balance] = truelayer.results(f"/accounts/{account}/balance", token)
    assert found[0]["running_balance"] == {"amount": balance["current"], "currency": "GBP"}
    for newer, older in itertools.pairwise(found):
        assert newer["timestamp"] >= older["timestamp"]
        step = Decimal(str(newer["running_balance"]["amount"])) - Decimal(
            str(older["running_balance"]["amount"])
        )
        assert step == Decimal(str(newer["amount"])), (newer, older)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-01", "2026-03-10"),
        ("2026-03-01T00:00:00", "2026-03-10T23:59:59"),
        ("2026-03-01T00:00:00+00:00", "2026-03-10T00:00:00Z"),
    ],
)
def test_from_and_to_take_dates_or_date_times_inclusive(
    truelayer: TrueLayerData, token: str, start: str, end: str
) -> None:
    account = _current(truelayer, token)
    found = truelayer.results(f"/accounts/{account}/transactions", token, to=end, **{"from": start})
    days = {t["timestamp"][:10] for t in found}
    assert days and min(days) >= "2026-03-01" and max(days) <= "2026-03-10"
    assert {"2026-03-01", "2026-03-10"} & days or len(days) > 3
    whole = truelayer.results(f"/accounts/{account}/transactions", token)
    assert [t for t in whole if "2026-03-01" <= t["timestamp"][:10] <= "2026-03-10"] == found


def test_a_date_time_with_an_offset_counts_on_its_utc_day(
    truelayer: TrueLayerData, token: str
) -> None:
    path = f"/accounts/{_current(truelayer, token)}/transactions"
    day = truelayer.results(path, token)[-1]["timestamp"][:10]  # rows posted at 00:00 UTC
    on_day = dt.date.fromisoformat(day)
    eve, next_day = on_day - dt.timedelta(days=1), on_day + dt.timedelta(days=1)
    # 23:00 at UTC-5 the day before is 04:00 UTC on the day: its rows are in
    until = truelayer.results(path, token, to=f"{eve}T23:00:00-05:00")
    assert until == truelayer.results(path, token, to=day)
    assert day in {t["timestamp"][:10] for t in until}
    # 23:30 at UTC-1 on the day is 00:30 UTC the day after: its rows are out
    since = truelayer.results(path, token, **{"from": f"{day}T23:30:00-01:00"})
    assert since == truelayer.results(path, token, **{"from": str(next_day)})
    assert day not in {t["timestamp"][:10] for t in since}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
        ({"from": "2026-04-01"}, "from"),
        ({"from": "last tuesday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"to": "9999-12-31T23:59:59-05:00"}, "to"),  # its UTC day is in year 10000
        ({"from": "0001-01-01T00:00:00+05:00"}, "from"),  # … in year 0
    ],
)
def test_a_bad_range_is_invalid_date_range_naming_the_parameter(
    truelayer: TrueLayerData, token: str, params: dict[str, str], field: str
) -> None:
    account = _current(truelayer, token)
    for path in (f"/accounts/{account}/transactions", f"/accounts/{account}/transactions/pending"):
        body = truelayer.error(path, token, 400, "invalid_date_range", **params)
        assert body["error_details"] == {"parameter": field}
        assert field in body["error_description"]


def test_pending_transactions_are_apart_from_settled_ones_and_carry_no_balance(
    truelayer: TrueLayerData,
) -> None:
    token = truelayer.connect("user_good", "pass_good", institution_id=BARCLAYS)
    account = _current(truelayer, token)
    pending = truelayer.results(f"/accounts/{account}/transactions/pending", token)
    settled = truelayer.results(f"/accounts/{account}/transactions", token)
    assert pending, "user_good's current account has pending debit-card purchases"
    assert not {t["transaction_id"] for t in pending} & {t["transaction_id"] for t in settled}
    assert all("running_balance" not in t for t in pending)
    ledger = db.session.scalars(
        select(Transaction.id).where(
            Transaction.item_pk == truelayer.grant_of(token).item.pk,
            Transaction.account_id == account,
            Transaction.pending.is_(True),
        )
    )
    assert {t["transaction_id"] for t in pending} == set(ledger)


def test_categories_name_purchases_direct_debits_and_standing_orders(
    truelayer: TrueLayerData, token: str
) -> None:
    found = truelayer.results(f"/accounts/{_current(truelayer, token)}/transactions", token)
    by_category = {t["transaction_category"]: t for t in found}
    assert {"PURCHASE", "DIRECT_DEBIT", "STANDING_ORDER"} <= set(by_category)
    assert by_category["PURCHASE"]["meta"]["provider_transaction_category"] == "DEB"
    assert by_category["DIRECT_DEBIT"]["meta"]["provider_transaction_category"] == "DD"
    assert by_category["STANDING_ORDER"]["meta"]["provider_transaction_category"] == "SO"
    assert len(by_category["PURCHASE"]["transaction_classification"]) == 2
    for txn in found:
        if txn["transaction_category"] in ("TRANSFER", "STANDING_ORDER", "CREDIT"):
            assert txn["transaction_classification"] == []


def test_transaction_ids_are_stable_between_calls(truelayer: TrueLayerData, token: str) -> None:
    account = _current(truelayer, token)
    first = truelayer.results(f"/accounts/{account}/transactions", token)
    second = truelayer.results(f"/accounts/{account}/transactions", token)
    ids = [t["normalised_provider_transaction_id"] for t in first]
    assert ids == [t["normalised_provider_transaction_id"] for t in second]
    assert len(set(ids)) == len(ids)


def test_the_banks_transaction_ids_are_the_same_in_every_connection_of_a_login(
    truelayer: TrueLayerData, token: str
) -> None:
    """A second connection of the same login has new transaction ids (TrueLayer's are per
    connection) but the bank's own, ``provider_transaction_id`` and the normalised one, stay:
    an app that connects again matches its history on them."""
    again = truelayer.connect()
    first = truelayer.results(f"/accounts/{_current(truelayer, token)}/transactions", token)
    second = truelayer.results(f"/accounts/{_current(truelayer, again)}/transactions", again)
    assert first and len(first) == len(second)
    assert not {t["transaction_id"] for t in first} & {t["transaction_id"] for t in second}
    for key in ("provider_transaction_id", "normalised_provider_transaction_id"):
        assert [t[key] for t in first] == [t[key] for t in second]
        assert len({t[key] for t in first}) == len(first)
    other = truelayer.connect("john2", "doe2")
    theirs = truelayer.results(f"/accounts/{_current(truelayer, other)}/transactions", other)
    mine = {t["provider_transaction_id"] for t in first}
    assert not mine & {t["provider_transaction_id"] for t in theirs}
