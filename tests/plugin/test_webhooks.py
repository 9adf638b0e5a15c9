"""The plugin's server delivers webhooks by itself, as ``bank-sandbox serve`` does."""

from __future__ import annotations

import pytest

from .inner import run

RECEIVER = """
import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver(ThreadingHTTPServer):
    \"\"\"The app's webhook endpoint: answers ``status`` and queues what arrives.\"\"\"

    status = 200

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrived = queue.Queue()
        self.url = f"http://127.0.0.1:{self.server_port}/hooks/plaid"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.arrived.put((dict(self.headers), json.loads(body)))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
"""


def test_plugin_delivers_to_a_local_receiver_without_being_asked(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(RECEIVER)
    result = run(
        pytester,
        """
        def test_link_notifies_the_app(sandbox_tenant, receiver):
            token = sandbox_tenant.link_item(webhook=receiver.url)
            item_id = sandbox_tenant.call("/item/get", access_token=token)["item"]["item_id"]
            codes = []
            for _ in range(2):  # nothing is called: the server's dispatcher sends them
                headers, body = receiver.arrived.get(timeout=10)
                assert headers["Plaid-Verification"].count(".") == 2  # a signed JWT
                assert body["item_id"] == item_id
                codes.append(body["webhook_code"])
            assert codes == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_wait_for_webhooks_returns_once_a_failed_attempt_is_recorded(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(RECEIVER)
    result = run(
        pytester,
        """
        def test_receiver_down(sandbox_tenant, receiver):
            receiver.status = 500
            sandbox_tenant.link_item(webhook=receiver.url)
            sandbox_tenant.wait_for_webhooks()
            assert receiver.arrived.qsize() == 1, "one attempt; the retry is 30 s away"
            log = sandbox_tenant.get("/control/webhooks")["webhooks"]
            assert [(w["webhook_code"], w["status"], w["attempts"]) for w in log] == [
                ("HISTORICAL_UPDATE", "pending", 0), ("INITIAL_UPDATE", "pending", 1)]
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_webhook_catcher_has_each_webhook_once_in_order(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        def test_catcher(sandbox_tenant, webhook_catcher):
            token = sandbox_tenant.link_item(webhook=webhook_catcher.url)
            assert webhook_catcher.codes() == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]
            sandbox_tenant.call("/sandbox/item/reset_login", access_token=token)
            bodies = webhook_catcher.received()
            assert [b["webhook_code"] for b in bodies] == [
                "INITIAL_UPDATE", "HISTORICAL_UPDATE", "ERROR"]
            assert bodies[-1]["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"

        def test_catchers_are_private(sandbox_tenant, webhook_catcher):
            sandbox_tenant.link_item()
            assert webhook_catcher.received() == []
    """,
    )
    result.assert_outcomes(passed=2)
