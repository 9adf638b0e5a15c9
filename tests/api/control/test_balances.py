"""``GET /control/items/<item_id>/balances``: daily snapshots that reconcile with transactions."""

from __future__ import annotations

import itertools

from tests.conftest import PlaidClient


def _get(plaid: PlaidClient, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = plaid.client.get(
        path, headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    )
    return response.status_code, response.get_json()


def test_balances_end_at_current_and_move_by_the_posted_transactions(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    status, body = _get(plaid, f"/control/items/{item_id}/balances?start=2026-02-01")
    assert status == 200
    accounts = {
        a["account_id"]: a for a in plaid.ok("/accounts/get", access_token=token)["accounts"]
    }
    txns = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2026-02-01",
        end_date="2026-03-16",
        options={"count": 500},
    )["transactions"]
    for series in body["accounts"]:
        points = series["balances"]
        assert points[-1]["date"] == "2026-03-16"
        assert points[-1]["current"] == accounts[series["account_id"]]["balances"]["current"]
        if series["type"] != "depository":
            continue
        for before, after in itertools.pairwise(points):
            flow = sum(
                t["amount"]
                for t in txns
                if t["account_id"] == series["account_id"]
                and not t["pending"]
                and t["date"] == after["date"]
            )
            assert round(before["current"] - flow, 2) == after["current"]


def test_balances_unknown_item_is_404_naming_the_field(plaid: PlaidClient) -> None:
    status, body = _get(plaid, "/control/items/nope/balances")
    assert status == 404 and body["error"]["field"] == "item_id"


def test_balances_bad_date_names_the_field(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    status, body = _get(plaid, f"/control/items/{item_id}/balances?start=March")
    assert status == 400 and body["error"]["field"] == "start"


def test_balances_ending_at_the_first_day_of_the_calendar_name_the_field(
    plaid: PlaidClient,
) -> None:
    """89 days before 0001-01-01 is no date: that was a 500; it ends before the history."""
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    status, body = _get(plaid, f"/control/items/{item_id}/balances?end=0001-01-01")
    assert status == 400 and body["error"]["field"] == "end", body


def test_balances_refuse_unknown_parameters_and_accounts_naming_them(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    status, body = _get(plaid, f"/control/items/{item_id}/balances?bogus=1")
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400,
        "UNKNOWN_FIELDS",
        "bogus",
    )
    status, body = _get(plaid, f"/control/items/{item_id}/balances?account_id=nope")
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400,
        "INVALID_ACCOUNT_ID",
        "account_id",
    )
    assert "nope" in body["error"]["message"]
