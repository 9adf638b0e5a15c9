"""App-layer fixtures: the app against a live sandbox tenant, with two app users.

One module-scoped world per database (SQLite, then PostgreSQL): alice linked First Platypus,
bob linked another bank; both synced. Tests that change a connection link their own.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from client.app import create_app
from client.app.config import AppConfig
from client.app.service import AppService
from client.crypto import TokenCipher
from client.store.db import Store
from client.sync.connections import BankSync
from client.worker.config import Settings
from client.worker.handlers import work_one
from tests.client.conftest import Tenant, new_tenant
from tests.conftest import DATABASES, POSTGRES_URL

USERS = {"alice": "alice-pass", "bob": "bob-pass"}


def basic(user: str) -> dict[str, str]:
    """HTTP Basic credentials of a demo user."""
    token = base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def fresh_url(database: str, folder: Path) -> str:
    """An empty client database on SQLite or the test PostgreSQL."""
    if database == "sqlite":
        return f"sqlite:///{folder / 'app.db'}"
    empty = Store(POSTGRES_URL, create=False)
    empty.drop_all()
    empty.close()
    return POSTGRES_URL


@dataclass
class World:
    """The app, its client, and the two users' connections."""

    app: Flask
    tenant: Tenant
    alice: int
    bob: int

    @property
    def service(self) -> AppService:
        svc: AppService = self.app.extensions["bank_app"]
        return svc

    @property
    def bank(self) -> BankSync:
        return self.service.bank

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def get(self, user: str, path: str, **params: Any) -> Any:
        """GET as `user`; returns the reply."""
        return self.client().get(path, headers=basic(user), query_string=params)

    def run_jobs(self) -> int:
        """Run every queued job now (the tests' worker); how many ran."""
        ran = 0
        while work_one(self.bank, self.service.queue):
            ran += 1
        return ran


def connect_login(world: World, user: str, username: str, institution: str = "ins_109508") -> int:
    """`user` connects `institution` with the sandbox login `username`: a login nobody else in
    the test's module links for `user`, as linking the same login twice is refused
    (`client.sync.duplicates`)."""
    public = world.bank.plaid.sandbox_public_token_create(
        institution, days_requested=30, username=username, password="pass_good"
    )["public_token"]
    return world.bank.connect(str(public), user_ref=user, settings={"days_requested": 30})


def make_app(tenant: Tenant, db: str, **overrides: Any) -> Flask:
    """The app against the tenant; by default without a background worker (tests run the
    queue) and with small sync pages."""
    settings = Settings(
        db=db,
        base_url=tenant.url,
        client_id=tenant.client_id,
        secret=tenant.secret,
        keys=(TokenCipher.generate_key(),),
    )
    chosen: dict[str, Any] = {
        "users": dict(USERS),
        "secret_key": "app-tests",
        "public_url": "http://app.test",
        "worker": False,
        "page_size": 50,
        **overrides,
    }
    return create_app(AppConfig(settings=settings, **chosen))


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, live: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tenant = new_tenant(live)
    app = make_app(tenant, fresh_url(request.param, tmp_path_factory.mktemp("app")))
    bank: BankSync = app.extensions["bank_app"].bank
    alice = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=120)
    bob = bank.connect_sandbox("ins_109509", user_ref="bob", days_requested=120)
    assert bank.sync(alice).ok and bank.sync(bob).ok
    yield World(app, tenant, alice, bob)
    bank.plaid.close()
    bank.store.close()
