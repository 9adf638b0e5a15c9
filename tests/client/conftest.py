"""Client fixtures: one live sandbox per session, a fresh tenant and store per test."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.store.db import Store
from client.sync.connections import BankSync
from tests.conftest import DATABASES, POSTGRES_URL

FAR_PAST, FAR_FUTURE = dt.date(2000, 1, 1), dt.date(2100, 1, 1)


class Tenant:
    """A sandbox tenant's keys plus helpers that speak to its control API."""

    def __init__(self, url: str, client_id: str, secret: str) -> None:
        self.url, self.client_id, self.secret = url, client_id, secret

    def post(self, path: str, **body: Any) -> dict[str, Any]:
        """POST with this tenant's keys; asserts success."""
        reply = requests.post(
            self.url + path,
            json=body,
            timeout=30,
            headers={"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret},
        )
        assert reply.status_code < 300, reply.text
        data: dict[str, Any] = reply.json()
        return data

    def advance(self, days: int) -> None:
        """Move the tenant's simulated clock (new and posted transactions appear)."""
        self.post("/control/clock", advance_days=days)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One sandbox server for the session; tests isolate themselves with tenants."""
    from sandbox.extensions import db
    from sandbox.testing import LiveSandbox

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    path = tmp_path_factory.mktemp("sandbox") / "s.db"
    server = LiveSandbox({"DATABASE_URL": f"sqlite:///{path}", "SEED": 7})
    server.start()
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


def new_tenant(live: Any) -> Tenant:
    """A fresh tenant (seed 7) on a live sandbox."""
    reply = live.post("/control/tenants", seed=7)
    assert reply.status_code == 201, reply.text
    keys = reply.json()
    return Tenant(live.url, keys["client_id"], keys["secret"])


@pytest.fixture
def tenant(live: Any) -> Tenant:
    """A fresh tenant (seed 7) so tests never see each other's items or clocks."""
    return new_tenant(live)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The client's SQLite store in a temp file."""
    db = Store(f"sqlite:///{tmp_path / 'client.db'}")
    yield db
    db.close()


@pytest.fixture(params=DATABASES)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store on SQLite, then on the run's PostgreSQL (emptied first): override `store`
    with it to run a module on both."""
    url = f"sqlite:///{tmp_path / 'client.db'}"
    if request.param == "postgresql":
        url = POSTGRES_URL
        empty = Store(url, create=False)
        empty.drop_all()
        empty.close()
    db = Store(url)
    yield db
    db.close()


@pytest.fixture
def notes() -> CollectingNotifier:
    """Notifications the engine sent."""
    return CollectingNotifier()


@pytest.fixture
def bank(tenant: Tenant, store: Store, notes: CollectingNotifier) -> Iterator[BankSync]:
    """The embedded client against the live sandbox, exactly as against Plaid."""
    plaid = PlaidClient(
        tenant.url, tenant.client_id, tenant.secret, timeout=30, sleep=lambda _s: None
    )
    engine = BankSync(plaid, store, TokenCipher([TokenCipher.generate_key()]), notifier=notes)
    yield engine
    plaid.close()


def ground_truth(bank: BankSync, connection_id: int) -> list[dict[str, Any]]:
    """Every transaction the provider has for the Item, via /transactions/get."""
    token = bank.access_token(connection_id)
    return list(bank.plaid.transactions_get_all(token, FAR_PAST, FAR_FUTURE))
