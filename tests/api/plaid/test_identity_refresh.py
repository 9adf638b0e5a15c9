"""``/identity/refresh``: an on-demand identity extraction, billed as Identity; the sandbox's
owners never change, so no ``IDENTITY``/``DEFAULT_UPDATE`` follows."""

from __future__ import annotations

from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.api.plaid.helpers import queued_webhooks
from tests.api.plaid.test_typed_auth_flows import _instant_item
from tests.conftest import PlaidClient

REFRESH = "/identity/refresh"


def test_refresh_bills_identity_and_queues_no_webhook(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions",), webhook="https://receiver.test/hook")
    assert "identity" not in plaid.ok("/item/get", access_token=token)["item"]["billed_products"]
    reply = plaid.ok(REFRESH, access_token=token)
    assert set(reply) == {"request_id"}
    assert openapi_errors(REFRESH, reply) == []
    sdk_deserialize(REFRESH, reply)
    assert "identity" in plaid.ok("/item/get", access_token=token)["item"]["billed_products"]
    assert not [b for b in queued_webhooks(plaid) if b["webhook_type"] == "IDENTITY"]
    owners = plaid.ok("/identity/get", access_token=token)["accounts"][0]["owners"]
    assert owners and owners[0]["names"]


def test_item_in_error_needs_update_mode_first(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions",))
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    assert plaid.error(REFRESH, access_token=token)["error_code"] == "ITEM_LOGIN_REQUIRED"


def test_typed_numbers_item_is_products_not_supported(plaid: PlaidClient) -> None:
    """No login stands behind an Instant micro-deposits item: nothing to refresh through."""
    _, token = _instant_item(plaid)
    assert plaid.error(REFRESH, access_token=token)["error_code"] == "PRODUCTS_NOT_SUPPORTED"


def test_unknown_token_and_missing_field(plaid: PlaidClient) -> None:
    assert plaid.error(REFRESH, access_token="access-sandbox-nope")["error_code"] == (
        "INVALID_ACCESS_TOKEN"
    )
    error = plaid.error(REFRESH)
    assert error["error_code"] == "MISSING_FIELDS" and "access_token" in error["error_message"]
