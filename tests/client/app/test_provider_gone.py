"""The provider's server goes away mid-demo (the sandbox restarted) and comes back: the pages
say it could not be reached, a sync waiting for its retry shows as failed rather than queued
forever, and "Sync now" runs at once instead of joining a retry minutes away."""

from __future__ import annotations

import re
import socket

import pytest

from client.notify import advice_for
from tests.client.app.conftest import World, basic, connect_login
from tests.client.app.test_pages import signed_in

pytestmark = pytest.mark.e2e


def closed_port_url() -> str:
    """An address nothing listens on: the provider's server is gone."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def provider_gone(world: World, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The app's provider stops answering until the test calls `.undo()`."""
    monkeypatch.setattr(world.bank.plaid.transport, "base_url", closed_port_url())
    return monkeypatch


def sync_state(world: World, connection_id: int) -> str:
    reply = world.client().get(f"/api/v1/connections/{connection_id}/sync", headers=basic("alice"))
    assert reply.status_code == 200
    state: str = reply.json["state"]
    return state


def test_connecting_while_the_provider_is_gone_says_it_could_not_be_reached(
    world: World, provider_gone: pytest.MonkeyPatch
) -> None:
    """The page said "The bank's service said no" and advised picking another bank: no bank
    said anything, and another bank is behind the same unreachable provider."""
    client, token = signed_in(world, "alice")
    reply = client.post("/connect", data={"csrf_token": token})
    assert reply.status_code == 502
    page = reply.get_data(as_text=True)
    assert "said no" not in page and "could not be reached" in page
    said = re.search(r"<strong>What to do:</strong> ([^<]*)</p>", page)
    assert said is not None and said.group(1) == advice_for("CONNECTION_ERROR", "connect")
    assert "another bank" not in said.group(1)
    assert "<code>CONNECTION_ERROR</code>" in page


def test_sync_now_after_the_provider_came_back_runs_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that failed for want of the provider waits minutes for its retry: the page
    showed "Sync queued…" all that time, even after "Sync now" synced once the sandbox was
    back, and the retry then ran once more."""
    cid = connect_login(world, "alice", "user_family")
    monkeypatch.setattr(world.bank.plaid.transport, "base_url", closed_port_url())
    sync = f"/api/v1/connections/{cid}/sync"
    assert world.client().post(sync, headers=basic("alice")).status_code == 202
    assert world.run_jobs() == 1
    assert sync_state(world, cid) == "failed"  # not "queued" until the retry
    monkeypatch.undo()  # the sandbox is back
    assert world.client().post(sync, headers=basic("alice")).status_code == 202
    assert world.run_jobs() == 1
    assert sync_state(world, cid) == "done"
    assert world.run_jobs() == 0  # the retry ran now, not once more later
