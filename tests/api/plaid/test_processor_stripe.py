"""``/processor/stripe/bank_account_token/create``: a Stripe token per account, read as Auth."""

from __future__ import annotations

import re

from tests.conftest import PlaidClient

PATH = "/processor/stripe/bank_account_token/create"


def _accounts(plaid: PlaidClient, access: str) -> dict[str, str]:
    """The item's account ids by mask."""
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    return {a["mask"]: a["account_id"] for a in accounts}


def test_token_is_a_btok_stable_per_account_and_distinct_between_accounts(
    plaid: PlaidClient,
) -> None:
    access = plaid.link_item("ins_109508", products=("auth",))
    ids = _accounts(plaid, access)
    checking = plaid.ok(PATH, access_token=access, account_id=ids["0000"])
    assert re.fullmatch(r"btok_[A-Za-z0-9]{24}", checking["stripe_bank_account_token"])
    assert checking["request_id"]
    again = plaid.ok(PATH, access_token=access, account_id=ids["0000"])
    assert again["stripe_bank_account_token"] == checking["stripe_bank_account_token"]
    savings = plaid.ok(PATH, access_token=access, account_id=ids["1111"])
    assert savings["stripe_bank_account_token"] != checking["stripe_bank_account_token"]


def test_another_item_of_the_same_user_gets_another_token(plaid: PlaidClient) -> None:
    tokens = set()
    for _ in range(2):
        access = plaid.link_item("ins_109508", products=("auth",))
        tokens.add(
            plaid.ok(PATH, access_token=access, account_id=_accounts(plaid, access)["0000"])[
                "stripe_bank_account_token"
            ]
        )
    assert len(tokens) == 2


def test_token_bills_auth_on_a_transactions_item(plaid: PlaidClient) -> None:
    access = plaid.link_item("ins_109508", products=("transactions",))
    plaid.ok(PATH, access_token=access, account_id=_accounts(plaid, access)["0000"])
    assert "auth" in plaid.ok("/item/get", access_token=access)["item"]["billed_products"]


def test_a_card_is_no_auth_accounts(plaid: PlaidClient) -> None:
    access = plaid.link_item("ins_109508", products=("auth",))
    error = plaid.error(PATH, access_token=access, account_id=_accounts(plaid, access)["3333"])
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "NO_AUTH_ACCOUNTS")


def test_a_non_us_bank_is_products_not_supported(plaid: PlaidClient) -> None:
    access = plaid.link_item("ins_43", products=("auth",))
    account = next(iter(_accounts(plaid, access).values()))
    error = plaid.error(PATH, access_token=access, account_id=account)
    assert error["error_code"] == "PRODUCTS_NOT_SUPPORTED" and "US" in error["error_message"]


def test_a_pending_micro_deposit_is_product_not_ready(plaid: PlaidClient) -> None:
    access = plaid.link_item(
        "ins_109508", products=("auth",), override_password="microdeposits_good"
    )
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    pending = next(a["account_id"] for a in accounts if a.get("verification_status"))
    assert plaid.error(PATH, access_token=access, account_id=pending)["error_code"] == (
        "PRODUCT_NOT_READY"
    )


def test_bad_input_names_the_field(plaid: PlaidClient) -> None:
    access = plaid.link_item("ins_109508", products=("auth",))
    missing = plaid.error(PATH, access_token=access)
    assert missing["error_code"] == "MISSING_FIELDS" and "account_id" in missing["error_message"]
    wrong_type = plaid.error(PATH, access_token=access, account_id=7)
    assert (
        wrong_type["error_code"] == "INVALID_FIELD" and "account_id" in wrong_type["error_message"]
    )
    unknown = plaid.error(PATH, access_token=access, account_id="nope")
    assert unknown["error_code"] == "INVALID_ACCOUNT_ID"
    stranger = plaid.error(PATH, access_token=f"{access}-x", account_id="nope")
    assert stranger["error_code"] == "INVALID_ACCESS_TOKEN"


def test_a_removed_item_gives_no_more_tokens(plaid: PlaidClient) -> None:
    access = plaid.link_item("ins_109508", products=("auth",))
    account = _accounts(plaid, access)["0000"]
    plaid.ok("/item/remove", access_token=access)
    assert plaid.error(PATH, access_token=access, account_id=account)["error_code"] == (
        "ITEM_NOT_FOUND"
    )
