"""`GET /api/v1/connections`, the one request per tick of the open connections page: every
connection of the signed-in user with its status and sync state, never another user's, at a
cost in queries that does not grow with the number of connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.client.app.conftest import World, basic, connect_login
from tests.client.app.test_provider_gone import closed_port_url

pytestmark = pytest.mark.e2e


def listed(world: World, user: str) -> dict[int, Any]:
    """The user's connections by id, as the page's poll reads them."""
    reply = world.get(user, "/api/v1/connections")
    assert reply.status_code == 200
    return {conn["id"]: conn for conn in reply.json["connections"]}


def sync(world: World, user: str, connection_id: int) -> None:
    """Queue a sync as `user` (the worker runs when the test says)."""
    reply = world.client().post(f"/api/v1/connections/{connection_id}/sync", headers=basic(user))
    assert reply.status_code == 202


@contextmanager
def counting_queries(world: World) -> Iterator[list[str]]:
    """The SQL statements the app's store runs inside the block."""
    engine = world.bank.store.engine
    statements: list[str] = []

    def executed(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", executed)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", executed)


def test_each_user_polls_only_their_own_connections(world: World) -> None:
    """Alice's queued sync and Bob's login-required connection each show in their owner's
    list only; every entry is what the connection's own address says about it."""
    bobs_second = world.bank.connect_sandbox("ins_109511", user_ref="bob", days_requested=30)
    world.tenant.post(
        "/sandbox/item/reset_login", access_token=world.bank.access_token(bobs_second)
    )
    sync(world, "bob", bobs_second)
    world.run_jobs()
    sync(world, "alice", world.alice)  # queued: no worker runs it yet

    alices, bobs = listed(world, "alice"), listed(world, "bob")
    assert world.alice in alices and not {world.bob, bobs_second} & alices.keys()
    assert {world.bob, bobs_second} <= bobs.keys() and world.alice not in bobs
    assert alices[world.alice]["sync"]["state"] == "queued"
    assert bobs[world.bob]["sync"]["state"] == "done"
    assert bobs[bobs_second]["status"] == "login_required"
    assert bobs[bobs_second]["sync"]["state"] == "failed"
    assert bobs[bobs_second]["sync"]["run"]["error"]["code"] == "ITEM_LOGIN_REQUIRED"
    assert bobs[bobs_second]["error"]["advice"] and bobs[bobs_second]["action"] == "reconnect"
    for user, conns in (("alice", alices), ("bob", bobs)):
        for cid, conn in conns.items():
            assert conn == world.get(user, f"/api/v1/connections/{cid}").json, (user, cid)

    world.run_jobs()
    assert listed(world, "alice")[world.alice]["sync"]["state"] == "done"
    assert listed(world, "bob")[bobs_second]["status"] == "login_required"


def test_a_sync_waiting_for_its_retry_lists_as_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider went away: the list says the sync failed while its retry waits, as the
    connection's own sync state does, and done once it came back and synced."""
    cid = connect_login(world, "alice", "user_family")
    monkeypatch.setattr(world.bank.plaid.transport, "base_url", closed_port_url())
    sync(world, "alice", cid)
    assert world.run_jobs() == 1
    gone = listed(world, "alice")[cid]["sync"]
    assert gone["state"] == "failed" and gone["run"]["error"]["code"] == "CONNECTION_ERROR"
    monkeypatch.undo()  # the sandbox is back
    sync(world, "alice", cid)
    assert world.run_jobs() == 1
    assert listed(world, "alice")[cid]["sync"]["state"] == "done"


def test_the_list_costs_the_same_queries_however_many_connections(world: World) -> None:
    """It read each connection's newest run and waiting job one connection at a time: two
    queries more per connection, on every tick of every open connections page."""
    with counting_queries(world) as one:
        assert len(listed(world, "bob")) >= 1
    for username in ("user_yuppie", "user_student", "user_freelancer"):
        connect_login(world, "bob", username)
    with counting_queries(world) as more:
        assert len(listed(world, "bob")) >= 4
    assert len(more) == len(one), more
