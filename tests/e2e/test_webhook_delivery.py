"""Webhook delivery to a real HTTP receiver, verified the way Plaid tells receivers to.

The receiver is a werkzeug server on a free port whose answers are scripted (200, 500,
or a reply slower than the dispatcher's timeout). The dispatcher runs in a thread with a
sub-second retry schedule, so retries happen for real without slow tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox import worker
from sandbox.core.webhooks.dispatch import Dispatcher
from sandbox.extensions import db
from sandbox.testing import LiveSandbox

pytestmark = pytest.mark.e2e
MAX_AGE = dt.timedelta(minutes=5)


class Receiver:
    """A webhook endpoint on a free port; ``script`` holds the next answers (200 after)."""

    def __init__(self) -> None:
        self.script: list[int | float] = []  # int: status; float: seconds to stall
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application  # type: ignore[arg-type]
    def app(self, request: Request) -> Response:
        answer = self.script.pop(0) if self.script else 200
        with self.arrived:  # recorded on arrival, so a stalled request keeps its place
            self.received.append((dict(request.headers), request.get_data()))
            self.arrived.notify_all()
        if isinstance(answer, float):
            time.sleep(answer)
            answer = 200
        return Response("ok" if answer == 200 else "boom", status=answer)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` requests arrived; returns their JSON bodies."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), (
                f"got {len(self.received)} of {count} webhooks"
            )
            return [json.loads(body) for _, body in self.received]


class Verifier:
    """Plaid's published receiver steps: ES256 only, JWK by kid, fresh iat, body hash."""

    def __init__(self, sandbox: LiveSandbox) -> None:
        self.sandbox = sandbox
        self.keys: dict[str, dict[str, Any]] = {}

    def verify(self, body: bytes, token: str, now: dt.datetime | None = None) -> bool:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "ES256":
            return False
        key = self._key(header["kid"])
        if key is None or key.get("expired_at") is not None:
            return False
        public = jwt.PyJWK({k: key[k] for k in ("kty", "crv", "x", "y", "alg", "kid")})
        try:
            claims = jwt.decode(token, public, algorithms=["ES256"], options={"verify_iat": False})
        except jwt.InvalidTokenError:
            return False
        issued = dt.datetime.fromtimestamp(claims["iat"], dt.UTC)
        if issued < (now or dt.datetime.now(dt.UTC)) - MAX_AGE:
            return False
        digest = hashlib.sha256(body).hexdigest()
        return hmac.compare_digest(digest, claims["request_body_sha256"])

    def _key(self, kid: str) -> dict[str, Any] | None:
        if kid not in self.keys:
            reply = self.sandbox.post("/webhook_verification_key/get", key_id=kid)
            if reply.status_code != 200:
                return None
            self.keys[kid] = reply.json()["key"]
        return self.keys[kid]


def fast_dispatcher() -> Dispatcher:
    return Dispatcher(timeout=0.5, retry_delays=(0.2, 0.2, 0.2), jitter=lambda d: d)


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sandbox.db'}"


def start_sandbox(database: str) -> LiveSandbox:
    config = {"DATABASE_URL": database, "SEED": 7, "SECRET_KEY": "k", "WEBHOOK_DISPATCHER": "off"}
    sandbox = LiveSandbox(config).start()
    with sandbox.app.app_context():
        db.create_all()  # the webhook tables, until the migration includes them
    return sandbox


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def sandbox(database: str) -> Iterator[LiveSandbox]:
    live = start_sandbox(database)
    _, stop = worker.start(live.app, dispatcher=fast_dispatcher(), poll=0.05)
    yield live
    stop.set()
    live.stop()


def link_item(sandbox: LiveSandbox, webhook: str) -> str:
    public = sandbox.post(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"webhook": webhook},
    ).json()["public_token"]
    token: str = sandbox.post("/item/public_token/exchange", public_token=public).json()[
        "access_token"
    ]
    return token


def test_link_delivers_initial_then_historical_update_signed(
    sandbox: LiveSandbox, receiver: Receiver
) -> None:
    link_item(sandbox, receiver.url)
    bodies = receiver.wait_for(2)
    assert [b["webhook_code"] for b in bodies] == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]
    verifier = Verifier(sandbox)
    for headers, raw in receiver.received:
        assert verifier.verify(raw, headers["Plaid-Verification"])


def test_verifier_rejects_tampered_body_and_stale_iat(
    sandbox: LiveSandbox, receiver: Receiver
) -> None:
    link_item(sandbox, receiver.url)
    receiver.wait_for(1)
    headers, raw = receiver.received[0]
    token, verifier = headers["Plaid-Verification"], Verifier(sandbox)
    assert not verifier.verify(raw.replace(b"INITIAL", b"DEFAULT"), token)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    assert not verifier.verify(raw, token, now=later)
    assert verifier.verify(raw, token)


def test_retry_after_500_and_timeout_keeps_item_order(
    sandbox: LiveSandbox, receiver: Receiver
) -> None:
    receiver.script = [500, 1.0]  # a failure, then a reply slower than the 0.5 s timeout
    link_item(sandbox, receiver.url)
    bodies = receiver.wait_for(4)
    codes = [b["webhook_code"] for b in bodies]
    assert codes == ["INITIAL_UPDATE"] * 3 + ["HISTORICAL_UPDATE"]
    deadline = time.monotonic() + 5  # the last attempt's outcome commits just after the reply
    while {w["status"] for w in delivery_log(sandbox)} != {"delivered"}:
        assert time.monotonic() < deadline, delivery_log(sandbox)
        time.sleep(0.05)


def delivery_log(sandbox: LiveSandbox) -> list[dict[str, Any]]:
    reply = requests.get(
        f"{sandbox.url}/control/webhooks",
        headers={"PLAID-CLIENT-ID": sandbox.client_id, "PLAID-SECRET": sandbox.secret},
        timeout=5,
    )
    log: list[dict[str, Any]] = reply.json()["webhooks"]
    return log


class StallingReceiver:
    """Answers 200 at once, then never finishes the body it announced (a wrong
    ``Content-Length``, a stuck stream): the connection stays open until the test ends."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the listener closed at the test's end
            while True:
                connection, _ = self.listener.accept()
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok")
                self.connections.append(connection)

    def close(self) -> None:
        for connection in [self.listener, *self.connections]:
            connection.close()


def test_a_200_whose_body_stalls_is_delivered_once_not_retried(sandbox: LiveSandbox) -> None:
    """The status line is the answer; retrying would send the receiver a webhook it took."""
    receiver = StallingReceiver()
    try:
        link_item(sandbox, receiver.url)
        deadline = time.monotonic() + 15
        while len(log := delivery_log(sandbox)) < 2 or any(w["status"] == "pending" for w in log):
            assert time.monotonic() < deadline, log
            time.sleep(0.05)
        assert [(w["status"], w["attempts"]) for w in log] == [("delivered", 1)] * 2
        assert len(receiver.connections) == 2
    finally:
        receiver.close()


def test_receiver_down_then_back_gets_the_webhook(sandbox: LiveSandbox) -> None:
    late = Receiver()
    port_url = late.url
    late.server.shutdown()
    late.server.server_close()  # nothing listens: connection refused
    link_item(sandbox, port_url)
    time.sleep(0.3)
    back = make_server("127.0.0.1", int(port_url.split(":")[2].split("/")[0]), late.app)
    threading.Thread(target=back.serve_forever, daemon=True).start()
    try:
        assert [b["webhook_code"] for b in late.wait_for(2)][:1] == ["INITIAL_UPDATE"]
    finally:
        back.shutdown()


def test_outbox_survives_a_restart(database: str, receiver: Receiver) -> None:
    first = start_sandbox(database)  # no dispatcher: the events stay queued
    link_item(first, receiver.url)
    first.stop()
    second = start_sandbox(database)
    _, stop = worker.start(second.app, dispatcher=fast_dispatcher(), poll=0.05)
    try:
        codes = [b["webhook_code"] for b in receiver.wait_for(2)]
        assert codes == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]
    finally:
        stop.set()
        second.stop()


def test_stopping_a_live_sandbox_ends_its_dispatcher_after_the_attempt_in_hand(
    database: str, receiver: Receiver
) -> None:
    """``LiveSandbox.stop`` finishes the current attempt and stops, as it says: it went on
    through every webhook due (here four slow replies) before returning."""
    live = LiveSandbox({"DATABASE_URL": database, "SEED": 7, "SECRET_KEY": "k"}).start()
    assert live.dispatcher is not None
    receiver.script = [2.0, 2.0, 2.0, 2.0]  # each reply takes 2 s
    try:
        link_item(live, receiver.url)
        link_item(live, receiver.url)
        receiver.wait_for(1)
        live.dispatcher.stop()
        assert len(receiver.received) == 1
    finally:
        live.stop()
