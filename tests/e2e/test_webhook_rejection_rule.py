"""Plaid's rejection rule against a served sandbox and a real receiver on 127.0.0.1.

``bank-sandbox serve`` delivers with its dispatcher thread while a ``bank-sandbox worker``
process with two more loops delivers from the same database. The receiver rejects every
webhook until the rule trips (over 90% of at least 10 attempts rejected): a rejected webhook
is then ``endpoint_failing``, not retried, while new webhooks' first attempts still arrive.
Once the receiver accepts again and the rate falls under the threshold, a rejection is
retried on schedule again. No test waits for a retry (30 s): it reads the schedule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from tests.conftest import DATABASES, fresh_database_url

from .served import ROOT, served_sandbox
from .test_webhook_delivery import Receiver
from .test_webhooks_over_time import Api

pytestmark = pytest.mark.e2e
MINIMUM = 10  # attempts before the rule can trip
WAIT_SECONDS = 20.0


@pytest.fixture(params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``serve`` (its dispatcher thread on) and a ``worker`` with two loops, one database."""
    database_url = fresh_database_url(request.param, tmp_path, "e2e_rejections")
    with served_sandbox(database_url, tmp_path) as ready:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SANDBOX_CLIENT_ID": ready["client_id"],
            "SANDBOX_SECRET": ready["secret"],
            "SANDBOX_SECRET_KEY": "e2e-secret-key",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "worker", "--threads", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield ready
        finally:
            worker.terminate()
            worker.wait(timeout=30)


class Gate(Receiver):
    """A receiver that answers 503 to the webhooks ``rejects`` picks (at first: all)."""

    def __init__(self) -> None:
        self.rejects: Callable[[dict[str, Any]], bool] = lambda _body: True
        super().__init__()

    @Request.application  # type: ignore[arg-type]
    def app(self, request: Request) -> Response:
        with self.arrived:
            self.received.append((dict(request.headers), request.get_data()))
            self.arrived.notify_all()
        if self.rejects(json.loads(request.get_data())):
            return Response("down", status=503)
        return Response("ok")


@pytest.fixture
def receiver() -> Iterator[Gate]:
    found = Gate()
    yield found
    found.server.shutdown()


def link(api: Api, receiver: Gate) -> tuple[str, str]:
    """A Transactions item whose webhooks go to ``receiver``: its access token and id."""
    token = api.link("ins_109508", ["transactions"], receiver.url)
    item_id: str = api.post("/item/get", access_token=token)["item"]["item_id"]
    return token, item_id


def settle(
    api: Api, receiver: Gate, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The log once ``done`` holds of it, every request that arrived is logged, and it stayed
    the same for half a second (the dispatchers have nothing due)."""
    deadline, seen, since = time.monotonic() + WAIT_SECONDS, None, time.monotonic()
    while time.monotonic() < deadline:
        rows = api.log()
        state = [(r["id"], r["status"], r["attempts"]) for r in rows]
        if state != seen:
            seen, since = state, time.monotonic()
        logged = sum(r["attempts"] for r in rows) == len(receiver.received)
        if done(rows) and logged and time.monotonic() - since >= 0.5:
            return rows
        time.sleep(0.1)
    pytest.fail(f"the log did not settle: {seen}")


def of(rows: list[dict[str, Any]], item_id: str) -> list[dict[str, Any]]:
    """The webhooks about ``item_id`` that were attempted, oldest first."""
    return [r for r in rows if r["item_id"] == item_id and r["attempts"]]


def test_retries_stop_past_90_percent_rejected_and_resume_under_it(
    server: dict[str, Any], receiver: Gate
) -> None:
    api = Api(server)
    for _ in range(MINIMUM):
        link(api, receiver)
    rows = settle(api, receiver, lambda rows: any(r["status"] == "endpoint_failing" for r in rows))
    retrying = [r for r in rows if r["status"] == "pending" and r["attempts"]]
    stopped = [r for r in rows if r["status"] == "endpoint_failing"]
    # Until the tenth attempt the rule cannot trip (a dispatcher may not see an attempt
    # another makes at the same moment: one or two more may be retried, never fewer).
    assert len(retrying) >= MINIMUM - 1
    assert all(r["next_attempt_at"] for r in retrying)
    assert all((r["attempts"], r["next_attempt_at"]) == (1, None) for r in stopped)
    # (``settle`` checked that every attempt logged arrived once, from three dispatchers.)

    # A new item's first webhook still goes out: rejected, and not retried.
    _, late = link(api, receiver)
    rows = settle(api, receiver, lambda rows: bool(of(rows, late)))
    first = of(rows, late)[0]
    assert (first["status"], first["attempts"]) == ("endpoint_failing", 1)

    # The receiver accepts again: new items' webhooks are delivered, and the rate falls.
    receiver.rejects = lambda _body: False
    fixed = [link(api, receiver) for _ in range(4)]

    def all_delivered(rows: list[dict[str, Any]]) -> bool:
        sent = [r for _, item_id in fixed for r in of(rows, item_id)]
        return len(sent) == 2 * len(fixed) and {r["status"] for r in sent} == {"delivered"}

    settle(api, receiver, all_delivered)  # INITIAL_UPDATE and HISTORICAL_UPDATE each

    # Under 90% rejected, a rejection is retried on schedule again.
    receiver.rejects = lambda body: body["webhook_code"] == "DEFAULT_UPDATE"
    token, item_id = fixed[0]
    api.post("/sandbox/item/fire_webhook", access_token=token, webhook_code="DEFAULT_UPDATE")

    def rejected_once(rows: list[dict[str, Any]]) -> bool:
        return any(r["webhook_code"] == "DEFAULT_UPDATE" for r in of(rows, item_id))

    rows = settle(api, receiver, rejected_once)
    (update,) = [r for r in of(rows, item_id) if r["webhook_code"] == "DEFAULT_UPDATE"]
    assert (update["status"], update["attempts"]) == ("pending", 1) and update["next_attempt_at"]
