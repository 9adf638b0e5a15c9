"""Users stay apart: one app, many users linking the same banks with the same test login."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.store.db import Store
from client.store.models import Account, Connection, Transaction
from client.sync.connections import BankSync
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches

Snapshot = frozenset[tuple[Any, ...]]
USERS = ("alice", "bob", "carol")
BANKS = ("ins_109508", "ins_109509")
_stores = itertools.count()


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


def user_rows(store: Store, user: str) -> Snapshot:
    """Every account and transaction a user can see, with the local ids they hang off."""
    with store.session() as session:
        accounts = session.execute(
            select(Account.id, Account.provider_id, Account.connection_id, Account.current)
            .join(Connection, Account.connection_id == Connection.id)
            .where(Connection.user_ref == user)
        ).all()
        txns = session.execute(
            select(Transaction.id, Transaction.provider_id, Transaction.amount, Account.id)
            .join(Account, Transaction.account_id == Account.id)
            .join(Connection, Account.connection_id == Connection.id)
            .where(Connection.user_ref == user)
        ).all()
    return frozenset({("account", *a) for a in accounts} | {("txn", *t) for t in txns})


def test_two_users_same_bank_same_login_keep_their_own_data(bank: BankSync) -> None:
    alice = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=60)
    assert bank.sync(alice).ok
    before = user_rows(bank.store, "alice")
    assert sum(1 for row in before if row[0] == "account") == 12

    bob = bank.connect_sandbox("ins_109508", user_ref="bob", days_requested=60)
    assert bank.sync(bob).ok

    assert user_rows(bank.store, "alice") == before  # nothing moved to bob
    assert_store_matches(bank.store, alice, ground_truth(bank, alice))
    assert_store_matches(bank.store, bob, ground_truth(bank, bob))
    with bank.store.session() as s:
        owners = dict(s.execute(select(Connection.id, Connection.user_ref)).all())
        by_conn = {
            cid: set(s.scalars(select(Account.provider_id).where(Account.connection_id == cid)))
            for cid in (alice, bob)
        }
    assert owners == {alice: "alice", bob: "bob"}
    assert by_conn[alice] and by_conn[bob] and not by_conn[alice] & by_conn[bob]


class World:
    """One app store with several users; remembers which user owns which connection."""

    def __init__(self, bank: BankSync) -> None:
        self.bank = bank
        self.active: dict[tuple[str, str], int] = {}

    def connect(self, user: str, institution: str) -> None:
        """Link (or re-link after disconnecting) and sync to the end."""
        old = self.active.pop((user, institution), None)
        if old is not None:
            self.bank.disconnect(old)
        cid = self.bank.connect_sandbox(institution, user_ref=user, days_requested=30)
        assert self.bank.sync(cid).ok
        self.active[(user, institution)] = cid

    def check(self, user: str, institution: str) -> None:
        """The user's live connection holds exactly the provider's data, once."""
        cid = self.active[(user, institution)]
        assert_store_matches(self.bank.store, cid, ground_truth(self.bank, cid))
        with self.bank.store.session() as s:
            mine = s.scalars(
                select(Account.provider_id)
                .join(Connection, Account.connection_id == Connection.id)
                .where(Connection.user_ref == user, Connection.institution_id == institution)
            ).all()
        assert len(mine) == len(set(mine)) == 12  # re-links adopt, never duplicate


@contextmanager
def fresh_bank(tenant: Tenant, folder: Path) -> Iterator[BankSync]:
    """A new app store (one per Hypothesis example) on the shared tenant."""
    store = Store(f"sqlite:///{folder / f'users-{next(_stores)}.db'}")
    plaid = PlaidClient(tenant.url, tenant.client_id, tenant.secret, timeout=30)
    try:
        yield BankSync(plaid, store, TokenCipher([TokenCipher.generate_key()]))
    finally:
        plaid.close()
        store.close()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(USERS), st.sampled_from(BANKS)), min_size=2, max_size=6
    )
)
def test_property_users_never_see_or_adopt_each_others_data(
    tenant: Tenant, tmp_path: Path, steps: list[tuple[str, str]]
) -> None:
    with fresh_bank(tenant, tmp_path) as bank:
        world = World(bank)
        for user, institution in steps:
            others = {u: user_rows(bank.store, u) for u in USERS if u != user}
            world.connect(user, institution)
            for other, rows in others.items():
                assert user_rows(bank.store, other) == rows, f"{user} changed {other}'s data"
            world.check(user, institution)
