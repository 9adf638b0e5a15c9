"""Duplicate TrueLayer connections: a user signing in to a bank login they have connected
already keeps the first connection, and the new one is deleted at TrueLayer (its tokens stop
working), as Plaid's duplicate Items are removed (test_duplicate_items.py); another user's
sign-in to the same login is never refused; sign-ins of one login finishing at once leave one
connection. Against the served sandbox, on SQLite and PostgreSQL.

Each racer is a client of its own (its own `Store` engine on the shared database, its own
`TrueLayerAPI`), as separate processes sharing a store are. A barrier holds every racer once
it has read the new connection's accounts, right before the store is asked for a twin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import select

from client.crypto import TokenCipher
from client.providers import errors
from client.providers.model import LocalAccount
from client.providers.truelayer import CONNECTION_ERROR, TrueLayerProvider
from client.providers.truelayer_api import Tokens, TrueLayerAPI
from client.providers.truelayer_connect import TrueLayerSync
from client.store.db import Store
from client.store.models import AuditEvent
from client.sync.duplicates import DuplicateConnection
from tests.client.conftest import Tenant
from tests.client.test_duplicate_items import connections_of
from tests.client.tl_dialog import authorize
from tests.client.truelayer_live import HISTORY_DAYS, REDIRECT_URI, config, connect

RACERS = 5  # sign-ins of alice's login at once; bob's makes six


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


class WatchedProvider(TrueLayerProvider):
    """A real provider that keeps every access token whose accounts it reads (a refused
    connection's token is what must be dead afterwards) and, given a barrier, waits there once
    it has read them, right before the store is asked for a twin."""

    def __init__(self, api: TrueLayerAPI, start: threading.Barrier | None = None) -> None:
        super().__init__(api, history_days=HISTORY_DAYS, chunk_days=180)
        self.start, self.tokens = start, list[str]()

    def accounts(self, tokens: Tokens) -> list[LocalAccount]:
        self.tokens.append(tokens.access_token)
        found = super().accounts(tokens)
        if self.start is not None:
            self.start.wait(timeout=60)
        return found


def watched_sync(
    tenant: Tenant, store: Store, cipher: TokenCipher, start: threading.Barrier | None = None
) -> TrueLayerSync:
    api = TrueLayerAPI(config(tenant), psu_ip="127.0.0.1")
    return TrueLayerSync(api, store, cipher, provider=WatchedProvider(api, start))


@pytest.fixture
def tl(tenant: Tenant, store: Store) -> Iterator[TrueLayerSync]:
    client = watched_sync(tenant, store, TokenCipher([TokenCipher.generate_key()]))
    yield client
    client.api.close()


def tokens_seen(tl: TrueLayerSync) -> list[str]:
    assert isinstance(tl.provider, WatchedProvider)
    return tl.provider.tokens


def token_works(tl: TrueLayerSync, token: str) -> bool:
    """Whether the sandbox still serves the connection of `token` (a deleted one's is dead)."""
    reply = requests.get(
        tl.api.config.api_url + "/data/v1/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code in (200, 401), reply.text
    return reply.status_code == 200


def test_signing_in_to_the_same_login_again_keeps_the_first_and_deletes_the_new(
    tl: TrueLayerSync,
) -> None:
    first = connect(tl, "alice")

    with pytest.raises(DuplicateConnection) as refused:
        connect(tl, "alice")

    assert refused.value.connection_id == first and refused.value.new_item_removed
    assert not refused.value.login_required
    assert f"connection {first}" in str(refused.value), str(refused.value)
    assert [c[:2] for c in connections_of(tl.store, "alice")] == [(first, "active")]
    kept, dropped = tokens_seen(tl)
    assert not token_works(tl, dropped), "the refused connection is deleted at TrueLayer"
    assert token_works(tl, kept)
    with tl.store.session() as session:
        deletes = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "call", AuditEvent.name == "/api/delete")
        ).all()
    assert len(deletes) == 1, "the deletion is in the audit log, as Plaid's /item/remove is"
    assert tl.sync(first).ok


def test_another_user_signing_in_to_the_same_login_keeps_theirs(tl: TrueLayerSync) -> None:
    alice, bob = connect(tl, "alice"), connect(tl, "bob")

    assert alice != bob
    assert [c[:2] for c in connections_of(tl.store, "alice")] == [(alice, "active")]
    assert [c[:2] for c in connections_of(tl.store, "bob")] == [(bob, "active")]
    assert all(token_works(tl, token) for token in tokens_seen(tl))


def test_a_duplicate_of_a_connection_waiting_for_consent_says_to_renew_it(
    tl: TrueLayerSync, tenant: Tenant
) -> None:
    """The kept connection's consent ended: renewing it keeps its ids and history, so the
    advice is `reconsent`, not a second connection (Plaid's is update mode)."""
    first = connect(tl, "alice")
    assert tl.sync(first).ok
    tenant.advance(91)  # consent lasts 90 days
    assert not tl.sync(first).ok

    with pytest.raises(DuplicateConnection) as refused:
        connect(tl, "alice")

    assert refused.value.connection_id == first and refused.value.login_required
    assert f"TrueLayerSync.reconsent({first})" in str(refused.value), str(refused.value)
    assert "bank-client reconnect" not in str(refused.value), "it refuses TrueLayer connections"
    assert [c[:2] for c in connections_of(tl.store, "alice")] == [(first, "login_required")]


def race(tenant: Tenant, store: Store, users: list[str]) -> list[tuple[str, str, Any]]:
    """Sign `users` in to the mock bank one by one, then complete every redirect at once, each
    from a client of its own: (user, access token, connection id or the DuplicateConnection)."""
    cipher = TokenCipher([TokenCipher.generate_key()])
    opener = watched_sync(tenant, store, cipher)
    with requests.Session() as browser:
        backs = [authorize(browser, opener.auth_link(u), REDIRECT_URI) for u in users]
    opener.api.close()
    start = threading.Barrier(len(users))

    def complete(user: str, back: str) -> tuple[str, str, Any]:
        own = Store(store.url)
        tl = watched_sync(tenant, own, cipher, start)
        try:
            outcome: int | DuplicateConnection
            try:
                outcome = tl.complete(back)
            except DuplicateConnection as refused:
                outcome = refused
            (token,) = tokens_seen(tl)  # one code exchange
            return user, token, outcome
        finally:
            tl.api.close()
            own.close()

    with ThreadPoolExecutor(len(users)) as pool:
        return list(pool.map(complete, users, backs))


def test_simultaneous_sign_ins_to_one_login_leave_one_connection_and_spare_another_user(
    tenant: Tenant, store: Store, tl: TrueLayerSync
) -> None:
    outcomes = race(tenant, store, ["alice"] * RACERS + ["bob"])

    alice = [o for o in outcomes if o[0] == "alice"]
    kept = [o for o in alice if isinstance(o[2], int)]
    refused = [o for o in alice if isinstance(o[2], DuplicateConnection)]
    assert len(kept) == 1, f"exactly one of alice's sign-ins is connected: {outcomes}"
    assert len(refused) == RACERS - 1
    (_, winner_token, winner) = kept[0]
    assert [c[:2] for c in connections_of(store, "alice")] == [(winner, "active")]
    for _, token, dup in refused:
        assert dup.connection_id == winner and dup.new_item_removed, str(dup)
        assert not token_works(tl, token), "a refused connection is deleted at TrueLayer"
    assert token_works(tl, winner_token)

    ((_, bob_token, bob),) = [o for o in outcomes if o[0] == "bob"]
    assert isinstance(bob, int), f"another user's sign-in is never refused: {bob}"
    assert [c[:2] for c in connections_of(store, "bob")] == [(bob, "active")]
    assert token_works(tl, bob_token)


def fail_next(tenant: Tenant, endpoint: str, **action: Any) -> None:
    """A TrueLayer fault rule: the next call to `endpoint` fails with `action`."""
    tenant.post(
        "/control/faults", dialect="truelayer", endpoint=endpoint, trigger="next", n=1, **action
    )


@pytest.mark.parametrize("status", [429, 503])
def test_a_temporary_error_listing_the_accounts_refuses_the_sign_in_for_a_retry(
    tl: TrueLayerSync, tenant: Tenant, status: int
) -> None:
    """A 429 or 5xx on /accounts at completion was taken for a bank refusing to list: the new
    connection was stored unchecked, a duplicate of the first. It is deleted at TrueLayer and
    the user told to sign in again, which then meets the duplicate rule."""
    first = connect(tl, "alice")
    fail_next(tenant, "/data/v1/accounts", http_status=status)

    with pytest.raises(errors.ProviderUnavailable) as failed:
        connect(tl, "alice")

    assert "sign in again" in str(failed.value), str(failed.value)
    assert [c[:2] for c in connections_of(tl.store, "alice")] == [(first, "active")]
    assert not token_works(tl, tokens_seen(tl)[-1]), "the unchecked connection is deleted"
    with pytest.raises(DuplicateConnection):
        connect(tl, "alice")


def test_a_failing_balance_cannot_defeat_the_check(tl: TrueLayerSync, tenant: Tenant) -> None:
    """The rule compares what /accounts lists: completion reads no balance, so a balance
    read failing lets no duplicate through (it did, when any TrueLayer error meant none)."""
    first = connect(tl, "alice")
    tenant.post(
        "/control/faults",
        dialect="truelayer",
        endpoint="/data/v1/accounts/*/balance",
        http_status=503,
    )

    with pytest.raises(DuplicateConnection) as refused:
        connect(tl, "alice")

    assert refused.value.connection_id == first
    assert [c[:2] for c in connections_of(tl.store, "alice")] == [(first, "active")]


def test_a_network_error_listing_the_accounts_is_provider_unavailable(
    tl: TrueLayerSync, tenant: Tenant
) -> None:
    """A dropped reply at completion raised the transport's TrueLayerUnreachable, not the
    provider-neutral error every other TrueLayerSync call raises."""
    fail_next(tenant, "/data/v1/accounts", drop=True)

    with pytest.raises(errors.ProviderUnavailable) as failed:
        connect(tl, "alice")

    assert failed.value.code == CONNECTION_ERROR, failed.value
    assert connections_of(tl.store, "alice") == []
    assert not token_works(tl, tokens_seen(tl)[-1])


def test_a_bank_refusing_the_sign_in_still_stores_the_connection(tl: TrueLayerSync) -> None:
    """A login/consent error listing the accounts (a mock `error.<code>` user) leaves nothing
    to compare: stored as before, its first sync records the error for the user."""
    cid = connect(tl, "alice", "error.wrong_credentials", "error")

    assert [c[:2] for c in connections_of(tl.store, "alice")] == [(cid, "active")]
    assert not tl.sync(cid).ok
