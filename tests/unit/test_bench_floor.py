"""The floor app (``bench/floor_app.py``) answers from the sandbox's own database what the
sandbox answers: else ``bench_floor`` would compare the sandbox with a cheaper, different
reply. On SQLite and PostgreSQL, as ``bench_floor`` runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bench import bench_floor, floor_app
from sandbox import create_app
from sandbox.extensions import db
from sandbox.testing import ItemLinker
from tests.conftest import fresh_database_url

ENDPOINTS = bench_floor.ENDPOINTS.items()


class _Linker(ItemLinker):
    def __init__(self, client: FlaskClient, keys: Any) -> None:
        self.client, self.keys = client, keys

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        headers = {"PLAID-CLIENT-ID": self.keys.client_id, "PLAID-SECRET": self.keys.secret}
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code == 200, response.get_json()
        reply: dict[str, Any] = response.get_json()
        return reply


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_floor_shows_the_sandboxs_accounts_and_first_sync_page(
    kind: str, tmp_path: Path
) -> None:
    from sandbox.core import tenants

    url = fresh_database_url(kind, tmp_path, "floor")
    sandbox = create_app({"TESTING": True, "DATABASE_URL": url, "SEED": 7, "SECRET_KEY": "k"})
    with sandbox.app_context():
        db.create_all()
        _, keys = tenants.create(db.session, "floor", 7)
        db.session.commit()
        linker = _Linker(sandbox.test_client(), keys)
        token = linker.link_item()
        linker.call("/transactions/sync", access_token=token, count=1)  # the first sync writes
        expected = {
            path: linker.call(path, access_token=token, **extra)
            for path, extra in bench_floor.ENDPOINTS.items()
        }
        db.session.remove()
        db.engine.dispose()
    floor_server = floor_app.create_app(url, bench_floor.stored_digest(url))
    floor = floor_server.test_client()
    try:
        replies = {p: floor.post(p, json={"access_token": token, **x}) for p, x in ENDPOINTS}
    finally:
        floor_server.extensions["floor_reads"].engine.dispose()
    for path, response in replies.items():
        assert response.status_code == 200
        bench_floor._same_reply(response.data, _bytes(expected[path]), path)  # raises if not
    page = replies["/transactions/sync"].get_json()
    assert len(page["added"]) == 100 and page["has_more"]
    assert page["added"] == expected["/transactions/sync"]["added"]


def test_a_floor_reply_that_differs_is_refused() -> None:
    sandbox = b'{"accounts": [1], "added": [1], "has_more": true}'
    other = b'{"accounts": [1], "added": [2], "has_more": true}'
    with pytest.raises(RuntimeError, match="transactions/sync"):
        bench_floor._same_reply(other, sandbox, "/transactions/sync")
    bench_floor._same_reply(other, sandbox, "/accounts/balance/get")  # balance: accounts only


def _bytes(reply: dict[str, Any]) -> bytes:
    import json

    return json.dumps(reply).encode()


def test_the_database_servers_cpu_is_what_its_backends_spent(tmp_path: Path) -> None:
    """``bench_floor``'s PostgreSQL column: work a connection makes the server do shows up,
    work of nobody's does not."""
    import sqlalchemy

    from bench.servers import DatabaseServerCpu

    url = fresh_database_url("postgresql", tmp_path, "floorcpu")
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            server = DatabaseServerCpu(url)
            server.start()
            idle = server.seconds()
            server.start()
            connection.execute(sqlalchemy.text("SELECT count(*) FROM generate_series(1, 3000000)"))
            busy = server.seconds()
    finally:
        engine.dispose()
    assert idle is not None and idle < 0.02
    assert busy is not None and busy > 0.1
