"""Automated micro-deposits: ``verification_status``, ``/sandbox/item/set_verification_status``
and the AUTH webhooks it queues (``user_good`` / ``microdeposits_good``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.api.plaid.helpers import advance_clock, queued_webhooks
from tests.api.web.test_link_pages import LinkBrowser, to_credentials
from tests.conftest import PlaidClient

HOOK = "https://receiver.test/hook"
SET = "/sandbox/item/set_verification_status"


def _micro_item(plaid: PlaidClient) -> str:
    return plaid.link_item(
        products=("auth", "transactions"),
        override_username="user_good",
        override_password="microdeposits_good",
        webhook=HOOK,
    )


def _pending(plaid: PlaidClient, token: str) -> dict[str, Any]:
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    pending = [a for a in accounts if "verification_status" in a]
    assert len(pending) == 1, accounts
    return pending[0]


def _auth_webhooks(plaid: PlaidClient) -> list[dict[str, Any]]:
    return [b for b in queued_webhooks(plaid) if b["webhook_type"] == "AUTH"]


def test_linked_checking_account_is_pending_automatic_verification(plaid: PlaidClient) -> None:
    token = _micro_item(plaid)
    pending = _pending(plaid, token)
    assert pending["verification_status"] == "pending_automatic_verification"
    assert pending["subtype"] == "checking"
    for path in ("/accounts/get", "/accounts/balance/get"):
        statuses = [
            a.get("verification_status") for a in plaid.ok(path, access_token=token)["accounts"]
        ]
        assert statuses.count("pending_automatic_verification") == 1


def test_hosted_link_with_the_micro_deposit_password_gives_a_pending_account(
    plaid: PlaidClient,
) -> None:
    link = LinkBrowser(plaid, products=["auth"])
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="microdeposits_good")
    public = parse_qs(urlsplit(link.continue_from(done)).query)["public_token"][0]
    token = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    assert _pending(plaid, token)["verification_status"] == "pending_automatic_verification"
    assert plaid.error("/auth/get", access_token=token)["error_code"] == "PRODUCT_NOT_READY"


def test_auth_is_product_not_ready_until_verified(plaid: PlaidClient) -> None:
    token = _micro_item(plaid)
    error = plaid.error("/auth/get", access_token=token)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "PRODUCT_NOT_READY")
    account_id = _pending(plaid, token)["account_id"]
    assert plaid.ok(
        SET, access_token=token, account_id=account_id, verification_status="automatically_verified"
    )["request_id"]
    body = plaid.ok("/auth/get", access_token=token)
    assert openapi_errors("/auth/get", body) == []
    sdk_deserialize("/auth/get", body)
    verified = next(a for a in body["accounts"] if a["account_id"] == account_id)
    assert verified["verification_status"] == "automatically_verified"
    assert account_id in {n["account_id"] for n in body["numbers"]["ach"]}


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("automatically_verified", "AUTOMATICALLY_VERIFIED"),
        ("verification_expired", "VERIFICATION_EXPIRED"),
    ],
)
def test_setting_the_status_queues_the_auth_webhook(
    plaid: PlaidClient, status: str, code: str
) -> None:
    token = _micro_item(plaid)
    account_id = _pending(plaid, token)["account_id"]
    plaid.ok(SET, access_token=token, account_id=account_id, verification_status=status)
    (hook,) = _auth_webhooks(plaid)
    assert hook["webhook_code"] == code
    assert hook["account_id"] == account_id and hook["item_id"] and hook["error"] is None
    assert hook["environment"] == "sandbox"
    assert _pending(plaid, token)["verification_status"] == status


def test_the_clock_verifies_the_deposit_a_day_after_the_link(plaid: PlaidClient) -> None:
    token = _micro_item(plaid)
    account_id = _pending(plaid, token)["account_id"]
    advance_clock(plaid, 1)
    assert _pending(plaid, token)["verification_status"] == "automatically_verified"
    (hook,) = _auth_webhooks(plaid)
    assert (hook["webhook_code"], hook["account_id"]) == ("AUTOMATICALLY_VERIFIED", account_id)
    assert plaid.ok("/auth/get", access_token=token)["numbers"]["ach"]
    advance_clock(plaid, 1)  # settled once: no second webhook
    assert len(_auth_webhooks(plaid)) == 1


def test_expired_account_still_releases_no_numbers(plaid: PlaidClient) -> None:
    token = _micro_item(plaid)
    account_id = _pending(plaid, token)["account_id"]
    plaid.ok(
        SET, access_token=token, account_id=account_id, verification_status="verification_expired"
    )
    assert plaid.error("/auth/get", access_token=token)["error_code"] == "PRODUCT_NOT_READY"


def test_unknown_account_is_invalid_account_id(plaid: PlaidClient) -> None:
    token = _micro_item(plaid)
    error = plaid.error(
        SET, access_token=token, account_id="nope", verification_status="automatically_verified"
    )
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_ACCOUNT_ID")
    assert "nope" in error["error_message"]


@pytest.mark.parametrize("status", ["manually_verified", "pending_automatic_verification", ""])
def test_status_other_than_verified_or_expired_is_invalid_field(
    plaid: PlaidClient, status: str
) -> None:
    token = _micro_item(plaid)
    account_id = _pending(plaid, token)["account_id"]
    error = plaid.error(SET, access_token=token, account_id=account_id, verification_status=status)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "verification_status" in error["error_message"]
    assert _auth_webhooks(plaid) == []


def test_ordinary_item_or_settled_account_cannot_be_set(plaid: PlaidClient) -> None:
    ordinary = plaid.link_item(products=("auth", "transactions"))
    account_id = plaid.ok("/accounts/get", access_token=ordinary)["accounts"][0]["account_id"]
    error = plaid.error(
        SET,
        access_token=ordinary,
        account_id=account_id,
        verification_status="automatically_verified",
    )
    assert error["error_code"] == "INVALID_FIELD" and "account_id" in error["error_message"]
    assert (
        "verification_status" not in plaid.ok("/accounts/get", access_token=ordinary)["accounts"][0]
    )
    token = _micro_item(plaid)
    pending = _pending(plaid, token)["account_id"]
    body = {"access_token": token, "account_id": pending}
    plaid.ok(SET, **body, verification_status="automatically_verified")
    assert plaid.error(SET, **body, verification_status="verification_expired")["error_code"] == (
        "INVALID_FIELD"
    )


def test_missing_fields_are_named(plaid: PlaidClient) -> None:
    token = _micro_item(plaid)
    error = plaid.error(SET, access_token=token)
    assert error["error_code"] == "MISSING_FIELDS"
    assert (
        "account_id" in error["error_message"] and "verification_status" in error["error_message"]
    )


def test_the_same_account_waits_on_every_link(plaid: PlaidClient) -> None:
    """Deterministic: each link marks the same persona account (Plaid Checking), once."""
    first, second = (_pending(plaid, _micro_item(plaid)) for _ in range(2))
    keys = ("name", "mask", "subtype", "verification_status")
    assert [first[k] for k in keys] == [second[k] for k in keys]
