"""A user's integration tests: only the fixtures the README documents, no conftest.py.

The wheel stage runs this file against the installed wheel on SQLite and PostgreSQL and
compares the transaction ids each test records (``record_property``) across runs. Those
tests freeze the simulated clock at ``FROZEN_AT`` (the stage passes one instant to every
run), so a run that straddles midnight UTC sees the same days as the others.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
import requests
from plaid.exceptions import ApiException
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

_TODAY = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
FROZEN_AT = dt.datetime.fromisoformat(
    os.environ.get("FROZEN_AT") or (_TODAY + dt.timedelta(days=2)).isoformat()
)


def fetch_all(tenant: Any, access_token: str) -> list[dict[str, Any]]:
    """What the app does: page /transactions/sync until has_more is false."""
    added: list[dict[str, Any]] = []
    cursor = ""
    while True:
        body = {"access_token": access_token, "count": 100}
        if cursor:
            body["cursor"] = cursor
        page = tenant.call("/transactions/sync", **body)
        added += page["added"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return added


def test_link_and_sync_with_the_tenant(
    sandbox_tenant: Any, sandbox_clock: Any, record_property: Any
) -> None:
    sandbox_clock.freeze(at=FROZEN_AT)
    token = sandbox_tenant.link_item("ins_109508")
    added = fetch_all(sandbox_tenant, token)
    assert added and all(t["transaction_id"] for t in added)
    record_property("transaction_ids", " ".join(t["transaction_id"] for t in added))


def test_tenant_url_answers_plain_http(sandbox_tenant: Any) -> None:
    reply = requests.post(
        f"{sandbox_tenant.url}/institutions/get_by_id",
        json={"institution_id": "ins_109508", "country_codes": ["US"]},
        headers={
            "PLAID-CLIENT-ID": sandbox_tenant.client_id,
            "PLAID-SECRET": sandbox_tenant.secret,
        },
        timeout=30,
    )
    assert reply.status_code == 200
    assert reply.json()["institution"]["name"]


def test_official_sdk_syncs(sandbox_tenant: Any, plaid_client: Any, record_property: Any) -> None:
    token = sandbox_tenant.link_item("ins_56")
    page = plaid_client.transactions_sync(TransactionsSyncRequest(access_token=token, count=50))
    assert page.added
    record_property("transaction_ids", " ".join(t.transaction_id for t in page.added))


def test_official_sdk_raises_plaids_error(sandbox_tenant: Any, plaid_client: Any) -> None:
    token = sandbox_tenant.link_item("ins_109508")
    sandbox_tenant.call("/sandbox/item/reset_login", access_token=token)
    with pytest.raises(ApiException) as caught:
        plaid_client.accounts_get(AccountsGetRequest(access_token=token))
    assert "ITEM_LOGIN_REQUIRED" in caught.value.body


def test_new_spending_after_a_week(sandbox_tenant: Any, sandbox_clock: Any) -> None:
    sandbox_clock.freeze()
    token = sandbox_tenant.link_item("ins_109508")
    before = len(fetch_all(sandbox_tenant, token))
    sandbox_clock.advance(days=7)
    assert len(fetch_all(sandbox_tenant, token)) >= before


def test_an_outage_then_recovery(sandbox_tenant: Any, sandbox_faults: Any) -> None:
    token = sandbox_tenant.link_item("ins_109508")
    sandbox_faults.fail("/transactions/sync", code="INSTITUTION_NOT_RESPONDING", times=1)
    failed = sandbox_tenant.post("/transactions/sync", access_token=token)
    assert failed.json()["error_code"] == "INSTITUTION_NOT_RESPONDING"
    assert fetch_all(sandbox_tenant, token)


def test_webhooks_reach_the_catcher(
    sandbox_tenant: Any, sandbox_clock: Any, webhook_catcher: Any
) -> None:
    sandbox_clock.freeze()
    sandbox_tenant.link_item("ins_109508", webhook=webhook_catcher.url)
    sandbox_clock.advance(days=3)
    assert "DEFAULT_UPDATE" in webhook_catcher.codes()


def test_sync_engine_keeps_a_local_copy(sync_engine: Any, sandbox_clock: Any) -> None:
    sandbox_clock.freeze()
    connection = sync_engine.connect_sandbox("ins_109508", days_requested=30)
    first = sync_engine.sync(connection)
    assert first.ok and first.added > 0


@pytest.mark.sandbox_seed(424242)
def test_a_pinned_seed(sandbox_tenant: Any, sandbox_clock: Any, record_property: Any) -> None:
    sandbox_clock.freeze(at=FROZEN_AT)
    assert sandbox_tenant.seed == 424242
    token = sandbox_tenant.link_item("ins_109508")
    record_property(
        "transaction_ids", " ".join(t["transaction_id"] for t in fetch_all(sandbox_tenant, token))
    )
