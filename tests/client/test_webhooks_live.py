"""End to end: the sandbox signs (ES256) and delivers webhooks; the client verifies, queues and
a worker acts. Distinct events with identical bodies all count; a signed redelivery does not."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from flask import Flask, request
from sqlalchemy import select

from client.notify import CollectingNotifier
from client.store.db import Store
from client.store.models import Connection, SyncRun, WebhookReceipt
from client.sync.connections import BankSync
from client.webhooks import WebhookProcessor, WebhookVerifier, make_blueprint
from client.webhooks.receiver import event_identity
from client.worker.service import Worker
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches, serve


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


@dataclass
class Delivery:
    """One webhook exactly as it arrived, and what the receiver answered."""

    signature: str
    body: bytes
    reply: dict[str, str] = field(default_factory=dict)


@dataclass
class Hook:
    """The app's receiver on a real port, recording every delivery."""

    url: str
    deliveries: list[Delivery]

    def of(self, code: str) -> list[Delivery]:
        """Deliveries of one webhook code, in arrival order."""
        return [d for d in self.deliveries if f'"webhook_code": "{code}"'.encode() in d.body]


@pytest.fixture
def hook(bank: BankSync) -> Iterator[Hook]:
    """A Flask app with the client's blueprint, recording raw requests and replies."""
    processor = WebhookProcessor(bank, WebhookVerifier.for_client(bank.plaid))
    app = Flask("receiver")
    app.register_blueprint(make_blueprint(processor))
    seen: list[Delivery] = []

    @app.after_request
    def record(response: object) -> object:
        sig = request.headers.get("Plaid-Verification", "")
        seen.append(Delivery(sig, request.get_data(), response.get_json()))  # type: ignore[attr-defined]
        return response

    with serve(app) as url:
        yield Hook(url + "/webhooks/plaid", seen)


def deliver(tenant: Tenant, hook: Hook, code: str, count: int) -> list[Delivery]:
    """Ask the sandbox to deliver until `count` webhooks of `code` arrived."""
    deadline = time.monotonic() + 20
    while len(hook.of(code)) < count and time.monotonic() < deadline:
        requests.post(
            tenant.url + "/control/webhooks/deliver",
            timeout=10,
            headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
        )
        time.sleep(0.05)
    arrived = hook.of(code)
    assert len(arrived) >= count, f"{len(arrived)} of {count} {code} webhooks arrived"
    return arrived


def test_distinct_events_with_identical_bodies_each_sync(
    bank: BankSync, tenant: Tenant, hook: Hook
) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30, webhook=hook.url)
    assert bank.sync(cid).ok
    worker = Worker(bank)
    for round_ in range(1, 4):
        tenant.advance(3)  # new transactions: the sandbox sends SYNC_UPDATES_AVAILABLE
        arrived = deliver(tenant, hook, "SYNC_UPDATES_AVAILABLE", round_)
        assert arrived[-1].reply == {"status": "queued", "action": "sync"}
        worker.tick()
        assert_store_matches(bank.store, cid, ground_truth(bank, cid))
    bodies = {d.body for d in hook.of("SYNC_UPDATES_AVAILABLE")}
    assert len(bodies) == 1  # Plaid's body carries nothing that tells events apart
    with bank.store.session() as s:
        triggers = [r.trigger for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert triggers.count("webhook") >= 3


def test_signed_redelivery_is_not_a_new_event(bank: BankSync, tenant: Tenant, hook: Hook) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30, webhook=hook.url)
    assert bank.sync(cid).ok
    tenant.post(
        "/sandbox/item/fire_webhook",
        access_token=bank.access_token(cid),
        webhook_type="TRANSACTIONS",
        webhook_code="SYNC_UPDATES_AVAILABLE",
    )
    original = deliver(tenant, hook, "SYNC_UPDATES_AVAILABLE", 1)[0]
    replay = requests.post(
        hook.url,
        data=original.body,
        headers={"Plaid-Verification": original.signature, "Content-Type": "application/json"},
        timeout=10,
    )
    assert replay.json() == {"status": "duplicate", "action": "none"}
    identity = event_identity(original.signature)
    with bank.store.session() as s:
        found = s.scalars(select(WebhookReceipt).where(WebhookReceipt.digest == identity)).all()
    assert len(found) == 1 and found[0].webhook_code == "SYNC_UPDATES_AVAILABLE"


def fire(bank: BankSync, tenant: Tenant, cid: int, code: str) -> None:
    """/sandbox/item/fire_webhook for an ITEM code."""
    tenant.post(
        "/sandbox/item/fire_webhook",
        access_token=bank.access_token(cid),
        webhook_type="ITEM",
        webhook_code=code,
    )


def test_item_webhooks_from_the_sandbox(
    bank: BankSync, tenant: Tenant, hook: Hook, notes: CollectingNotifier
) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30, webhook=hook.url)
    assert bank.sync(cid).ok
    worker = Worker(bank)
    for code in ("PENDING_DISCONNECT", "NEW_ACCOUNTS_AVAILABLE", "USER_ACCOUNT_REVOKED"):
        fire(bank, tenant, cid, code)
        (arrived,) = deliver(tenant, hook, code, 1)
        assert arrived.reply == {"status": "queued", "action": code.lower()}
    worker.tick()
    kinds = {n.kind: n for n in notes.notes}
    assert kinds["reauth_reminder"].error_code == "PENDING_DISCONNECT"
    assert "/link?token=link-" in (kinds["new_accounts"].url or "")
    assert kinds["access_revoked"].error_code == "USER_ACCOUNT_REVOKED"
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.consent_expires_at is not None
        assert conn.consent_expires_at > dt.datetime.now(dt.UTC)

    tenant.post("/sandbox/item/reset_login", access_token=bank.access_token(cid))
    deliver(tenant, hook, "ERROR", 1)
    worker.tick()
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "login_required"
    assert notes.notes[-1].kind == "login_required"
