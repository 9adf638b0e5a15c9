"""The per-request pipeline of an authenticated call: what a read-only call costs the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import QueuePool

from sandbox.core.models import Item
from sandbox.core.prepared import Prepared
from sandbox.extensions import db
from tests.conftest import PlaidClient, snapshots_answered


@contextmanager
def _watching() -> Iterator[tuple[list[str], list[Session]]]:
    """Statements SQLAlchemy executes and ORM transactions begun meanwhile."""
    statements: list[str] = []
    begun: list[Session] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def began(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            begun.append(session)

    event.listen(db.engine, "before_cursor_execute", executed)
    event.listen(Session, "after_transaction_create", began)
    try:
        yield statements, begun
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
        event.remove(Session, "after_transaction_create", began)


def test_a_read_only_balance_call_begins_no_orm_transaction(plaid: PlaidClient) -> None:
    """Tenant, access token and accounts are ``Prepared`` reads on the request's reader:
    nothing runs through SQLAlchemy (so nothing is written) and no ORM transaction begins."""
    token = plaid.link_item()
    first = plaid.ok("/accounts/balance/get", access_token=token)  # the item is current now
    with _watching() as (statements, begun):
        again = plaid.ok("/accounts/balance/get", access_token=token)
    assert statements == []
    assert begun == []
    assert again["accounts"] == first["accounts"]
    assert again["item"] == first["item"]


def test_a_call_that_writes_commits_its_write(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    with _watching() as (statements, begun):
        plaid.ok("/item/webhook/update", access_token=token, webhook="https://example.com/h")
    assert any(statement.lstrip().upper().startswith("UPDATE") for statement in statements)
    assert len(begun) == 1
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert item["webhook"] == "https://example.com/h"


def test_the_readers_connection_goes_back_to_the_pool_as_it_came(
    app: Flask, plaid: PlaidClient
) -> None:
    """The reader changes its connection for reading: on PostgreSQL it reads without a
    transaction (autocommit), on SQLite inside a read transaction. The connection it gives
    back must be as the pool lent it (transactional, no transaction open), or a later unit
    of work would not be atomic, or would hold a stale snapshot and block checkpoints."""
    token = plaid.link_item()
    plaid.ok("/accounts/balance/get", access_token=token)
    pool = db.engine.pool
    if isinstance(pool, QueuePool):  # PostgreSQL; SQLite's in-memory test database has one
        assert pool.checkedout() == 0
    lent = pool.checkedin() if isinstance(pool, QueuePool) else 1
    held = [db.engine.raw_connection() for _ in range(lent)]
    try:
        assert held
        for connection in held:
            driver = connection.driver_connection
            if db.engine.dialect.name == "postgresql":
                assert not driver.autocommit  # type: ignore[union-attr]
            else:
                assert not driver.in_transaction  # type: ignore[union-attr]
    finally:
        for connection in held:
            connection.close()


def test_a_repeated_read_only_call_is_answered_from_the_read_cache(
    plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While nothing has committed since, a repeated call's reads come from the read cache:
    it reads nothing (on PostgreSQL the snapshot is asked for as the call arrives, on a
    connection of its own). A commit by another connection (another worker's, say) is seen
    by the next call."""
    token = plaid.link_item()
    plaid.ok("/accounts/balance/get", access_token=token)  # the item is current now
    plaid.ok("/accounts/balance/get", access_token=token)  # read since the last commit
    reads = _counting_reads(monkeypatch)
    answers = snapshots_answered(monkeypatch)
    again = plaid.ok("/accounts/balance/get", access_token=token)
    assert reads == []
    postgresql = db.engine.dialect.name == "postgresql"
    assert len(answers) == (1 if postgresql else 0) and all(answers), answers
    with db.engine.begin() as connection:  # not the request's session: as another process
        connection.execute(update(Item).values(webhook="https://example.com/moved"))
    reads.clear()
    moved = plaid.ok("/accounts/balance/get", access_token=token)
    assert reads, "the commit must make the call read again"
    assert moved["item"]["webhook"] == "https://example.com/moved"
    assert moved["accounts"] == again["accounts"]


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[Prepared]:
    """The ``Prepared`` reads that go to the database from now on."""
    reads: list[Prepared] = []
    fresh = Prepared._fresh

    def counted(self: Prepared, *args: Any, **kwargs: Any) -> list[Any]:
        reads.append(self)
        return fresh(self, *args, **kwargs)

    monkeypatch.setattr(Prepared, "_fresh", counted)
    return reads
