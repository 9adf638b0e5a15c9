"""The per-request pipeline of an authenticated call: what a read-only call costs the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from sandbox.extensions import db
from tests.conftest import PlaidClient


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
    """On PostgreSQL the reader reads without a transaction (autocommit): the connection it
    gives back must be transactional again, or a later unit of work would not be atomic."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's reader uses a read transaction, not autocommit")
    token = plaid.link_item()
    plaid.ok("/accounts/balance/get", access_token=token)
    pool = db.engine.pool
    assert pool.checkedout() == 0  # type: ignore[attr-defined]  # QueuePool
    held = [db.engine.raw_connection() for _ in range(pool.checkedin())]  # type: ignore[attr-defined]
    try:
        assert held and not any(c.driver_connection.autocommit for c in held)  # type: ignore[union-attr]
    finally:
        for connection in held:
            connection.close()
