"""Rate limiting and injected faults from the live sandbox: the client backs off and retries."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from client.api.errors import RateLimitError
from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.store.db import Store
from client.sync.connections import BankSync
from tests.client.conftest import Tenant


def _control(tenant: Tenant, method: str, path: str, **body: Any) -> dict[str, Any]:
    """Call the sandbox control API (fault rules, rate-limit settings)."""
    reply = requests.request(
        method,
        tenant.url + path,
        json=body,
        timeout=10,
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
    )
    assert reply.status_code < 300, reply.text
    data: dict[str, Any] = reply.json()
    return data


def _bank(tenant: Tenant, store: Store, sleeps: list[float]) -> BankSync:
    plaid = PlaidClient(
        tenant.url,
        tenant.client_id,
        tenant.secret,
        timeout=30,
        max_retries=2,
        sleep=sleeps.append,
        jitter=lambda d: d,
    )
    return BankSync(plaid, store, TokenCipher([TokenCipher.generate_key()]))


def test_rate_limit_exceeded_honours_retry_after(tenant: Tenant, store: Store) -> None:
    sleeps: list[float] = []
    bank = _bank(tenant, store, sleeps)
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    _control(
        tenant, "PUT", "/control/rate-limits", limits={"/accounts/balance/get": {"per_item": 2}}
    )
    bank.refresh_balances(cid, live=True)
    bank.refresh_balances(cid, live=True)
    with pytest.raises(RateLimitError) as info:
        bank.refresh_balances(cid, live=True)
    assert info.value.http_status == 429 and info.value.request_id
    assert len(sleeps) == 2 and all(s >= 1 for s in sleeps)  # Retry-After, not the 0.5 s base
    bank.plaid.close()


def test_transient_faults_are_retried_to_success(tenant: Tenant, store: Store) -> None:
    sleeps: list[float] = []
    bank = _bank(tenant, store, sleeps)
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    _control(
        tenant,
        "POST",
        "/control/faults",
        endpoint="/transactions/sync",
        http_status=500,
        trigger="next",
        n=2,
    )
    result = bank.sync(cid)
    assert result.ok and result.added > 0
    assert sleeps == [0.5, 1.0]
    bank.plaid.close()
