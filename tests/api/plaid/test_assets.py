"""Plaid's Assets endpoints: reports built from the ledger, copies, PDFs and webhooks."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from flask import Flask

from tests.api.plaid.contract import error_errors, openapi_errors, sdk_deserialize
from tests.api.plaid.helpers import advance_clock, queued_webhooks
from tests.conftest import PlaidClient

HOOK = "https://receiver.test/assets"


def _create(plaid: PlaidClient, days: int = 30, **options: Any) -> tuple[str, str, dict[str, Any]]:
    token = plaid.link_item(products=("transactions", "assets"))
    body = plaid.ok(
        "/asset_report/create", access_tokens=[token], days_requested=days, options=options
    )
    assert openapi_errors("/asset_report/create", body) == []
    return token, body["asset_report_token"], body


def _get(plaid: PlaidClient, report_token: str, **extra: Any) -> dict[str, Any]:
    body = plaid.ok("/asset_report/get", asset_report_token=report_token, **extra)
    assert openapi_errors("/asset_report/get", body) == []
    sdk_deserialize("/asset_report/get", body)
    return body


def _checking(report: dict[str, Any]) -> dict[str, Any]:
    accounts = report["items"][0]["accounts"]
    return next(a for a in accounts if a["subtype"] == "checking")


def test_report_has_daily_balances_that_reconcile_with_its_transactions(
    plaid: PlaidClient,
) -> None:
    _, report_token, created = _create(plaid, days=30, client_report_id="loan-17")
    report = _get(plaid, report_token)["report"]
    assert report["asset_report_id"] == created["asset_report_id"]
    assert report["client_report_id"] == "loan-17" and report["days_requested"] == 30
    checking = _checking(report)
    history = checking["historical_balances"]
    assert len(history) == 30 and history[0]["date"] == "2026-03-16"
    assert history[0]["current"] == checking["balances"]["current"]
    posted: dict[str, float] = {}
    for t in checking["transactions"]:
        if not t["pending"]:
            posted[t["date"]] = posted.get(t["date"], 0) + t["amount"]
    for newer, older in itertools.pairwise(history):
        # a day's posted amounts (Plaid's sign: positive is money out) bridge the two balances
        assert older["current"] - posted.get(newer["date"], 0) == pytest.approx(
            newer["current"], abs=0.001
        )
    assert 0 < checking["days_available"] <= 30
    assert checking["owners"][0]["names"]


def test_report_balances_are_those_accounts_get_shows_that_day(plaid: PlaidClient) -> None:
    token, report_token, _ = _create(plaid)
    shown = {
        a["account_id"]: a["balances"]
        for a in plaid.ok("/accounts/get", access_token=token)["accounts"]
    }
    report = _get(plaid, report_token)["report"]
    assert {a["account_id"]: a["balances"] for a in report["items"][0]["accounts"]} == {
        account_id: {**balances, "margin_loan_amount": None}
        for account_id, balances in shown.items()
    }


def test_insights_add_names_merchants_and_categories(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    plain = _checking(_get(plaid, report_token)["report"])["transactions"][0]
    rich = _checking(_get(plaid, report_token, include_insights=True)["report"])["transactions"][0]
    assert "name" not in plain and plain["original_description"]
    assert rich["name"] and "category" in rich and "merchant_name" in rich


def test_report_is_a_snapshot_of_its_day(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    before = _get(plaid, report_token)["report"]
    advance_clock(plaid, 5)
    assert _get(plaid, report_token)["report"] == before


def test_refresh_makes_a_new_report_with_todays_data(plaid: PlaidClient) -> None:
    _, report_token, created = _create(plaid, days=10)
    advance_clock(plaid, 5)
    body = plaid.ok("/asset_report/refresh", asset_report_token=report_token, days_requested=20)
    assert openapi_errors("/asset_report/refresh", body) == []
    assert body["asset_report_id"] != created["asset_report_id"]
    report = _get(plaid, body["asset_report_token"])["report"]
    assert report["days_requested"] == 20
    assert _checking(report)["historical_balances"][0]["date"] == "2026-03-21"


def test_investments_add_on_adds_each_investment_accounts_holdings_and_trades(
    plaid: PlaidClient,
) -> None:
    """``options.add_ons: ["investments"]``: each investment account of the report carries
    Plaid's ``investments`` (holdings, securities, the report window's trades), the same
    positions and trades the Investments endpoints give that day; other accounts, and reports
    without the add-on, carry none."""
    token, report_token, _ = _create(plaid, days=90, add_ons=["investments"])
    accounts = _get(plaid, report_token)["report"]["items"][0]["accounts"]
    held = plaid.ok("/investments/holdings/get", access_token=token)
    traded = plaid.ok(
        "/investments/transactions/get",
        access_token=token,
        start_date="2025-12-17",  # the report's 90 days up to 2026-03-16
        end_date="2026-03-16",
        options={"count": 500},
    )
    investment = [a for a in accounts if a["type"] == "investment"]
    assert investment and all("investments" not in a for a in accounts if a["type"] != "investment")
    for account in investment:
        mine = account["investments"]
        holdings = [h for h in held["holdings"] if h["account_id"] == account["account_id"]]
        assert [
            (h["security_id"], h["quantity"], h["institution_value"]) for h in mine["holdings"]
        ] == [(h["security_id"], h["quantity"], h["institution_value"]) for h in holdings]
        trades = [
            t for t in traded["investment_transactions"] if t["account_id"] == account["account_id"]
        ]
        assert trades and [t["investment_transaction_id"] for t in mine["transactions"]] == [
            t["investment_transaction_id"] for t in trades
        ]
        named = {h["security_id"] for h in mine["holdings"]} | {
            t["security_id"] for t in mine["transactions"] if t["security_id"]
        }
        assert {s["security_id"] for s in mine["securities"]} == named
    refreshed = plaid.ok("/asset_report/refresh", asset_report_token=report_token)
    again = _get(plaid, refreshed["asset_report_token"])["report"]["items"][0]["accounts"]
    assert all("investments" in a for a in again if a["type"] == "investment")
    _, plain_token, _ = _create(plaid, days=90)
    plain = _get(plaid, plain_token)["report"]["items"][0]["accounts"]
    assert all("investments" not in a for a in plain)


@pytest.mark.parametrize(
    "asks", [{"add_ons": ["fast_assets"]}, {"include_fast_report": True}], ids=["add_on", "older"]
)
def test_fast_assets_add_on_gives_a_fast_report_before_the_full_one(
    app: Flask, plaid: PlaidClient, asks: dict[str, Any]
) -> None:
    """``add_ons: ["fast_assets"]`` (or the older ``include_fast_report: true``): a Fast report
    (balances and owners, no transactions or history) is ready at once and announced with
    ``report_type: FAST``; the full report follows when built, with its own ``FULL`` webhook."""
    app.config["HISTORICAL_DELAY_SECONDS"] = 60
    _, report_token, created = _create(plaid, webhook=HOOK, **asks)
    not_ready = plaid.error("/asset_report/get", asset_report_token=report_token)
    assert not_ready["error_code"] == "PRODUCT_NOT_READY"
    fast = _get(plaid, report_token, fast_report=True)["report"]
    ready = [b for b in queued_webhooks(plaid) if b["webhook_type"] == "ASSETS"]
    assert [(b["report_type"], b["asset_report_id"]) for b in ready] == [
        ("FULL", created["asset_report_id"]),  # newest first: queued to wait out the build
        ("FAST", created["asset_report_id"]),
    ]
    advance_clock(plaid, seconds=60)
    full = _get(plaid, report_token)["report"]
    for quick, whole in zip(
        fast["items"][0]["accounts"], full["items"][0]["accounts"], strict=True
    ):
        assert quick["account_id"] == whole["account_id"]
        assert quick["balances"] == whole["balances"] and quick["owners"] == whole["owners"]
        assert quick["transactions"] == quick["historical_balances"] == []
    assert _checking(full)["transactions"] and _checking(full)["historical_balances"]
    assert _get(plaid, report_token, fast_report=True)["report"] == fast


def test_fast_report_of_a_report_without_fast_assets_names_the_field(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    error = plaid.error("/asset_report/get", asset_report_token=report_token, fast_report=True)
    assert (error["error_code"], error["http_status"]) == ("INVALID_FIELD", 400)
    assert "fast_report" in error["error_message"]


def test_filter_drops_accounts_and_keeps_the_day(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    whole = _get(plaid, report_token)["report"]
    checking = _checking(whole)["account_id"]
    body = plaid.ok(
        "/asset_report/filter", asset_report_token=report_token, account_ids_to_exclude=[checking]
    )
    assert openapi_errors("/asset_report/filter", body) == []
    filtered = _get(plaid, body["asset_report_token"])["report"]
    ids = [a["account_id"] for a in filtered["items"][0]["accounts"]]
    assert checking not in ids and len(ids) == len(whole["items"][0]["accounts"]) - 1
    assert filtered["date_generated"] == whole["date_generated"]
    error = plaid.error(
        "/asset_report/filter", asset_report_token=report_token, account_ids_to_exclude=["nope"]
    )
    assert error["error_code"] == "INVALID_ACCOUNT_ID"


def test_filtered_report_is_ready_at_once_and_announced_with_its_own_ids(
    app: Flask, plaid: PlaidClient
) -> None:
    """Plaid builds a filtered report from the existing one: it reads at once, and its
    ``PRODUCT_READY`` (naming the new report) is due now, not after another build delay."""
    app.config["HISTORICAL_DELAY_SECONDS"] = 60
    _, report_token, created = _create(plaid, webhook=HOOK)
    advance_clock(plaid, seconds=60)
    checking = _checking(_get(plaid, report_token)["report"])["account_id"]
    body = plaid.ok(
        "/asset_report/filter", asset_report_token=report_token, account_ids_to_exclude=[checking]
    )
    filtered = _get(plaid, body["asset_report_token"])["report"]
    assert filtered["asset_report_id"] == body["asset_report_id"] != created["asset_report_id"]
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    rows = plaid.client.get("/control/webhooks", headers=headers).get_json()["webhooks"]
    ready = {}
    for row in rows:
        detail = plaid.client.get(f"/control/webhooks/{row['id']}", headers=headers).get_json()
        ready[json.loads(detail["webhook"]["body"])["asset_report_id"]] = row
    assert set(ready) == {created["asset_report_id"], body["asset_report_id"]}
    mine = ready[body["asset_report_id"]]
    assert (mine["url"], mine["held_until"]) == (HOOK, None)
    assert ready[created["asset_report_id"]]["held_until"] is not None  # it had to be built


def test_pdf_is_a_real_pdf_naming_the_report(plaid: PlaidClient) -> None:
    _, report_token, created = _create(plaid)
    reply = plaid.client.post(
        "/asset_report/pdf/get",
        json={
            "client_id": plaid.client_id,
            "secret": plaid.secret,
            "asset_report_token": report_token,
        },
    )
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.data.startswith(b"%PDF-") and reply.data.rstrip().endswith(b"%%EOF")
    assert reply.headers["Plaid-Request-ID"]
    assert created["asset_report_id"].encode() in reply.data  # the title metadata


def test_audit_copy_reads_the_report_until_removed(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    copy = plaid.ok(
        "/asset_report/audit_copy/create", asset_report_token=report_token, auditor_id="fannie_mae"
    )
    assert openapi_errors("/asset_report/audit_copy/create", copy) == []
    audit = plaid.ok("/asset_report/audit_copy/get", audit_copy_token=copy["audit_copy_token"])
    assert openapi_errors("/asset_report/audit_copy/get", audit) == []
    assert audit["report"] == _get(plaid, report_token)["report"]
    pdf = plaid.client.post(
        "/asset_report/audit_copy/pdf/get",
        json={
            "client_id": plaid.client_id,
            "secret": plaid.secret,
            "audit_copy_token": copy["audit_copy_token"],
        },
    )
    assert pdf.data.startswith(b"%PDF-")
    removed = plaid.ok("/asset_report/audit_copy/remove", audit_copy_token=copy["audit_copy_token"])
    assert removed["removed"] is True
    error = plaid.error("/asset_report/audit_copy/get", audit_copy_token=copy["audit_copy_token"])
    assert (error["error_type"], error["error_code"]) == (
        "INVALID_INPUT",
        "INVALID_AUDIT_COPY_TOKEN",
    )


def _pdf(plaid: PlaidClient, path: str, **body: Any) -> bytes:
    reply = plaid.post(path, **body)
    assert reply.status_code == 200 and reply.mimetype == "application/pdf", reply.get_json()
    data: bytes = reply.data
    return data


def test_audit_copy_pdf_takes_days_to_include_as_the_report_pdf_does(plaid: PlaidClient) -> None:
    """Plaid's ``/asset_report/audit_copy/pdf/get`` has the report PDF's ``options``."""
    _, report_token, _ = _create(plaid, days=30)
    copy = plaid.ok("/asset_report/audit_copy/create", asset_report_token=report_token)
    week = {"days_to_include": 7}
    short = _pdf(
        plaid,
        "/asset_report/audit_copy/pdf/get",
        audit_copy_token=copy["audit_copy_token"],
        options=week,
    )
    assert short == _pdf(
        plaid, "/asset_report/pdf/get", asset_report_token=report_token, options=week
    )
    assert short != _pdf(
        plaid, "/asset_report/audit_copy/pdf/get", audit_copy_token=copy["audit_copy_token"]
    )


def test_null_days_to_include_is_the_whole_report(plaid: PlaidClient) -> None:
    """plaid-python sends ``AssetReportGetRequestOptions(days_to_include=None)`` as null."""
    _, report_token, _ = _create(plaid, days=30)
    whole = _get(plaid, report_token)["report"]
    unset = {"days_to_include": None}
    assert _get(plaid, report_token, options=unset)["report"] == whole
    assert _pdf(
        plaid, "/asset_report/pdf/get", asset_report_token=report_token, options=unset
    ) == _pdf(plaid, "/asset_report/pdf/get", asset_report_token=report_token)


def test_remove_ends_the_report_and_its_audit_copies(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    copy = plaid.ok("/asset_report/audit_copy/create", asset_report_token=report_token)
    assert plaid.ok("/asset_report/remove", asset_report_token=report_token)["removed"] is True
    error = plaid.error("/asset_report/get", asset_report_token=report_token)
    assert error["error_code"] == "INVALID_ASSET_REPORT_TOKEN"
    error = plaid.error("/asset_report/audit_copy/get", audit_copy_token=copy["audit_copy_token"])
    assert error["error_code"] == "INVALID_AUDIT_COPY_TOKEN"


def test_product_ready_webhook_goes_to_the_options_webhook(plaid: PlaidClient) -> None:
    _, _, created = _create(plaid, webhook=HOOK)
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    rows = plaid.client.get("/control/webhooks", headers=headers).get_json()["webhooks"]
    ready = [r for r in rows if r["webhook_type"] == "ASSETS"]
    assert [(r["webhook_code"], r["url"]) for r in ready] == [("PRODUCT_READY", HOOK)]
    detail = plaid.client.get(f"/control/webhooks/{ready[0]['id']}", headers=headers).get_json()
    body = json.loads(detail["webhook"]["body"])
    assert body["asset_report_id"] == created["asset_report_id"]
    assert body["report_type"] == "FULL" and "item_id" not in body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days_requested": 732}, "days_requested"),
        ({"days_requested": -1}, "days_requested"),
        ({"days_requested": 10, "access_tokens": []}, "access_tokens"),
        ({"access_tokens": ["x"]}, "days_requested"),
        # options.webhook was any string: it is a webhook URL, as every other webhook field
        ({"days_requested": 10, "options": {"webhook": "not a url"}}, "options.webhook"),
        ({"days_requested": 10, "options": {"webhook": "javascript:alert(1)"}}, "options.webhook"),
        (
            {"days_requested": 10, "options": {"webhook": "http://169.254.169.254/latest/"}},
            "options.webhook",
        ),
        ({"days_requested": 10, "options": {"add_ons": ["bogus"]}}, "options.add_ons"),
        # Plaid's Assets options have no freshness floor (only /accounts/balance/get does)
        (
            {"days_requested": 10, "options": {"min_last_updated_datetime": "2026-01-01T00:00Z"}},
            "options.min_last_updated_datetime",
        ),
    ],
)
def test_create_bad_input_names_the_field(
    plaid: PlaidClient, body: dict[str, Any], field: str
) -> None:
    token = plaid.link_item(products=("transactions", "assets"))
    error = plaid.error("/asset_report/create", **{"access_tokens": [token], **body})
    assert error["error_type"] == "INVALID_REQUEST" and field in error["error_message"]


def test_refresh_webhook_that_is_not_a_url_names_the_field(plaid: PlaidClient) -> None:
    """Refresh takes create's options, webhook included: a URL there too."""
    _, report_token, _ = _create(plaid)
    error = plaid.error(
        "/asset_report/refresh", asset_report_token=report_token, options={"webhook": "x"}
    )
    assert error["error_code"] == "INVALID_FIELD" and "options.webhook" in error["error_message"]


@pytest.mark.parametrize("field", ["add_ons", "include_fast_report", "require_all_items"])
def test_refresh_options_are_plaids_three(plaid: PlaidClient, field: str) -> None:
    """Plaid's refresh options are ``client_report_id``, ``webhook`` and ``user``: create's
    others are unknown there (a refreshed report keeps the original's add-ons)."""
    _, report_token, _ = _create(plaid)
    value = ["investments"] if field == "add_ons" else True
    error = plaid.error(
        "/asset_report/refresh", asset_report_token=report_token, options={field: value}
    )
    assert error["error_code"] == "UNKNOWN_FIELDS" and f"options.{field}" in error["error_message"]


def test_a_token_given_twice_puts_its_item_in_the_report_once(plaid: PlaidClient) -> None:
    """A lender adds up a report's accounts: an item listed twice would count double."""
    token = plaid.link_item(products=("transactions", "assets"))
    other = plaid.link_item(products=("transactions", "assets"))
    body = plaid.ok("/asset_report/create", access_tokens=[token, other, token], days_requested=10)
    items = _get(plaid, body["asset_report_token"])["report"]["items"]
    ids = [plaid.ok("/item/get", access_token=t)["item"]["item_id"] for t in (token, other)]
    assert [i["item_id"] for i in items] == ids


def test_create_with_a_bad_access_token_is_invalid_access_token(plaid: PlaidClient) -> None:
    error = plaid.error(
        "/asset_report/create", access_tokens=["access-sandbox-nope"], days_requested=10
    )
    assert error["error_code"] == "INVALID_ACCESS_TOKEN"


@pytest.mark.parametrize("institution", ["ins_109508", "ins_117650"])  # a US bank, a GB one
def test_item_linked_without_assets_is_product_not_enabled(
    plaid: PlaidClient, institution: str
) -> None:
    """Assets is not added on first use as other products are: Link must have asked for it."""
    token = plaid.link_item(institution, products=("transactions",))
    error = plaid.error("/asset_report/create", access_tokens=[token], days_requested=10)
    assert (error["error_type"], error["error_code"]) == (
        "ASSET_REPORT_ERROR",
        "PRODUCT_NOT_ENABLED",
    )
    assert "assets" not in plaid.ok("/item/get", access_token=token)["item"]["products"]


@pytest.mark.parametrize(
    "path", ["/asset_report/get", "/asset_report/refresh", "/asset_report/remove"]
)
def test_unknown_report_token_is_invalid_asset_report_token(plaid: PlaidClient, path: str) -> None:
    error = plaid.error(path, asset_report_token="assets-sandbox-nope")
    assert (error["error_type"], error["error_code"]) == (
        "INVALID_INPUT",
        "INVALID_ASSET_REPORT_TOKEN",
    )


def test_refresh_after_an_item_is_removed_is_data_unavailable(plaid: PlaidClient) -> None:
    token, report_token, _ = _create(plaid)
    plaid.ok("/item/remove", access_token=token)
    assert _get(plaid, report_token)["report"]["items"]  # /item/remove leaves reports
    error = plaid.error("/asset_report/refresh", asset_report_token=report_token)
    assert (error["error_type"], error["error_code"]) == ("ASSET_REPORT_ERROR", "DATA_UNAVAILABLE")
    assert error_errors(error) == []
    item_id = _get(plaid, report_token)["report"]["items"][0]["item_id"]
    [cause] = error["causes"]
    assert (cause["item_id"], cause["error_type"], cause["error_code"]) == (
        item_id,
        "ITEM_ERROR",
        "ITEM_NOT_FOUND",
    )


def test_filter_with_an_unknown_account_names_it(plaid: PlaidClient) -> None:
    _, report_token, _ = _create(plaid)
    error = plaid.error(
        "/asset_report/filter", asset_report_token=report_token, account_ids_to_exclude=["nope"]
    )
    assert error["error_code"] == "INVALID_ACCOUNT_ID" and "nope" in error["error_message"]
