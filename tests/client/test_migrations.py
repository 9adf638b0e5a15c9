"""The client's Alembic migrations: empty to newest, and adopting a pre-migration database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from client.store import schema
from client.store.db import Store
from client.store.models import Account, Base, Category, Connection, Transaction
from client.sync.connections import BankSync
from tests.client.conftest import ground_truth
from tests.client.helpers import assert_store_matches, count_rows
from tests.conftest import DATABASES, POSTGRES_URL


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty client database: a new SQLite file, or this run's PostgreSQL with no bc_ tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'client.db'}"
        return
    _drop(POSTGRES_URL)
    yield POSTGRES_URL
    _drop(POSTGRES_URL)


def _drop(url: str) -> None:
    store = Store(url, create=False)
    store.drop_all()
    store.close()


def _diff(store: Store) -> list[Any]:
    """What autogenerate would change to make the database match the models."""

    def ours(_obj: Any, name: str | None, type_: str, _reflected: bool, _other: Any) -> bool:
        return type_ != "table" or (name or "").startswith("bc_")

    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": schema.VERSION_TABLE,
                "compare_type": True,
                "include_object": ours,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_empty_database_matches_models(url: str) -> None:
    store = Store(url)
    try:
        assert _diff(store) == []
        with store.engine.connect() as connection:
            assert schema.current_revision(connection) == schema.head() is not None
        assert count_rows(store, Category) == 120  # the built-in categories
        Store(url).close()  # opening again is a no-op
        assert count_rows(store, Category) == 120
    finally:
        store.close()


def test_processes_opening_a_new_database_together_migrate_it_once(url: str) -> None:
    opener = f"from client.store.db import Store; Store({url!r}).close()"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", opener], env=env, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    store = Store(url, create=False)
    try:
        assert _diff(store) == [] and count_rows(store, Category) == 120
    finally:
        store.close()


def _back_to_create_all_era(store: Store) -> None:
    """Downgrade to the baseline and forget the version: a database create_all made."""
    with schema.migrating(store.engine) as connection:
        command.downgrade(schema.alembic_config(connection), "0001")
        connection.execute(text(f"DROP TABLE {schema.VERSION_TABLE}"))
        assert "removed_at" not in {
            c["name"] for c in inspect(connection).get_columns("bc_transactions")
        }


def test_pre_migration_database_is_adopted_and_refilled_by_next_sync(
    url: str, bank: BankSync
) -> None:
    store = Store(url)
    bank.store = bank.engine.store = bank.audit.store = store
    try:
        cid = bank.connect_sandbox("ins_109508", days_requested=60, user_ref="old-user")
        assert bank.sync(cid).ok
        rows = count_rows(store, Transaction)
        _back_to_create_all_era(store)
        upgraded = Store(url)  # stamps the baseline, then upgrades to the newest revision
        assert _diff(upgraded) == []
        with upgraded.session() as s:
            conn = s.get(Connection, cid)
            assert conn is not None and conn.cursor is None  # the next sync re-reads history
            assert {a.user_ref for a in s.scalars(select(Account))} == {"old-user"}
            assert set(s.scalars(select(Transaction.category))) == {None}
        result = bank.sync(cid)
        assert result.ok and result.added == 0 and result.modified == rows
        assert count_rows(store, Transaction) == rows
        assert_store_matches(store, cid, ground_truth(bank, cid))
        with store.session() as s:
            filled = list(s.scalars(select(Transaction)))
        assert all(t.category and t.category_id and t.payment_channel for t in filled)
        upgraded.close()
    finally:
        store.close()
