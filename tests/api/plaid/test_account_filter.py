"""``options.account_ids``: an empty filter is refused, naming the field, on every endpoint
that takes it (Plaid answers "options.account_ids must be a non-empty array of valid account
ids"); ``/transactions/recurring/get``'s top-level ``account_ids`` reads empty as every account,
as Plaid's document says of it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PlaidClient

DATES = {"start_date": "2026-01-01", "end_date": "2026-03-16"}
FILTERED = [
    ("/accounts/get", {}),
    ("/accounts/balance/get", {}),
    ("/auth/get", {}),
    ("/identity/get", {}),
    ("/identity/match", {"user": {"legal_name": "Alberta Charleson"}}),
    ("/liabilities/get", {}),
    ("/transactions/get", DATES),
    ("/investments/holdings/get", {}),
    ("/investments/transactions/get", DATES),
    ("/investments/auth/get", {}),
]
PRODUCTS = ("transactions", "auth", "identity", "investments", "liabilities")


@pytest.mark.parametrize(("path", "extra"), FILTERED, ids=[p for p, _ in FILTERED])
def test_empty_account_ids_filter_is_invalid_field_naming_it(
    plaid: PlaidClient, path: str, extra: dict[str, Any]
) -> None:
    token = plaid.link_item(products=PRODUCTS)
    error = plaid.error(path, access_token=token, options={"account_ids": []}, **extra)
    assert (error["http_status"], error["error_type"], error["error_code"]) == (
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    assert error["error_message"].startswith("options.account_ids")
    assert "non-empty array" in error["error_message"]


def test_recurring_get_reads_an_empty_account_ids_as_every_account(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    every = plaid.ok("/transactions/recurring/get", access_token=token)
    empty = plaid.ok("/transactions/recurring/get", access_token=token, account_ids=[])
    assert every["outflow_streams"]
    for key in ("inflow_streams", "outflow_streams"):
        assert empty[key] == every[key]
