"""``/auth/verify``: Database Insights on numbers an app collected without Link, with the
verdicts and insights of the typed-number flow (docs/auth-verification.md)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sandbox.core.models import Item, Tenant
from sandbox.extensions import db
from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.api.plaid.helpers import items_stored
from tests.conftest import PlaidClient

VERIFY = "/auth/verify"
ROUTING = "021000021"  # any routing number that passes the ABA check
KNOWN, PLAUSIBLE = "1111222233331111", "1111222233333333"


def _verify(plaid: PlaidClient, account: str, routing: str = ROUTING, **extra: Any) -> Any:
    reply = plaid.ok(VERIFY, numbers={"ach": {"account": account, "routing": routing}}, **extra)
    assert openapi_errors(VERIFY, reply) == []
    sdk_deserialize(VERIFY, reply)
    return reply


def _item(plaid: PlaidClient, item_id: str) -> Item:
    """The tenant's item ``item_id`` (ids are per tenant: the seed makes them)."""
    query = select(Item).join(Tenant).where(Tenant.client_id == plaid.client_id)
    item = db.session.scalar(query.where(Item.id == item_id))
    assert item is not None
    return item


def test_known_numbers_pass_and_make_an_auth_only_item(plaid: PlaidClient) -> None:
    reply = _verify(plaid, KNOWN, legal_name="John Smith")
    assert reply["verification_status"] == "database_insights_pass"
    assert reply["verification_insights"] == {
        "name_match_score": 100,
        "network_status": {"has_numbers_match": True, "is_numbers_match_verified": True},
        "previous_returns": {"has_previous_administrative_return": False},
        "account_number_format": "valid",
    }
    item = _item(plaid, reply["item_id"])
    assert item.products == ["auth"] and item.institution_id == "ins_109508"
    (account,) = item.accounts
    assert (account.subtype, account.verification_status, account.auth_method) == (
        "checking",
        "database_insights_pass",
        "DATABASE_INSIGHTS",
    )
    assert account.verification_name == "John Smith"


def test_another_name_on_known_numbers_scores_zero_and_no_name_scores_null(
    plaid: PlaidClient,
) -> None:
    other = _verify(plaid, KNOWN, legal_name="Jane Doe")["verification_insights"]
    assert other["name_match_score"] == 0
    nameless = _verify(plaid, KNOWN, legal_name=None)["verification_insights"]
    assert nameless["name_match_score"] is None


def test_plausible_numbers_pass_with_caution(plaid: PlaidClient) -> None:
    reply = _verify(plaid, PLAUSIBLE, legal_name="John Smith")
    assert reply["verification_status"] == "database_insights_pass_with_caution"
    insights = reply["verification_insights"]
    assert insights["network_status"]["has_numbers_match"] is False
    assert (insights["name_match_score"], insights["account_number_format"]) == (None, "valid")
    assert _item(plaid, reply["item_id"]).accounts[0].verification_status == (
        "database_insights_pass_with_caution"
    )


def test_unknown_numbers_fail_but_make_an_item(plaid: PlaidClient) -> None:
    reply = _verify(plaid, "987654321")
    assert reply["verification_status"] == "database_insights_fail"
    assert reply["verification_insights"]["account_number_format"] == "invalid"
    (account,) = _item(plaid, reply["item_id"]).accounts
    assert account.verification_status == "database_insights_fail"


def test_routing_number_failing_the_aba_check_fails_without_an_item(plaid: PlaidClient) -> None:
    before = items_stored(plaid)
    reply = _verify(plaid, KNOWN, routing="123456789")
    assert (reply["item_id"], reply["verification_status"]) == (None, "database_insights_fail")
    assert reply["verification_insights"]["network_status"]["has_numbers_match"] is False
    assert items_stored(plaid) == before


@pytest.mark.parametrize(
    ("ach", "extra", "field"),
    [
        ({"account": KNOWN, "routing": "12345"}, {}, "numbers.ach.routing"),
        ({"account": KNOWN, "routing": "02100002x"}, {}, "numbers.ach.routing"),
        ({"account": "123", "routing": ROUTING}, {}, "numbers.ach.account"),
        ({"account": "1" * 18, "routing": ROUTING}, {}, "numbers.ach.account"),
        ({"account": KNOWN, "routing": ROUTING}, {"legal_name": "J" * 101}, "legal_name"),
        ({"account": KNOWN, "routing": 21000021}, {}, "numbers.ach.routing"),
    ],
)
def test_malformed_input_is_invalid_field_naming_it_and_makes_no_item(
    plaid: PlaidClient, ach: dict[str, Any], extra: dict[str, Any], field: str
) -> None:
    before = items_stored(plaid)
    error = plaid.error(VERIFY, numbers={"ach": ach}, **extra)
    assert (error["http_status"], error["error_type"], error["error_code"]) == (
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    assert field in error["error_message"]
    assert items_stored(plaid) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "numbers"),
        ({"numbers": {}}, "numbers.ach"),
        ({"numbers": {"ach": {"account": KNOWN}}}, "numbers.ach.routing"),
    ],
)
def test_missing_fields_are_named(plaid: PlaidClient, body: dict[str, Any], field: str) -> None:
    error = plaid.error(VERIFY, **body)
    assert error["error_code"] == "MISSING_FIELDS" and field in error["error_message"]


def test_unknown_field_is_refused(plaid: PlaidClient) -> None:
    error = plaid.error(
        VERIFY, numbers={"ach": {"account": KNOWN, "routing": ROUTING, "wire": "x"}}
    )
    assert error["error_code"] == "UNKNOWN_FIELDS" and "numbers.ach.wire" in error["error_message"]
