"""Values that pass the body's JSON checks but would fail deeper, once they reach a column or
a query (each answered 500 on PostgreSQL, most on SQLite too): refused up front, naming the
field, on both databases."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.core import sync
from tests.api.plaid.helpers import custom_link
from tests.conftest import PlaidClient

TRANSACTION = {"date_transacted": "2026-01-01", "date_posted": "2026-01-02", "amount": 1}


@pytest.mark.parametrize(
    ("account", "field"),
    [
        ({"type": "d" * 40}, "override_accounts[0].type"),
        ({"meta": {"name": "n" * 200}}, "override_accounts[0].meta.name"),
        ({"currency": "XXXX"}, "override_accounts[0].currency"),
        ({"starting_balance": 1e300}, "override_accounts[0].starting_balance"),
        ({"starting_balance": -1e17}, "override_accounts[0].starting_balance"),
        ({"starting_balance": "100"}, "override_accounts[0].starting_balance"),
        (
            {"transactions": [{**TRANSACTION, "description": "x" * 201}]},
            "transactions[0].description",
        ),
        ({"transactions": [TRANSACTION]}, "override_accounts[0].transactions[0].description"),
        (
            {"transactions": [{**TRANSACTION, "description": "x", "date_posted": "soon"}]},
            "date_posted",
        ),
        ({"transactions": [{**TRANSACTION, "description": "x", "amount": 1e15}]}, "amount"),
    ],
)
def test_custom_user_values_no_column_holds_are_invalid_credentials(
    plaid: PlaidClient, account: dict[str, Any], field: str
) -> None:
    reply = custom_link(
        plaid, json.dumps({"override_accounts": [{"type": "depository", **account}]})
    )
    error = reply.get_json()
    assert reply.status_code == 400 and error["error_code"] == "INVALID_CREDENTIALS", error
    assert field in error["error_message"]


def test_custom_user_with_an_empty_configuration_has_an_owner(plaid: PlaidClient) -> None:
    """``{}`` is a custom user with the default account: its identity was a KeyError."""
    public = custom_link(plaid, json.dumps({})).get_json()["public_token"]
    token = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    accounts = plaid.ok("/identity/get", access_token=token)["accounts"]
    assert accounts and all(account["owners"][0]["names"] for account in accounts)


@pytest.mark.parametrize(("position", "snapshot"), [(0, 2**63), (2**63, None), (-(2**80), None)])
def test_a_made_up_sync_cursor_out_of_range_is_invalid_field(
    plaid: PlaidClient, position: int, snapshot: int | None
) -> None:
    """A cursor's tag binds it to its item, not to the server, so one can be made up: its
    numbers overflowed the database's integers (a 500 on both databases)."""
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    cursor = sync.encode(SimpleNamespace(id=item_id), sync.Cursor(position, snapshot))  # type: ignore[arg-type]
    error = plaid.error("/transactions/sync", access_token=token, cursor=cursor)
    assert (error["error_code"], error["http_status"]) == ("INVALID_FIELD", 400)
    assert "cursor" in error["error_message"]
