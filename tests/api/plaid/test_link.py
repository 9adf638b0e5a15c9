"""Link tokens: /link/token/create validation and /link/token/get metadata."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PlaidClient


def _config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "client_name": "Test App",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "user-123"},
        "products": ["transactions"],
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def test_link_token_create_returns_token_and_timestamp_expiration(plaid: PlaidClient) -> None:
    body = plaid.ok("/link/token/create", **_config())
    assert body["link_token"].startswith("link-sandbox-")
    assert body["expiration"] == "2026-03-16T19:30:00Z"  # four hours
    assert "hosted_link_url" not in body


@pytest.mark.parametrize("field", ["client_name", "language", "country_codes"])
def test_link_token_create_missing_required_is_missing_fields(
    plaid: PlaidClient, field: str
) -> None:
    config = _config()
    del config[field]
    error = plaid.error("/link/token/create", **config)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "MISSING_FIELDS")
    assert field in error["error_message"]


def test_link_token_create_without_user_is_missing_fields(plaid: PlaidClient) -> None:
    error = plaid.error("/link/token/create", **_config(user=None))
    assert error["error_code"] == "MISSING_FIELDS" and "user" in error["error_message"]


def test_link_token_create_without_products_is_rejected_naming_products(plaid: PlaidClient) -> None:
    error = plaid.error("/link/token/create", **_config(products=None))
    assert error["error_type"] == "INVALID_REQUEST"
    assert "products" in error["error_message"]
    empty = plaid.error("/link/token/create", **_config(products=[]))
    assert "products" in empty["error_message"]


def test_link_token_create_update_mode_needs_no_products(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    body = plaid.ok("/link/token/create", **_config(products=None, access_token=token))
    assert body["expiration"] == "2026-03-16T16:00:00Z"  # thirty minutes


def test_link_token_create_update_mode_bad_token_is_invalid_access_token(
    plaid: PlaidClient,
) -> None:
    error = plaid.error(
        "/link/token/create", **_config(products=None, access_token="access-sandbox-nope")
    )
    assert error["error_code"] == "INVALID_ACCESS_TOKEN"


def test_link_token_create_balance_product_is_invalid_product(plaid: PlaidClient) -> None:
    error = plaid.error("/link/token/create", **_config(products=["transactions", "balance"]))
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_PRODUCT")
    assert "balance" in error["error_message"]


def test_link_token_create_unknown_product_is_invalid_field(plaid: PlaidClient) -> None:
    error = plaid.error("/link/token/create", **_config(products=["teleportation"]))
    assert error["error_code"] == "INVALID_FIELD" and "products" in error["error_message"]


@pytest.mark.parametrize(
    "uri", ["https://example.com/oauth", "http://localhost:3000/oauth", "http://127.0.0.1/cb"]
)
def test_link_token_create_redirect_uri_allowed(plaid: PlaidClient, uri: str) -> None:
    token = plaid.ok("/link/token/create", **_config(redirect_uri=uri))["link_token"]
    metadata = plaid.ok("/link/token/get", link_token=token)["metadata"]
    assert metadata["redirect_uri"] == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/oauth",
        "https://example.com/cb?x=1",
        "https://example.com/cb#frag",
        "https://*.example.com/cb",
        "ftp://example.com/cb",
    ],
)
def test_link_token_create_redirect_uri_rejected_is_invalid_field(
    plaid: PlaidClient, uri: str
) -> None:
    error = plaid.error("/link/token/create", **_config(redirect_uri=uri))
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert "redirect_uri" in error["error_message"]


@pytest.mark.parametrize("hosted", [{}, {"completion_redirect_uri": "https://app.example/done"}])
def test_link_token_create_hosted_link_returns_hosted_link_url(
    plaid: PlaidClient, hosted: dict[str, Any]
) -> None:
    body = plaid.ok("/link/token/create", **_config(hosted_link=hosted))
    assert body["hosted_link_url"].startswith("http")
    assert body["link_token"] in body["hosted_link_url"]


def test_link_token_create_bad_country_is_invalid_field(plaid: PlaidClient) -> None:
    error = plaid.error("/link/token/create", **_config(country_codes=["US", "ZZ"]))
    assert error["error_code"] == "INVALID_FIELD" and "country_codes" in error["error_message"]


def test_link_token_get_metadata_has_the_required_keys_and_account_filters(
    plaid: PlaidClient,
) -> None:
    token = plaid.ok("/link/token/create", **_config(webhook="https://example.com/hook"))[
        "link_token"
    ]
    body = plaid.ok("/link/token/get", link_token=token)
    assert body["link_token"] == token
    assert body["created_at"] == "2026-03-16T15:30:00Z"
    assert body["expiration"] == "2026-03-16T19:30:00Z"
    assert body["metadata"] == {
        "initial_products": ["transactions"],
        "webhook": "https://example.com/hook",
        "country_codes": ["US"],
        "language": "en",
        "redirect_uri": None,
        "client_name": "Test App",
        "account_filters": {},
    }


def test_link_token_get_unknown_token_is_invalid_link_token(plaid: PlaidClient) -> None:
    error = plaid.error("/link/token/get", link_token="link-sandbox-00000000-0000")
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_LINK_TOKEN")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"auth": "x"}, "auth"),
        ({"auth": ["x"]}, "auth"),
        ({"auth": 5}, "auth"),
        (
            {"auth": {"same_day_microdeposits_enabled": "yes"}},
            "auth.same_day_microdeposits_enabled",
        ),
        ({"auth": {"reroute_to_credentials": "SOMETIMES"}}, "auth.reroute_to_credentials"),
        ({"investments": {"allow_manual_entry": 1}}, "investments.allow_manual_entry"),
        ({"user": {"client_user_id": "u", "phone_number": 5}}, "user.phone_number"),
        ({"user": {"client_user_id": "u", "email_address": ["a"]}}, "user.email_address"),
        ({"user": {"client_user_id": "u", "address": "home"}}, "user.address"),
        ({"hosted_link": {"delivery_method": "pigeon"}}, "hosted_link.delivery_method"),
        (
            {"account_filters": {"depository": {"account_subtypes": ["checkin"]}}},
            "account_filters.depository.account_subtypes[0]",
        ),
        ({"update": {"reauthorization_enabled": "yes"}}, "update.reauthorization_enabled"),
        ({"cra_options": {"days_requested": "90"}}, "cra_options.days_requested"),
        ({"payment_initiation": {"payment_id": 7}}, "payment_initiation.payment_id"),
    ],
)
def test_link_token_create_mistyped_object_is_invalid_field_naming_it(
    plaid: PlaidClient, overrides: dict[str, Any], field: str
) -> None:
    """Plaid's document types every object of the request; none is taken as any JSON value."""
    error = plaid.error("/link/token/create", **_config(**overrides))
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(f"{field}: "), error["error_message"]


def test_link_token_create_keeps_well_typed_objects(plaid: PlaidClient) -> None:
    config = _config(
        products=["auth"],
        auth={"same_day_microdeposits_enabled": True, "reroute_to_credentials": "OPTIONAL"},
        user={"client_user_id": "u", "phone_number": "+14155550011", "date_of_birth": None},
        hosted_link={"delivery_method": "email"},
        account_filters={"depository": {"account_subtypes": ["checking", "savings"]}},
    )
    plaid.ok("/link/token/create", **config)


def test_link_token_create_statements_product_needs_the_statements_dates(
    plaid: PlaidClient,
) -> None:
    missing = plaid.error("/link/token/create", **_config(products=["statements"]))
    assert (missing["error_type"], missing["error_code"]) == ("INVALID_REQUEST", "MISSING_FIELDS")
    assert missing["error_message"] == "the following required fields are missing: statements"
    bad = plaid.error(
        "/link/token/create",
        **_config(products=["statements"], statements={"start_date": "bad"}),
    )
    assert bad["error_code"] == "MISSING_FIELDS" and "statements.end_date" in bad["error_message"]
    bad = plaid.error(
        "/link/token/create",
        **_config(
            products=["statements"], statements={"start_date": "bad", "end_date": "2026-03-01"}
        ),
    )
    assert bad["error_code"] == "INVALID_FIELD"
    assert bad["error_message"].startswith("statements.start_date")
    plaid.ok(
        "/link/token/create",
        **_config(
            products=["statements"],
            statements={"start_date": "2026-01-01", "end_date": "2026-03-01"},
        ),
    )


# Statements dates Plaid refuses ("You can request up to two years of data"), and the field
# each error names (``at``: where the dates sit in the request).
REFUSED_STATEMENTS_DATES = pytest.mark.parametrize(
    ("start_date", "end_date", "field"),
    [
        ("2026-03-01", "2026-01-01", "end_date"),  # reversed
        ("2023-12-31", "2026-01-01", "start_date"),  # two years and a day
    ],
)


@REFUSED_STATEMENTS_DATES
def test_link_token_create_refuses_statements_dates_reversed_or_over_two_years(
    plaid: PlaidClient, start_date: str, end_date: str, field: str
) -> None:
    window = {"start_date": start_date, "end_date": end_date}
    error = plaid.error("/link/token/create", **_config(products=["statements"], statements=window))
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(f"statements.{field} "), error["error_message"]


@REFUSED_STATEMENTS_DATES
def test_sandbox_public_token_refuses_statements_dates_reversed_or_over_two_years(
    plaid: PlaidClient, start_date: str, end_date: str, field: str
) -> None:
    error = plaid.error(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["statements"],
        options={"statements": {"start_date": start_date, "end_date": end_date}},
    )
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(f"options.statements.{field} "), error


def test_statements_dates_two_years_apart_with_a_leap_day_are_accepted(plaid: PlaidClient) -> None:
    window = {"start_date": "2024-01-01", "end_date": "2026-01-01"}  # 731 days
    plaid.ok("/link/token/create", **_config(products=["statements"], statements=window))
    plaid.ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["statements"],
        options={"statements": window},
    )


@pytest.mark.parametrize(
    "flag",
    [
        "same_day_microdeposits_enabled",
        "automated_microdeposits_enabled",
        "instant_microdeposits_enabled",
    ],
)
def test_link_token_create_micro_deposit_flows_are_us_only(plaid: PlaidClient, flag: str) -> None:
    for countries in (["GB"], ["US", "CA"]):
        error = plaid.error(
            "/link/token/create",
            **_config(products=["auth"], country_codes=countries, auth={flag: True}),
        )
        assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
        assert error["error_message"].startswith(f"auth.{flag}"), error["error_message"]
    plaid.ok(
        "/link/token/create", **_config(products=["auth"], country_codes=["GB"], auth={flag: False})
    )
    plaid.ok("/link/token/create", **_config(products=["auth"], auth={flag: True}))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"required_if_supported_products": ["transactions"]}, "required_if_supported_products"),
        ({"optional_products": ["transactions"]}, "optional_products"),
        (
            {"required_if_supported_products": ["auth"], "optional_products": ["auth"]},
            "required_if_supported_products",
        ),
        (
            {"optional_products": ["identity"], "additional_consented_products": ["identity"]},
            "optional_products",
        ),
    ],
)
def test_link_token_create_product_in_two_arrays_is_invalid_field_naming_it(
    plaid: PlaidClient, overrides: dict[str, Any], field: str
) -> None:
    """Plaid: "There should be no overlap between this array and the `products`, … arrays"."""
    error = plaid.error("/link/token/create", **_config(products=["transactions"], **overrides))
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(field), error["error_message"]
