"""How an app's integration tests use the sandbox's pytest fixtures (one per fixture)."""

from __future__ import annotations

import pytest
from plaid.api.plaid_api import PlaidApi
from plaid.exceptions import ApiException
from plaid.model.accounts_get_request import AccountsGetRequest

from client.sync.connections import BankSync
from sandbox.pytest_plugin import Clock, Faults, Tenant, WebhookCatcher

from .budget_app import PlaidUnavailable, fetch_all_transactions, spending_by_category


def _keys(tenant: Tenant) -> dict[str, str]:
    return {"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret}


def test_budget_totals_spending_by_category(sandbox_tenant: Tenant) -> None:
    token = sandbox_tenant.link_item("ins_109508")
    totals = spending_by_category(
        fetch_all_transactions(sandbox_tenant.url, _keys(sandbox_tenant), token)
    )
    assert totals["FOOD_AND_DRINK"] > 0


def test_official_sdk_lists_accounts(sandbox_tenant: Tenant, plaid_client: PlaidApi) -> None:
    token = sandbox_tenant.link_item("ins_109508")
    accounts = plaid_client.accounts_get(AccountsGetRequest(access_token=token)).accounts
    assert {a.mask for a in accounts} >= {"0000", "1111", "3333"}


def test_sdk_raises_on_a_broken_item(sandbox_tenant: Tenant, plaid_client: PlaidApi) -> None:
    token = sandbox_tenant.link_item("ins_109508")
    sandbox_tenant.call("/sandbox/item/reset_login", access_token=token)
    with pytest.raises(ApiException) as caught:
        plaid_client.accounts_get(AccountsGetRequest(access_token=token))
    assert "ITEM_LOGIN_REQUIRED" in caught.value.body


def test_app_sees_new_spending_after_a_week(sandbox_tenant: Tenant, sandbox_clock: Clock) -> None:
    sandbox_clock.freeze()
    token = sandbox_tenant.link_item("ins_109508")
    before = len(fetch_all_transactions(sandbox_tenant.url, _keys(sandbox_tenant), token))
    sandbox_clock.advance(days=7)
    after = len(fetch_all_transactions(sandbox_tenant.url, _keys(sandbox_tenant), token))
    assert after > before


def test_app_reports_an_outage(sandbox_tenant: Tenant, sandbox_faults: Faults) -> None:
    token = sandbox_tenant.link_item("ins_109508")
    sandbox_faults.fail("/transactions/sync", code="INSTITUTION_NOT_RESPONDING", times=1)
    with pytest.raises(PlaidUnavailable, match="INSTITUTION_NOT_RESPONDING"):
        fetch_all_transactions(sandbox_tenant.url, _keys(sandbox_tenant), token)
    assert fetch_all_transactions(sandbox_tenant.url, _keys(sandbox_tenant), token)


def test_app_is_told_about_new_data(
    sandbox_tenant: Tenant, sandbox_clock: Clock, webhook_catcher: WebhookCatcher
) -> None:
    sandbox_clock.freeze()
    sandbox_tenant.link_item("ins_109508", webhook=webhook_catcher.url)
    sandbox_clock.advance(days=3)
    assert "DEFAULT_UPDATE" in webhook_catcher.codes()


def test_sync_engine_keeps_a_local_copy(sync_engine: BankSync, sandbox_clock: Clock) -> None:
    sandbox_clock.freeze()
    connection = sync_engine.connect_sandbox("ins_109508", days_requested=30)
    first = sync_engine.sync(connection)
    sandbox_clock.advance(days=5)
    second = sync_engine.sync(connection)
    assert first.ok and second.ok
    assert first.added > 0 and second.added > 0
