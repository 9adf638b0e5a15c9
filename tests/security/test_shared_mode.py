"""A shared sandbox: admin token for tenants and the catcher, quotas, hidden target replies.

Loopback stays open (the first tests); shared mode starts beyond loopback or with an
admin token. Each test flips one setting on the app and checks one rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox.core import tenants
from sandbox.core.models import WebhookAttempt
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks import signing
from sandbox.extensions import db
from sandbox.shared import is_shared

TOKEN = "admin-token-for-tests"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def shared(app: Flask) -> FlaskClient:
    """The app as a team sandbox: served on every interface, with an admin token.

    No cap on the tenant count but in the test of the cap: the PostgreSQL test database keeps
    every earlier test's tenants for the session, and a growing suite passed the default 1,000
    before these tests ran (every creation then answered 429)."""
    app.config.update(HOST="0.0.0.0", ADMIN_TOKEN=TOKEN, TENANT_LIMIT=10**9)
    return app.test_client()


def create_tenant(client: FlaskClient, **headers: str) -> Any:
    return client.post("/control/tenants", json={"seed": 7}, headers=headers)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_is_not_shared_and_tenant_creation_stays_open(app: Flask, host: str) -> None:
    app.config["HOST"] = host
    assert not is_shared(app)
    assert create_tenant(app.test_client()).status_code == 201


def test_serving_beyond_loopback_is_shared(app: Flask) -> None:
    app.config["HOST"] = "0.0.0.0"
    assert is_shared(app)


def test_an_admin_token_makes_a_loopback_sandbox_shared(app: Flask) -> None:
    app.config["ADMIN_TOKEN"] = TOKEN
    assert is_shared(app)


def test_shared_tenant_creation_without_the_admin_token_is_refused(shared: FlaskClient) -> None:
    reply = create_tenant(shared)
    assert reply.status_code == 401
    assert reply.get_json()["error"]["code"] == "ADMIN_TOKEN_REQUIRED"


def test_shared_tenant_creation_with_a_wrong_token_is_refused(shared: FlaskClient) -> None:
    assert create_tenant(shared, Authorization="Bearer guess").status_code == 401


def test_shared_tenant_creation_with_the_admin_token_works(shared: FlaskClient) -> None:
    assert create_tenant(shared, **ADMIN).status_code == 201


def test_shared_without_a_configured_token_closes_tenant_creation(app: Flask) -> None:
    app.config.update(HOST="0.0.0.0", ADMIN_TOKEN=None)
    reply = create_tenant(app.test_client(), Authorization="Bearer ")
    assert reply.status_code == 401 and "CLI" in reply.get_json()["error"]["message"]


def test_shared_tenant_creation_is_rate_limited_per_address(
    shared: FlaskClient, app: Flask
) -> None:
    app.config["TENANT_CREATE_PER_MINUTE"] = 2
    statuses = [create_tenant(shared, **ADMIN).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_shared_tenant_count_is_capped(shared: FlaskClient, app: Flask) -> None:
    app.config["TENANT_LIMIT"] = 1
    create_tenant(shared, **ADMIN)
    reply = create_tenant(shared, **ADMIN)
    assert reply.status_code == 429 and reply.get_json()["error"]["field"] == "tenants"


def test_shared_catcher_cannot_be_read_without_the_admin_token(shared: FlaskClient) -> None:
    assert shared.get("/control/webhook-catcher/demo").status_code == 401
    assert shared.delete("/control/webhook-catcher/demo").status_code == 401
    assert shared.get("/control/webhook-catcher/demo", headers=ADMIN).status_code == 200


def test_shared_catcher_refuses_webhooks_not_signed_by_this_sandbox(shared: FlaskClient) -> None:
    reply = shared.post("/control/webhook-catcher/demo", data=b"{}")
    assert reply.status_code == 401
    assert reply.get_json()["error"]["field"] == "Plaid-Verification"


def test_shared_catcher_stores_webhooks_this_sandbox_signed(
    shared: FlaskClient, tenant_keys: tenants.Keys
) -> None:
    tenant = tenants.authenticate(db.session, tenant_keys.client_id, tenant_keys.secret)
    now = dt.datetime.now(dt.UTC)
    key = signing.current_key(db.session, tenant, now)
    db.session.commit()
    body = b'{"webhook_type": "ITEM"}'
    headers = {"Plaid-Verification": signing.sign(key, body, now)}
    assert (
        shared.post("/control/webhook-catcher/demo", data=body, headers=headers).status_code == 200
    )
    tampered = shared.post("/control/webhook-catcher/demo", data=body + b" ", headers=headers)
    assert tampered.status_code == 401


def test_catcher_keeps_only_the_newest_per_name(app: Flask) -> None:
    app.config["CATCHER_KEEP"] = 3
    client = app.test_client()
    for n in range(5):
        client.post("/control/webhook-catcher/demo", json={"n": n})
    kept = client.get("/control/webhook-catcher/demo").get_json()["webhooks"]
    assert [w["body"] for w in kept] == ['{"n": 2}', '{"n": 3}', '{"n": 4}']


def test_catcher_keeps_only_the_newest_in_all(app: Flask) -> None:
    app.config["CATCHER_KEEP_ALL"] = 2
    client = app.test_client()
    for name in ("a", "b", "c"):
        client.post(f"/control/webhook-catcher/{name}", json={"name": name})
    assert client.get("/control/webhook-catcher/a").get_json()["webhooks"] == []
    assert len(client.get("/control/webhook-catcher/c").get_json()["webhooks"]) == 1


def test_catcher_refuses_bodies_over_its_size_limit(app: Flask) -> None:
    app.config["CATCHER_MAX_BODY"] = 100
    reply = app.test_client().post("/control/webhook-catcher/demo", data=b"x" * 101)
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == "body"


def _event_with_reply(keys: tenants.Keys) -> int:
    """A delivered webhook whose target answered with an internal page."""
    tenant = tenants.authenticate(db.session, keys.client_id, keys.secret)
    event = webhooks.emit(db.session, tenant, None, "LINK", "EVENTS", {}, url="http://10.0.0.5/")
    assert event is not None
    db.session.add(
        WebhookAttempt(
            event_id=event.id,
            started_at=dt.datetime.now(dt.UTC),
            status_code=200,
            latency_ms=3,
            response_excerpt="internal admin page",
            error=None,
        )
    )
    db.session.commit()
    return event.id


def _excerpt(client: FlaskClient, keys: tenants.Keys, event_id: int, **headers: str) -> Any:
    auth = {"PLAID-CLIENT-ID": keys.client_id, "PLAID-SECRET": keys.secret, **headers}
    reply = client.get(f"/control/webhooks/{event_id}", headers=auth).get_json()
    return reply["webhook"]["attempt_log"][0]["response_excerpt"]


def test_shared_control_api_hides_webhook_target_replies(
    shared: FlaskClient, tenant_keys: tenants.Keys
) -> None:
    event_id = _event_with_reply(tenant_keys)
    assert _excerpt(shared, tenant_keys, event_id) is None
    assert _excerpt(shared, tenant_keys, event_id, **{"Sandbox-Admin-Token": TOKEN}) == (
        "internal admin page"
    )


def test_loopback_control_api_shows_webhook_target_replies(
    app: Flask, tenant_keys: tenants.Keys
) -> None:
    event_id = _event_with_reply(tenant_keys)
    assert _excerpt(app.test_client(), tenant_keys, event_id) == "internal admin page"
