"""Details real Plaid clients rely on: item status times, Link metadata, advertised products,
the SDKs' test webhook key, and the numbers and balances of ``user_good``."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec
from stdnum import bic, iban

from tests.api.plaid.helpers import advance_clock
from tests.conftest import PlaidClient

SDK_TEST_KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001"
SERVED = {
    "assets",
    "auth",
    "balance",
    "identity",
    "identity_match",
    "investments",
    "investments_auth",
    "liabilities",
    "statements",
    "transactions",
}


def test_item_get_reports_last_successful_update_as_soon_as_transactions_are_ready(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    status = plaid.ok("/item/get", access_token=token)["status"]["transactions"]
    assert status["last_successful_update"] == "2026-03-16T15:30:00Z"
    advance_clock(plaid, 2)
    status = plaid.ok("/item/get", access_token=token)["status"]["transactions"]
    assert status["last_successful_update"] == "2026-03-18T15:30:00Z"


def test_item_get_without_transactions_has_no_last_successful_update(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("auth",))
    status = plaid.ok("/item/get", access_token=token)["status"]["transactions"]
    assert status["last_successful_update"] is None


def test_link_token_get_metadata_carries_account_filters(plaid: PlaidClient) -> None:
    filters = {"depository": {"account_subtypes": ["checking", "savings"]}}
    link = {"client_name": "x", "language": "en", "country_codes": ["US"]}
    token = plaid.ok(
        "/link/token/create",
        products=["auth"],
        user={"client_user_id": "u"},
        account_filters=filters,
        **link,
    )["link_token"]
    assert plaid.ok("/link/token/get", link_token=token)["metadata"]["account_filters"] == filters
    plain = plaid.ok("/link/token/create", products=["auth"], user={"client_user_id": "u"}, **link)[
        "link_token"
    ]
    assert plaid.ok("/link/token/get", link_token=plain)["metadata"]["account_filters"] == {}


def test_webhook_verification_key_get_serves_the_sdk_test_key_to_every_client(
    plaid: PlaidClient,
) -> None:
    key = plaid.ok("/webhook_verification_key/get", key_id=SDK_TEST_KID)["key"]
    assert (key["kid"], key["alg"], key["crv"], key["kty"], key["use"]) == (
        SDK_TEST_KID,
        "ES256",
        "P-256",
        "EC",
        "sig",
    )
    assert key["expired_at"] is None and key["created_at"] == 1560466143
    x, y = (int.from_bytes(base64.urlsafe_b64decode(key[c] + "=="), "big") for c in "xy")
    ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()  # a real P-256 point


def test_webhook_verification_key_get_unknown_kid_is_invalid(plaid: PlaidClient) -> None:
    error = plaid.error("/webhook_verification_key/get", key_id=SDK_TEST_KID[:-1] + "2")
    assert error["error_code"] == "INVALID_WEBHOOK_VERIFICATION_KEY_ID"


def test_institutions_and_items_advertise_only_served_products(plaid: PlaidClient) -> None:
    found = plaid.ok("/institutions/get", count=500, offset=0, country_codes=["US", "GB", "CA"])
    for institution in found["institutions"]:
        assert set(institution["products"]) <= SERVED | {"signal"}, institution
    item = plaid.ok("/item/get", access_token=plaid.link_item())["item"]
    assert "transfer" not in item["available_products"]
    assert set(item["available_products"]) <= SERVED | {"signal"}


def test_public_token_create_with_an_unserved_product_is_not_supported(
    plaid: PlaidClient,
) -> None:
    error = plaid.error(
        "/sandbox/public_token/create", institution_id="ins_109508", initial_products=["transfer"]
    )
    assert error["error_code"] == "PRODUCTS_NOT_SUPPORTED"


def test_user_good_checking_links_in_credit(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    checking = next(a for a in accounts if a["mask"] == "0000")
    assert checking["balances"]["current"] > 0 and checking["balances"]["available"] > 0
    for days in (30, 30, 30):
        advance_clock(plaid, days)
        balances = plaid.ok("/accounts/balance/get", access_token=token)["accounts"][0]["balances"]
        assert balances["current"] > 0 and balances["available"] > 0


def test_auth_get_gb_numbers_pass_iban_and_bic_checks(plaid: PlaidClient) -> None:
    token = plaid.link_item("ins_117650")
    numbers = plaid.ok("/auth/get", access_token=token)["numbers"]
    for international, bacs in zip(numbers["international"], numbers["bacs"], strict=True):
        assert iban.validate(international["iban"])
        assert international["iban"].endswith(bacs["sort_code"] + bacs["account"])
        assert bic.validate(international["bic"]) and international["bic"][4:6] == "GB"
