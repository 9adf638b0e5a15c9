"""The engine's concurrency settings: SQLite writers queue, and a request's unit of work is
retried whole when the database stays busy (``docs/concurrency.md``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, jsonify
from sqlalchemy import select

from sandbox import create_app, extensions
from sandbox.core import tenants
from sandbox.core.models import Tenant
from sandbox.extensions import db


@pytest.fixture
def file_app(tmp_path: Path) -> Iterator[Flask]:
    """The sandbox on a SQLite file (``:memory:`` shares one connection between threads)."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}", "SECRET_KEY": "u"}
    )
    with app.app_context():
        db.create_all()
        tenants.create(db.session, "counter", 7)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _increment_slowly(app: Flask) -> None:
    """Read the tenant's counter, wait, write it back plus one: a lost update if unserialised."""
    with app.app_context():
        tenant = db.session.scalars(select(Tenant)).one()
        seen = tenant.item_counter
        time.sleep(0.1)
        tenant.item_counter = seen + 1
        db.session.commit()
        db.session.remove()


def _counter_after_four(app: Flask, increment: Callable[[Flask], None]) -> int:
    """Run ``increment`` in four threads at once; the tenant's counter afterwards."""
    threads = [threading.Thread(target=increment, args=(app,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    return db.session.scalars(select(Tenant)).one().item_counter


def test_sqlite_read_then_write_transactions_run_one_after_another(file_app: Flask) -> None:
    assert _counter_after_four(file_app, _increment_slowly) == 4


def test_unit_of_work_retries_when_the_database_stays_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(extensions, "BUSY_TIMEOUT_MS", 50)  # give up waiting quickly
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "SECRET_KEY": "b"}
    )
    runs: list[int] = []

    @app.post("/probe")
    def probe() -> object:
        runs.append(1)
        tenants.create(db.session, f"probe {len(runs)}", 1)  # a write: needs the lock
        return jsonify(ok=True)

    app.view_functions["probe"] = extensions.unit_of_work(probe)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    blocker = sqlite3.connect(tmp_path / "b.db", isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for 0.2 s
    threading.Timer(0.2, blocker.commit).start()
    reply = app.test_client().post("/probe")
    assert reply.status_code == 200
    assert len(runs) >= 2  # the first run gave up waiting, a later one went through
    assert "retrying probe" in caplog.text
    blocker.close()


def _plaid(app: Flask, path: str, **body: object) -> tuple[int, dict[str, object]]:
    keys = {"client_id": "reads-id", "secret": "reads-secret"}
    reply = app.test_client().post(path, json={**keys, **body})
    return reply.status_code, reply.get_json()


@pytest.fixture
def reads_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The sandbox on a SQLite file with one linked item; lock waits give up after 50 ms."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "SECRET_KEY": "r"}
    )
    with app.app_context():
        db.create_all()
        tenants.create(db.session, "reads", 7, client_id="reads-id", secret="reads-secret")
        db.session.commit()
        db.engine.dispose()  # new connections pick up the short busy timeout below
    monkeypatch.setattr(extensions, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(extensions, "ATTEMPTS", 1)  # a request that needed the lock fails
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_read_only_request_never_waits_for_the_write_lock(
    reads_app: Flask, tmp_path: Path
) -> None:
    public = _plaid(
        reads_app,
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
    )[1]["public_token"]
    token = _plaid(reads_app, "/item/public_token/exchange", public_token=public)[1]
    access_token = token["access_token"]
    assert _plaid(reads_app, "/accounts/balance/get", access_token=access_token)[0] == 200
    blocker = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
    try:
        for path in ("/accounts/balance/get", "/accounts/get", "/item/get"):
            assert _plaid(reads_app, path, access_token=access_token)[0] == 200, path
        # A write still needs the lock: it gives up after the (short) busy timeout.
        status, _ = _plaid(
            reads_app,
            "/item/webhook/update",
            access_token=access_token,
            webhook="https://example.com/hook",
        )
        assert status == 500
    finally:
        blocker.rollback()
        blocker.close()
    status, _ = _plaid(
        reads_app,
        "/item/webhook/update",
        access_token=access_token,
        webhook="https://example.com/hook",
    )
    assert status == 200


def _lock_and_increment(app: Flask) -> None:
    """What a request does before changing a row it read: lock it (``FOR UPDATE``) first."""
    with app.app_context(), extensions.reads_first():
        seen = db.session.scalars(select(Tenant).with_for_update()).one().item_counter
        time.sleep(0.05)
        db.session.scalars(select(Tenant)).one().item_counter = seen + 1
        db.session.commit()
        db.session.remove()


def test_request_transactions_take_the_write_lock_at_for_update(file_app: Flask) -> None:
    # Each starts as a reader; FOR UPDATE trades its snapshot for the lock and fresh rows.
    assert _counter_after_four(file_app, _lock_and_increment) == 4


def test_a_requests_reads_hold_one_connection_until_its_session_begins(file_app: Flask) -> None:
    """``RequestReader``: its connection goes back to the pool before the session takes one,
    and when the request's work is committed; outside a request the session reads itself."""
    pool = db.engine.pool
    client_id = db.session.scalars(select(Tenant.client_id)).one()
    db.session.commit()  # the fixture's session lets go of SQLite's write lock
    with file_app.app_context():
        tenants._BY_CLIENT_ID.first(db.session(), {"client_id": client_id})
        assert db.session().in_transaction()  # no request: the session's transaction
        db.session.rollback()
    with file_app.app_context(), extensions.reads_first():
        session = db.session()
        row = tenants._BY_CLIENT_ID.first(session, {"client_id": client_id})
        assert (pool.checkedout(), session.in_transaction()) == (1, False)
        extensions.commit_work(session)
        assert pool.checkedout() == 0
        tenants._BY_CLIENT_ID.first(session, {"client_id": client_id})
        tenant = session.get(Tenant, row.id)  # the session begins: the reader steps aside
        assert (pool.checkedout(), session.in_transaction()) == (1, True)
        assert tenant is not None
        tenant.item_counter += 1
        extensions.commit_work(session)
        assert pool.checkedout() == 0
    assert db.session.scalars(select(Tenant.item_counter)).one() == 1


def test_a_requests_first_write_may_come_inside_a_savepoint(file_app: Flask) -> None:
    """A request that reads, then opens a savepoint before it has written anything (hosted
    Link's right Instant micro-deposit code): the write lock is taken before the
    ``SAVEPOINT``, since trading the read snapshot for it inside would drop the savepoint."""
    db.session.commit()  # the fixture's session lets go of SQLite's write lock
    with file_app.app_context(), extensions.reads_first():
        session = db.session()
        tenant = session.scalars(select(Tenant)).one()
        with session.begin_nested():
            tenant.item_counter += 1
        extensions.commit_work(session)
    assert db.session.scalars(select(Tenant.item_counter)).one() == 1
