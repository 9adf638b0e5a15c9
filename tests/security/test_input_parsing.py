"""Every hostile input gets the provider's error naming the field, never a 500.

One test per property, through Flask's test client, on SQLite and PostgreSQL. The
central layer is ``sandbox/inputs.py``; each assertion would fail if it were removed.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from sandbox.core import tenants
from tests.conftest import PlaidClient

JSON = "application/json"


def plaid_raw(plaid: PlaidClient, path: str, data: bytes | str, **headers: str) -> Any:
    """POST raw bytes to a Plaid endpoint with the tenant's keys."""
    keys = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret, **headers}
    return plaid.client.post(path, data=data, content_type=JSON, headers=keys)


def assert_plaid_error(response: Any, code: str, field: str, status: int = 400) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", code)
    assert field in body["error_message"]


def assert_control_error(response: Any, code: str, field: str, status: int = 400) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert (body["error"]["code"], body["error"]["field"]) == (code, field)


def test_lone_surrogate_in_a_plaid_body_is_invalid_body_naming_the_field(
    plaid: PlaidClient,
) -> None:
    response = plaid_raw(plaid, "/accounts/get", b'{"access_token": "\\ud800"}')
    assert_plaid_error(response, "INVALID_BODY", "access_token")


def test_lone_surrogate_in_a_control_body_is_refused_in_the_control_format(app: Flask) -> None:
    response = app.test_client().post(
        "/control/tenants", data=b'{"name": "a\\udfffb"}', content_type=JSON
    )
    assert_control_error(response, "INVALID_BODY", "name")


def test_a_tenant_name_with_control_characters_is_refused_naming_it(app: Flask) -> None:
    """``bank-sandbox tenants list`` prints names to an operator's terminal: an escape sequence
    in a name anyone on loopback may create (``\x1b]0;…``) would run there."""
    response = app.test_client().post("/control/tenants", json={"name": "a\x1b]0;owned\x07b"})
    assert_control_error(response, "INVALID_FIELD", "name")


def test_json_nested_500_deep_is_invalid_body(plaid: PlaidClient) -> None:
    deep = b'{"access_token": "x", "options": ' + b"[" * 500 + b"]" * 500 + b"}"
    assert_plaid_error(plaid_raw(plaid, "/accounts/get", deep), "INVALID_BODY", "nested")


def test_json_deeper_than_the_decoder_can_go_is_invalid_body(plaid: PlaidClient) -> None:
    assert_plaid_error(plaid_raw(plaid, "/accounts/get", b"[" * 100_000), "INVALID_BODY", "body")


def test_nul_in_a_plaid_body_is_refused_before_the_database(plaid: PlaidClient) -> None:
    response = plaid_raw(plaid, "/item/get", b'{"access_token": "access-\\u0000"}')
    assert_plaid_error(response, "INVALID_BODY", "access_token")


def test_nul_on_an_unauthenticated_plaid_endpoint_is_refused(app: Flask) -> None:
    response = app.test_client().post("/categories/get", data=b'{"\\u0000": 1}', content_type=JSON)
    assert_plaid_error(response, "INVALID_BODY", "\\u0000")


@pytest.mark.parametrize(
    "path", ["/control/webhook-catcher/a%00b", "/control/webhook-catcher/ok?x=%00"]
)
def test_nul_in_the_path_or_query_of_the_open_catcher_is_refused(app: Flask, path: str) -> None:
    response = app.test_client().post(path, data=b"{}", content_type=JSON)
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error"]["message"]


def test_raw_nul_byte_in_a_catcher_body_is_refused(app: Flask) -> None:
    response = app.test_client().post("/control/webhook-catcher/ok", data=b"a\x00b")
    assert_control_error(response, "INVALID_BODY", "body")


def test_nul_in_a_form_field_is_a_400_page_naming_the_field(app: Flask) -> None:
    response = app.test_client().post("/dashboard/login", data={"client_id": "a\x00"})
    assert response.status_code == 400
    assert "client_id" in response.text and response.mimetype == "text/html"


def test_body_over_max_content_length_is_413_naming_the_body(plaid: PlaidClient) -> None:
    plaid.client.application.config["MAX_CONTENT_LENGTH"] = 1024
    response = plaid_raw(plaid, "/accounts/get", b'{"access_token": "' + b"x" * 2048 + b'"}')
    assert_plaid_error(response, "INVALID_BODY", "larger", status=413)


@pytest.mark.parametrize("seed", [b"1e30", b"1180591620717411303424", b"-1", b"1.5"])
def test_out_of_range_tenant_seed_is_invalid_field_seed(app: Flask, seed: bytes) -> None:
    response = app.test_client().post(
        "/control/tenants", data=b'{"seed": ' + seed + b"}", content_type=JSON
    )
    assert_control_error(response, "INVALID_FIELD", "seed")


def test_integer_beyond_64_bits_in_a_plaid_body_names_the_field(plaid: PlaidClient) -> None:
    response = plaid_raw(
        plaid, "/transactions/sync", b'{"access_token": "x", "count": 9' + b"9" * 30 + b"}"
    )
    assert_plaid_error(response, "INVALID_FIELD", "count")


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"1e400"])
def test_non_finite_numbers_are_invalid_body(plaid: PlaidClient, number: bytes) -> None:
    response = plaid_raw(
        plaid, "/transactions/sync", b'{"access_token": "x", "count": ' + number + b"}"
    )
    assert_plaid_error(response, "INVALID_BODY", "body")


def test_invalid_utf8_body_is_invalid_body(plaid: PlaidClient) -> None:
    assert_plaid_error(plaid_raw(plaid, "/accounts/get", b'{"a": "\xff"}'), "INVALID_BODY", "body")


def test_oversized_webhook_id_is_not_found_not_an_overflow(
    app: Flask, tenant_keys: tenants.Keys
) -> None:
    headers = {"PLAID-CLIENT-ID": tenant_keys.client_id, "PLAID-SECRET": tenant_keys.secret}
    response = app.test_client().get("/control/webhooks/" + "9" * 40, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "NOT_FOUND"  # the control API's envelope


def test_limited_purpose_types_of_the_depository_filter_are_accepted(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/link/token/create",
        client_name="app",
        language="en",
        country_codes=["US"],
        user={"client_user_id": "u"},
        products=["auth"],
        account_filters={
            "depository": {
                "account_subtypes": ["checking"],
                "limited_purpose_types": ["RENT_MORTGAGE"],
            }
        },
    )
    assert body["link_token"].startswith("link-sandbox-")


@pytest.mark.parametrize(
    "environ", [{"HTTP_X_ODD": "a\x00b"}, {"HTTP_X_\x00": "b"}], ids=["value", "name"]
)
def test_nul_in_a_header_is_refused_naming_the_header(app: Flask, environ: dict[str, str]) -> None:
    response = app.test_client().post(
        "/categories/get", data=b"{}", content_type=JSON, environ_overrides=environ
    )
    assert response.status_code == 400
    assert "X-" in response.get_json()["error_message"]
