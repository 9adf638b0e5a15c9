"""Webhook targets: metadata addresses never fetched, the allowlist checked on resolved IPs.

The policy tests run without a network; the served tests deliver through a real server's
dispatcher (``POST /control/webhooks/deliver``) to a real listener on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from sandbox.core import tenants
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks.egress import EgressPolicy, EgressRefused, guarded_post
from sandbox.extensions import db
from sandbox.testing import LiveSandbox

from .conftest import Caller, new_tenant

ADMIN = {"Authorization": "Bearer egress-admin"}
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


class Listener(HTTPServer):
    """A webhook receiver on 127.0.0.1 that counts what it is sent."""

    hits: int = 0


class _Count(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # http.server's naming
        assert isinstance(self.server, Listener)
        self.server.hits += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"internal reply")

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(("127.0.0.1", 0), _Count)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "::ffff:169.254.169.254", "fe80::1", "100.100.100.200", "fd00:ec2::254"],
)
def test_metadata_and_link_local_addresses_are_always_refused(address: str) -> None:
    with pytest.raises(EgressRefused):
        EgressPolicy().check_address("metadata", ipaddress.ip_address(address))


def test_restricted_policy_allows_listed_hosts_wildcards_and_networks() -> None:
    policy = EgressPolicy(("hooks.example.com", "*.corp.test", "10.1.0.0/16"), restricted=True)
    policy.check_address("hooks.example.com", ipaddress.ip_address("203.0.113.9"))
    policy.check_address("ci.corp.test", ipaddress.ip_address("203.0.113.9"))
    policy.check_address("anything", ipaddress.ip_address("10.1.2.3"))
    with pytest.raises(EgressRefused):
        policy.check_address("evil.test", ipaddress.ip_address("10.2.0.1"))


def test_guarded_post_refuses_non_http_schemes() -> None:
    with pytest.raises(requests.ConnectionError):
        guarded_post(EgressPolicy())("file:///etc/passwd", data=b"{}", timeout=1)


def test_guarded_post_checks_the_resolved_address_not_the_url_text(listener: Listener) -> None:
    post = guarded_post(EgressPolicy(("10.0.0.0/8",), restricted=True))
    with pytest.raises(requests.ConnectionError, match="allowlist"):
        post(f"http://localhost:{listener.server_port}/hook", data=b"{}", timeout=5)
    assert listener.hits == 0


def _deliver_to(caller: Caller, url: str) -> dict[str, object]:
    """Point an item's webhook at ``url`` (Plaid acknowledges there), deliver, return the try."""
    token = caller.link_item()
    update = caller.post("/item/webhook/update", access_token=token, webhook=url)
    assert update.status_code == 200, update.text
    delivered = caller.post("/control/webhooks/deliver")
    assert delivered.status_code == 200 and delivered.json()["attempts"] >= 1, delivered.text
    events = caller.get("/control/webhooks").json()["webhooks"]
    detail = caller.get(f"/control/webhooks/{events[0]['id']}").json()["webhook"]
    attempt: dict[str, object] = detail["attempt_log"][-1]
    return attempt


def test_loopback_sandbox_delivers_webhooks_to_127_0_0_1(
    serve: Callable[..., LiveSandbox], listener: Listener
) -> None:
    caller = new_tenant(serve())
    attempt = _deliver_to(caller, f"http://127.0.0.1:{listener.server_port}/hook")
    assert attempt["status_code"] == 200 and listener.hits >= 1


def test_shared_sandbox_never_fetches_a_host_that_resolves_outside_the_allowlist(
    serve: Callable[..., LiveSandbox], listener: Listener
) -> None:
    server = serve(SHARED="on", ADMIN_TOKEN="egress-admin", WEBHOOK_ALLOWLIST="hooks.example.test")
    caller = new_tenant(server, **ADMIN)
    attempt = _deliver_to(caller, f"http://localhost:{listener.server_port}/hook")
    assert attempt["status_code"] is None and "allowlist" in str(attempt["error"])
    assert listener.hits == 0


def test_metadata_address_is_refused_when_set_as_a_webhook(
    serve: Callable[..., LiveSandbox],
) -> None:
    caller = new_tenant(serve())
    reply = caller.post(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["auth"],
        options={"webhook": METADATA_URL},
    )
    assert reply.status_code == 400
    assert "options.webhook" in reply.json()["error_message"]


def test_a_queued_webhook_to_the_metadata_address_is_never_fetched(
    serve: Callable[..., LiveSandbox],
) -> None:
    server = serve()
    caller = new_tenant(server)
    with server.app.app_context():  # queued as an older version could have stored it
        tenant = tenants.authenticate(db.session, caller.client_id, caller.secret)
        webhooks.emit(db.session, tenant, None, "LINK", "EVENTS", {}, url=METADATA_URL)
        db.session.commit()
    caller.post("/control/webhooks/deliver")
    event = caller.get("/control/webhooks").json()["webhooks"][0]
    attempt = caller.get(f"/control/webhooks/{event['id']}").json()["webhook"]["attempt_log"][0]
    assert attempt["status_code"] is None and attempt["response_excerpt"] is None
    assert "link-local or metadata" in attempt["error"]
