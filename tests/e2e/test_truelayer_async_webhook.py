"""An ``async=true`` Data API call against a served sandbox process (``sandbox serve``, its
webhook dispatcher running): a real HTTP receiver on 127.0.0.1 gets TrueLayer's completion
webhook, signed with ``Tl-Signature``, and the app then fetches the results over HTTP."""

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


def test_an_async_call_is_announced_to_the_webhook_uri_and_its_results_fetched(
    tmp_path: Path, receiver: Receiver
) -> None:
    with served_sandbox(f"sqlite:///{tmp_path / 'sandbox.db'}", tmp_path) as server:
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
        bearer = {"Authorization": f"Bearer {tokens['access_token']}", "X-PSU-IP": "203.0.113.7"}
        accepted = requests.get(
            f"{base}/data/v1/accounts",
            params={"async": "true", "webhook_uri": receiver.url},
            headers=bearer,
            timeout=10,
        )
        assert accepted.status_code == 202, accepted.text
        queued = accepted.json()
        assert queued["status"] == "Queued"

        url, headers, body = receiver.first()
        notice: dict[str, Any] = json.loads(body)
        assert (notice["task_id"], notice["status"]) == (queued["task_id"], "Succeeded")
        assert notice["results_uri"] == queued["results_uri"]
        jku = tl_signature.jose_header(headers["Tl-Signature"])["jku"]
        assert jku.startswith(base)
        jwks = requests.get(jku, timeout=10).json()
        tl_signature.verify(headers["Tl-Signature"], url, headers, body, jwks)

        fetched = requests.get(notice["results_uri"], headers=bearer, timeout=10)
        assert fetched.status_code == 200, fetched.text
        synchronous = requests.get(f"{base}/data/v1/accounts", headers=bearer, timeout=10)
        assert _read(fetched.json()) == _read(synchronous.json())  # the live clock moved on
        assert [a["account_type"] for a in fetched.json()["results"]] == ["TRANSACTION", "SAVINGS"]


def _read(body: dict[str, Any]) -> dict[str, Any]:
    """A reply without the moments its objects were read at."""
    results = [{k: v for k, v in r.items() if k != "update_timestamp"} for r in body["results"]]
    return {**body, "results": results}
