"""How an app's integration tests use the sandbox's pytest fixtures (one per fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from plaid.api.plaid_api import PlaidApi
from plaid.exceptions import ApiException
from plaid.model.accounts_get_request import AccountsGetRequest

from client.sync.connections import BankSync
from sandbox.pytest_plugin import Clock, Faults, Tenant, WebhookCatcher

from .budget_app import (
    PlaidUnavailable,
    WebhookInbox,
    fetch_all_transactions,
    spending_by_category,
)


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


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        """No access log in the test output."""


@pytest.fixture
def app_webhooks() -> Iterator[tuple[str, WebhookInbox]]:
    """The app's webhook endpoint served on a free port: ``(url, inbox)``."""
    inbox = WebhookInbox()
    server = make_server("127.0.0.1", 0, inbox, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/plaid/webhooks", inbox
    server.shutdown()
    server.server_close()


def test_app_endpoint_gets_the_webhooks_by_itself(
    sandbox_tenant: Tenant, app_webhooks: tuple[str, WebhookInbox]
) -> None:
    url, inbox = app_webhooks
    token = sandbox_tenant.link_item("ins_109508", webhook=url)
    item_id = sandbox_tenant.call("/item/get", access_token=token)["item"]["item_id"]
    # The sandbox's dispatcher posts on its own, as Plaid does: the test just waits.
    assert inbox.news.get(timeout=10) == (item_id, "INITIAL_UPDATE")
    assert inbox.news.get(timeout=10) == (item_id, "HISTORICAL_UPDATE")


def test_sync_engine_keeps_a_local_copy(sync_engine: BankSync, sandbox_clock: Clock) -> None:
    sandbox_clock.freeze()
    connection = sync_engine.connect_sandbox("ins_109508", days_requested=30)
    first = sync_engine.sync(connection)
    sandbox_clock.advance(days=5)
    second = sync_engine.sync(connection)
    assert first.ok and second.ok
    assert first.added > 0 and second.added > 0
