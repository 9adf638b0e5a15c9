"""`hold_for_user` taken after the session has written: on SQLite it failed with "cannot start
a transaction within a transaction", on PostgreSQL it silently held a lock that no longer
guarded the writes made before it. Both refuse, saying to take the lock first."""

from __future__ import annotations

import pytest

from client.store.db import Store
from client.store.locks import hold_for_user
from client.store.models import Connection


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def test_the_lock_taken_after_a_write_is_refused(store: Store) -> None:
    with pytest.raises(RuntimeError, match="take the lock first"), store.session() as session:
        session.add(Connection(user_ref="u", item_id="x"))
        session.flush()
        hold_for_user(session, "bc_links", "u")
    with store.session() as session:
        assert session.query(Connection).count() == 0, "the refused session rolled back"


def test_the_lock_taken_first_guards_the_write(store: Store) -> None:
    with store.session() as session:
        hold_for_user(session, "bc_links", "u")
        session.add(Connection(user_ref="u", item_id="x"))
    with store.session() as session:
        assert session.query(Connection).count() == 1
