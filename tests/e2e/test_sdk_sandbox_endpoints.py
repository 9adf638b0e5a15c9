"""Plaid's ``/sandbox/*`` helpers through plaid-python against a served sandbox.

``/sandbox/item/fire_webhook`` for every documented (type, code) pair, Assets' included,
and ``/sandbox/public_token/create``'s transactions window, as an app's test suite calls
them. Webhooks stay queued (dispatcher off) and are read through the control API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from plaid.api import plaid_api
from plaid.model.asset_report_create_request import AssetReportCreateRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_fire_webhook_request_options import (
    SandboxItemFireWebhookRequestOptions,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request_options_transactions import (
    SandboxPublicTokenCreateRequestOptionsTransactions,
)
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.webhook_type import WebhookType

from tests.api.plaid.contract import sdk_model_errors

from .served import error_body, sdk_client, webhook_bodies, webhooks_of

pytestmark = pytest.mark.e2e
HOOK = "https://receiver.test/sandbox-endpoints"


def _link(client: plaid_api.PlaidApi, products: list[str], **options: Any) -> tuple[str, str]:
    """A First Platypus ``user_good`` item with a webhook; its access token and item id."""
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products(p) for p in products],
            options=SandboxPublicTokenCreateRequestOptions(webhook=HOOK, **options),
        )
    ).public_token
    exchange = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    return str(exchange.access_token), str(exchange.item_id)


def _fire(client: plaid_api.PlaidApi, token: str, webhook_type: str, code: str) -> bool:
    request = SandboxItemFireWebhookRequest(
        access_token=token, webhook_type=WebhookType(webhook_type), webhook_code=code
    )
    return bool(client.sandbox_item_fire_webhook(request).webhook_fired)


def test_fire_default_update_with_the_sdks_new_transactions_option(
    plaid_server: dict[str, Any],
) -> None:
    """plaid-python 46's ``options.new_transactions`` sets the fired count."""
    client = sdk_client(plaid_server)
    token, item_id = _link(client, ["transactions"])
    request = SandboxItemFireWebhookRequest(
        access_token=token,
        webhook_type=WebhookType("TRANSACTIONS"),
        webhook_code="DEFAULT_UPDATE",
        options=SandboxItemFireWebhookRequestOptions(new_transactions=5),
    )
    assert client.sandbox_item_fire_webhook(request).webhook_fired
    fired = [
        body
        for body in webhook_bodies(plaid_server, "TRANSACTIONS")
        if body["item_id"] == item_id and body["webhook_code"] == "DEFAULT_UPDATE"
    ]
    assert [body["new_transactions"] for body in fired] == [5]


def _report_bodies(server: dict[str, Any], report_id: str) -> list[dict[str, Any]]:
    """The queued Assets webhooks about ``report_id``, oldest first."""
    bodies = webhook_bodies(server, "ASSETS")
    return [b for b in reversed(bodies) if b["asset_report_id"] == report_id]


def test_fire_assets_webhooks_name_the_items_latest_report(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    token, _ = _link(client, ["assets", "transactions"])
    refused = error_body(_fire, client, token, "ASSETS", "PRODUCT_READY")
    assert (refused["error_type"], refused["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "no Asset Report" in refused["error_message"]

    first = client.asset_report_create(
        AssetReportCreateRequest(access_tokens=[token], days_requested=30)
    ).asset_report_id
    latest = client.asset_report_create(
        AssetReportCreateRequest(access_tokens=[token], days_requested=60)
    ).asset_report_id
    assert _fire(client, token, "ASSETS", "PRODUCT_READY")
    assert _fire(client, token, "ASSETS", "ERROR")

    assert len(_report_bodies(plaid_server, first)) == 1  # only its own PRODUCT_READY
    built, ready, failed = _report_bodies(plaid_server, latest)
    assert (
        ready
        == built
        == {
            "webhook_type": "ASSETS",
            "webhook_code": "PRODUCT_READY",
            "asset_report_id": latest,
            "report_type": "FULL",
            "environment": "sandbox",
        }
    )
    assert (failed["webhook_code"], failed["error"]["error_type"]) == (
        "ERROR",
        "ASSET_REPORT_ERROR",
    )
    assert failed["error"]["error_code"] == "ASSET_REPORT_GENERATION_FAILED"
    assert "item_id" not in failed
    assert not sdk_model_errors("AssetsProductReadyWebhook", ready)
    assert not sdk_model_errors("AssetsErrorWebhook", failed)


def test_fire_assets_webhook_needs_the_assets_product(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    token, _ = _link(client, ["transactions"])
    for code in ("PRODUCT_READY", "ERROR"):
        refused = error_body(_fire, client, token, "ASSETS", code)
        assert (refused["error_type"], refused["error_code"]) == (
            "SANDBOX_ERROR",
            "SANDBOX_PRODUCT_NOT_ENABLED",
        )


def test_fire_identity_default_update(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    token, item_id = _link(client, ["identity"])
    assert _fire(client, token, "IDENTITY", "DEFAULT_UPDATE")
    assert webhooks_of(plaid_server, item_id)[-1] == ("IDENTITY", "DEFAULT_UPDATE")
    body = webhook_bodies(plaid_server, "IDENTITY")[0]
    assert body["item_id"] == item_id and body["account_ids_with_updated_identity"] == {}
    assert not sdk_model_errors("IdentityDefaultUpdateWebhook", body)

    bare, _ = _link(client, ["transactions"])
    refused = error_body(_fire, client, bare, "IDENTITY", "DEFAULT_UPDATE")
    assert refused["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"


def _dates(client: plaid_api.PlaidApi, token: str) -> list[tuple[dt.date, str, float]]:
    """Every transaction of the item in the last two years: (date, name, amount)."""
    today = dt.datetime.now(dt.UTC).date()
    rows: list[Any] = []
    while True:
        page = client.transactions_get(
            TransactionsGetRequest(
                access_token=token,
                start_date=today - dt.timedelta(days=730),
                end_date=today + dt.timedelta(days=1),
                options=TransactionsGetRequestOptions(count=500, offset=len(rows)),
            )
        )
        rows += page.transactions
        if len(rows) >= page.total_transactions:
            return sorted((t.date, t.name, t.amount) for t in rows)


def test_public_token_transactions_window_spans_start_to_end_date(
    plaid_server: dict[str, Any],
) -> None:
    client = sdk_client(plaid_server)
    today = dt.datetime.now(dt.UTC).date()
    start, end = today - dt.timedelta(days=200), today - dt.timedelta(days=45)
    window = SandboxPublicTokenCreateRequestOptionsTransactions(start_date=start, end_date=end)
    token, _ = _link(client, ["transactions"], transactions=window)
    rows = _dates(client, token)
    assert start <= rows[0][0] <= start + dt.timedelta(days=7), rows[0]
    assert end - dt.timedelta(days=7) <= rows[-1][0] <= end, rows[-1]

    again, _ = _link(client, ["transactions"], transactions=window)
    assert _dates(client, again) == rows  # the same seed, user and window: the same history


def test_public_token_transactions_window_refuses_an_inverted_window(
    plaid_server: dict[str, Any],
) -> None:
    client = sdk_client(plaid_server)
    today = dt.datetime.now(dt.UTC).date()
    window = SandboxPublicTokenCreateRequestOptionsTransactions(
        start_date=today - dt.timedelta(days=10), end_date=today - dt.timedelta(days=20)
    )
    refused = error_body(_link, client, ["transactions"], transactions=window)
    assert (refused["error_type"], refused["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "options.transactions.end_date" in refused["error_message"]
