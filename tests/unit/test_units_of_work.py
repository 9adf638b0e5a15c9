"""The engine's concurrency settings: SQLite writers queue, and a request's unit of work is
retried whole when the database stays busy (``docs/concurrency.md``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
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


def test_sqlite_read_then_write_transactions_run_one_after_another(file_app: Flask) -> None:
    threads = [threading.Thread(target=_increment_slowly, args=(file_app,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert db.session.scalars(select(Tenant)).one().item_counter == 4


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
