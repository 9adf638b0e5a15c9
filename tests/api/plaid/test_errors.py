"""Request errors: bad bodies, paths, keys, fields and types, and a fuzz test for 500s."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.plaid.test_contract import ITEM_ENDPOINTS, OTHER_ENDPOINTS
from tests.conftest import PlaidClient

ERROR_KEYS = {"error_type", "error_code", "error_message", "display_message", "request_id"}


def _assert_plaid_error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()
    assert body is not None, response.data[:200]
    assert set(body) >= ERROR_KEYS, body
    assert len(body["request_id"]) == 15
    return body


def test_accounts_get_unparseable_json_is_invalid_body(plaid: PlaidClient) -> None:
    response = plaid.client.post(
        "/accounts/get",
        data=b'{"access_token": ',
        content_type="application/json",
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    assert response.status_code == 400
    body = _assert_plaid_error(response)
    assert (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", "INVALID_BODY")


def test_accounts_get_body_without_content_type_is_invalid_headers(plaid: PlaidClient) -> None:
    response = plaid.client.post(
        "/accounts/get",
        data=b'{"access_token": "access-sandbox-x"}',
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    assert response.status_code == 400
    body = _assert_plaid_error(response)
    assert (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", "INVALID_HEADERS")
    assert "Content-Type" in body["error_message"]


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"42"])
def test_accounts_get_non_object_json_is_invalid_body(plaid: PlaidClient, payload: bytes) -> None:
    response = plaid.client.post("/accounts/get", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert _assert_plaid_error(response)["error_code"] == "INVALID_BODY"


@pytest.mark.parametrize("path", ["/no/such/endpoint", "/accounts/get/extra", "/transactions"])
def test_unknown_path_is_404_not_found_json(plaid: PlaidClient, path: str) -> None:
    response = plaid.post(path)
    assert response.status_code == 404
    body = _assert_plaid_error(response)
    assert (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", "NOT_FOUND")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"PLAID-CLIENT-ID": "nobody"},
        {"PLAID-CLIENT-ID": "nobody", "PLAID-SECRET": "nothing"},
    ],
)
def test_accounts_get_missing_or_unknown_keys_is_invalid_api_keys(
    plaid: PlaidClient, headers: dict[str, str]
) -> None:
    response = plaid.client.post("/accounts/get", json={"access_token": "x"}, headers=headers)
    assert response.status_code == 400
    body = _assert_plaid_error(response)
    assert (body["error_type"], body["error_code"]) == ("INVALID_INPUT", "INVALID_API_KEYS")


def test_accounts_get_wrong_secret_is_invalid_api_keys(plaid: PlaidClient) -> None:
    response = plaid.client.post(
        "/accounts/get",
        json={"access_token": "x"},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret + "x"},
    )
    assert _assert_plaid_error(response)["error_code"] == "INVALID_API_KEYS"


def test_wrong_secret_is_invalid_api_keys_even_with_a_live_access_token(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()  # the tenant and the token's item are read in one statement
    response = plaid.client.post(
        "/accounts/balance/get",
        json={"access_token": token},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret + "x"},
    )
    assert _assert_plaid_error(response)["error_code"] == "INVALID_API_KEYS"


def test_access_token_of_another_tenant_is_invalid_access_token(
    app: Any, plaid: PlaidClient
) -> None:
    from sandbox.core import tenants
    from sandbox.extensions import db

    token = plaid.link_item()
    _, keys = tenants.create(db.session, "other", 7)
    db.session.commit()
    other = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    assert other.error("/accounts/balance/get", access_token=token)["error_code"] == (
        "INVALID_ACCESS_TOKEN"
    )
    assert plaid.ok("/accounts/balance/get", access_token=token)["accounts"]


def test_accounts_get_keys_in_body_work_like_headers(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    response = plaid.client.post(
        "/accounts/get",
        json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": token},
    )
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["accounts"]) == 12


def test_accounts_get_unknown_field_is_unknown_fields_naming_it(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error("/accounts/get", access_token=token, acess_tokne="typo")
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "UNKNOWN_FIELDS")
    assert "acess_tokne" in error["error_message"]


def test_transactions_sync_unknown_nested_option_is_unknown_fields(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error("/transactions/sync", access_token=token, options={"colour": "red"})
    assert error["error_code"] == "UNKNOWN_FIELDS" and "options.colour" in error["error_message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/transactions/sync", {"count": "ten"}, "count"),
        ("/transactions/sync", {"cursor": 5}, "cursor"),
        ("/accounts/get", {"options": {"account_ids": "one"}}, "options.account_ids"),
        ("/accounts/get", {"options": []}, "options"),
        ("/transactions/get", {"start_date": 20260101, "end_date": "2026-02-01"}, "start_date"),
        ("/institutions/get", {"count": 1.5, "offset": 0, "country_codes": ["US"]}, "count"),
        (
            "/institutions/get_by_id",
            {"institution_id": ["ins_1"], "country_codes": ["US"]},
            "institution_id",
        ),
        # Booleans are JSON true or false: marshmallow's Boolean took "true", "yes", 1 and 0.
        (
            "/institutions/get_by_id",
            {
                "institution_id": "ins_109508",
                "country_codes": ["US"],
                "options": {"include_optional_metadata": "yes"},
            },
            "options.include_optional_metadata",
        ),
        (
            "/transactions/get",
            {
                "start_date": "2026-01-01",
                "end_date": "2026-02-01",
                "options": {"include_original_description": 1},
            },
            "options.include_original_description",
        ),
        # Fields the sandbox does not act on still have the type Plaid's document gives.
        (
            "/transactions/sync",
            {"options": {"include_personal_finance_category": "yes"}},
            "options.include_personal_finance_category",
        ),
        (
            "/transactions/recurring/get",
            {"options": {"include_personal_finance_category": []}},
            "options.include_personal_finance_category",
        ),
        (
            "/institutions/search",
            {"query": "bank", "country_codes": ["US"], "options": {"payment_initiation": "p"}},
            "options.payment_initiation",
        ),
        (
            "/sandbox/public_token/create",
            {
                "institution_id": "ins_109508",
                "initial_products": ["statements"],
                "options": {"statements": {"start_date": "bad", "end_date": "2026-01-01"}},
            },
            "options.statements.start_date",
        ),
        (
            "/sandbox/public_token/create",
            {
                "institution_id": "ins_109508",
                "initial_products": ["transactions"],
                "options": {"income_verification": {"income_source_types": ["salary"]}},
            },
            "options.income_verification.income_source_types[0]",
        ),
        (
            "/sandbox/public_token/create",
            {"institution_id": "ins_109508", "initial_products": ["transactions"], "user_id": 1},
            "user_id",
        ),
    ],
)
def test_endpoint_wrong_type_is_invalid_field_naming_it(
    plaid: PlaidClient, path: str, body: dict[str, Any], field: str
) -> None:
    if path not in (
        "/institutions/get",
        "/institutions/get_by_id",
        "/institutions/search",
        "/sandbox/public_token/create",
    ):
        body = {"access_token": plaid.link_item(), **body}
    error = plaid.error(path, **body)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(field)
    assert error["http_status"] == 400


def test_accounts_get_missing_access_token_is_missing_fields(plaid: PlaidClient) -> None:
    error = plaid.error("/accounts/get")
    assert error["error_code"] == "MISSING_FIELDS" and "access_token" in error["error_message"]


# -- fuzz ---------------------------------------------------------------------------------------

ENDPOINTS = sorted(ITEM_ENDPOINTS | OTHER_ENDPOINTS)
FIELD_NAMES = sorted(
    {
        "access_token",
        "cursor",
        "count",
        "offset",
        "options",
        "start_date",
        "end_date",
        "institution_id",
        "country_codes",
        "query",
        "products",
        "initial_products",
        "link_token",
        "public_token",
        "key_id",
        "webhook",
        "transactions",
        "account_ids",
        "account_id",
        "client_name",
        "language",
        "user",
        "hosted_link",
        "redirect_uri",
        "user_auth",
        "override_username",
        "override_password",
        "include_optional_metadata",
        "client_id",
    }
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "now", "2026-03-01", "US", "transactions", "ins_109508"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
BODIES = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), JSON, max_size=5)


@pytest.fixture
def fuzz_token(plaid: PlaidClient) -> str:
    """A real access token, so fuzzed bodies also get past authentication of the item."""
    return plaid.link_item(products=("transactions", "auth"))


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(ENDPOINTS), body=BODIES | JSON, use_token=st.booleans())
def test_every_endpoint_random_json_body_is_never_a_500(
    plaid: PlaidClient, fuzz_token: str, path: str, body: Any, use_token: bool
) -> None:
    if use_token and isinstance(body, dict):
        body = {**body, "access_token": fuzz_token}
    response = plaid.client.post(
        path, json=body, headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    )
    assert response.status_code < 500, (path, body, response.get_json())
    if response.status_code >= 400:
        error = _assert_plaid_error(response)
        assert error["error_type"] != "API_ERROR", (path, body, error)


def test_accounts_get_nul_character_in_body_is_invalid_body(plaid: PlaidClient) -> None:
    error = plaid.error("/accounts/get", access_token="access-\x00-token")
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_BODY")


def test_accounts_get_non_string_client_id_in_body_is_invalid_api_keys(plaid: PlaidClient) -> None:
    response = plaid.client.post(
        "/accounts/get", json={"client_id": [None], "secret": 5, "access_token": "x"}
    )
    assert response.status_code == 400
    assert _assert_plaid_error(response)["error_code"] == "INVALID_API_KEYS"
