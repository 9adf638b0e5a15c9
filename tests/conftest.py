"""Shared fixtures: the app on SQLite and on PostgreSQL, a tenant per test, and helpers.

API tests run once per database. PostgreSQL must be reachable (``TEST_POSTGRES_URL``,
default ``postgresql://postgres@127.0.0.1:5432/test``; under ``pytest -n`` each worker uses
``<name>_gw0``… beside it); a run that cannot reach it fails. To run on SQLite only, set
``SANDBOX_TEST_DATABASES=sqlite``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sandbox import create_app
from sandbox.core import tenants
from sandbox.core.models import Base
from sandbox.core.snapshots import Snapshots
from sandbox.extensions import db
from sandbox.testing import ItemLinker

pytest_plugins = ["tests.checkout_guard"]
collect_ignore = ["install"]  # a user's project and SDK scripts, run by .ci/wheel-stage

DATABASES = os.environ.get("SANDBOX_TEST_DATABASES", "sqlite,postgresql").split(",")


def database_beside(url: str, suffix: str, *, fresh: bool) -> str:
    """``<database of url>_<suffix>`` on the same PostgreSQL server: dropped and created again
    when ``fresh``, else created only when missing."""
    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"
    admin = create_engine(parsed.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if fresh:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        found = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _database_of_this_process(url: str) -> str:
    """``url``, or under pytest-xdist a database of this worker's own beside it
    (``<name>_gw0``…): workers sharing one dropped and created each other's tables as they
    started."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or "postgresql" not in DATABASES:
        return url
    return database_beside(url, worker, fresh=False)


POSTGRES_URL = _database_of_this_process(
    os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
FROZEN_NOW = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)


def fresh_database_url(kind: str, workdir: Path, suffix: str = "served") -> str:
    """An empty database for a test's own server process: a SQLite file in ``workdir``, or
    ``<test database>_<suffix>`` on PostgreSQL, dropped and created again."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'sandbox.db'}"
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not among SANDBOX_TEST_DATABASES")
    return database_beside(POSTGRES_URL, suffix, fresh=True)


def snapshots_answered(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The answers PostgreSQL gives from now on to the snapshot questions calls ask as they
    arrive (``core.snapshots``): a snapshot, or None for a question that got none."""
    answers: list[str | None] = []
    collect = Snapshots.collect

    def counted(snapshots: Snapshots, *args: Any) -> str | None:
        answers.append(collect(snapshots, *args))
        return answers[-1]

    monkeypatch.setattr(Snapshots, "collect", counted)
    return answers


def unexpected_error(*_args: Any, **_kwargs: Any) -> NoReturn:
    """Monkeypatched over any function a view calls: the view fails as a bug would."""
    raise RuntimeError("boom")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL database with a fresh schema for this test session."""
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(params=DATABASES)
def app(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Flask]:
    """The sandbox on one of the test databases, with its schema in place. SQLite is a file,
    as users run it: the read cache (``core.read_cache``) serves only a file's reads."""
    sqlite_url = f"sqlite:///{tmp_path / 'sandbox.db'}"
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else sqlite_url
    application = create_app(
        {"TESTING": True, "DATABASE_URL": url, "SEED": 7, "SECRET_KEY": "test-secret-key"}
    )
    with application.app_context():
        if request.param == "sqlite":
            db.create_all()
        yield application
        db.session.remove()
        if request.param == "sqlite":
            db.drop_all()
        db.engine.dispose()


class PlaidClient(ItemLinker):
    """Posts Plaid requests with a tenant's keys, like flaskr's ``AuthActions``."""

    def __init__(self, client: FlaskClient, client_id: str, secret: str) -> None:
        self.client, self.client_id, self.secret = client, client_id, secret

    def post(self, path: str, **body: Any) -> Any:
        """POST ``body`` as JSON with the keys in Plaid's headers; returns the response."""
        return self.client.post(
            path,
            json=body,
            headers={"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret},
        )

    def ok(self, path: str, **body: Any) -> dict[str, Any]:
        """POST and assert a 200 reply; returns the JSON body."""
        response = self.post(path, **body)
        assert response.status_code == 200, response.get_json()
        data: dict[str, Any] = response.get_json()
        return data

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        """``ok``: what ``ItemLinker.link_item`` calls."""
        return self.ok(path, **body)

    def error(self, path: str, **body: Any) -> dict[str, Any]:
        """POST and assert an error reply; returns the Plaid error object with ``status``."""
        response = self.post(path, **body)
        assert response.status_code >= 400, response.get_json()
        data: dict[str, Any] = response.get_json()
        data["http_status"] = response.status_code
        return data


@pytest.fixture
def tenant_keys(app: Flask) -> tenants.Keys:
    """A fresh tenant (seed 7) with its clock frozen, so dates are stable."""
    tenant, keys = tenants.create(db.session, "test", 7)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    return keys


@pytest.fixture
def plaid(app: Flask, tenant_keys: tenants.Keys) -> PlaidClient:
    """A Plaid-speaking test client bound to a fresh tenant."""
    return PlaidClient(app.test_client(), tenant_keys.client_id, tenant_keys.secret)


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bank-client` printing to a 200-column terminal. Its console is made when `client.cli`
    is imported and fixes its width from `COLUMNS` then (`pytest -n 2` sets 80), so a
    `CliRunner`'s own `COLUMNS` would not reach it."""
    from rich.console import Console

    from client import cli

    monkeypatch.setattr(cli, "console", Console(width=200))
