"""PostgreSQL connections: a read-only call costs its reads' round trips and nothing more (no
ping, no transaction to end), and a connection the server dropped never reaches a caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import psycopg
import pytest
from flask import Flask, jsonify
from psycopg import pq
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import QueuePool

from sandbox import create_app, extensions
from sandbox.core import tenants
from sandbox.core.models import Tenant
from sandbox.extensions import db
from tests.conftest import DATABASES, FROZEN_NOW, PlaidClient, snapshots_answered

APPLICATION = "sandbox-connections-test"  # how the app's backends are told apart


@pytest.fixture(params=["off"], ids=["uncached"])
def pg_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The sandbox on the PostgreSQL test database, its backends named ``APPLICATION``; its
    read cache off unless a test asks for it (``read_cache``), so calls send their reads."""
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not among SANDBOX_TEST_DATABASES")
    url = request.getfixturevalue("postgres_url")
    options = {"connect_args": {"application_name": APPLICATION}}
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "k",
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "READ_CACHE": request.param,
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_plaid(pg_app: Flask) -> PlaidClient:
    tenant, keys = tenants.create(db.session, "connections", 7)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    db.session.remove()  # the test's session lets go of its connection: only the app's remain
    return PlaidClient(pg_app.test_client(), keys.client_id, keys.secret)


def _statements_sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every round trip the driver makes from now on: statements, and commits or rollbacks
    of an open transaction (psycopg sends nothing to end none)."""
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted_execute)
    for name in ("commit", "rollback"):
        end = getattr(psycopg.Connection, name)

        def counted_end(connection: Any, _end: Any = end, _name: str = name) -> Any:
            if connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
                sent.append(_name.upper())
            return _end(connection)

        monkeypatch.setattr(psycopg.Connection, name, counted_end)
    return sent


def test_a_balance_call_sends_one_read_and_nothing_else(
    pg_plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = pg_plaid.link_item()
    pg_plaid.ok("/accounts/balance/get", access_token=token)  # the pool holds a used connection
    sent = _statements_sent(monkeypatch)
    reply = pg_plaid.ok("/accounts/balance/get", access_token=token)
    assert len(sent) == 1, sent  # the tenant with its token's item and the item's accounts
    assert sent[0].startswith("SELECT"), sent
    assert len(reply["accounts"]) > 1


def test_a_sync_page_of_a_synced_item_sends_two_reads_and_nothing_else(
    pg_plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = pg_plaid.link_item()
    cursor = pg_plaid.ok("/transactions/sync", access_token=token, count=500)["next_cursor"]
    sent = _statements_sent(monkeypatch)
    page = pg_plaid.ok("/transactions/sync", access_token=token, cursor=cursor, count=500)
    assert len(sent) == 2, sent  # the tenant, its token's item and accounts; then the page
    assert all(statement.startswith("SELECT") for statement in sent), sent
    assert page["accounts"] and page["next_cursor"]


@pytest.mark.parametrize("pg_app", ["on"], ids=["read_cache"], indirect=True)
def test_with_the_read_cache_a_call_asks_the_snapshot_ahead_then_reads_only_what_changed(
    pg_plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot once a call, asked as it arrives on a connection of its own; after a
    commit, the reads as without the cache; then, while nothing commits, no read at all."""
    token = pg_plaid.link_item()
    cursor = pg_plaid.ok("/transactions/sync", access_token=token, count=500)["next_cursor"]
    sent, answers = _statements_sent(monkeypatch), snapshots_answered(monkeypatch)
    first = pg_plaid.ok("/transactions/sync", access_token=token, cursor=cursor, count=500)
    assert len(sent) == 2 and len(answers) == 1 and answers[0], (sent, answers)
    sent.clear()
    again = pg_plaid.ok("/transactions/sync", access_token=token, cursor=cursor, count=500)
    assert sent == [] and len(answers) == 2 and answers[1] == answers[0], (sent, answers)
    assert again["accounts"] == first["accounts"] and again["next_cursor"] == first["next_cursor"]


@pytest.mark.parametrize("pg_app", ["on"], ids=["read_cache"], indirect=True)
def test_a_call_whose_snapshot_connection_dropped_asks_on_its_reads_connection(
    pg_plaid: PlaidClient, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question whose connection the server dropped gets no answer: the call reads the
    snapshot on its own connection, replies, and the next call asks ahead on a new one."""
    token = pg_plaid.link_item()
    before = pg_plaid.ok("/accounts/balance/get", access_token=token)
    assert _drop_the_apps_connections(postgres_url) >= 1
    sent, answers = _statements_sent(monkeypatch), snapshots_answered(monkeypatch)
    assert pg_plaid.ok("/accounts/balance/get", access_token=token) == {
        **before,
        "request_id": ANY,
    }
    # on its reads' connection, itself dropped too: tried there, then on a new one
    assert answers == [None] and any(
        s.startswith("SELECT CAST(pg_current_snapshot()") for s in sent
    )
    sent.clear()
    pg_plaid.ok("/accounts/balance/get", access_token=token)
    assert len(answers) == 2 and answers[1] and sent == [], (answers, sent)


@pytest.mark.parametrize("pg_app", ["on"], ids=["read_cache"], indirect=True)
def test_asking_ahead_never_waits_for_the_pool(
    pg_app: Flask, pg_plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pooled connection is out (a burst of slow calls): a call answered from the read
    cache still asks for its snapshot on a connection of its own, and replies at once."""
    token = pg_plaid.link_item()
    pg_plaid.ok("/accounts/balance/get", access_token=token)  # the item is current now
    before = pg_plaid.ok("/accounts/balance/get", access_token=token)  # read since then
    answers = snapshots_answered(monkeypatch)
    pool = db.engine.pool
    assert isinstance(pool, QueuePool)
    monkeypatch.setattr(pool, "_timeout", 0.5)  # a wait for the pool fails fast, not in 30 s
    held = [db.engine.raw_connection() for _ in range(pool.size() + pool._max_overflow)]
    try:
        again = pg_plaid.ok("/accounts/balance/get", access_token=token)
        assert pg_app.test_client().get("/no-such-page").status_code == 404
    finally:
        for connection in held:
            connection.close()
    assert again["accounts"] == before["accounts"]
    assert len(answers) == 2 and all(answers), answers


def test_an_idle_connection_is_pinged_before_it_is_used(
    pg_plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = pg_plaid.link_item()
    pg_plaid.ok("/accounts/balance/get", access_token=token)
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)  # every pooled one is idle
    sent = _statements_sent(monkeypatch)
    pg_plaid.ok("/accounts/balance/get", access_token=token)
    assert len(sent) == 2 and not sent[0].startswith("SELECT"), sent


def _drop_the_apps_connections(url: str) -> int:
    """Terminate the app's backends, as a server restart or an administrator would."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
                " FROM pg_stat_activity WHERE application_name = :name"
            ),
            {"name": APPLICATION},
        ).scalar_one()
    admin.dispose()
    return int(dropped)


@pytest.mark.parametrize("idle_ping_seconds", [0.0, 3600.0], ids=["pinged", "in-use"])
def test_calls_on_dropped_connections_succeed(
    pg_plaid: PlaidClient,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    idle_ping_seconds: float,
) -> None:
    """Whether the pool's ping finds the connection gone (it sat idle) or the call's first
    statement does (it was in use a moment ago), the caller gets its reply."""
    token = pg_plaid.link_item()
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", idle_ping_seconds)
    assert _drop_the_apps_connections(postgres_url) >= 1
    pg_plaid.ok("/accounts/balance/get", access_token=token)
    assert _drop_the_apps_connections(postgres_url) >= 1
    pg_plaid.ok("/item/webhook/update", access_token=token, webhook="https://example.com/hook")
    assert pg_plaid.ok("/item/get", access_token=token)["item"]["webhook"] == (
        "https://example.com/hook"
    )


def test_work_whose_connection_dropped_before_its_commit_runs_again(pg_app: Flask) -> None:
    """The session's connection drops mid-work: the server rolled the work back, so the unit
    of work runs it again (and it is committed once)."""
    runs: list[str] = []

    @pg_app.post("/probe")
    def probe() -> object:
        runs.append(f"probe {len(runs)}")
        tenants.create(db.session, runs[-1], 1)
        if len(runs) == 1:
            db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return jsonify(ok=True)

    pg_app.view_functions["probe"] = extensions.unit_of_work(probe)
    assert pg_app.test_client().post("/probe").status_code == 200
    assert runs == ["probe 0", "probe 1"]
    names = db.session.scalars(select(Tenant.name).where(Tenant.name.like("probe %"))).all()
    assert names == ["probe 1"]
