"""Re-auth end to end: the bank wants a new login, `bank-client reconnect` prints the update-mode
Link URL, the user signs in through the hosted pages in Chromium, and the LOGIN_REPAIRED webhook
lets the client's worker repair and catch up the connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from client.api.plaid import PlaidClient
from client.cli import main
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.store.db import Store
from client.store.models import Connection, SyncRun, WebhookReceipt
from client.sync.connections import BankSync
from client.webhooks import WebhookProcessor, WebhookVerifier, make_blueprint
from client.worker.service import Worker
from sandbox.testing import LiveSandbox
from tests.client.helpers import serve

pytestmark = pytest.mark.browser


@pytest.fixture
def app_side(live: LiveSandbox, tmp_path: Path) -> Iterator[tuple[BankSync, str, str]]:
    """The app: a client store, its webhook receiver on a port, and the Fernet key it uses."""
    key = TokenCipher.generate_key()
    store = Store(f"sqlite:///{tmp_path / 'app.db'}")
    plaid = PlaidClient(live.url, live.client_id, live.secret, timeout=30)
    bank = BankSync(plaid, store, TokenCipher([key]), notifier=CollectingNotifier())
    receiver = Flask("app")
    receiver.register_blueprint(
        make_blueprint(WebhookProcessor(bank, WebhookVerifier.for_client(plaid)))
    )
    with serve(receiver) as url:
        yield bank, url + "/webhooks/plaid", key
    plaid.close()
    store.close()


def wait_for_webhook(live: LiveSandbox, bank: BankSync, code: str) -> None:
    """Until the receiver has recorded a webhook with this code."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        requests.post(
            live.url + "/control/webhooks/deliver",
            headers={"PLAID-CLIENT-ID": live.client_id, "PLAID-SECRET": live.secret},
            timeout=10,
        )
        with bank.store.session() as s:
            if s.scalar(select(WebhookReceipt.id).where(WebhookReceipt.webhook_code == code)):
                return
        time.sleep(0.1)
    raise AssertionError(f"no {code} webhook reached the app")


def status_of(bank: BankSync, cid: int) -> str:
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None
        return conn.status


def test_reconnect_through_update_mode_pages_repairs_the_connection(
    page: Page,
    live: LiveSandbox,
    app_side: tuple[BankSync, str, str],
    shot: Any,
    wide_console: None,
) -> None:
    bank, hook, key = app_side
    cid = bank.connect_sandbox("ins_109508", days_requested=30, webhook=hook)
    assert bank.sync(cid).ok
    worker = Worker(bank)
    live.post("/sandbox/item/reset_login", access_token=bank.access_token(cid))
    wait_for_webhook(live, bank, "ERROR")
    worker.tick()
    assert status_of(bank, cid) == "login_required"
    cli = CliRunner(
        env={
            "BANK_CLIENT_DB": str(bank.store.url),
            "PLAID_BASE_URL": live.url,
            "PLAID_CLIENT_ID": live.client_id,
            "PLAID_SECRET": live.secret,
            "BANK_CLIENT_KEYS": key,
        }
    )
    assert "healthy: no" in cli.invoke(main, ["status"]).output
    url = cli.invoke(main, ["reconnect", str(cid)]).output.strip()
    assert url.startswith(f"{live.url}/link?token=link-")

    page.goto(url)
    shot("update-consent")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("First Platypus Bank")
    page.get_by_label("Username").fill("user_good")
    page.get_by_label("Password").fill("pass_good")
    shot("update-credentials")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/link/finished**")
    shot("update-finished")

    wait_for_webhook(live, bank, "LOGIN_REPAIRED")
    worker.tick()
    assert status_of(bank, cid) == "active"
    with bank.store.session() as s:
        triggers = [r.trigger for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert triggers[-1] == "repair"
    assert "healthy: yes" in cli.invoke(main, ["status"]).output
