"""Accounts, balances, auth numbers per country, and identity."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.plaid.helpers import custom_link
from tests.conftest import PlaidClient

USER_GOOD_MASKS = [
    "0000",
    "1111",
    "2222",
    "3333",
    "4444",
    "5555",
    "6666",
    "7777",
    "8888",
    "9001",
    "9002",
    "9999",
]


def test_accounts_get_user_good_returns_twelve_accounts_with_balances(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    body = plaid.ok("/accounts/get", access_token=token)
    assert [a["mask"] for a in body["accounts"]] == USER_GOOD_MASKS
    checking = body["accounts"][0]
    assert (checking["name"], checking["type"], checking["subtype"]) == (
        "Plaid Checking",
        "depository",
        "checking",
    )
    for account in body["accounts"]:
        assert len(account["account_id"]) == 37
        balances = account["balances"]
        assert set(balances) >= {
            "available",
            "current",
            "limit",
            "iso_currency_code",
            "unofficial_currency_code",
        }
        assert balances["iso_currency_code"] == "USD"
    card = next(a for a in body["accounts"] if a["subtype"] == "credit card")
    assert card["balances"]["current"] > 0
    assert card["balances"]["limit"] == 2000
    assert body["item"]["institution_id"] == "ins_109508"


def test_accounts_balance_get_matches_accounts_get(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    cached = plaid.ok("/accounts/get", access_token=token)["accounts"]
    live = plaid.ok("/accounts/balance/get", access_token=token)["accounts"]
    assert [(a["account_id"], a["balances"]) for a in live] == [
        (a["account_id"], a["balances"]) for a in cached
    ]


CAPITAL_ONE = "ins_128026"
AFTER_NOW = "2026-03-16T15:31:00Z"  # a minute after the tests' frozen clock


def _card_at_capital_one(plaid: PlaidClient) -> tuple[str, str]:
    """(access token, credit card's account id) of user_good at Capital One."""
    token = plaid.link_item(CAPITAL_ONE)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    return token, next(a["account_id"] for a in accounts if a["subtype"] == "credit card")


def _assert_out_of_range(error: dict[str, Any], account_id: str) -> None:
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "INVALID_RESULT",
        "LAST_UPDATED_DATETIME_OUT_OF_RANGE",
        400,
    )
    assert error["error_message"] == (
        "options.min_last_updated_datetime is after the latest balance of account "
        f"{account_id}, updated 2026-03-16T15:30:00Z"
    )
    assert error["documentation_url"] == (
        "https://plaid.com/docs/errors/invalid-result/#last_updated_datetime_out_of_range"
    )


def test_balance_newer_than_now_of_a_capital_one_card_is_last_updated_datetime_out_of_range(
    plaid: PlaidClient,
) -> None:
    """Plaid reads Capital One's non-depository balances cached, so a live read there asking
    for one updated after now has none; the error says when it was updated (now, in the
    sandbox), and a moment up to then is fresh enough."""
    token, card = _card_at_capital_one(plaid)
    error = plaid.error(
        "/accounts/balance/get",
        access_token=token,
        options={"min_last_updated_datetime": AFTER_NOW},
    )
    _assert_out_of_range(error, card)
    at_now = {"min_last_updated_datetime": "2026-03-16T16:30:00+01:00"}  # now, in another zone
    assert plaid.ok("/accounts/balance/get", access_token=token, options=at_now)["accounts"]


def test_processor_balance_newer_than_now_of_a_capital_one_card_is_out_of_range_too(
    plaid: PlaidClient,
) -> None:
    token, card = _card_at_capital_one(plaid)
    processor = plaid.ok(
        "/processor/token/create", access_token=token, account_id=card, processor="dwolla"
    )["processor_token"]
    error = plaid.error(
        "/processor/balance/get",
        processor_token=processor,
        options={"min_last_updated_datetime": AFTER_NOW},
    )
    _assert_out_of_range(error, card)


def test_balance_freshness_is_ignored_where_plaid_reads_balances_live(plaid: PlaidClient) -> None:
    """Plaid ignores ``min_last_updated_datetime`` at other banks and for Capital One's
    depository accounts, whose balances are real-time."""
    later = {"min_last_updated_datetime": "2030-01-01T00:00:00Z"}
    elsewhere = plaid.link_item()
    assert plaid.ok("/accounts/balance/get", access_token=elsewhere, options=later)["accounts"]
    token, _ = _card_at_capital_one(plaid)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    depository = [a["account_id"] for a in accounts if a["type"] == "depository"]
    options = {**later, "account_ids": depository}
    body = plaid.ok("/accounts/balance/get", access_token=token, options=options)
    assert [a["account_id"] for a in body["accounts"]] == depository


@pytest.mark.parametrize(
    "path", ["/accounts/get", "/accounts/balance/get", "/auth/get", "/identity/get"]
)
def test_accounts_options_account_ids_filters_to_those_accounts(
    plaid: PlaidClient, path: str
) -> None:
    token = plaid.link_item()
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    wanted = [accounts[1]["account_id"]]  # savings: eligible for auth too
    body = plaid.ok(path, access_token=token, options={"account_ids": wanted})
    assert [a["account_id"] for a in body["accounts"]] == wanted
    twice = plaid.ok(path, access_token=token, options={"account_ids": wanted * 2})
    assert [a["account_id"] for a in twice["accounts"]] == wanted, "an id named twice, once"


@pytest.mark.parametrize(
    "path", ["/accounts/get", "/accounts/balance/get", "/auth/get", "/identity/get"]
)
def test_accounts_options_foreign_account_id_is_invalid_account_id(
    plaid: PlaidClient, path: str
) -> None:
    token = plaid.link_item()
    other = plaid.link_item(institution_id="ins_109509")
    foreign = plaid.ok("/accounts/get", access_token=other)["accounts"][0]["account_id"]
    error = plaid.error(path, access_token=token, options={"account_ids": [foreign]})
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_ACCOUNT_ID")
    assert error["http_status"] == 400


def test_accounts_get_unknown_access_token_is_invalid_access_token(plaid: PlaidClient) -> None:
    error = plaid.error("/accounts/get", access_token="access-sandbox-not-a-token")
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_ACCESS_TOKEN")


def test_auth_get_us_bank_returns_ach_numbers_for_checking_and_savings(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("auth",))
    body = plaid.ok("/auth/get", access_token=token)
    assert {a["subtype"] for a in body["accounts"]} <= {"checking", "savings", "cash management"}
    numbers = body["numbers"]
    assert set(numbers) == {"ach", "eft", "international", "bacs"}
    assert numbers["eft"] == numbers["international"] == numbers["bacs"] == []
    assert {n["account_id"] for n in numbers["ach"]} == {a["account_id"] for a in body["accounts"]}
    for number in numbers["ach"]:
        assert re.fullmatch(r"\d{9}", number["routing"])
        assert re.fullmatch(r"\d{4,17}", number["account"])
        assert "wire_routing" in number


def test_auth_get_canadian_bank_returns_eft_numbers(plaid: PlaidClient) -> None:
    token = plaid.link_item(institution_id="ins_43")
    numbers = plaid.ok("/auth/get", access_token=token)["numbers"]
    assert numbers["ach"] == numbers["bacs"] == numbers["international"] == []
    assert numbers["eft"]
    for number in numbers["eft"]:
        assert re.fullmatch(r"\d{3}", number["institution"])
        assert re.fullmatch(r"\d{5}", number["branch"])
        assert number["account"]


def test_auth_get_uk_bank_returns_bacs_and_iban(plaid: PlaidClient) -> None:
    token = plaid.link_item(institution_id="ins_117650")
    numbers = plaid.ok("/auth/get", access_token=token)["numbers"]
    assert numbers["ach"] == numbers["eft"] == []
    assert numbers["bacs"] and numbers["international"]
    for bacs in numbers["bacs"]:
        assert re.fullmatch(r"\d{6}", bacs["sort_code"])
        assert re.fullmatch(r"\d{8}", bacs["account"])
    for international in numbers["international"]:
        assert international["iban"].startswith("GB")
        assert 8 <= len(international["bic"]) <= 11


def test_auth_get_only_credit_accounts_selected_is_no_auth_accounts(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    card = next(a["account_id"] for a in accounts if a["subtype"] == "credit card")
    error = plaid.error("/auth/get", access_token=token, options={"account_ids": [card]})
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "NO_AUTH_ACCOUNTS")


def test_auth_get_custom_user_without_depository_is_no_auth_accounts(plaid: PlaidClient) -> None:
    password = json.dumps(
        {
            "override_accounts": [
                {"type": "credit", "subtype": "credit card", "starting_balance": 250}
            ]
        }
    )
    token = plaid.link_item(override_username="user_custom", override_password=password)
    error = plaid.error("/auth/get", access_token=token)
    assert error["error_code"] == "NO_AUTH_ACCOUNTS"


def test_custom_accounts_show_the_available_balance_of_their_type(plaid: PlaidClient) -> None:
    """A card's available is its limit less what is owed, a loan has none; the balance was
    shown as available for every type (a card owing 300 had 300 to spend)."""
    recipes = [
        {"type": "credit", "subtype": "credit card", "starting_balance": 300},
        {
            "type": "credit",
            "subtype": "credit card",
            "starting_balance": 300,
            "meta": {"limit": 1000},
        },
        {"type": "loan", "subtype": "student", "starting_balance": 10000},
        {"type": "depository", "subtype": "checking", "starting_balance": 50},
        {"type": "loan", "subtype": "student", "starting_balance": 9, "force_available_balance": 7},
    ]
    password = json.dumps({"override_accounts": recipes})
    token = plaid.link_item(override_username="user_custom", override_password=password)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    shown = [(a["balances"]["available"], a["balances"]["limit"]) for a in accounts]
    assert shown == [(None, None), (700, 1000), (None, None), (50, None), (7, None)]


def test_auth_get_adds_auth_to_billed_products(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions",))
    plaid.ok("/auth/get", access_token=token)
    assert "auth" in plaid.ok("/item/get", access_token=token)["item"]["billed_products"]


def test_identity_get_returns_owners_on_every_account(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("identity",))
    accounts = plaid.ok("/identity/get", access_token=token)["accounts"]
    assert len(accounts) == 12
    for account in accounts:
        owner = account["owners"][0]
        assert owner["names"] and all(isinstance(n, str) and n for n in owner["names"])
        assert any(e["primary"] for e in owner["emails"])
        assert all("@" in e["data"] for e in owner["emails"])
        assert owner["phone_numbers"][0]["type"] in {
            "home",
            "work",
            "office",
            "mobile",
            "mobile1",
            "other",
        }
        address = owner["addresses"][0]["data"]
        assert set(address) >= {"street", "city", "region", "postal_code", "country"}
        assert address["country"] == "US"


@pytest.mark.parametrize(
    ("note", "named"),
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("1e999", "1e999"),
        ('"a\\u0000b"', "override_accounts[0].transactions[0].note must not contain NUL"),
        ('"a\\udc00b"', "transactions[0].note must not contain unpaired surrogates"),
    ],
)
def test_custom_user_with_values_no_column_stores_is_invalid_credentials(
    plaid: PlaidClient, note: str, named: str
) -> None:
    """Python's parser takes these; on PostgreSQL the item's columns refused them when it was
    stored (a 500), and SQLite stored them. Both databases now refuse them at the link."""
    password = (
        '{"override_accounts": [{"transactions": [{"date_transacted": "2026-01-01", '
        f'"date_posted": "2026-01-02", "amount": 1, "description": "x", "note": {note}}}]}}]}}'
    )
    reply = custom_link(plaid, password)
    error = reply.get_json()
    assert reply.status_code == 400, error
    assert error["error_code"] == "INVALID_CREDENTIALS"
    assert named in error["error_message"]


def test_custom_user_account_name_with_nul_is_invalid_credentials(plaid: PlaidClient) -> None:
    """A NUL in an account's name reached a text column: PostgreSQL refused it with a 500."""
    password = '{"override_accounts": [{"type": "depository", "meta": {"name": "a\\u0000b"}}]}'
    reply = custom_link(plaid, password)
    error = reply.get_json()
    assert reply.status_code == 400, error
    assert error["error_code"] == "INVALID_CREDENTIALS"
    assert "override_accounts[0].meta.name must not contain NUL" in error["error_message"]
