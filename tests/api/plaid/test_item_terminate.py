"""``/item/products/terminate``: the item ends as with ``/item/remove``, a reason required."""

from __future__ import annotations

import pytest

from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.conftest import PlaidClient

TERMINATE = "/item/products/terminate"


def test_terminated_item_and_its_tokens_stop_working(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("auth", "transactions"))
    account = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    processor = plaid.ok(
        "/processor/token/create", access_token=token, account_id=account, processor="dwolla"
    )["processor_token"]
    reply = plaid.ok(
        TERMINATE, access_token=token, reason_code="USER_OFFBOARDING", reason_note="closed app"
    )
    assert set(reply) == {"request_id"}
    assert openapi_errors(TERMINATE, reply) == []
    sdk_deserialize(TERMINATE, reply)
    assert plaid.error("/item/get", access_token=token)["error_code"] == "ITEM_NOT_FOUND"
    assert plaid.error("/processor/auth/get", processor_token=processor)["http_status"] == 400
    again = plaid.error(TERMINATE, access_token=token, reason_code="OTHER")
    assert again["error_code"] == "ITEM_NOT_FOUND"


def _webhook_statuses(plaid: PlaidClient) -> list[str]:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    rows = plaid.client.get("/control/webhooks", headers=headers).get_json()["webhooks"]
    return [row["status"] for row in rows]


def test_unsent_webhooks_of_a_terminated_item_are_cancelled(plaid: PlaidClient) -> None:
    token = plaid.link_item(webhook="https://receiver.test/hook")
    assert "cancelled" not in _webhook_statuses(plaid)  # INITIAL_UPDATE waits to be sent
    plaid.ok(TERMINATE, access_token=token, reason_code="DUPLICATE_ITEM", reason_note=None)
    statuses = _webhook_statuses(plaid)
    assert statuses and set(statuses) == {"cancelled"}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "MISSING_FIELDS", "reason_code"),
        ({"reason_code": "CONNECTION_IS_NON_FUNCTIONAL"}, "INVALID_FIELD", "reason_code"),
        ({"reason_code": "OTHER", "reason_note": "x" * 513}, "INVALID_FIELD", "reason_note"),
    ],
)
def test_bad_reason_is_refused_and_the_item_lives(
    plaid: PlaidClient, body: dict[str, str], code: str, field: str
) -> None:
    token = plaid.link_item()
    error = plaid.error(TERMINATE, access_token=token, **body)
    assert error["error_code"] == code and field in error["error_message"]
    assert plaid.ok("/item/get", access_token=token)["item"]["item_id"]


def test_unknown_access_token(plaid: PlaidClient) -> None:
    error = plaid.error(TERMINATE, access_token="access-sandbox-nope", reason_code="OTHER")
    assert error["error_code"] == "INVALID_ACCESS_TOKEN"
