"""The app's webhook receiver (the client's, mounted) and its OpenAPI document."""

from __future__ import annotations

import time

import pytest
import requests
from openapi_spec_validator import validate
from sqlalchemy import select

from client.store.jobs import Job
from client.store.models import SyncRun, WebhookReceipt
from tests.client.app.conftest import World
from tests.client.helpers import serve

pytestmark = pytest.mark.e2e


def receipts(world: World, code: str) -> int:
    with world.bank.store.session() as session:
        found = session.scalars(select(WebhookReceipt).where(WebhookReceipt.webhook_code == code))
        return len(found.all())


def test_sandbox_webhooks_reach_the_app_and_queue_a_sync(world: World) -> None:
    with serve(world.app) as url:
        cid = world.bank.connect_sandbox(
            "ins_109512", user_ref="bob", days_requested=30, webhook=f"{url}/webhooks/plaid"
        )
        world.tenant.post(
            "/sandbox/item/fire_webhook",
            access_token=world.bank.access_token(cid),
            webhook_type="TRANSACTIONS",
            webhook_code="SYNC_UPDATES_AVAILABLE",
        )
        deadline = time.monotonic() + 20
        while not receipts(world, "SYNC_UPDATES_AVAILABLE") and time.monotonic() < deadline:
            world.tenant.post("/control/webhooks/deliver")
            time.sleep(0.05)
        unsigned = requests.post(f"{url}/webhooks/plaid", json={"webhook_type": "X"}, timeout=10)
    assert receipts(world, "SYNC_UPDATES_AVAILABLE") == 1
    assert unsigned.status_code == 401
    with world.bank.store.session() as session:
        jobs = session.scalars(select(Job).where(Job.connection_id == cid)).all()
    assert [j.payload["trigger"] for j in jobs] == ["webhook"]
    world.run_jobs()
    with world.bank.store.session() as session:
        run = session.scalar(select(SyncRun).where(SyncRun.connection_id == cid))
    assert run is not None and run.trigger == "webhook" and run.error_code is None


def test_openapi_is_valid_and_documents_every_api_route(world: World) -> None:
    document = world.client().get("/openapi.json").json
    validate(document)
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (str(rule).replace("<int:", "{").replace(">", "}"), method)
        for rule in world.app.url_map.iter_rules()
        if str(rule).startswith(("/api/", "/webhooks/"))
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert documented == served
