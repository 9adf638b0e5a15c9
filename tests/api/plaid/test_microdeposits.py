"""Automated micro-deposits: ``verification_status``, ``/sandbox/item/set_verification_status``
and the AUTH webhooks it queues (``user_good`` / ``microdeposits_good``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.plaid.contract import openapi_errors, sdk_deserialize, sdk_model_errors
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


def _shared_statuses(plaid: PlaidClient, link: LinkBrowser) -> dict[str, str | None]:
    """``verification_status`` of each account in the session's ``on_success`` metadata."""
    (session,) = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    return {
        a["id"]: a["verification_status"] for a in session["on_success"]["metadata"]["accounts"]
    }


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


@pytest.mark.parametrize("status", [None, "automatically_verified", "verification_expired"])
def test_the_items_auth_method_is_automated_microdeposits(
    plaid: PlaidClient, status: str | None
) -> None:
    token = _micro_item(plaid)
    if status is not None:
        account_id = _pending(plaid, token)["account_id"]
        plaid.ok(SET, access_token=token, account_id=account_id, verification_status=status)
    for path in ("/item/get", "/accounts/get"):
        item = plaid.ok(path, access_token=token)["item"]
        assert item["auth_method"] == "AUTOMATED_MICRODEPOSITS"


def test_hosted_link_with_the_micro_deposit_password_gives_a_pending_account(
    plaid: PlaidClient,
) -> None:
    link = LinkBrowser(plaid, products=["auth"])
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="microdeposits_good")
    public = parse_qs(urlsplit(link.continue_from(done)).query)["public_token"][0]
    token = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    pending = _pending(plaid, token)
    assert pending["verification_status"] == "pending_automatic_verification"
    assert plaid.error("/auth/get", access_token=token)["error_code"] == "PRODUCT_NOT_READY"
    statuses = _shared_statuses(plaid, link)
    assert statuses.pop(pending["account_id"]) == "pending_automatic_verification"
    assert statuses and set(statuses.values()) == {None}


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


# -- Same Day micro-deposits: numbers typed in Link, the deposit's code in update mode --------

SAME_DAY = {"products": ["auth"], "auth": {"same_day_microdeposits_enabled": True}}


def _same_day_link(
    plaid: PlaidClient, products: tuple[str, ...] = ("auth",)
) -> tuple[LinkBrowser, str]:
    """Hosted Link run by typing Plaid's Same Day test numbers, and its item's access token."""
    link = LinkBrowser(plaid, webhook=HOOK, **{**SAME_DAY, "products": list(products)})
    link.post("consent")
    assert 'id="routing_number"' in link.page()
    done = link.post("manual", routing_number="110000000", account_number="1111222233330000")
    public = parse_qs(urlsplit(link.continue_from(done)).query)["public_token"][0]
    token: str = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    return link, token


def _same_day_item(plaid: PlaidClient) -> str:
    """An item linked by typing Plaid's Same Day test numbers into hosted Link."""
    return _same_day_link(plaid)[1]


def _dwolla_token(plaid: PlaidClient, token: str) -> tuple[dict[str, Any], str]:
    """The Same Day item's one account and a processor token for it."""
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    processor: str = plaid.ok(
        "/processor/token/create",
        access_token=token,
        account_id=account["account_id"],
        processor="dwolla",
    )["processor_token"]
    return account, processor


def _update_link(plaid: PlaidClient, token: str) -> LinkBrowser:
    """Hosted Link reopened on the item (update mode), at the deposit code pane."""
    link = LinkBrowser(plaid, products=[], access_token=token)
    link.post("consent")
    return link


def test_typed_numbers_give_one_account_pending_manual_verification(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert [(a["subtype"], a["verification_status"]) for a in accounts] == [
        ("checking", "pending_manual_verification")
    ]
    assert plaid.error("/auth/get", access_token=token)["error_code"] == "PRODUCT_NOT_READY"


def test_the_items_auth_method_is_same_day_microdeposits(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    assert plaid.ok("/item/get", access_token=token)["item"]["auth_method"] == (
        "SAME_DAY_MICRODEPOSITS"
    )
    _update_link(plaid, token).post("verify", code="ABC")
    assert plaid.ok("/auth/get", access_token=token)["item"]["auth_method"] == (
        "SAME_DAY_MICRODEPOSITS"
    )


@pytest.mark.parametrize("verified", [False, True], ids=["pending", "verified"])
def test_an_item_of_typed_numbers_serves_auth_only(plaid: PlaidClient, verified: bool) -> None:
    """No login stands behind typed numbers: no real-time balance, transactions or identity
    (plaid-products.md §5: ``/accounts/balance/get`` on manual Items is PRODUCTS_NOT_SUPPORTED),
    even when the link token asked for more products."""
    _, token = _same_day_link(plaid, ("auth", "transactions"))
    if verified:
        _update_link(plaid, token).post("verify", code="ABC")
        plaid.ok("/auth/get", access_token=token)
    assert plaid.ok("/item/get", access_token=token)["item"]["products"] == ["auth"]
    for path in ("/accounts/balance/get", "/transactions/sync", "/identity/get"):
        assert plaid.error(path, access_token=token)["error_code"] == "PRODUCTS_NOT_SUPPORTED"
    _, processor = _dwolla_token(plaid, token)
    refused = plaid.error("/processor/balance/get", processor_token=processor)
    assert refused["error_code"] == "PRODUCTS_NOT_SUPPORTED"


def test_link_success_metadata_shows_the_pending_manual_verification(plaid: PlaidClient) -> None:
    link, token = _same_day_link(plaid)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert _shared_statuses(plaid, link) == {account["account_id"]: "pending_manual_verification"}


def test_manual_entry_is_offered_only_when_the_link_token_enables_it(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid, products=["auth"])
    link.post("consent")
    assert 'id="routing_number"' not in link.page()
    link.post("manual", routing_number="110000000", account_number="1111222233330000")
    assert "manual entry is not enabled" in link.page()


def test_malformed_routing_number_shows_the_error_pane(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid, **SAME_DAY)
    link.post("consent")
    link.post("manual", routing_number="12345", account_number="1111222233330000")
    assert "routing_number must be 9 digits" in link.page()
    link.post("retry")
    assert 'id="routing_number"' in link.page()


def test_deposit_code_in_update_mode_verifies_the_account(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    link = _update_link(plaid, token)
    assert "Deposit code" in link.page()
    done = link.post("verify", code="abc")  # case-insensitive, as in Plaid's Link
    assert "public_token=" in link.continue_from(done)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert account["verification_status"] == "manually_verified"
    numbers = plaid.ok("/auth/get", access_token=token)["numbers"]["ach"]
    assert [n["account_id"] for n in numbers] == [account["account_id"]]


def test_three_wrong_codes_fail_the_verification(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    link = _update_link(plaid, token)
    link.post("verify", code="XYZ")
    assert "That code is incorrect. 2 attempts left." in link.page()
    link.post("verify", code="XYZ")
    assert "1 attempt left." in link.page()
    link.post("verify", code="XYZ")
    assert "Verification failed" in link.page()
    link.post("verify", code="ABC")  # locked: the right code comes too late
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert account["verification_status"] == "verification_failed"
    assert plaid.error("/auth/get", access_token=token)["error_code"] == "PRODUCT_NOT_READY"


def test_same_day_status_cannot_be_set_through_the_sandbox_endpoint(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    body = plaid.error(
        SET,
        access_token=token,
        account_id=account["account_id"],
        verification_status="automatically_verified",
    )
    assert body["error_code"] == "INVALID_FIELD"


def _fire_sms(plaid: PlaidClient, token: str) -> dict[str, Any]:
    plaid.ok(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_code="SMS_MICRODEPOSITS_VERIFICATION",
    )
    (hook,) = [b for b in _auth_webhooks(plaid) if b["webhook_code"] != "DEFAULT_UPDATE"]
    return hook


def test_firing_sms_verification_reports_the_same_day_account_and_keeps_its_state(
    plaid: PlaidClient,
) -> None:
    token = _same_day_item(plaid)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    hook = _fire_sms(plaid, token)
    assert (
        hook["webhook_type"] == "AUTH" and hook["webhook_code"] == "SMS_MICRODEPOSITS_VERIFICATION"
    )
    assert hook["account_id"] == account["account_id"] and hook["status"] == "MANUALLY_VERIFIED"
    assert hook["item_id"] and hook["environment"] == "sandbox"
    assert not sdk_model_errors("HostedMMDVerificationWebhook", hook)
    # a test webhook only: the deposit still waits for its code
    (after,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert after["verification_status"] == "pending_manual_verification"


def test_firing_sms_verification_after_three_wrong_codes_says_failed(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    link = _update_link(plaid, token)
    for _ in range(3):
        link.post("verify", code="XYZ")
    assert _fire_sms(plaid, token)["status"] == "VERIFICATION_FAILED"


@pytest.mark.parametrize("products", [("auth", "transactions"), ("transactions",)])
def test_sms_verification_needs_a_same_day_item(
    plaid: PlaidClient, products: tuple[str, ...]
) -> None:
    token = plaid.link_item(products=products, webhook=HOOK)
    body = plaid.error(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_code="SMS_MICRODEPOSITS_VERIFICATION",
    )
    assert body["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"


def test_a_partner_waits_for_the_same_day_code_too(plaid: PlaidClient) -> None:
    token = _same_day_item(plaid)
    account, processor = _dwolla_token(plaid, token)
    waiting = plaid.error("/processor/auth/get", processor_token=processor)
    assert waiting["error_code"] == "PRODUCT_NOT_READY"
    _update_link(plaid, token).post("verify", code="ABC")
    numbers = plaid.ok("/processor/auth/get", processor_token=processor)["numbers"]["ach"]
    assert numbers["account_id"] == account["account_id"]
