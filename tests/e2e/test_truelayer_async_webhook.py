"""An ``async=true`` Data API call and a batch against a served sandbox process (``sandbox
serve``, its webhook dispatcher running): a real HTTP receiver on 127.0.0.1 gets TrueLayer's
completion webhook, signed with ``Tl-Signature``, and the app then fetches the results over
HTTP. The served sandbox has its own database and one tenant: every webhook is this test's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.api.truelayer import tl_signature

from .served import served_sandbox
from .test_truelayer_node_client import REDIRECT, sign_in

pytestmark = pytest.mark.e2e


class Receiver:
    """An app's webhook endpoint on a free port of 127.0.0.1: records what arrives, says 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}/truelayer/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application  # type: ignore[arg-type]
    def app(self, request: Request) -> Response:
        with self.arrived:
            self.received.append((request.url, dict(request.headers), request.get_data()))
            self.arrived.notify_all()
        return Response("ok")

    def first(self, timeout: float = 20.0) -> tuple[str, dict[str, str], bytes]:
        """The first webhook, once it arrived."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.received, timeout), "no webhook arrived"
            return self.received[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


def _bearer(server: dict[str, Any]) -> dict[str, str]:
    """Sign ``john``/``doe`` in through the dialog and exchange the code: the Data API's
    headers for the new connection (the user present, so no call counts against the quota)."""
    base, client_id = server["url"], server["client_id"]
    link = f"{base}/?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "info accounts balance cards transactions offline_access",
            "providers": "uk-cs-mock",
            "provider_id": "mock",
            "state": "e2e-state",
        }
    )
    code = sign_in(link)
    tokens = requests.post(
        f"{base}/connect/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": server["secret"],
            "code": code,
            "redirect_uri": REDIRECT,
        },
        timeout=10,
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}", "X-PSU-IP": "203.0.113.7"}


def _announced(receiver: Receiver, base: str, queued: dict[str, Any]) -> dict[str, Any]:
    """The task's webhook, checked against its 202 and its ``Tl-Signature`` verified with the
    key set the signature names."""
    url, headers, body = receiver.first()
    notice: dict[str, Any] = json.loads(body)
    assert (notice["task_id"], notice["status"]) == (queued["task_id"], "Succeeded")
    assert notice["results_uri"] == queued["results_uri"]
    jku = tl_signature.jose_header(headers["Tl-Signature"])["jku"]
    assert jku.startswith(base)
    jwks = requests.get(jku, timeout=10).json()
    tl_signature.verify(headers["Tl-Signature"], url, headers, body, jwks)
    return notice


def test_an_async_call_is_announced_to_the_webhook_uri_and_its_results_fetched(
    tmp_path: Path, receiver: Receiver
) -> None:
    with served_sandbox(f"sqlite:///{tmp_path / 'sandbox.db'}", tmp_path) as server:
        base, bearer = server["url"], _bearer(server)
        accepted = requests.get(
            f"{base}/data/v1/accounts",
            params={"async": "true", "webhook_uri": receiver.url},
            headers=bearer,
            timeout=10,
        )
        assert accepted.status_code == 202, accepted.text
        queued = accepted.json()
        assert queued["status"] == "Queued"
        notice = _announced(receiver, base, queued)

        fetched = requests.get(notice["results_uri"], headers=bearer, timeout=10)
        assert fetched.status_code == 200, fetched.text
        synchronous = requests.get(f"{base}/data/v1/accounts", headers=bearer, timeout=10)
        assert _read(fetched.json()) == _read(synchronous.json())  # the live clock moved on
        assert [a["account_type"] for a in fetched.json()["results"]] == ["TRANSACTION", "SAVINGS"]


def test_a_batch_is_announced_and_its_results_match_the_single_account_reads(
    tmp_path: Path, receiver: Receiver
) -> None:
    with served_sandbox(f"sqlite:///{tmp_path / 'sandbox.db'}", tmp_path) as server:
        base, bearer = server["url"], _bearer(server)
        window = {"from": "2000-01-01"}  # the whole history, up to today
        accepted = requests.post(
            f"{base}/data/v1/batch/transactions",
            json={**window, "pending": True, "balance": True, "webhook_uri": receiver.url},
            headers=bearer,
            timeout=10,
        )
        assert accepted.status_code == 202, accepted.text
        queued = accepted.json()
        assert queued["results_uri"] == f"{base}/data/v1/batch/results/{queued['task_id']}"
        notice = _announced(receiver, base, queued)
        assert notice["request_uri"] == f"{base}/data/v1/batch/transactions"

        fetched = requests.get(notice["results_uri"], headers=bearer, timeout=10)
        assert fetched.status_code == 200, fetched.text
        batch = fetched.json()
        assert (batch["status"], batch["task_id"]) == ("Succeeded", queued["task_id"])
        assert any(i["transactions"] for i in batch["results"]["accounts"])
        for kind in ("accounts", "cards"):
            items = batch["results"][kind]
            listed = requests.get(f"{base}/data/v1/{kind}", headers=bearer, timeout=10).json()
            assert [i["account_id"] for i in items] == [r["account_id"] for r in listed["results"]]
            for item in items:
                one = f"{base}/data/v1/{kind}/{item['account_id']}"
                for part, path in (("transactions", ""), ("pending_transactions", "/pending")):
                    read = requests.get(
                        f"{one}/transactions{path}", params=window, headers=bearer, timeout=10
                    )
                    assert item[part] == read.json()["results"], (one, part)
                balance = requests.get(f"{one}/balance", headers=bearer, timeout=10).json()
                assert [_unstamped(item["balance"])] == _read(balance)["results"]


def _unstamped(found: dict[str, Any]) -> dict[str, Any]:
    """An object without the moment it was read at (the live clock moves on)."""
    return {k: v for k, v in found.items() if k != "update_timestamp"}


def _read(body: dict[str, Any]) -> dict[str, Any]:
    """A reply without the moments its objects were read at."""
    return {**body, "results": [_unstamped(r) for r in body["results"]]}
