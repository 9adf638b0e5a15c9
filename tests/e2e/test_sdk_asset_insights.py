"""An Asset Report with insights through plaid-python: the SDK reads each transaction's
``credit_category`` as its ``CreditCategory`` model."""

from __future__ import annotations

from typing import Any

import pytest
from plaid.model.asset_report_create_request import AssetReportCreateRequest
from plaid.model.asset_report_get_request import AssetReportGetRequest
from plaid.model.credit_category import CreditCategory
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from .served import sdk_client

pytestmark = pytest.mark.e2e


def test_sdk_reads_credit_categories_of_a_report_with_insights(
    plaid_server: dict[str, Any],
) -> None:
    api = sdk_client(plaid_server)
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("transactions"), Products("assets")],
        )
    ).public_token
    access = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    token = api.asset_report_create(
        AssetReportCreateRequest(access_tokens=[access], days_requested=30)
    ).asset_report_token
    report = api.asset_report_get(
        AssetReportGetRequest(asset_report_token=token, include_insights=True)
    ).report
    transactions = [t for a in report.items[0].accounts for t in a.transactions]
    assert transactions
    for transaction in transactions:
        category = transaction.credit_category
        assert isinstance(category, CreditCategory)
        assert category.detailed.startswith(category.primary + "_")
