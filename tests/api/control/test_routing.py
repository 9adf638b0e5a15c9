"""Unknown paths and methods under ``/control`` answer in the control API's own envelope."""

from __future__ import annotations

import pytest

from tests.api.plaid.test_faults import control
from tests.conftest import PlaidClient


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/clock", "GET, HEAD, OPTIONS, POST"),
        ("DELETE", "/clock", "GET, HEAD, OPTIONS, POST"),
        ("GET", "/reset", "OPTIONS, POST"),
        ("GET", "/tenants", "OPTIONS, POST"),
        ("PUT", "/faults", None),
        ("POST", "/health", "GET, HEAD, OPTIONS"),
    ],
)
def test_a_method_the_path_does_not_take_is_405_with_allow(
    plaid: PlaidClient, method: str, path: str, allow: str | None
) -> None:
    response = control(plaid, method, path)
    assert response.status_code == 405
    assert set(response.get_json()["error"]) == {"code", "message", "field"}
    assert response.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    if allow is not None:
        assert response.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/faults/abc"),
        ("DELETE", "/faults/-1"),
        ("GET", "/webhooks/abc"),
        ("GET", "/webhooks/-1"),
        ("POST", "/webhooks/abc/redeliver"),
        ("GET", "/nope"),
    ],
)
def test_an_unknown_path_is_404_in_the_control_envelope(
    plaid: PlaidClient, method: str, path: str
) -> None:
    response = control(plaid, method, path)
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "NOT_FOUND",
        "message": "not found",
        "field": "path",
    }


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("DELETE", "/faults/999", "rule_id"),
        ("GET", "/items/nope/balances", "item_id"),
        ("GET", "/items/nope/statements", "item_id"),
        ("GET", "/items/nope/statements/s", "item_id"),
        ("GET", "/items/nope/accounts/a/export", "item_id"),
        ("PUT", "/institutions/ins_nope/health", "institution_id"),
        ("DELETE", "/institutions/ins_nope/health", "institution_id"),
    ],
)
def test_an_unknown_id_in_a_path_is_404_naming_it(
    plaid: PlaidClient, method: str, path: str, field: str
) -> None:
    """As the README promises for every id in a control path: these were 400 INVALID_FIELD,
    the answer to a bad field, while an unknown webhook id was already a 404."""
    response = control(plaid, method, path)
    assert response.status_code == 404, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", field)


def test_a_removed_items_path_is_404(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    plaid.ok("/item/remove", access_token=token)
    response = control(plaid, "GET", f"/items/{item_id}/balances")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "path",
    ["/reset", "/webhooks/deliver", "/webhooks/pause", "/webhooks/resume", "/webhook-keys/rotate"],
)
def test_an_action_without_fields_refuses_one_naming_it(plaid: PlaidClient, path: str) -> None:
    response = control(plaid, "POST", path, {"x": 1})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("UNKNOWN_FIELDS", "x")
    assert control(plaid, "POST", path, {}).status_code == 200
