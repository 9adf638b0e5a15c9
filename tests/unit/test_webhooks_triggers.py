"""Which webhooks real state changes queue (outbox rows, no delivery)."""

from __future__ import annotations

import json

from sandbox.core.bank import Bank
from sandbox.core.webhooks import outbox as webhooks
from tests.unit.conftest import link

HOOK = "https://receiver.test/hook"


def queued(bank: Bank) -> list[tuple[str, dict[str, object]]]:
    rows = reversed(webhooks.events(bank.session, bank.tenant))
    return [(row.webhook_code, json.loads(row.body)) for row in rows]


def test_refresh_of_dynamic_item_queues_update_removed_and_sync_webhooks(bank: Bank) -> None:
    token = link(bank, username="user_transactions_dynamic", password="any")
    bank.item(token).webhook = HOOK
    bank.sync_transactions(token, None, 100)
    bank.refresh_transactions(token)
    found = dict(queued(bank))
    assert found["DEFAULT_UPDATE"]["new_transactions"]
    assert found["TRANSACTIONS_REMOVED"]["removed_transactions"]
    assert found["SYNC_UPDATES_AVAILABLE"]["historical_update_complete"] is True


def test_item_without_webhook_queues_nothing(bank: Bank) -> None:
    token = link(bank)
    bank.reset_login(token)
    assert queued(bank) == []


def test_reset_login_queues_item_error_with_status(bank: Bank) -> None:
    token = link(bank)
    bank.item(token).webhook = HOOK
    bank.reset_login(token)
    code, body = queued(bank)[-1]
    assert code == "ERROR"
    assert body["error"] == {**body["error"], "error_code": "ITEM_LOGIN_REQUIRED", "status": 400}  # type: ignore[dict-item]
