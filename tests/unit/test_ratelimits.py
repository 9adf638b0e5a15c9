"""Rate limits: the dialects' tables, per-tenant overrides, and counters in memory or Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from sandbox.core import errors
from sandbox.core.bank import Bank
from sandbox.core.faults import ratelimits
from sandbox.plaid.ratelimits import PLAID_SANDBOX

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
SYNC = PLAID_SANDBOX["/transactions/sync"]


def test_plaid_table_has_the_sandbox_numbers() -> None:
    assert (SYNC.per_item, SYNC.per_client, SYNC.item_code) == (50, 1000, "TRANSACTIONS_SYNC_LIMIT")
    balance = PLAID_SANDBOX["/accounts/balance/get"]
    assert (balance.item_code, balance.client_code) == (
        "BALANCE_LIMIT",
        "ACCOUNTS_BALANCE_GET_LIMIT",
    )


def test_plaid_table_limits_asset_reports_per_client() -> None:
    """Plaid's Sandbox limits Assets per client: create and refresh 100, get 1,000 a minute."""
    found = {
        path: (limit.per_item, limit.per_client)
        for path, limit in PLAID_SANDBOX.items()
        if path.startswith("/asset_report/")
    }
    assert found == {
        "/asset_report/create": (None, 100),
        "/asset_report/get": (None, 1000),
        "/asset_report/refresh": (None, 100),
    }


def test_the_registered_tables_are_the_limits_and_their_codes_the_injectable_ones() -> None:
    """Plaid registers its table when imported; TrueLayer counts a quota instead of a table."""
    assert ratelimits.LIMITS == {"plaid": PLAID_SANDBOX}
    assert ratelimits.effective(None, None, enabled_by_default=True) == PLAID_SANDBOX
    assert "TRANSACTIONS_SYNC_LIMIT" in ratelimits.CODES
    assert "ACCOUNTS_BALANCE_GET_LIMIT" in ratelimits.CODES


def test_a_second_dialects_table_joins_the_limits_and_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, empty in (("LIMITS", dict(ratelimits.LIMITS)), ("_every", {}), ("CODES", set())):
        monkeypatch.setattr(ratelimits, name, empty)  # restored after the test
    probe = ratelimits.Limit(1, None, "PROBE_LIMIT")
    ratelimits.add_rate_limits("probe", {"/probe": probe})
    table = ratelimits.effective(None, None, enabled_by_default=True)
    assert table == {**PLAID_SANDBOX, "/probe": probe}
    assert {"PROBE_LIMIT", "TRANSACTIONS_SYNC_LIMIT"} <= ratelimits.CODES
    ratelimits.add_rate_limits("probe", {})  # a dialect's table replaces its earlier one
    assert "PROBE_LIMIT" not in ratelimits.CODES
    assert ratelimits.effective(None, None, enabled_by_default=True) == PLAID_SANDBOX
    with pytest.raises(ValueError, match="/transactions/sync"):  # one path, one limit
        ratelimits.add_rate_limits("probe", {"/transactions/sync": probe})
    assert ratelimits.LIMITS["probe"] == {}


def test_per_item_limit_raises_with_retry_after() -> None:
    limiter = ratelimits.RateLimiter()
    for _ in range(SYNC.per_item or 0):
        limiter.hit("tenant", "/transactions/sync", "item-a", SYNC)
    with pytest.raises(errors.RateLimited) as caught:
        limiter.hit("tenant", "/transactions/sync", "item-a", SYNC)
    assert caught.value.detail["code"] == "TRANSACTIONS_SYNC_LIMIT"
    assert 1 <= int(caught.value.detail["retry_after"]) <= 60  # type: ignore[call-overload]
    limiter.hit("tenant", "/transactions/sync", "item-b", SYNC)  # other items are unaffected


def test_per_client_limit_uses_the_client_code() -> None:
    limiter = ratelimits.RateLimiter()
    limit = ratelimits.Limit(None, 2, "X", "ACCOUNTS_BALANCE_GET_LIMIT")
    limiter.hit("t", "/accounts/balance/get", "a", limit)
    limiter.hit("t", "/accounts/balance/get", "b", limit)
    with pytest.raises(errors.RateLimited) as caught:
        limiter.hit("t", "/accounts/balance/get", "c", limit)
    assert caught.value.detail["code"] == "ACCOUNTS_BALANCE_GET_LIMIT"


def test_redis_store_is_shared_between_limiters() -> None:
    namespace = f"test-{uuid.uuid4()}"
    limit = ratelimits.Limit(2, None, "ITEM_GET_LIMIT")
    first, second = ratelimits.RateLimiter(REDIS_URL), ratelimits.RateLimiter(REDIS_URL)
    first.hit(namespace, "/item/get", "i", limit)
    second.hit(namespace, "/item/get", "i", limit)
    with pytest.raises(errors.RateLimited):
        first.hit(namespace, "/item/get", "i", limit)


def test_tenant_overrides_and_switch(bank: Bank) -> None:
    ratelimits.configure(bank.session, bank.tenant, True, {"/item/get": {"per_item": 3}})
    table = ratelimits.limits_for(bank.session, bank.tenant, enabled_by_default=True)
    assert (table["/item/get"].per_item, table["/item/get"].per_client) == (3, 5000)
    ratelimits.configure(bank.session, bank.tenant, False, {})
    assert ratelimits.limits_for(bank.session, bank.tenant, enabled_by_default=True) == {}


def test_configure_rejects_bad_values(bank: Bank) -> None:
    with pytest.raises(errors.InvalidField) as caught:
        ratelimits.configure(bank.session, bank.tenant, True, {"/item/get": {"per_item": 0}})
    assert caught.value.detail["field"] == "limits./item/get.per_item"
