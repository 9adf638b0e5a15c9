"""``/auth/verify``, ``/identity/refresh`` and ``/item/products/terminate`` through plaid-python
against a served sandbox, with only the host changed: the SDK's own models build each request
and read each reply (a missing or mistyped key fails there), and its ``ApiException`` carries
Plaid's error object."""

from __future__ import annotations

from typing import Any

import pytest
from plaid.model.auth_verify_numbers_ach import AuthVerifyNumbersACH
from plaid.model.auth_verify_request import AuthVerifyRequest
from plaid.model.auth_verify_request_numbers import AuthVerifyRequestNumbers
from plaid.model.identity_refresh_request import IdentityRefreshRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_products_terminate_request import ItemProductsTerminateRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.products_terminate_reason_code import ProductsTerminateReasonCode
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from .served import error_body, sdk_client

pytestmark = pytest.mark.e2e


def _verify(api: Any, account: str, routing: str, name: str | None) -> Any:
    numbers = AuthVerifyRequestNumbers(ach=AuthVerifyNumbersACH(account=account, routing=routing))
    return api.auth_verify(AuthVerifyRequest(numbers=numbers, legal_name=name))


def test_auth_verify_verdicts_through_plaid_python(plaid_server: dict[str, Any]) -> None:
    api = sdk_client(plaid_server)
    passed = _verify(api, "1111222233331111", "021000021", "John Smith")
    assert passed.verification_status == "database_insights_pass" and passed.item_id
    assert passed.verification_insights.name_match_score == 100
    assert passed.verification_insights.network_status.has_numbers_match is True
    caution = _verify(api, "1111222233333333", "021000021", None)
    assert caution.verification_status == "database_insights_pass_with_caution"
    assert caution.verification_insights.name_match_score is None
    invalid = _verify(api, "1111222233331111", "123456789", "John Smith")
    assert (invalid.item_id, invalid.verification_status) == (None, "database_insights_fail")
    error = error_body(_verify, api, "1111222233331111", "12345", None)
    assert error["error_code"] == "INVALID_FIELD"
    assert "numbers.ach.routing" in error["error_message"]


def test_identity_refresh_then_terminate_through_plaid_python(
    plaid_server: dict[str, Any],
) -> None:
    api = sdk_client(plaid_server)
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("transactions")]
        )
    ).public_token
    token = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    assert api.identity_refresh(IdentityRefreshRequest(access_token=token)).request_id
    billed = api.item_get(ItemGetRequest(access_token=token)).item.billed_products
    assert "identity" in [str(p) for p in billed]
    terminated = api.item_products_terminate(
        ItemProductsTerminateRequest(
            access_token=token,
            reason_code=ProductsTerminateReasonCode("USER_OFFBOARDING"),
            reason_note="closed their account with us",
        )
    )
    assert terminated.request_id
    gone = error_body(api.item_get, ItemGetRequest(access_token=token))
    assert gone["error_code"] == "ITEM_NOT_FOUND"
    again = error_body(api.identity_refresh, IdentityRefreshRequest(access_token=token))
    assert again["error_code"] == "ITEM_NOT_FOUND"
