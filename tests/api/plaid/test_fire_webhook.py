"""``/sandbox/item/fire_webhook``: which (type, code) pairs it fires, and their bodies' shape."""

from __future__ import annotations

import pytest

from sandbox.core.webhooks.outbox import CATALOGUE
from sandbox.core.webhooks.triggers import FIREABLE, REPORT_FIREABLE
from tests.api.plaid import contract
from tests.api.plaid.helpers import queued_webhooks
from tests.conftest import PlaidClient

HOOK = "https://receiver.test/hook"
# Every product a fired webhook can need except a Same Day micro-deposit (test_microdeposits
# checks SMS_MICRODEPOSITS_VERIFICATION's body).
PRODUCTS = ("transactions", "auth", "identity", "investments", "liabilities")
# Plaid's OpenAPI webhook schema (as plaid-python's model) of each fireable pair.
MODELS = {
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "DefaultUpdateWebhook",
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "SyncUpdatesAvailableWebhook",
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): "RecurringTransactionsUpdateWebhook",
    ("AUTH", "DEFAULT_UPDATE"): "AuthDefaultUpdateWebhook",
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): "HostedMMDVerificationWebhook",
    ("IDENTITY", "DEFAULT_UPDATE"): "IdentityDefaultUpdateWebhook",
    ("HOLDINGS", "DEFAULT_UPDATE"): "HoldingsDefaultUpdateWebhook",
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): "InvestmentsDefaultUpdateWebhook",
    ("LIABILITIES", "DEFAULT_UPDATE"): "LiabilitiesDefaultUpdateWebhook",
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): "NewAccountsAvailableWebhook",
    ("ITEM", "USER_PERMISSION_REVOKED"): "UserPermissionRevokedWebhook",
    ("ITEM", "USER_ACCOUNT_REVOKED"): "UserAccountRevokedWebhook",
    ("ITEM", "PENDING_DISCONNECT"): "PendingDisconnectWebhook",
    ("ITEM", "LOGIN_REPAIRED"): "ItemLoginRepairedWebhook",
}
SWEPT = sorted(pair for pair in FIREABLE if pair[1] != "SMS_MICRODEPOSITS_VERIFICATION")


def test_every_fireable_pair_is_in_the_outbox_catalogue_and_has_a_schema() -> None:
    assert all(code in CATALOGUE[kind] for kind, code in [*FIREABLE, *REPORT_FIREABLE])
    assert MODELS.keys() == FIREABLE.keys()


@pytest.mark.parametrize(("webhook_type", "webhook_code"), SWEPT)
def test_fire_webhook_body_matches_its_openapi_schema(
    plaid: PlaidClient, webhook_type: str, webhook_code: str
) -> None:
    token = plaid.link_item(products=PRODUCTS, webhook=HOOK)
    plaid.ok(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_type=webhook_type,
        webhook_code=webhook_code,
    )
    body = queued_webhooks(plaid)[0]
    assert (body["webhook_type"], body["webhook_code"]) == (webhook_type, webhook_code)
    assert not contract.sdk_model_errors(MODELS[webhook_type, webhook_code], body)


def test_fire_webhook_auth_default_update_lists_the_accounts_with_numbers(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=PRODUCTS, webhook=HOOK)
    auth = plaid.ok("/auth/get", access_token=token)["accounts"]
    plaid.ok(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_type="AUTH",
        webhook_code="DEFAULT_UPDATE",
    )
    body = queued_webhooks(plaid)[0]
    assert body["account_ids_with_new_auth"] == [a["account_id"] for a in auth]
    assert body["account_ids_with_updated_auth"] == {}


@pytest.mark.parametrize("webhook_type", ["ITEM", "ASSETS"])
@pytest.mark.parametrize("products", [("transactions",), ("auth",)])
def test_fire_webhook_default_update_of_a_type_without_one_is_invalid_field(
    plaid: PlaidClient, webhook_type: str, products: tuple[str, ...]
) -> None:
    token = plaid.link_item(products=products, webhook=HOOK)
    error = plaid.error(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_type=webhook_type,
        webhook_code="DEFAULT_UPDATE",
    )
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "webhook_type" in error["error_message"]


def test_fire_webhook_options_new_transactions_sets_the_default_updates_count(
    plaid: PlaidClient,
) -> None:
    """plaid-python 46's ``options.new_transactions`` (the webhook type defaults to
    TRANSACTIONS)."""
    token = plaid.link_item(webhook=HOOK)
    fire = {"access_token": token, "webhook_code": "DEFAULT_UPDATE"}
    plaid.ok("/sandbox/item/fire_webhook", **fire, options={"new_transactions": 7})
    assert queued_webhooks(plaid)[0]["new_transactions"] == 7
    plaid.ok("/sandbox/item/fire_webhook", **fire, options={})
    assert queued_webhooks(plaid)[0]["new_transactions"] == 0


@pytest.mark.parametrize(
    ("webhook_code", "options"),
    [
        ("SYNC_UPDATES_AVAILABLE", {"new_transactions": 3}),
        ("DEFAULT_UPDATE", {"new_transactions": -1}),
        ("DEFAULT_UPDATE", {"new_transactions": "3"}),
    ],
)
def test_fire_webhook_options_new_transactions_elsewhere_or_negative_is_invalid_field(
    plaid: PlaidClient, webhook_code: str, options: dict[str, object]
) -> None:
    token = plaid.link_item(webhook=HOOK)
    queued = len(queued_webhooks(plaid))
    error = plaid.error(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_code=webhook_code,
        options=options,
    )
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "new_transactions" in error["error_message"]
    assert len(queued_webhooks(plaid)) == queued


def test_fire_webhook_user_permission_revoked_only_sends_the_webhook(plaid: PlaidClient) -> None:
    token = plaid.link_item(webhook=HOOK)
    plaid.ok(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_type="ITEM",
        webhook_code="USER_PERMISSION_REVOKED",
    )
    assert queued_webhooks(plaid)[0]["error"]["error_code"] == "USER_PERMISSION_REVOKED"
    assert plaid.ok("/item/get", access_token=token)["item"]["error"] is None
    plaid.ok("/accounts/get", access_token=token)


@pytest.mark.parametrize(
    ("code", "model"),
    [("PRODUCT_READY", "AssetsProductReadyWebhook"), ("ERROR", "AssetsErrorWebhook")],
)
def test_fire_assets_webhook_names_the_latest_report_of_the_item(
    plaid: PlaidClient, code: str, model: str
) -> None:
    token = plaid.link_item(products=("assets",), webhook=HOOK)
    other = plaid.link_item(products=("assets",), webhook=HOOK)
    create = {"days_requested": 30}
    mine = plaid.ok("/asset_report/create", access_tokens=[token], **create)["asset_report_id"]
    plaid.ok("/asset_report/create", access_tokens=[other], **create)  # newer, not the item's
    plaid.ok(
        "/sandbox/item/fire_webhook", access_token=token, webhook_type="ASSETS", webhook_code=code
    )
    body = queued_webhooks(plaid)[0]
    assert (body["webhook_code"], body["asset_report_id"]) == (code, mine)
    assert "item_id" not in body
    assert not contract.sdk_model_errors(model, body)
