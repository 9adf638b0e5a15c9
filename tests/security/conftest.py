"""Served sandboxes for the security tests: a real HTTP server on each test database.

PostgreSQL runs use a database of their own beside ``TEST_POSTGRES_URL`` (its name plus
``_live``), recreated per server, because a served sandbox migrates its schema with
Alembic while the API tests' database is built with ``create_all``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.extensions import db
from sandbox.testing import LiveSandbox
from tests.conftest import DATABASES, fresh_database_url


@pytest.fixture(params=DATABASES)
def serve(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., LiveSandbox]]:
    """Start a sandbox with extra settings on a fresh database; stopped after the test."""
    started: list[LiveSandbox] = []

    def start(**config: Any) -> LiveSandbox:
        url = fresh_database_url(request.param, tmp_path, "live")
        # Webhooks go out when a test asks (``POST /control/webhooks/deliver``), not before.
        settings = {"DATABASE_URL": url, "SEED": 7, "WEBHOOK_DISPATCHER": "off", **config}
        server = LiveSandbox({"SECRET_KEY": "security-tests", **settings}).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        with server.app.app_context():
            db.engine.dispose()


class Caller:
    """Plaid and control calls with one tenant's keys against a served sandbox."""

    def __init__(self, url: str, client_id: str, secret: str) -> None:
        self.url, self.client_id, self.secret = url, client_id, secret

    def post(self, path: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
        keys = {"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret}
        return requests.post(
            self.url + path, json=body, headers={**keys, **(headers or {})}, timeout=60
        )

    def get(self, path: str, timeout: float = 60) -> Any:
        keys = {"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret}
        return requests.get(self.url + path, headers=keys, timeout=timeout)

    def link_item(self) -> str:
        public = self.post(
            "/sandbox/public_token/create", institution_id="ins_109508", initial_products=["auth"]
        ).json()["public_token"]
        token: str = self.post("/item/public_token/exchange", public_token=public).json()[
            "access_token"
        ]
        return token


def new_tenant(server: LiveSandbox, **headers: str) -> Caller:
    """A fresh tenant of ``server``."""
    reply = requests.post(
        f"{server.url}/control/tenants", json={"seed": 7}, headers=headers, timeout=30
    )
    assert reply.status_code == 201, reply.text
    keys = reply.json()
    return Caller(server.url, keys["client_id"], keys["secret"])
