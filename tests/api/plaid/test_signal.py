"""Signal: scores from the account's ledger, fixed sandbox amounts, decisions and returns."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from sandbox.core import tenants
from sandbox.core.models import Item, SignalEvaluation
from sandbox.core.signal import EVALUATIONS_PER_HOUR
from sandbox.extensions import db
from tests.api.plaid.helpers import advance_clock
from tests.conftest import FROZEN_NOW, PlaidClient

QUICKSTART_PRODUCTS = ("auth", "transactions", "signal")


def _checking(plaid: PlaidClient, institution: str = "ins_109508") -> tuple[str, str]:
    """An item linked with the quickstart's default products, and its checking account."""
    token = plaid.link_item(institution, products=QUICKSTART_PRODUCTS)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    return token, accounts[0]["account_id"]


def _evaluate(
    plaid: PlaidClient, token: str, account: str, txn: str, amount: float, *, ok: bool = True
) -> Any:
    """``/signal/evaluate``'s reply (or its error object when ``ok`` is False)."""
    call = plaid.ok if ok else plaid.error
    return call(
        "/signal/evaluate",
        access_token=token,
        account_id=account,
        client_transaction_id=txn,
        amount=amount,
    )


def _scores(body: dict[str, Any]) -> tuple[int, int]:
    scores = body["scores"]
    return (
        scores["bank_initiated_return_risk"]["score"],
        scores["customer_initiated_return_risk"]["score"],
    )


def test_quickstart_products_link_and_evaluate_a_small_debit(plaid: PlaidClient) -> None:
    token, account = _checking(plaid)
    assert "signal" in plaid.ok("/item/get", access_token=token)["item"]["products"]
    body = _evaluate(plaid, token, account, "txn-1700000000000-0a1b2c3d", 100.0)
    bank, customer = _scores(body)
    assert 1 <= bank < 50 and 1 <= customer < 50
    assert body["ruleset"] == {
        "ruleset_key": "default",
        "result": "ACCEPT",
        "triggered_rule_details": None,
    }
    assert body["warnings"] == []
    attributes = body["core_attributes"]
    balances = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["balances"]
    assert attributes["available_balance"] == balances["available"]
    assert attributes["current_balance"] == balances["current"]
    assert attributes["days_since_first_plaid_connection"] == 0
    assert attributes["debit_transactions_count_30d"] > 0


@pytest.mark.parametrize(("amount", "score"), [(3.53, 10), (12.17, 60), (27.53, 90)])
def test_plaids_documented_sandbox_amounts_keep_their_scores(
    plaid: PlaidClient, amount: float, score: int
) -> None:
    token, account = _checking(plaid)
    body = _evaluate(plaid, token, account, f"fixed-{amount}", amount)
    assert _scores(body) == (score, score)
    tiers = (
        body["scores"]["bank_initiated_return_risk"]["risk_tier"],
        body["scores"]["customer_initiated_return_risk"]["risk_tier"],
    )
    assert 1 <= tiers[0] <= 8 and 1 <= tiers[1] <= 5


def test_a_debit_beyond_the_available_balance_is_rerouted(plaid: PlaidClient) -> None:
    token, account = _checking(plaid)
    available = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["balances"][
        "available"
    ]
    body = _evaluate(plaid, token, account, "big", round(available * 2, 2))
    assert _scores(body)[0] >= 80
    assert body["ruleset"]["result"] == "REROUTE" and body["ruleset"]["triggered_rule_details"]


def test_reported_returns_raise_the_accounts_later_scores(plaid: PlaidClient) -> None:
    token, account = _checking(plaid)
    before = _scores(_evaluate(plaid, token, account, "a", 100.0))
    plaid.ok(
        "/signal/decision/report",
        client_transaction_id="a",
        initiated=True,
        decision_outcome="APPROVE",
    )
    plaid.ok("/signal/return/report", client_transaction_id="a", return_code="R10")
    after_unauthorized = _scores(_evaluate(plaid, token, account, "b", 100.0))
    assert after_unauthorized[1] > before[1] and after_unauthorized[0] == before[0]
    plaid.ok("/signal/return/report", client_transaction_id="b", return_code="R01")
    after_nsf = _scores(_evaluate(plaid, token, account, "c", 100.0))
    assert after_nsf[0] > before[0]


def test_scores_are_the_same_for_the_same_seed_and_clock(app: Flask, plaid: PlaidClient) -> None:
    tenant, keys = tenants.create(db.session, "twin", 7)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    twin = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    bodies = []
    for client in (plaid, twin):
        token, account = _checking(client)
        body = _evaluate(client, token, account, "same", 250.0)
        body.pop("request_id")
        bodies.append(body)
    assert bodies[0] == bodies[1]


def test_evaluate_on_an_item_in_error_scores_with_a_warning(plaid: PlaidClient) -> None:
    token, account = _checking(plaid)
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    body = _evaluate(plaid, token, account, "stale", 10.0)
    assert body["warnings"][0]["warning_code"] == "ITEM_LOGIN_REQUIRED"


def test_signal_prepare_adds_signal_to_an_item_linked_without_it(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    assert "signal" in plaid.ok("/item/get", access_token=token)["item"]["available_products"]
    plaid.ok("/signal/prepare", access_token=token)
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert "signal" in item["products"] and "signal" not in item["available_products"]


def test_signal_is_offered_by_us_banks_only(plaid: PlaidClient) -> None:
    found = plaid.ok(
        "/institutions/get",
        count=50,
        offset=0,
        country_codes=["US", "GB", "CA"],
        options={"products": list(QUICKSTART_PRODUCTS)},
    )["institutions"]
    assert found and {c for i in found for c in i["country_codes"]} == {"US"}
    token = plaid.link_item("ins_117650")
    assert (
        plaid.error("/signal/prepare", access_token=token)["error_code"] == "PRODUCTS_NOT_SUPPORTED"
    )


def test_one_id_is_evaluated_on_each_of_two_items(plaid: PlaidClient) -> None:
    """Plaid's quickstart sends one fixed id; the next item linked with the same keys scores."""
    for _ in range(2):
        token, account = _checking(plaid)
        assert _scores(_evaluate(plaid, token, account, "txn1234", 100.0))


def test_the_same_id_account_and_amount_again_re_evaluates_with_the_same_scores(
    plaid: PlaidClient,
) -> None:
    token, account = _checking(plaid)
    first = _evaluate(plaid, token, account, "again", 100.0)
    plaid.ok("/signal/decision/report", client_transaction_id="again", initiated=False)
    second = _evaluate(plaid, token, account, "again", 100.0)
    assert _scores(second) == _scores(first) and second["ruleset"] == first["ruleset"]
    # the refreshed evaluation keeps its reported decision
    error = plaid.error("/signal/return/report", client_transaction_id="again", return_code="R01")
    assert error["error_code"] == "SIGNAL_TRANSACTION_NOT_INITIATED"


@pytest.mark.parametrize("change", ["amount", "account"])
def test_the_same_id_on_its_item_for_another_debit_is_already_in_use(
    plaid: PlaidClient, change: str
) -> None:
    token, account = _checking(plaid)
    _evaluate(plaid, token, account, "dup", 5.0)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    other = next(a["account_id"] for a in accounts[1:] if a["type"] == "depository")
    again = (account, 6.0) if change == "amount" else (other, 5.0)
    error = _evaluate(plaid, token, again[0], "dup", again[1], ok=False)
    assert (error["error_type"], error["error_code"]) == (
        "SIGNAL_ERROR",
        "CLIENT_TRANSACTION_ID_ALREADY_IN_USE",
    )


def test_an_eleventh_evaluation_within_the_hour_is_rate_limited(plaid: PlaidClient) -> None:
    token, account = _checking(plaid)
    for _ in range(EVALUATIONS_PER_HOUR):
        _evaluate(plaid, token, account, "busy", 20.0)
    error = _evaluate(plaid, token, account, "busy", 20.0, ok=False)
    assert (error["error_type"], error["error_code"]) == ("RATE_LIMIT_EXCEEDED", "RATE_LIMIT")
    assert error["http_status"] == 429
    advance_clock(plaid, seconds=3599)
    assert _evaluate(plaid, token, account, "busy", 20.0, ok=False)["error_code"] == "RATE_LIMIT"
    advance_clock(plaid, seconds=1)
    assert _scores(_evaluate(plaid, token, account, "busy", 20.0))


def test_reports_apply_to_the_tenants_latest_evaluation_of_the_id(plaid: PlaidClient) -> None:
    first, first_account = _checking(plaid)
    second, second_account = _checking(plaid)
    _evaluate(plaid, first, first_account, "shared", 40.0)
    _evaluate(plaid, second, second_account, "shared", 40.0)
    plaid.ok("/signal/decision/report", client_transaction_id="shared", initiated=False)
    _evaluate(plaid, first, first_account, "shared", 40.0)
    plaid.ok("/signal/return/report", client_transaction_id="shared", return_code="R01")
    rows = db.session.execute(
        select(Item.id, SignalEvaluation.initiated, SignalEvaluation.return_code)
        .join(Item, Item.pk == SignalEvaluation.item_pk)
        .where(SignalEvaluation.client_transaction_id == "shared")
    ).all()
    by_item = {item_id: (initiated, code) for item_id, initiated, code in rows}
    assert by_item == {
        _item_id(plaid, first): (None, "R01"),
        _item_id(plaid, second): (False, None),
    }


def _item_id(plaid: PlaidClient, token: str) -> str:
    item_id: str = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    return item_id


def test_a_return_after_a_not_initiated_decision_is_refused(plaid: PlaidClient) -> None:
    token, account = _checking(plaid)
    _evaluate(plaid, token, account, "skip", 5.0)
    plaid.ok("/signal/decision/report", client_transaction_id="skip", initiated=False)
    error = plaid.error("/signal/return/report", client_transaction_id="skip", return_code="R01")
    assert error["error_code"] == "SIGNAL_TRANSACTION_NOT_INITIATED"


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/signal/evaluate", {"amount": 0}, "INVALID_FIELD", "amount"),
        (
            "/signal/evaluate",
            {"client_transaction_id": "x" * 37},
            "INVALID_FIELD",
            "client_transaction_id",
        ),
        ("/signal/evaluate", {"ruleset_key": "strict"}, "RULESET_NOT_FOUND", None),
        ("/signal/evaluate", {"amount": "10"}, "INVALID_FIELD", "amount"),
        ("/signal/evaluate", {"is_recurring": "x"}, "INVALID_FIELD", "is_recurring"),
        (
            "/signal/evaluate",
            {"default_payment_method": "BOGUS"},
            "INVALID_FIELD",
            "default_payment_method",
        ),
        ("/signal/evaluate", {"client_user_id": 5}, "INVALID_FIELD", "client_user_id"),
        ("/signal/evaluate", {"user": {"name": "bob"}}, "INVALID_FIELD", "user.name"),
        ("/signal/evaluate", {"user": {"bogus": 1}}, "UNKNOWN_FIELDS", "user.bogus"),
        ("/signal/evaluate", {"device": {"ip_address": 5}}, "INVALID_FIELD", "device.ip_address"),
        ("/signal/evaluate", {"account_id": "nope"}, "INVALID_ACCOUNT_ID", None),
        (
            "/signal/decision/report",
            {"client_transaction_id": "never"},
            "INVALID_FIELD",
            "client_transaction_id",
        ),
        (
            "/signal/decision/report",
            {"client_transaction_id": "ok", "initiated": "yes"},
            "INVALID_FIELD",
            "initiated",
        ),
        ("/signal/decision/report", {"client_transaction_id": "ok"}, "MISSING_FIELDS", "initiated"),
        # numbers equal to True or False passed as booleans
        (
            "/signal/decision/report",
            {"client_transaction_id": "ok", "initiated": 1},
            "INVALID_FIELD",
            "initiated",
        ),
        (
            "/signal/decision/report",
            {"client_transaction_id": "ok", "initiated": 0},
            "INVALID_FIELD",
            "initiated",
        ),
        (
            "/signal/decision/report",
            {"client_transaction_id": "ok", "initiated": -0.0},
            "INVALID_FIELD",
            "initiated",
        ),
        (
            "/signal/return/report",
            {"client_transaction_id": "ok", "return_code": "X1"},
            "INVALID_FIELD",
            "return_code",
        ),
        # $ matched before a trailing newline, and \d matched any script's digits
        (
            "/signal/return/report",
            {"client_transaction_id": "ok", "return_code": "R01\n"},
            "INVALID_FIELD",
            "return_code",
        ),
        (
            "/signal/return/report",
            {"client_transaction_id": "ok", "return_code": "R\u0661\u0662"},
            "INVALID_FIELD",
            "return_code",
        ),
    ],
)
def test_signal_bad_input_is_a_plaid_error_naming_the_field(
    plaid: PlaidClient, path: str, body: dict[str, Any], code: str, field: str | None
) -> None:
    token, account = _checking(plaid)
    _evaluate(plaid, token, account, "ok", 5.0)
    if path == "/signal/evaluate":
        body = {
            "access_token": token,
            "account_id": account,
            "client_transaction_id": "new",
            "amount": 5.0,
            **body,
        }
    elif path == "/signal/decision/report":
        body = {"initiated": True, **body} if code != "MISSING_FIELDS" else body
    error = plaid.error(path, **body)
    assert error["error_code"] == code, error
    if field:
        assert field in error["error_message"]


def test_evaluate_on_a_credit_card_is_refused(plaid: PlaidClient) -> None:
    token, _ = _checking(plaid)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    card = next(a["account_id"] for a in accounts if a["type"] == "credit")
    error = _evaluate(plaid, token, card, "c", 5.0, ok=False)
    assert error["error_code"] == "INVALID_ACCOUNT_ID"


def test_hosted_link_with_the_quickstart_products_offers_banks_and_links(
    plaid: PlaidClient,
) -> None:
    from tests.api.web.test_link_pages import LinkBrowser

    link = LinkBrowser(plaid, products=list(QUICKSTART_PRODUCTS), country_codes=["US", "CA"])
    link.post("consent")
    assert "First Platypus Bank" in link.page()
    link.post("select", institution_id="ins_109508")
    done = link.post("credentials", username="user_good", password="pass_good")
    public = link.continue_from(done).split("public_token=")[1].split("&")[0]
    token = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    assert set(QUICKSTART_PRODUCTS) <= set(
        plaid.ok("/item/get", access_token=token)["item"]["products"]
    )


def test_return_report_instant_outside_the_calendar_in_utc_names_the_field(
    plaid: PlaidClient,
) -> None:
    """``0001-01-01T00:00:00+05:00`` is a day before year 1 in UTC: storing it overflowed (500)."""
    token, account = _checking(plaid)
    _evaluate(plaid, token, account, "early", 100.0)
    error = plaid.error(
        "/signal/return/report",
        client_transaction_id="early",
        return_code="R01",
        returned_at="0001-01-01T00:00:00+05:00",
    )
    assert (error["error_code"], error["http_status"]) == ("INVALID_FIELD", 400)
    assert "returned_at" in error["error_message"]
