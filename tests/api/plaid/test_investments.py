"""Plaid's Investments endpoints agree with the portfolio engine, the accounts and the clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask

from sandbox.extensions import db
from sandbox.worker import history_catch_up
from tests.api.plaid.contract import openapi_errors, sdk_deserialize, sdk_model_errors
from tests.api.plaid.helpers import (
    advance_clock,
    processor_token,
    queued_events,
    queued_webhooks,
    set_rate_limits,
)
from tests.conftest import FROZEN_NOW, PlaidClient

HOOK = "https://receiver.test/hook"
PARTNER_HOOK = "https://partner.test/hook"
PRODUCTS = ("transactions", "investments")


def _holdings(plaid: PlaidClient, token: str) -> dict[str, Any]:
    body = plaid.ok("/investments/holdings/get", access_token=token)
    assert openapi_errors("/investments/holdings/get", body) == []
    sdk_deserialize("/investments/holdings/get", body)
    return body


def _trades(plaid: PlaidClient, token: str, **options: Any) -> dict[str, Any]:
    body = plaid.ok(
        "/investments/transactions/get",
        access_token=token,
        start_date="2024-01-01",
        end_date="2026-03-16",
        options=options,
    )
    assert openapi_errors("/investments/transactions/get", body) == []
    sdk_deserialize("/investments/transactions/get", body)
    return body


def test_holdings_value_is_the_account_balance(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=PRODUCTS)
    body = _holdings(plaid, token)
    investment = [a for a in body["accounts"] if a["type"] == "investment"]
    assert {a["subtype"] for a in investment} == {"ira", "401k"}
    for account in investment:
        held = [h for h in body["holdings"] if h["account_id"] == account["account_id"]]
        assert len(held) >= 2
        total = sum(h["institution_value"] for h in held)
        assert total == pytest.approx(account["balances"]["current"], abs=0.011 * len(held))
        for h in held:
            assert h["institution_value"] == pytest.approx(
                h["quantity"] * h["institution_price"], abs=0.01
            )


def test_replies_list_every_account_of_the_item(plaid: PlaidClient) -> None:
    """plaid-products.md §1.1: ``accounts`` is every account on the Item, not only those
    holding positions (captures, docs samples)."""
    token = plaid.link_item(products=PRODUCTS)
    every = [a["account_id"] for a in plaid.ok("/accounts/get", access_token=token)["accounts"]]
    assert len(every) > 2
    for body in (_holdings(plaid, token), _trades(plaid, token)):
        assert [a["account_id"] for a in body["accounts"]] == every


def test_securities_carry_valid_cusip_isin_and_todays_close(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=PRODUCTS)
    body = _holdings(plaid, token)
    named = {h["security_id"] for h in body["holdings"]}
    assert named == {s["security_id"] for s in body["securities"]}
    for security in body["securities"]:
        if security["type"] == "cash":
            assert security["is_cash_equivalent"] and security["close_price"] == 1.0
            continue
        cusip, isin = security["cusip"], security["isin"]
        assert isin == f"US{cusip}{isin[-1]}" and _luhn_ok(isin) and _cusip_ok(cusip)
        assert security["close_price_as_of"] == "2026-03-16"
        assert security["type"] in {"equity", "etf", "mutual fund"}


def test_securities_say_where_they_list_and_their_sector_as_plaids_do(plaid: PlaidClient) -> None:
    """Plaid fills ``market_identifier_code``, ``sector`` and ``industry`` for listed
    securities (its samples: a Nasdaq stock, a mutual fund as "Miscellaneous" /
    "Investment Trusts or Mutual Funds"); cash has none."""
    token = plaid.link_item(products=PRODUCTS)
    securities = {s["ticker_symbol"]: s for s in _holdings(plaid, token)["securities"]}
    fund = ("Miscellaneous", "Investment Trusts or Mutual Funds")
    for security in securities.values():
        listing = (security["market_identifier_code"], security["sector"], security["industry"])
        if security["type"] == "cash":
            assert listing == (None, None, None) and security["cfi_code"] is None
        elif security["type"] == "equity":
            assert listing[0] == "XNAS" and None not in listing
            assert security["cfi_code"] == "ESVUFR"
        else:
            assert listing[1:] == fund
            assert listing[0] == ("ARCX" if security["type"] == "etf" else "XNAS")
    assert {s["type"] for s in securities.values()} == {"cash", "equity", "etf", "mutual fund"}


def _cusip_ok(cusip: str) -> bool:
    total = 0
    for i, c in enumerate(cusip[:8]):
        v = int(c, 36) * (2 if i % 2 else 1)
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(cusip[8])


def _luhn_ok(isin: str) -> bool:
    digits = "".join(str(int(c, 36)) for c in isin)
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c) * (2 if i % 2 else 1)
        total += v // 10 + v % 10
    return total % 10 == 0


def test_prices_move_with_the_clock(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=PRODUCTS)
    before = {s["ticker_symbol"]: s["close_price"] for s in _holdings(plaid, token)["securities"]}
    advance_clock(plaid, 3)
    after = _holdings(plaid, token)
    moved = {s["ticker_symbol"]: s["close_price"] for s in after["securities"]}
    assert {s["close_price_as_of"] for s in after["securities"] if s["type"] != "cash"} == {
        "2026-03-19"
    }
    assert any(moved[t] != before[t] for t in before if t != "CUR:USD")


def test_transactions_replay_to_the_holdings(plaid: PlaidClient) -> None:
    """Contributions, buys, dividends and fees change the cash and positions they name."""
    token = plaid.link_item(products=PRODUCTS)
    trades = _trades(plaid, token, count=500)["investment_transactions"]
    kinds = {(t["type"], t["subtype"]) for t in trades}
    assert {("cash", "contribution"), ("buy", "buy"), ("cash", "dividend")} <= kinds
    assert {("transfer", "transfer"), ("fee", "account fee"), ("fee", "management fee")} <= kinds
    for trade in trades:
        if trade["type"] == "buy":
            assert trade["amount"] == pytest.approx(trade["quantity"] * trade["price"], abs=0.01)
    dates = [t["date"] for t in trades]
    assert dates == sorted(dates, reverse=True)


def test_brokerage_has_sells_and_withdrawals(plaid: PlaidClient) -> None:
    token = plaid.link_item(
        products=PRODUCTS, override_username="user_yuppie", override_password="pass_good"
    )
    trades = _trades(plaid, token, count=500)["investment_transactions"]
    kinds = {(t["type"], t["subtype"]) for t in trades}
    assert {("sell", "sell"), ("cash", "withdrawal"), ("cash", "deposit")} <= kinds
    sells = [t for t in trades if t["type"] == "sell"]
    assert all(t["quantity"] < 0 and t["amount"] < 0 for t in sells)


def test_transactions_page_with_count_offset_and_account_ids(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=PRODUCTS)
    whole = _trades(plaid, token, count=500)
    total = whole["total_investment_transactions"]
    assert total == len(whole["investment_transactions"]) > 20
    page = _trades(plaid, token, count=5, offset=10)
    ids = [t["investment_transaction_id"] for t in whole["investment_transactions"]]
    assert [t["investment_transaction_id"] for t in page["investment_transactions"]] == ids[10:15]
    ira = next(a["account_id"] for a in whole["accounts"] if a["subtype"] == "ira")
    one = _trades(plaid, token, count=500, account_ids=[ira])
    assert {t["account_id"] for t in one["investment_transactions"]} == {ira}
    assert [a["account_id"] for a in one["accounts"]] == [ira]


def test_transactions_are_the_same_for_the_same_seed_and_clock(plaid: PlaidClient) -> None:
    first = _trades(plaid, plaid.link_item(products=PRODUCTS), count=50)
    second = _trades(plaid, plaid.link_item(products=PRODUCTS), count=50)

    def facts(body: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (t["date"], t["name"], t["quantity"], t["amount"], t["price"])
            for t in body["investment_transactions"]
        ]

    assert facts(first) == facts(second)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "2026-03-10", "end_date": "2026-03-01"}, "end_date"),
        ({"start_date": "yesterday", "end_date": "2026-03-01"}, "start_date"),
        ({"start_date": "2026-03-01", "end_date": "2026-03-10", "options": {"count": 0}}, "count"),
        (
            {"start_date": "2026-03-01", "end_date": "2026-03-10", "options": {"offset": -1}},
            "offset",
        ),
        ({"end_date": "2026-03-10"}, "start_date"),
    ],
)
def test_transactions_bad_input_names_the_field(
    plaid: PlaidClient, body: dict[str, Any], field: str
) -> None:
    token = plaid.link_item(products=PRODUCTS)
    error = plaid.error("/investments/transactions/get", access_token=token, **body)
    assert error["error_type"] == "INVALID_REQUEST" or error["error_code"] == "INVALID_FIELD"
    assert field in error["error_message"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/investments/holdings/get", "NO_INVESTMENT_ACCOUNTS"),
        ("/investments/refresh", "NO_INVESTMENT_ACCOUNTS"),
        # Investments Move has its own code (Plaid's item errors)
        ("/investments/auth/get", "NO_INVESTMENT_AUTH_ACCOUNTS"),
    ],
)
def test_item_without_investment_accounts_is_the_products_error(
    plaid: PlaidClient, path: str, code: str
) -> None:
    """Linked without Investments (asking for it at link time is refused already), the
    endpoints still find no investment account to read."""
    token = plaid.link_item(override_username="user_student", override_password="pass_good")
    error = plaid.error(path, access_token=token)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", code)


def test_investments_auth_filtered_to_a_checking_account_is_no_investment_auth_accounts(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=PRODUCTS)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    checking = next(a["account_id"] for a in accounts if a["subtype"] == "checking")
    error = plaid.error(
        "/investments/auth/get", access_token=token, options={"account_ids": [checking]}
    )
    assert error["error_code"] == "NO_INVESTMENT_AUTH_ACCOUNTS"
    assert error["error_message"].startswith("there are no valid investment account(s)")


def test_holdings_past_plaids_sandbox_limit_is_investment_holdings_get_limit(
    plaid: PlaidClient,
) -> None:
    """Plaid's Sandbox allows 100 ``/investments/holdings/get`` per item per minute."""
    token = plaid.link_item(products=PRODUCTS)
    for _ in range(100):
        plaid.ok("/investments/holdings/get", access_token=token)
    error = plaid.error("/investments/holdings/get", access_token=token)
    assert (error["error_code"], error["http_status"]) == ("INVESTMENT_HOLDINGS_GET_LIMIT", 429)


def test_a_second_refresh_within_the_minute_is_rate_limited(plaid: PlaidClient) -> None:
    """Plaid's Sandbox allows one ``/investments/refresh`` per item per minute."""
    token = plaid.link_item(products=PRODUCTS)
    plaid.ok("/investments/refresh", access_token=token)
    error = plaid.error("/investments/refresh", access_token=token)
    assert (error["error_code"], error["http_status"]) == ("RATE_LIMIT", 429)


def test_unknown_access_token_is_invalid_access_token(plaid: PlaidClient) -> None:
    error = plaid.error("/investments/holdings/get", access_token="access-sandbox-nope")
    assert error["error_code"] == "INVALID_ACCESS_TOKEN"


def test_refresh_queues_holdings_and_investments_transactions_webhooks(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=PRODUCTS, webhook=HOOK)
    advance_clock(plaid, 40)
    body = plaid.ok("/investments/refresh", access_token=token)
    assert openapi_errors("/investments/refresh", body) == []
    bodies = {(b["webhook_type"], b["webhook_code"]): b for b in queued_webhooks(plaid)}
    holdings = bodies[("HOLDINGS", "DEFAULT_UPDATE")]
    trades = bodies[("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE")]
    assert holdings["updated_holdings"] >= 3 and holdings["error"] is None
    assert trades["new_investments_transactions"] >= 2
    assert trades["cancelled_investments_transactions"] == 0


@pytest.mark.parametrize("days", [1, 40])
def test_holdings_webhook_counts_what_holdings_get_shows_changed(
    plaid: PlaidClient, days: int
) -> None:
    """An app that diffs ``/investments/holdings/get`` around a HOLDINGS/DEFAULT_UPDATE finds
    the webhook's counts: cash positions included (their quantity moves with contributions,
    dividends and fees), unchanged positions not."""
    token = plaid.link_item(products=PRODUCTS, webhook=HOOK)

    def positions() -> dict[tuple[str, str], tuple[float, float]]:
        held = _holdings(plaid, token)["holdings"]
        return {
            (h["account_id"], h["security_id"]): (h["quantity"], h["institution_price"])
            for h in held
        }

    before = positions()
    advance_clock(plaid, days)
    after = positions()
    hook = next(b for b in queued_webhooks(plaid) if b["webhook_type"] == "HOLDINGS")
    changed = [key for key in before.keys() & after.keys() if before[key] != after[key]]
    assert (hook["new_holdings"], hook["updated_holdings"]) == (
        len(after.keys() - before.keys()),
        len(changed),
    )


def test_investments_auth_gives_acats_and_401k_plan_numbers(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=PRODUCTS)
    body = plaid.ok("/investments/auth/get", access_token=token)
    assert openapi_errors("/investments/auth/get", body) == []
    sdk_deserialize("/investments/auth/get", body)
    numbers = body["numbers"]
    assert len(numbers["acats"]) == 1 and len(numbers["retirement_401k"]) == 1
    assert len(numbers["acats"][0]["dtc_numbers"][0]) == 4
    assert all(o["names"] for o in body["owners"])


def test_investments_auth_links_as_a_product_of_its_own(plaid: PlaidClient) -> None:
    """Plaid's Python tests link First Platypus with investments and investments_auth."""
    token = plaid.link_item(products=("investments", "investments_auth"))
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert {"investments", "investments_auth"} <= set(item["products"])
    assert plaid.ok("/investments/auth/get", access_token=token)["numbers"]["acats"]


@pytest.mark.parametrize(
    ("webhook_type", "keys"),
    [
        ("HOLDINGS", {"new_holdings", "updated_holdings"}),
        ("INVESTMENTS_TRANSACTIONS", {"new_investments_transactions"}),
    ],
)
def test_fired_investment_webhooks_carry_their_counts(
    plaid: PlaidClient, webhook_type: str, keys: set[str]
) -> None:
    token = plaid.link_item(products=PRODUCTS, webhook=HOOK)
    plaid.ok(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_type=webhook_type,
        webhook_code="DEFAULT_UPDATE",
    )
    body = next(b for b in queued_webhooks(plaid) if b["webhook_type"] == webhook_type)
    assert keys <= set(body) and body["item_id"] and body["error"] is None


def test_brokerage_available_balance_is_its_cash(plaid: PlaidClient) -> None:
    token = plaid.link_item(
        products=PRODUCTS, override_username="user_yuppie", override_password="pass_good"
    )
    body = _holdings(plaid, token)
    account = next(a for a in body["accounts"] if a["type"] == "investment")
    cash_id = next(s["security_id"] for s in body["securities"] if s["type"] == "cash")
    cash = next(h for h in body["holdings"] if h["security_id"] == cash_id)
    assert account["subtype"] == "brokerage"
    assert cash["institution_value"] == account["balances"]["available"] > 0


def test_moving_the_clock_sends_the_daily_investments_updates(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=PRODUCTS, webhook=HOOK)
    advance_clock(plaid, 20)
    bodies = {(b["webhook_type"], b["webhook_code"]): b for b in queued_webhooks(plaid)}
    assert bodies[("HOLDINGS", "DEFAULT_UPDATE")]["updated_holdings"] >= 3
    assert bodies[("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE")]["new_investments_transactions"]
    plaid.ok("/investments/refresh", access_token=token)  # nothing new since the clock moved
    trades = [
        b for b in queued_webhooks(plaid) if b["webhook_type"] == "INVESTMENTS_TRANSACTIONS"
    ]  # newest first
    assert trades[0]["new_investments_transactions"] == 0


# -- options.async_update: the initial extraction in the background ------------------------

# HISTORICAL_DELAY_SECONDS: how long an extraction (and an Asset report) takes
EXTRACTION_SECONDS = 60
EXTRACTED_FROM = (FROZEN_NOW.date() - dt.timedelta(days=730)).isoformat()


def _extractions(plaid: PlaidClient) -> list[dict[str, Any]]:
    """The queued ``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE`` bodies."""
    return [
        b
        for b in queued_webhooks(plaid)
        if (b["webhook_type"], b["webhook_code"])
        == ("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE")
    ]


def _trades_call(plaid: PlaidClient, token: str, *, async_update: bool) -> Any:
    return plaid.post(
        "/investments/transactions/get",
        access_token=token,
        start_date=EXTRACTED_FROM,
        end_date=FROZEN_NOW.date().isoformat(),
        options={"async_update": async_update},
    )


def _not_ready(response: Any) -> bool:
    body = response.get_json()
    return response.status_code == 400 and (body["error_type"], body["error_code"]) == (
        "ITEM_ERROR",
        "PRODUCT_NOT_READY",
    )


@pytest.fixture
def slow(app: Flask) -> None:
    """Extractions (and Asset reports) take a minute of the tenant clock."""
    app.config["HISTORICAL_DELAY_SECONDS"] = EXTRACTION_SECONDS


@pytest.mark.usefixtures("slow")
def test_async_update_is_product_not_ready_until_the_clock_passes_the_extraction(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("transactions",), webhook=HOOK)
    set_rate_limits(plaid, {"/investments/refresh": {"per_item": 2}})  # refreshes twice
    assert _not_ready(_trades_call(plaid, token, async_update=True))
    assert _not_ready(_trades_call(plaid, token, async_update=False))  # whatever the option
    assert _not_ready(plaid.post("/investments/refresh", access_token=token))
    advance_clock(plaid, seconds=EXTRACTION_SECONDS - 1)
    assert _not_ready(_trades_call(plaid, token, async_update=True))
    assert _extractions(plaid) == []
    advance_clock(plaid, seconds=1)
    [done] = _extractions(plaid)
    assert not sdk_model_errors("InvestmentsHistoricalUpdateWebhook", done)
    body = _trades_call(plaid, token, async_update=True).get_json()
    assert openapi_errors("/investments/transactions/get", body) == []
    assert done["item_id"] == body["item"]["item_id"] and done["error"] is None
    assert done["new_investments_transactions"] == body["total_investment_transactions"] > 0
    assert done["cancelled_investments_transactions"] == 0
    assert "investments" in body["item"]["products"]
    plaid.ok("/investments/refresh", access_token=token)
    assert len(_extractions(plaid)) == 1


def test_async_update_with_no_build_delay_returns_the_data_and_the_webhook_at_once(
    plaid: PlaidClient,
) -> None:
    """``HISTORICAL_DELAY_SECONDS`` 0 (the default): the extraction ends as it starts."""
    token = plaid.link_item(products=("transactions",), webhook=HOOK)
    first = _trades_call(plaid, token, async_update=True).get_json()
    assert first["total_investment_transactions"] > 0
    again = _trades_call(plaid, token, async_update=True).get_json()
    assert again["investment_transactions"] == first["investment_transactions"]
    [done] = _extractions(plaid)
    assert done["new_investments_transactions"] == first["total_investment_transactions"]


@pytest.mark.usefixtures("slow")
@pytest.mark.parametrize(
    ("products", "async_update"),
    [(PRODUCTS, True), (PRODUCTS, False), (("transactions",), False)],
    ids=["linked-with-investments", "linked-with-investments-sync", "added-on-use"],
)
def test_an_initialised_item_or_a_synchronous_call_gets_data_and_no_historical_update(
    plaid: PlaidClient, products: tuple[str, ...], async_update: bool
) -> None:
    token = plaid.link_item(products=products, webhook=HOOK)
    response = _trades_call(plaid, token, async_update=async_update)
    assert response.status_code == 200 and response.get_json()["investment_transactions"]
    assert _trades_call(plaid, token, async_update=True).status_code == 200
    assert _extractions(plaid) == []


@pytest.mark.usefixtures("slow")
def test_async_update_after_holdings_added_investments_starts_nothing(plaid: PlaidClient) -> None:
    """holdings/get adds Investments on first use: the item is initialised, as Plaid's
    ``available_products`` capture shows."""
    token = plaid.link_item(products=("transactions",), webhook=HOOK)
    _holdings(plaid, token)
    assert _trades_call(plaid, token, async_update=True).status_code == 200
    assert _extractions(plaid) == []


@pytest.mark.usefixtures("slow")
def test_async_update_on_an_item_without_investment_accounts_starts_nothing(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(
        products=("transactions",),
        webhook=HOOK,
        override_username="user_student",
        override_password="pass_good",
    )
    error = _trades_call(plaid, token, async_update=True).get_json()
    assert error["error_code"] == "NO_INVESTMENT_ACCOUNTS"
    advance_clock(plaid, seconds=EXTRACTION_SECONDS)
    assert _extractions(plaid) == []


def test_the_webhook_dispatcher_ends_an_extraction_nobody_calls_for(
    app: Flask, plaid: PlaidClient
) -> None:
    """The dispatcher's pass ends extractions the clock has passed, as it loads histories."""
    app.config["HISTORICAL_DELAY_SECONDS"] = EXTRACTION_SECONDS
    token = plaid.link_item(products=("transactions",), webhook=HOOK)
    assert _not_ready(_trades_call(plaid, token, async_update=True))
    app.config["HISTORICAL_DELAY_SECONDS"] = 0  # the time has passed
    history_catch_up(app)(db.session(), None)
    assert len(_extractions(plaid)) == 1
    assert _trades_call(plaid, token, async_update=False).status_code == 200


@pytest.mark.usefixtures("slow")
def test_processor_async_update_waits_for_the_extraction_too(plaid: PlaidClient) -> None:
    access, _, token = processor_token(plaid, "5555", webhook=HOOK)
    call = {"processor_token": token, "start_date": EXTRACTED_FROM, "end_date": "2026-03-16"}
    assert _not_ready(
        plaid.post(
            "/processor/investments/transactions/get", **call, options={"async_update": True}
        )
    )
    assert _not_ready(plaid.post("/investments/refresh", access_token=access))
    advance_clock(plaid, seconds=EXTRACTION_SECONDS)
    assert len(_extractions(plaid)) == 1
    body = plaid.ok("/processor/investments/transactions/get", **call)
    assert body["investment_transactions"]


@pytest.mark.usefixtures("slow")
def test_processor_async_update_tells_the_tokens_webhook_of_its_accounts_trades(
    plaid: PlaidClient,
) -> None:
    """The OpenAPI document: a processor token's Investments Transactions webhooks go to the
    URL set by ``/processor/token/webhook/update``. The extraction the token started ends
    there, in the processor webhooks' shape (``account_id``, not ``item_id``: plaid-products.md
    §6), counting the token's account only; the app's webhook hears nothing of it."""
    access, account_id, token = processor_token(plaid, "5555", webhook=HOOK)
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=PARTNER_HOOK)
    call = {"processor_token": token, "start_date": EXTRACTED_FROM, "end_date": "2026-03-16"}
    path = "/processor/investments/transactions/get"
    assert _not_ready(plaid.post(path, **call, options={"async_update": True}))
    advance_clock(plaid, seconds=EXTRACTION_SECONDS)
    ended = [
        e for e in queued_events(plaid) if e["body"]["webhook_type"] == "INVESTMENTS_TRANSACTIONS"
    ]
    assert [e["url"] for e in ended] == [PARTNER_HOOK]
    own = plaid.ok(path, **call)["total_investment_transactions"]
    item = _trades_call(plaid, access, async_update=False).get_json()
    assert 0 < own < item["total_investment_transactions"]  # the IRA's, not the 401k's
    body = ended[0]["body"]
    assert body == {
        "webhook_type": "INVESTMENTS_TRANSACTIONS",
        "webhook_code": "HISTORICAL_UPDATE",
        "account_id": account_id,
        "error": None,
        "new_investments_transactions": own,
        "cancelled_investments_transactions": 0,
        "environment": "sandbox",
    }
    # plaid-python has no processor model of this webhook: it is the item's model with
    # ``account_id`` in ``item_id``'s place, as each ``Processor*Webhook`` is of its twin.
    as_item = {("item_id" if k == "account_id" else k): v for k, v in body.items()}
    assert not sdk_model_errors("InvestmentsHistoricalUpdateWebhook", as_item)


@pytest.mark.usefixtures("slow")
def test_an_extraction_the_app_started_also_tells_each_investment_partner_its_trades(
    plaid: PlaidClient,
) -> None:
    """The app's extraction ends at the app's webhook with the item's count, and at the
    webhook of a token on an investment account with that account's (none to a checking
    account's partner)."""
    access, account_id, token = processor_token(plaid, "5555", webhook=HOOK)
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=PARTNER_HOOK)
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    checking = plaid.ok(
        "/processor/token/create",
        access_token=access,
        account_id=next(a["account_id"] for a in accounts if a["mask"] == "0000"),
        processor="dwolla",
    )["processor_token"]
    checking_hook = f"{PARTNER_HOOK}/checking"
    plaid.ok("/processor/token/webhook/update", processor_token=checking, webhook=checking_hook)
    assert _not_ready(_trades_call(plaid, access, async_update=True))
    advance_clock(plaid, seconds=EXTRACTION_SECONDS)
    ended = {
        e["url"]: e["body"]
        for e in queued_events(plaid)
        if e["body"]["webhook_type"] == "INVESTMENTS_TRANSACTIONS"
    }
    assert set(ended) == {HOOK, PARTNER_HOOK}
    call = {"processor_token": token, "start_date": EXTRACTED_FROM, "end_date": "2026-03-16"}
    own = plaid.ok("/processor/investments/transactions/get", **call)
    assert 0 < own["total_investment_transactions"] < ended[HOOK]["new_investments_transactions"]
    assert ended[PARTNER_HOOK] == {
        "webhook_type": "INVESTMENTS_TRANSACTIONS",
        "webhook_code": "HISTORICAL_UPDATE",
        "account_id": account_id,
        "error": None,
        "new_investments_transactions": own["total_investment_transactions"],
        "cancelled_investments_transactions": 0,
        "environment": "sandbox",
    }
