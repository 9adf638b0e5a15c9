"""Served sandboxes for the concurrency and crash tests: ``serve`` and gunicorn, both databases.

PostgreSQL runs use a database of their own beside ``TEST_POSTGRES_URL`` (its name plus
``_served``), recreated for each server, because the served process migrates its schema
with Alembic while the API tests' database is built with ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import DATABASES, POSTGRES_URL

from .served import Served

KINDS = [
    ("serve", "sqlite"),
    ("serve", "postgresql"),
    ("gunicorn", "sqlite"),
    ("gunicorn", "postgresql"),
]


def fresh_database_url(database: str, workdir: Path) -> str:
    """An empty database: a new SQLite file, or a recreated PostgreSQL database."""
    if database == "sqlite":
        return f"sqlite:///{workdir / 'sandbox.db'}"
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not among SANDBOX_TEST_DATABASES")
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_served"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=KINDS, ids=["-".join(k) for k in KINDS])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A sandbox served by real processes, shared by one module's tests of that kind."""
    kind, database = request.param
    workdir = tmp_path_factory.mktemp(f"{kind}-{database}")
    server = Served(fresh_database_url(database, workdir), workdir, kind=kind).start()
    yield server
    server.stop()
