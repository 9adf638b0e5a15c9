"""A lender's side of Assets, through the official plaid-python SDK against a served sandbox.

The report takes ``HISTORICAL_DELAY_SECONDS`` to build (moved past with the control API's
clock, as a test would); a real receiver hears each ``PRODUCT_READY`` from the served
process's own dispatcher, and the SDK's models deserialize every reply and webhook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.asset_report_audit_copy_create_request import AssetReportAuditCopyCreateRequest
from plaid.model.asset_report_audit_copy_get_request import AssetReportAuditCopyGetRequest
from plaid.model.asset_report_audit_copy_pdf_get_request import AssetReportAuditCopyPdfGetRequest
from plaid.model.asset_report_audit_copy_remove_request import AssetReportAuditCopyRemoveRequest
from plaid.model.asset_report_create_request import AssetReportCreateRequest
from plaid.model.asset_report_create_request_options import AssetReportCreateRequestOptions
from plaid.model.asset_report_filter_request import AssetReportFilterRequest
from plaid.model.asset_report_get_request import AssetReportGetRequest
from plaid.model.asset_report_pdf_get_request import AssetReportPDFGetRequest
from plaid.model.asset_report_refresh_request import AssetReportRefreshRequest
from plaid.model.asset_report_remove_request import AssetReportRemoveRequest
from plaid.model.assets_product_ready_webhook import AssetsProductReadyWebhook
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.api.plaid.contract import FakeResponse
from tests.conftest import DATABASES, fresh_database_url

from .served import error_body, sdk_client, served_sandbox
from .test_webhook_delivery import Receiver

pytestmark = pytest.mark.e2e
BUILD_SECONDS = 3600  # far longer than any wait below: only a clock move makes it pass
WAIT = 30.0  # the dispatcher polls about once a second


@pytest.fixture(params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A sandbox process whose Asset reports take an hour of tenant clock to build."""
    database_url = fresh_database_url(request.param, tmp_path, "e2e_assets")
    with served_sandbox(database_url, tmp_path, HISTORICAL_DELAY_SECONDS=str(BUILD_SECONDS)) as up:
        yield up


def _advance_clock(server: dict[str, Any], seconds: int) -> None:
    reply = requests.post(
        f"{server['url']}/control/clock",
        json={"advance_seconds": seconds},
        headers={"PLAID-CLIENT-ID": server["client_id"], "PLAID-SECRET": server["secret"]},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def _ready(client: plaid_api.PlaidApi, body: dict[str, Any]) -> tuple[str, str]:
    """A ``PRODUCT_READY`` as the SDK's model reads it: (report id, report type)."""
    hook = client.api_client.deserialize(FakeResponse(body), (AssetsProductReadyWebhook,), True)
    return hook.asset_report_id, str(hook.report_type)


def _link(client: plaid_api.PlaidApi) -> tuple[str, list[str]]:
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("assets")]
        )
    ).public_token
    access = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=access)).accounts
    return access, [a.account_id for a in accounts]


def test_a_lender_builds_filters_copies_and_removes_a_report(server: dict[str, Any]) -> None:
    """Create waits out the build; the filtered report is made from the built one, so it
    reads at once and its own ``PRODUCT_READY`` reaches the receiver without another build."""
    client = sdk_client(server)
    receiver = Receiver()
    try:
        access, account_ids = _link(client)
        created = client.asset_report_create(
            AssetReportCreateRequest(
                access_tokens=[access],
                days_requested=30,
                options=AssetReportCreateRequestOptions(webhook=receiver.url),
            )
        )
        token = created.asset_report_token
        early = error_body(client.asset_report_get, AssetReportGetRequest(asset_report_token=token))
        assert (early["error_type"], early["error_code"]) == (
            "ASSET_REPORT_ERROR",
            "PRODUCT_NOT_READY",
        )
        _advance_clock(server, BUILD_SECONDS)
        first = receiver.wait_for(1, WAIT)[0]
        assert _ready(client, first) == (created.asset_report_id, "FULL")
        report = client.asset_report_get(AssetReportGetRequest(asset_report_token=token)).report
        with client.asset_report_pdf_get(AssetReportPDFGetRequest(asset_report_token=token)) as pdf:
            assert pdf.read().startswith(b"%PDF-")

        filtered = client.asset_report_filter(
            AssetReportFilterRequest(
                asset_report_token=token, account_ids_to_exclude=[account_ids[0]]
            )
        )
        second = receiver.wait_for(2, WAIT)[1]
        assert _ready(client, second) == (filtered.asset_report_id, "FULL")
        narrowed = client.asset_report_get(
            AssetReportGetRequest(asset_report_token=filtered.asset_report_token)
        ).report
        assert narrowed.asset_report_id == filtered.asset_report_id != report.asset_report_id
        assert [a.account_id for a in narrowed.items[0].accounts] == account_ids[1:]

        refreshed = client.asset_report_refresh(AssetReportRefreshRequest(asset_report_token=token))
        again = error_body(
            client.asset_report_get,
            AssetReportGetRequest(asset_report_token=refreshed.asset_report_token),
        )
        assert again["error_code"] == "PRODUCT_NOT_READY"  # new data: built anew

        copy = client.asset_report_audit_copy_create(
            AssetReportAuditCopyCreateRequest(asset_report_token=token, auditor_id="fannie_mae")
        ).audit_copy_token
        audited = client.asset_report_audit_copy_get(
            AssetReportAuditCopyGetRequest(audit_copy_token=copy)
        )
        assert audited.report.asset_report_id == report.asset_report_id
        copy_pdf = AssetReportAuditCopyPdfGetRequest(audit_copy_token=copy)
        with client.asset_report_audit_copy_pdf_get(copy_pdf) as pdf:
            assert pdf.read().startswith(b"%PDF-")
        client.asset_report_audit_copy_remove(
            AssetReportAuditCopyRemoveRequest(audit_copy_token=copy)
        )
        removal = AssetReportRemoveRequest(asset_report_token=token)
        assert client.asset_report_remove(removal).removed
        gone = error_body(client.asset_report_get, AssetReportGetRequest(asset_report_token=token))
        assert gone["error_code"] == "INVALID_ASSET_REPORT_TOKEN"
        assert len(receiver.received) == 2, [json.loads(b) for _, b in receiver.received]
    finally:
        receiver.server.shutdown()
