"""The per-request pipeline of an authenticated call: what a read-only call costs the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from sandbox.extensions import db
from tests.conftest import PlaidClient


@contextmanager
def _watching() -> Iterator[tuple[list[str], list[Session]]]:
    """Statements SQLAlchemy executes and sessions committed meanwhile."""
    statements: list[str] = []
    commits: list[Session] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def committed(session: Session) -> None:
        commits.append(session)

    event.listen(db.engine, "before_cursor_execute", executed)
    event.listen(Session, "after_commit", committed)
    try:
        yield statements, commits
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
        event.remove(Session, "after_commit", committed)


def test_a_read_only_balance_call_reads_on_the_driver_and_commits_once(
    plaid: PlaidClient,
) -> None:
    """Tenant, access token and accounts are ``Prepared`` reads (no SQLAlchemy execution,
    hence no write), and the request's transaction ends with a single commit."""
    token = plaid.link_item()
    first = plaid.ok("/accounts/balance/get", access_token=token)  # the item is current now
    with _watching() as (statements, commits):
        again = plaid.ok("/accounts/balance/get", access_token=token)
    assert statements == []
    assert len(commits) == 1
    assert again["accounts"] == first["accounts"]
    assert again["item"] == first["item"]


def test_a_call_that_writes_still_commits_its_write(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    with _watching() as (statements, commits):
        plaid.ok("/item/webhook/update", access_token=token, webhook="https://example.com/h")
    assert any(statement.lstrip().upper().startswith("UPDATE") for statement in statements)
    assert len(commits) == 1
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert item["webhook"] == "https://example.com/h"
