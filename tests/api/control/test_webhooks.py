"""Control API for webhooks, and Plaid's /sandbox/item/fire_webhook, via the test client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from sandbox.core.models import CaughtWebhook
from sandbox.core.webhooks.dispatch import Dispatcher, Outcome
from sandbox.extensions import db
from tests.conftest import PlaidClient

HOOK = "https://receiver.test/hook"


def control(plaid: PlaidClient, method: str, path: str) -> Any:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    return plaid.client.open(f"/control{path}", method=method, headers=headers)


def codes(plaid: PlaidClient) -> list[str]:
    return [w["webhook_code"] for w in control(plaid, "GET", "/webhooks").get_json()["webhooks"]]


def test_webhooks_list_shows_link_events_newest_first(app: Flask, plaid: PlaidClient) -> None:
    plaid.link_item(webhook=HOOK)
    assert codes(plaid) == ["INITIAL_UPDATE"]  # only the last 30 days are written at link


def test_historical_update_follows_the_first_read(plaid: PlaidClient) -> None:
    token = plaid.link_item(webhook=HOOK, transactions={"days_requested": 730})
    plaid.ok("/accounts/get", access_token=token)
    assert codes(plaid) == ["HISTORICAL_UPDATE", "INITIAL_UPDATE"]
    history = plaid.ok("/transactions/sync", access_token=token, count=500)
    assert history["has_more"], "the first sync chain carries the whole 24 months"


def test_historical_update_follows_a_delivery_run_without_any_read(plaid: PlaidClient) -> None:
    plaid.link_item(webhook=HOOK, transactions={"days_requested": 730})
    control(plaid, "POST", "/webhooks/deliver")
    assert codes(plaid) == ["HISTORICAL_UPDATE", "INITIAL_UPDATE"]


def test_fire_webhook_queues_code_and_replies_webhook_fired(plaid: PlaidClient) -> None:
    token = plaid.link_item(webhook=HOOK)
    reply = plaid.ok(
        "/sandbox/item/fire_webhook", access_token=token, webhook_code="DEFAULT_UPDATE"
    )
    assert reply["webhook_fired"] is True
    assert codes(plaid)[0] == "DEFAULT_UPDATE"


def test_fire_webhook_without_webhook_is_sandbox_webhook_invalid(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    error = plaid.error(
        "/sandbox/item/fire_webhook", access_token=token, webhook_code="LOGIN_REPAIRED"
    )
    assert (error["error_type"], error["error_code"]) == (
        "SANDBOX_ERROR",
        "SANDBOX_WEBHOOK_INVALID",
    )


def test_fire_webhook_for_missing_product_is_not_enabled(plaid: PlaidClient) -> None:
    token = plaid.link_item(webhook=HOOK)
    error = plaid.error(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_type="LIABILITIES",
        webhook_code="DEFAULT_UPDATE",
    )
    assert error["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"


def test_reset_login_and_webhook_update_queue_item_webhooks(plaid: PlaidClient) -> None:
    token = plaid.link_item(webhook=HOOK)
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    plaid.ok("/item/webhook/update", access_token=token, webhook="https://new.test/hook")
    rows = control(plaid, "GET", "/webhooks?limit=2").get_json()["webhooks"]
    assert [(w["webhook_code"], w["url"]) for w in rows] == [
        ("WEBHOOK_UPDATE_ACKNOWLEDGED", "https://new.test/hook"),
        ("ERROR", HOOK),
    ]


def test_webhook_detail_redeliver_pause_and_bad_status(plaid: PlaidClient) -> None:
    plaid.link_item(webhook=HOOK)
    first = control(plaid, "GET", "/webhooks").get_json()["webhooks"][-1]
    detail = control(plaid, "GET", f"/webhooks/{first['id']}").get_json()["webhook"]
    assert detail["body"].startswith('{\n  "webhook_type": "TRANSACTIONS"')
    assert control(plaid, "POST", f"/webhooks/{first['id']}/redeliver").status_code == 200
    assert control(plaid, "POST", "/webhooks/pause").get_json() == {"paused": True}
    assert control(plaid, "GET", "/webhooks").get_json()["paused"] is True
    bad = control(plaid, "GET", "/webhooks?status=lost")
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (400, "status")
    assert control(plaid, "GET", "/webhooks/999999").status_code == 404


def test_a_misspelt_log_filter_is_refused_naming_it(plaid: PlaidClient) -> None:
    """``stauts=failed`` was ignored: the reply listed every webhook as if they had failed."""
    plaid.link_item(webhook=HOOK)
    bad = control(plaid, "GET", "/webhooks?stauts=failed&limit=5")
    error = bad.get_json()["error"]
    assert (bad.status_code, error["code"], error["field"]) == (400, "UNKNOWN_FIELDS", "stauts")


def test_a_redelivery_counts_as_an_attempt_and_a_delivered_webhook_has_no_next_attempt(
    plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``attempts`` was reset to 0 by a redelivery (1 beside a log of 2), and a delivered
    webhook kept the dispatcher's lease as a future ``next_attempt_at``."""
    plaid.link_item(webhook=HOOK)
    monkeypatch.setattr(Dispatcher, "send", lambda *_: Outcome(200, 3, "ok", None))
    event_id = control(plaid, "GET", "/webhooks").get_json()["webhooks"][-1]["id"]
    for _ in range(2):
        control(plaid, "POST", "/webhooks/deliver")
        found = control(plaid, "GET", f"/webhooks/{event_id}").get_json()["webhook"]
        assert (found["status"], found["next_attempt_at"]) == ("delivered", None)
        assert found["attempts"] == len(found["attempt_log"])
        queued = control(plaid, "POST", f"/webhooks/{event_id}/redeliver").get_json()["webhook"]
        assert (queued["status"], queued["delivered_at"]) == ("pending", None)
        assert queued["attempts"] == found["attempts"]
    assert found["attempts"] == 2


def test_webhook_key_rotation_keeps_old_key_served_as_expired(plaid: PlaidClient) -> None:
    old = control(plaid, "POST", "/webhook-keys/rotate").get_json()["key"]
    new = control(plaid, "POST", "/webhook-keys/rotate").get_json()["key"]
    served = plaid.ok("/webhook_verification_key/get", key_id=old["kid"])["key"]
    assert served["expired_at"] is not None and new["expired_at"] is None


def test_webhook_catcher_stores_and_lists_without_keys(app: Flask) -> None:
    client = app.test_client()
    sent = client.post(
        "/control/webhook-catcher/demo", data=b'{"a": 1}', headers={"Plaid-Verification": "jwt"}
    )
    assert sent.status_code == 200
    caught = client.get("/control/webhook-catcher/demo").get_json()["webhooks"]
    assert (caught[0]["body"], caught[0]["headers"]["Plaid-Verification"]) == ('{"a": 1}', "jwt")
    client.delete("/control/webhook-catcher/demo")
    assert client.get("/control/webhook-catcher/demo").get_json()["webhooks"] == []


CREDENTIALS = {
    "Authorization": "Bearer sk-live-1",
    "Proxy-Authorization": "Basic dTpw",
    "PLAID-CLIENT-ID": "client-2",
    "PLAID-SECRET": "secret-3",
    "Cookie": "session=cookie-4",
    "X-Api-Key": "key-5",
    "X-Auth-Token": "token-6",
}


def test_the_catcher_keeps_credential_headers_by_name_only(app: Flask) -> None:
    """It stored and showed them as sent: an API call posted to it by mistake leaked the
    caller's keys to anyone who knew the catcher's name, and into the database."""
    client = app.test_client(use_cookies=False)  # the Cookie header as sent
    sent = {**CREDENTIALS, "Plaid-Verification": "jwt", "X-Request-Id": "r-7"}
    assert client.post("/control/webhook-catcher/keys", data=b"{}", headers=sent).status_code == 200
    shown = client.get("/control/webhook-catcher/keys").get_json()["webhooks"][0]["headers"]
    stored = db.session.scalars(select(CaughtWebhook)).one().headers
    for headers in (shown, stored):
        by_name = {name.lower(): value for name, value in headers.items()}
        expected = {
            **{name.lower(): "[redacted]" for name in CREDENTIALS},
            "plaid-verification": "jwt",  # a signature the receiver verifies, no secret
            "x-request-id": "r-7",
        }
        assert by_name.items() >= expected.items()
        assert not any(secret in str(headers) for secret in CREDENTIALS.values())


def test_the_catcher_redacts_credentials_caught_before_it_redacted_them(app: Flask) -> None:
    db.session.add(
        CaughtWebhook(
            name="old",
            received_at=dt.datetime.now(dt.UTC),
            headers={"Authorization": "Bearer sk-live-1", "Content-Type": "application/json"},
            body="{}",
        )
    )
    db.session.commit()
    shown = app.test_client().get("/control/webhook-catcher/old").get_json()["webhooks"]
    assert shown[0]["headers"] == {
        "Authorization": "[redacted]",
        "Content-Type": "application/json",
    }


def test_item_remove_shows_its_unsent_webhooks_cancelled_and_refuses_to_redeliver_them(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(webhook=HOOK)
    plaid.ok("/item/remove", access_token=token)
    found = control(plaid, "GET", "/webhooks?status=cancelled").get_json()["webhooks"]
    assert [(w["webhook_code"], w["next_attempt_at"]) for w in found] == [("INITIAL_UPDATE", None)]
    refused = control(plaid, "POST", f"/webhooks/{found[0]['id']}/redeliver")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["field"] == "event_id"
    assert control(plaid, "POST", "/webhooks/deliver").get_json() == {"attempts": 0}


REJECTING = 10  # attempts before Plaid's rejection rule can trip


def reject_everything(plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``REJECTING`` items at ``HOOK``, every attempt rejected, one delivery run; the log of
    the webhooks attempted (an item's first webhook holds its next one back until it is
    delivered or given up, so each item gives one attempt until the rule trips)."""
    for _ in range(REJECTING):
        plaid.link_item(webhook=HOOK)
    monkeypatch.setattr(Dispatcher, "send", lambda *_: Outcome(500, 3, "no", None))
    control(plaid, "POST", "/webhooks/deliver")
    log = control(plaid, "GET", "/webhooks").get_json()["webhooks"]
    return [w for w in log if w["attempts"]]


def test_past_90_percent_rejected_a_failure_is_endpoint_failing_and_redeliverable(
    plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempted = reject_everything(plaid, monkeypatch)
    retrying = [w for w in attempted if w["status"] == "pending"]
    assert len(retrying) == REJECTING - 1  # under the minimum: retried as ever
    assert all(w["next_attempt_at"] for w in retrying)
    stopped = control(plaid, "GET", "/webhooks?status=endpoint_failing").get_json()["webhooks"]
    assert stopped and stopped == [w for w in attempted if w not in retrying]
    detail = control(plaid, "GET", f"/webhooks/{stopped[-1]['id']}").get_json()["webhook"]
    assert (detail["attempts"], detail["next_attempt_at"]) == (1, None)
    queued = control(plaid, "POST", f"/webhooks/{detail['id']}/redeliver").get_json()["webhook"]
    assert queued["status"] == "pending"
    monkeypatch.setattr(Dispatcher, "send", lambda *_: Outcome(200, 3, "ok", None))
    control(plaid, "POST", "/webhooks/deliver")
    found = control(plaid, "GET", f"/webhooks/{detail['id']}").get_json()["webhook"]
    assert (found["status"], found["attempts"]) == ("delivered", 2)


def test_with_the_rejection_rule_off_every_failure_is_retried(
    app: Flask, plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_REJECTION_RULE", "off")
    attempted = reject_everything(plaid, monkeypatch)
    assert len(attempted) == REJECTING
    assert {w["status"] for w in attempted} == {"pending"}
