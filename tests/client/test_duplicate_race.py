"""Duplicate Items raced: several Links of one login by one user finishing at once leave one
connection, on SQLite and PostgreSQL.

Each racer is a client of its own (its own `Store` engine on the shared database, its own
`PlaidClient`), as separate processes sharing a store are, against the live (threaded,
served over HTTP) sandbox. A barrier holds every racer after the exchange and the reads of
the new Item, so that all of them check the store for a twin at the same moment: the window
the database's lock must close. Another user linking the same login in the same race keeps
their connection.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from client.api.errors import ItemNotFoundError
from client.api.plaid import Json, PlaidClient
from client.api.transport import Observer, Transport
from client.crypto import TokenCipher
from client.store.db import Store
from client.sync.connections import BankSync
from client.sync.duplicates import DuplicateConnection
from tests.client.conftest import Tenant
from tests.client.test_duplicate_items import connections_of, items_at_the_bank

RACERS = 7  # Links of alice's login at once; bob's makes eight


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


class RacingClient(PlaidClient):
    """A real client that keeps the access token its exchange got (a refused Link's token is
    what must be dead afterwards) and waits at `start` once it has read the new Item's
    accounts, right before the store is asked for a twin. `BankSync` calls through
    `observed` copies (for its audit log), which share both."""

    def __init__(self, transport: Transport, start: threading.Barrier, tokens: list[str]) -> None:
        super().__init__("", "", "", transport=transport)
        self.start, self.tokens = start, tokens

    def observed(self, observer: Observer) -> PlaidClient:
        return RacingClient(self.transport.with_observer(observer), self.start, self.tokens)

    def item_public_token_exchange(self, public_token: str) -> Json:
        reply = super().item_public_token_exchange(public_token)
        self.tokens.append(str(reply["access_token"]))
        return reply

    def accounts_get(self, access_token: str) -> Json:
        reply = super().accounts_get(access_token)
        self.start.wait(timeout=60)
        return reply


def race(tenant: Tenant, url: str, users: list[str]) -> list[tuple[str, str, Any]]:
    """Link First Platypus's `user_good` once per entry of `users`, all at once, each from a
    client of its own: (user, access token, connection id or the DuplicateConnection)."""
    setup = PlaidClient(tenant.url, tenant.client_id, tenant.secret, timeout=60)
    publics = [str(setup.sandbox_public_token_create("ins_109508")["public_token"]) for _ in users]
    setup.close()
    start, key = threading.Barrier(len(users)), TokenCipher.generate_key()

    def link(user: str, public: str) -> tuple[str, str, Any]:
        tokens: list[str] = []
        transport = Transport(tenant.url, tenant.client_id, tenant.secret, timeout=60)
        plaid, store = RacingClient(transport, start, tokens), Store(url)
        try:
            bank = BankSync(plaid, store, TokenCipher([key]))
            outcome: int | DuplicateConnection
            try:
                outcome = bank.connect(public, user_ref=user)
            except DuplicateConnection as refused:
                outcome = refused
            (token,) = tokens  # one exchange
            return user, token, outcome
        finally:
            plaid.close()
            store.close()

    with ThreadPoolExecutor(len(users)) as pool:
        return list(pool.map(link, users, publics))


def token_works(tenant: Tenant, token: str) -> bool:
    """Whether the sandbox still has the Item of `token` (a removed Item's token is dead)."""
    plaid = PlaidClient(tenant.url, tenant.client_id, tenant.secret, timeout=60)
    try:
        plaid.accounts_get(token)
    except ItemNotFoundError:
        return False
    finally:
        plaid.close()
    return True


def test_simultaneous_links_of_one_login_leave_one_connection_and_spare_another_user(
    store: Store, tenant: Tenant, live: Any
) -> None:
    outcomes = race(tenant, store.url, ["alice"] * RACERS + ["bob"])

    alice = [o for o in outcomes if o[0] == "alice"]
    kept = [o for o in alice if isinstance(o[2], int)]
    refused = [o for o in alice if isinstance(o[2], DuplicateConnection)]
    assert len(kept) == 1, f"exactly one of alice's Links is connected: {outcomes}"
    assert len(refused) == RACERS - 1
    (_, winner_token, winner), alices = kept[0], connections_of(store, "alice")
    assert alices == [(winner, "active", "ins_109508")]
    for _, token, dup in refused:
        assert dup.connection_id == winner and dup.new_item_removed, str(dup)
        assert not token_works(tenant, token), "a refused Link's Item is removed at the bank"
    assert token_works(tenant, winner_token)

    ((_, bob_token, bob),) = [o for o in outcomes if o[0] == "bob"]
    assert isinstance(bob, int), f"another user's Link of the same login is never refused: {bob}"
    assert connections_of(store, "bob") == [(bob, "active", "ins_109508")]
    assert token_works(tenant, bob_token)
    assert items_at_the_bank(live, tenant) == 2, "alice's one Item and bob's"
