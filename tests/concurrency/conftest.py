"""Served sandboxes for the concurrency and crash tests: ``serve`` and gunicorn, both databases.

PostgreSQL runs use a database of their own beside ``TEST_POSTGRES_URL`` (its name plus
``_served``), recreated for each server, because the served process migrates its schema
with Alembic while the API tests' database is built with ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import fresh_database_url

from .served import Served

KINDS = [
    ("serve", "sqlite"),
    ("serve", "postgresql"),
    ("gunicorn", "sqlite"),
    ("gunicorn", "postgresql"),
]


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
