"""Processor tokens: created by the app, read by the partner, dead with their item."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.plaid.helpers import processor_token, sync_all
from tests.conftest import PlaidClient


def test_processor_token_create_gives_a_sandbox_processor_token(plaid: PlaidClient) -> None:
    _, _, token = processor_token(plaid)
    assert token.startswith("processor-sandbox-") and len(token) == len("processor-sandbox-") + 36


def test_processor_auth_get_returns_the_one_account_and_its_ach_numbers(plaid: PlaidClient) -> None:
    access, account_id, token = processor_token(plaid)
    body = plaid.ok("/processor/auth/get", processor_token=token)
    assert body["account"]["account_id"] == account_id
    auth = plaid.ok("/auth/get", access_token=access)["numbers"]["ach"]
    assert body["numbers"]["ach"] == next(n for n in auth if n["account_id"] == account_id)
    assert body["numbers"]["eft"] is None and body["numbers"]["bacs"] is None


def test_processor_auth_get_gb_account_has_iban_and_bacs(plaid: PlaidClient) -> None:
    _, _, token = processor_token(plaid, institution="ins_117650")
    numbers = plaid.ok("/processor/auth/get", processor_token=token)["numbers"]
    assert numbers["ach"] is None
    assert numbers["international"]["iban"].startswith("GB") and numbers["bacs"]["sort_code"]


def test_processor_auth_get_on_a_card_is_no_auth_accounts(plaid: PlaidClient) -> None:
    _, _, token = processor_token(plaid, mask="3333")
    assert (
        plaid.error("/processor/auth/get", processor_token=token)["error_code"]
        == "NO_AUTH_ACCOUNTS"
    )


def test_processor_balance_and_identity_match_the_items_view(plaid: PlaidClient) -> None:
    access, account_id, token = processor_token(plaid)
    balance = plaid.ok("/processor/balance/get", processor_token=token)["account"]
    accounts = plaid.ok("/accounts/balance/get", access_token=access)["accounts"]
    assert balance == next(a for a in accounts if a["account_id"] == account_id)
    identity = plaid.ok("/processor/identity/get", processor_token=token)["account"]
    owners = plaid.ok("/identity/get", access_token=access)["accounts"][0]["owners"]
    assert identity["account_id"] == account_id and identity["owners"] == owners


def test_processor_transactions_sync_pages_only_the_tokens_account(plaid: PlaidClient) -> None:
    access, account_id, token = processor_token(plaid)
    first = plaid.ok("/processor/transactions/sync", processor_token=token, count=5)
    assert first["account"]["account_id"] == account_id and first["has_more"] is True
    added, cursor = [], ""
    more = True
    while more:
        page = plaid.ok(
            "/processor/transactions/sync", processor_token=token, cursor=cursor, count=500
        )
        added += page["added"]
        cursor, more = page["next_cursor"], page["has_more"]
    expected, _ = sync_all(plaid, access, options={"account_id": account_id})
    assert {t["account_id"] for t in added} == {account_id}
    assert sorted(t["transaction_id"] for t in added) == sorted(
        t["transaction_id"] for t in expected["added"]
    )


def test_processor_token_dies_with_its_item(plaid: PlaidClient) -> None:
    access, _, token = processor_token(plaid)
    plaid.ok("/item/remove", access_token=access)
    error = plaid.error("/processor/balance/get", processor_token=token)
    assert (
        error["error_code"] == "INVALID_PROCESSOR_TOKEN" and error["error_type"] == "INVALID_INPUT"
    )


def test_processor_token_of_another_tenant_is_invalid(app: Any, plaid: PlaidClient) -> None:
    from sandbox.core import tenants
    from sandbox.extensions import db
    from tests.conftest import PlaidClient as Client

    _, _, token = processor_token(plaid)
    _, keys = tenants.create(db.session, "other", 7)
    db.session.commit()
    other = Client(app.test_client(), keys.client_id, keys.secret)
    assert (
        other.error("/processor/auth/get", processor_token=token)["error_code"]
        == "INVALID_PROCESSOR_TOKEN"
    )


@pytest.mark.parametrize("partner", ["increase", "webull", "cybrid", "adyen_ca", "paynote"])
def test_processor_token_create_accepts_partners_the_sdks_name(
    plaid: PlaidClient, partner: str
) -> None:
    """Plaid's later partners (plaid-python 46 and the Node SDK send them) and the
    document's own, including one the SDKs have since dropped."""
    access = plaid.link_item()
    account_id = plaid.ok("/accounts/get", access_token=access)["accounts"][0]["account_id"]
    body = plaid.ok(
        "/processor/token/create", access_token=access, account_id=account_id, processor=partner
    )
    assert body["processor_token"].startswith("processor-sandbox-")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"processor": "dwolla"}, "MISSING_FIELDS", "account_id"),
        ({"processor": "not_a_partner"}, "INVALID_FIELD", "processor"),
        ({"processor": "dwolla", "account_id": "nope"}, "INVALID_ACCOUNT_ID", None),
    ],
)
def test_processor_token_create_bad_input(
    plaid: PlaidClient, body: dict[str, Any], code: str, field: str | None
) -> None:
    access = plaid.link_item()
    if code == "INVALID_FIELD":
        body["account_id"] = plaid.ok("/accounts/get", access_token=access)["accounts"][0][
            "account_id"
        ]
    error = plaid.error("/processor/token/create", access_token=access, **body)
    assert error["error_code"] == code
    if field:
        assert field in error["error_message"]


@pytest.mark.parametrize(
    "path", ["/processor/auth/get", "/processor/identity/get", "/processor/transactions/sync"]
)
def test_processor_endpoints_reject_unknown_and_missing_tokens(
    plaid: PlaidClient, path: str
) -> None:
    assert plaid.error(path)["error_code"] == "MISSING_FIELDS"
    assert (
        plaid.error(path, processor_token="processor-sandbox-nope")["error_code"]
        == "INVALID_PROCESSOR_TOKEN"
    )
