"""The demo app when a user links a bank login they have linked already: the API answers with
the existing connection (`outcome: duplicate`), the pages say so and point at it; nothing new is
listed, synced or left linked at the provider."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client.app.conftest import World, basic
from tests.client.app.test_link_return import LinkReturns, public_token, start
from tests.client.app.test_pages import signed_in
from tests.client.test_duplicate_items import items_at_the_bank

pytestmark = pytest.mark.e2e


@pytest.fixture
def link(world: World, monkeypatch: pytest.MonkeyPatch) -> LinkReturns:
    return LinkReturns(world, monkeypatch)


def connection_ids(world: World, user: str) -> list[int]:
    return [c["id"] for c in world.get(user, "/api/v1/connections").json["connections"]]


def complete(world: World, user: str, institution: str) -> Any:
    """`POST /api/v1/connections/complete` with what Link hands back at `institution`."""
    return world.client().post(
        "/api/v1/connections/complete",
        headers=basic(user),
        json={"public_token": public_token(world, institution)},
    )


def test_the_api_answers_a_linked_login_with_the_existing_connection(
    world: World, live: Any
) -> None:
    before, items = connection_ids(world, "alice"), items_at_the_bank(live, world.tenant)
    accounts = world.get("alice", "/api/v1/accounts").json["accounts"]

    reply = complete(world, "alice", "ins_109508")  # alice's bank since the world began

    assert reply.status_code == 200, reply.json
    assert reply.json["outcome"] == "duplicate" and reply.json["id"] == world.alice
    assert "Location" not in reply.headers
    assert connection_ids(world, "alice") == before
    assert world.get("alice", "/api/v1/accounts").json["accounts"] == accounts
    assert items_at_the_bank(live, world.tenant) == items, "the new Item was removed"
    assert world.run_jobs() == 0, "nothing new to sync"


def test_the_same_bank_for_another_user_is_their_own_new_connection(world: World) -> None:
    reply = complete(world, "bob", "ins_109508")  # alice's bank and login, bob's first time
    assert reply.status_code == 201 and reply.json["outcome"] == "connected", reply.json
    assert reply.json["id"] not in connection_ids(world, "alice")
    world.run_jobs()


def test_the_pages_point_at_the_existing_connection(world: World, link: LinkReturns) -> None:
    client, token = signed_in(world, "alice")
    before = connection_ids(world, "alice")
    start(client, token)

    reply = client.get(link.finished(public_token(world, "ins_109508")))

    assert reply.status_code == 302
    assert reply.headers["Location"].endswith(f"/connections#connection-{world.alice}")
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "already connected this bank" in page and "said no" not in page
    assert connection_ids(world, "alice") == before


def test_a_linked_login_waiting_for_sign_in_is_pointed_to_sign_in_again(
    world: World, link: LinkReturns
) -> None:
    world.bank.set_error_from_webhook(world.alice, {"error_code": "ITEM_LOGIN_REQUIRED"})
    try:
        reply = complete(world, "alice", "ins_109508")
        assert reply.status_code == 200, reply.json
        assert reply.json["outcome"] == "duplicate_login_required"
        assert reply.json["id"] == world.alice and reply.json["status"] == "login_required"

        client, token = signed_in(world, "alice")
        start(client, token)
        landed = client.get(link.finished(public_token(world, "ins_109508")))
        page = client.get(landed.headers["Location"]).get_data(as_text=True)
        assert "needs you to sign in again" in page
    finally:
        assert world.bank.mark_repaired(world.alice)
