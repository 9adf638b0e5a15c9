"""What a served sandbox sends as time passes and items go, to a real receiver on 127.0.0.1:
nothing about an item once it is removed, and, on a running clock, the webhooks of a new day
and of a consent nearing its end with no call to the API.

``bank-sandbox serve`` runs with its own dispatcher thread; the tests move the tenant clock
through ``/control/clock`` and wait only the few real seconds a running clock needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import DATABASES, fresh_database_url

from .served import served_sandbox
from .test_webhook_delivery import Receiver

pytestmark = pytest.mark.e2e
MIDNIGHT = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
# Linked at MIDNIGHT, a UK bank's 90-day consent warns (PENDING_EXPIRATION) 83 days later.
WARNING = MIDNIGHT + dt.timedelta(days=83)
UK_OAUTH = "ins_117650"


class Api:
    """JSON calls to the served sandbox with the tenant's keys."""

    def __init__(self, server: dict[str, Any]) -> None:
        self.url = server["url"]
        self.keys = {"client_id": server["client_id"], "secret": server["secret"]}

    def post(self, path: str, **body: Any) -> dict[str, Any]:
        reply = requests.post(f"{self.url}{path}", json={**self.keys, **body}, timeout=30)
        assert reply.status_code == 200, reply.text
        found: dict[str, Any] = reply.json()
        return found

    def control(self, path: str, **params: str) -> dict[str, Any]:
        headers = {"PLAID-CLIENT-ID": self.keys["client_id"], "PLAID-SECRET": self.keys["secret"]}
        reply = requests.get(
            f"{self.url}/control/{path}", params=params, headers=headers, timeout=30
        )
        assert reply.status_code == 200, reply.text
        found: dict[str, Any] = reply.json()
        return found

    def link(self, institution: str, products: list[str], webhook: str) -> str:
        public = self.post(
            "/sandbox/public_token/create",
            institution_id=institution,
            initial_products=products,
            options={"webhook": webhook},
        )["public_token"]
        token: str = self.post("/item/public_token/exchange", public_token=public)["access_token"]
        return token

    def log(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first."""
        return list(reversed(self.control("webhooks", limit="500")["webhooks"]))


@pytest.fixture(params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``serve`` with its dispatcher thread; Asset reports and the historical pull take an
    hour of tenant clock."""
    database_url = fresh_database_url(request.param, tmp_path, "e2e_over_time")
    with served_sandbox(database_url, tmp_path, HISTORICAL_DELAY_SECONDS="3600") as ready:
        yield ready


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


def codes(bodies: list[dict[str, Any]]) -> list[str]:
    return [body["webhook_code"] for body in bodies]


def test_nothing_is_sent_about_an_item_once_it_is_removed(
    server: dict[str, Any], receiver: Receiver
) -> None:
    """``HISTORICAL_UPDATE`` and an Asset report's ``PRODUCT_READY`` were held back an hour
    when the app removed the item; moving the clock past that hour sent them anyway, about an
    item that no longer existed. The delivery log shows them cancelled."""
    api = Api(server)
    token = api.link("ins_109508", ["transactions", "assets"], receiver.url)
    assert codes(receiver.wait_for(1)) == ["INITIAL_UPDATE"]
    api.post("/asset_report/create", access_tokens=[token], days_requested=30)
    api.post("/item/remove", access_token=token)
    requests.post(
        f"{api.url}/control/clock",
        json={"advance_days": 1},
        auth=(api.keys["client_id"], api.keys["secret"]),
        timeout=30,
    ).raise_for_status()
    # A later webhook of another item goes out after anything due before it.
    other = api.link("ins_109508", ["transactions"], receiver.url)
    api.post("/sandbox/item/fire_webhook", access_token=other, webhook_code="DEFAULT_UPDATE")
    arrived = receiver.wait_for(3)
    assert codes(arrived) == ["INITIAL_UPDATE", "INITIAL_UPDATE", "DEFAULT_UPDATE"]
    removed = arrived[0]["item_id"]
    statuses = {
        (row["webhook_code"], row["status"])
        for row in api.log()
        if row["item_id"] == removed or row["webhook_type"] == "ASSETS"
    }
    assert statuses == {
        ("INITIAL_UPDATE", "delivered"),
        ("HISTORICAL_UPDATE", "cancelled"),
        ("PRODUCT_READY", "cancelled"),
    }
    assert api.control("webhooks", status="cancelled")["webhooks"]


def test_a_running_clock_sends_a_new_days_webhooks_with_no_call(
    server: dict[str, Any], receiver: Receiver
) -> None:
    """The clock runs into the day its consent warns on while nobody calls: the new day's
    transactions are announced and ``PENDING_EXPIRATION`` goes out, as Plaid would."""
    api = Api(server)
    auth = (api.keys["client_id"], api.keys["secret"])

    def move(**change: Any) -> None:
        reply = requests.post(f"{api.url}/control/clock", json=change, auth=auth, timeout=60)
        assert reply.status_code == 200, reply.text

    move(set=MIDNIGHT.isoformat(), freeze=True)
    token = api.link(UK_OAUTH, ["transactions"], receiver.url)
    api.post("/transactions/sync", access_token=token)
    move(set=(WARNING - dt.timedelta(seconds=10)).isoformat())  # the 83 days, frozen
    move(set=(WARNING - dt.timedelta(seconds=3)).isoformat(), freeze=False)  # now it runs
    before = max(row["id"] for row in api.log())

    def since_the_clock_ran() -> set[str]:
        return {row["webhook_code"] for row in api.log() if row["id"] > before}

    bodies = receiver.wait_for(len(receiver.received) + 1, timeout=20)
    while "PENDING_EXPIRATION" not in codes(bodies):
        bodies = receiver.wait_for(len(bodies) + 1, timeout=20)
    assert since_the_clock_ran() == {
        "DEFAULT_UPDATE",
        "TRANSACTIONS_REMOVED",
        "SYNC_UPDATES_AVAILABLE",
        "PENDING_EXPIRATION",
    }
    warning = next(b for b in bodies if b["webhook_code"] == "PENDING_EXPIRATION")
    assert warning["consent_expiration_time"].startswith("2030-04-01T00:00:00")
