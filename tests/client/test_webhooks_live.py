"""End to end: the sandbox signs and delivers a webhook, the client verifies it and syncs."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
from flask import Flask
from sqlalchemy import select

from client.store.models import SyncRun, WebhookReceipt
from client.sync.connections import BankSync
from client.webhooks import WebhookProcessor, WebhookVerifier, make_blueprint
from tests.client.conftest import Tenant
from tests.client.helpers import serve


def test_sandbox_webhook_verified_and_drives_sync(bank: BankSync, tenant: Tenant) -> None:
    jobs: list[Callable[[], object]] = []
    # Defer the work as an app would with a queue: answer Plaid fast, sync afterwards.
    processor = WebhookProcessor(bank, WebhookVerifier.for_client(bank.plaid), run=jobs.append)
    app = Flask("receiver")
    app.register_blueprint(make_blueprint(processor))
    with serve(app) as url:
        cid = bank.connect_sandbox("ins_109508", days_requested=30, webhook=url + "/webhooks/plaid")
        assert bank.sync(cid).ok
        token = bank.access_token(cid)
        tenant.post(
            "/sandbox/item/fire_webhook",
            access_token=token,
            webhook_type="TRANSACTIONS",
            webhook_code="SYNC_UPDATES_AVAILABLE",
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not jobs:
            requests.post(
                tenant.url + "/control/webhooks/deliver",
                timeout=10,
                headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
            )
            time.sleep(0.1)
    assert jobs, "no verified SYNC_UPDATES_AVAILABLE reached the receiver"
    for job in jobs:
        job()
    with bank.store.session() as s:
        codes = set(s.scalars(select(WebhookReceipt.webhook_code)))
        triggers = [r.trigger for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert "SYNC_UPDATES_AVAILABLE" in codes
    assert triggers[0] == "manual" and "webhook" in triggers[1:]
