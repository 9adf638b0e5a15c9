"""``/identity/match``: the owner's scores against the app's user, in Plaid's shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PlaidClient


def _owner(plaid: PlaidClient, token: str) -> dict[str, Any]:
    owner: dict[str, Any] = plaid.ok("/identity/get", access_token=token)["accounts"][0]["owners"][
        0
    ]
    return owner


def test_identity_match_with_the_owners_own_data_scores_100(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    owner = _owner(plaid, token)
    user = {
        "legal_name": owner["names"][0],
        "phone_number": owner["phone_numbers"][0]["data"],
        "email_address": owner["emails"][0]["data"],
        "address": owner["addresses"][0]["data"],
    }
    body = plaid.ok("/identity/match", access_token=token, user=user)
    assert len(body["accounts"]) == 12 and body["item"]["item_id"]
    for account in body["accounts"]:
        assert account["legal_name"]["score"] == 100
        assert account["legal_name"]["is_first_name_or_last_name_match"] is True
        assert account["phone_number"] == {"score": 100}
        assert account["email_address"] == {"score": 100}
        assert account["address"] == {"score": 100, "is_postal_code_match": True}
        assert set(account["balances"].values()) == {None}  # as Plaid's sample: no currency


def test_identity_match_partial_user_scores_only_what_was_sent(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    owner = _owner(plaid, token)
    last = owner["names"][0].split()[-1]
    body = plaid.ok(
        "/identity/match",
        access_token=token,
        user={"legal_name": f"Someone {last}"},
        options={
            "account_ids": [
                plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
            ]
        },
    )
    (account,) = body["accounts"]
    assert 50 <= account["legal_name"]["score"] <= 69  # a likely relative
    assert account["phone_number"] == {"score": None}
    assert account["address"] == {"score": None, "is_postal_code_match": None}


def test_identity_match_is_deterministic(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    user = {"legal_name": "Jane Q Doe", "email_address": "jane@example.com"}
    first = plaid.ok("/identity/match", access_token=token, user=user)["accounts"]
    again = plaid.ok("/identity/match", access_token=token, user=user)["accounts"]
    assert first == again


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "MISSING_FIELDS", "access_token"),
        ({"access_token": "access-sandbox-nope"}, "INVALID_ACCESS_TOKEN", None),
        ({"user": {"phone_number": "call me"}}, "INVALID_FIELD", "user.phone_number"),
        ({"user": {"phone_number": "+11112223333\n"}}, "INVALID_FIELD", "user.phone_number"),
        ({"user": {"email_address": "not-an-email"}}, "INVALID_FIELD", "user.email_address"),
        ({"user": {"nickname": "x"}}, "UNKNOWN_FIELDS", "user.nickname"),
        ({"options": {"account_ids": ["nope"]}}, "INVALID_ACCOUNT_ID", None),
    ],
)
def test_identity_match_bad_input_is_a_plaid_error_naming_the_field(
    plaid: PlaidClient, body: dict[str, Any], code: str, field: str | None
) -> None:
    if "access_token" not in body and code != "MISSING_FIELDS":
        body = {"access_token": plaid.link_item(), **body}
    error = plaid.error("/identity/match", **body)
    assert error["error_code"] == code and error["http_status"] == 400
    if field:
        assert field in error["error_message"]


def test_identity_match_scores_plaids_documented_user_good_values(plaid: PlaidClient) -> None:
    """Plaid's docs match against user_good's owner: Alberta Bobbeth Charleson of Malakoff."""
    token = plaid.link_item()
    user = {
        "legal_name": "Alberta Charleson",
        "phone_number": "+11112223333",
        "email_address": "accountholder0@example.com",
        "address": {
            "street": "2992 Cameron Rd.",
            "city": "Malakoff",
            "region": "NY",
            "postal_code": "14236",
            "country": "US",
        },
    }
    (account, *_) = plaid.ok("/identity/match", access_token=token, user=user)["accounts"]
    assert 85 <= account["legal_name"]["score"] < 100
    assert account["phone_number"]["score"] == 100
    assert account["email_address"]["score"] == 100
    assert account["address"] == {"score": 100, "is_postal_code_match": True}


def test_user_good_owner_elsewhere_is_a_local_identity(plaid: PlaidClient) -> None:
    owner = _owner(plaid, plaid.link_item("ins_117650"))
    assert owner["addresses"][0]["data"]["country"] == "GB"
    assert owner["names"] != ["Alberta Bobbeth Charleson"]
