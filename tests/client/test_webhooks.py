"""Webhook verification (ES256, key by kid, body hash, freshness) and webhook-driven sync."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client

from client.api.plaid import PlaidClient
from client.store.db import Store
from client.store.jobs import Job
from client.store.models import Connection, SyncRun, WebhookReceipt
from client.sync.connections import BankSync
from client.webhooks import (
    WebhookProcessor,
    WebhookVerificationError,
    WebhookVerifier,
    make_blueprint,
    make_wsgi_app,
)
from client.worker.service import Worker
from tests.client.helpers import Signer, count_rows, serve


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


@pytest.fixture
def signer() -> Signer:
    """A Plaid-like signing key."""
    return Signer()


@pytest.fixture
def verifier(signer: Signer) -> Iterator[WebhookVerifier]:
    """A verifier fetching keys over HTTP from a local Plaid-compatible key endpoint."""
    with serve(signer.key_app()) as url:
        keys = PlaidClient(url, "id", "secret", sleep=lambda _s: None)
        yield WebhookVerifier.for_client(keys)
        keys.close()


def _body(**event: Any) -> bytes:
    return json.dumps(event, indent=2).encode()


def test_verify_valid_webhook_and_cache_key(signer: Signer, verifier: WebhookVerifier) -> None:
    body = _body(webhook_type="TRANSACTIONS", webhook_code="SYNC_UPDATES_AVAILABLE")
    assert verifier.verify(body, signer.sign(body))["webhook_code"] == "SYNC_UPDATES_AVAILABLE"
    verifier.verify(body, signer.sign(body))
    assert signer.fetches == 1


@pytest.mark.parametrize(
    "case", ["forged", "tampered", "stale", "hs256", "missing", "unknown_kid", "garbage"]
)
def test_verify_rejects(case: str, signer: Signer, verifier: WebhookVerifier) -> None:
    body = _body(webhook_type="ITEM", webhook_code="ERROR")
    header: str | None = signer.sign(body)
    if case == "forged":
        header = Signer().sign(body, kid=signer.kid)
    elif case == "tampered":
        body = body.replace(b"ERROR", b"LOGIN_REPAIRED")
    elif case == "stale":
        header = signer.sign(body, iat=time.time() - 6 * 60)
    elif case == "hs256":
        import jwt

        header = jwt.encode(
            {"iat": int(time.time())}, "k" * 32, algorithm="HS256", headers={"kid": signer.kid}
        )
    elif case == "missing":
        header = None
    elif case == "unknown_kid":
        header = signer.sign(body, kid="00000000-0000-0000-0000-000000000000")
    else:
        header = "not.a.jwt"
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, header)


def test_verify_rejects_expired_key(signer: Signer, verifier: WebhookVerifier) -> None:
    signer.expired_at = int(time.time())
    body = _body(webhook_type="ITEM", webhook_code="ERROR")
    with pytest.raises(WebhookVerificationError, match="expired"):
        verifier.verify(body, signer.sign(body))


def _link(bank: BankSync) -> tuple[int, str]:
    """Connect First Platypus through the sandbox shortcut: (connection id, Plaid item id)."""
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.item_id is not None
        return cid, conn.item_id


def _sync_body(item_id: str) -> bytes:
    return _body(
        webhook_type="TRANSACTIONS",
        webhook_code="SYNC_UPDATES_AVAILABLE",
        item_id=item_id,
        initial_update_complete=True,
        historical_update_complete=True,
        environment="sandbox",
    )


def test_webhook_driven_sync_verified_and_forged(
    bank: BankSync, signer: Signer, verifier: WebhookVerifier
) -> None:
    _, item_id = _link(bank)
    app = Flask("host-app")
    app.register_blueprint(make_blueprint(WebhookProcessor(bank, verifier)))
    client = app.test_client()
    body = _sync_body(item_id)

    forged = client.post(
        "/webhooks/plaid",
        data=body,
        headers={"Plaid-Verification": Signer().sign(body, kid=signer.kid)},
    )
    assert forged.status_code == 401 and count_rows(bank.store, Job) == 0

    ok = client.post(
        "/webhooks/plaid", data=body, headers={"Plaid-Verification": signer.sign(body)}
    )
    assert ok.status_code == 200 and ok.get_json() == {"status": "queued", "action": "sync"}
    assert count_rows(bank.store, SyncRun) == 0  # nothing ran on the request thread
    assert Worker(bank).tick() == 1
    with bank.store.session() as s:
        run = s.scalars(select(SyncRun)).one()
        assert run.trigger == "webhook" and run.added > 0


def test_signed_redelivery_is_one_event_equal_bodies_are_two(
    bank: BankSync, signer: Signer, verifier: WebhookVerifier
) -> None:
    _, item_id = _link(bank)
    processor = WebhookProcessor(bank, verifier)
    body = _sync_body(item_id)
    first = signer.sign(body)
    assert processor.handle(body, first)[1]["status"] == "queued"
    assert processor.handle(body, first) == (200, {"status": "duplicate", "action": "none"})
    # Same bytes, signed again in the same second: a distinct event, never dropped...
    second = signer.sign(body, iat=jwt_iat(first))
    assert second != first
    assert processor.handle(body, second)[1]["status"] == "queued"
    assert count_rows(bank.store, WebhookReceipt) == 2
    # ...and the work is coalesced: one waiting sync covers both events.
    with bank.store.session() as s:
        assert s.scalars(select(Job.kind)).all() == ["sync"]
    assert Worker(bank).tick() == 1
    third = signer.sign(body)
    assert processor.handle(body, third)[1]["status"] == "queued"  # after the run: new job
    assert count_rows(bank.store, Job) == 2


def jwt_iat(token: str) -> int:
    """The `iat` claim of a JWT (unverified; tests only)."""
    import jwt

    iat: int = jwt.decode(token, options={"verify_signature": False})["iat"]
    return iat


def test_item_error_webhook_via_plain_wsgi(
    bank: BankSync, signer: Signer, verifier: WebhookVerifier
) -> None:
    cid, item_id = _link(bank)
    assert bank.sync(cid).ok  # not due for a scheduled sync, so only the event's job runs
    body = _body(
        webhook_type="ITEM",
        webhook_code="ERROR",
        item_id=item_id,
        environment="sandbox",
        error={
            "error_type": "ITEM_ERROR",
            "error_code": "ITEM_LOGIN_REQUIRED",
            "error_message": "login required",
            "display_message": "sign in again",
            "status": 400,
        },
    )
    wsgi = Client(make_wsgi_app(WebhookProcessor(bank, verifier)))
    reply = wsgi.post("/", data=body, headers={"Plaid-Verification": signer.sign(body)})
    assert reply.status_code == 200 and reply.json == {"status": "queued", "action": "error"}
    Worker(bank).tick()
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "login_required"
        assert conn.last_error_message == "sign in again"
    assert wsgi.get("/").status_code == 405
