"""Link's return to the pages: bound to the session that opened Link, finished once, and
"Link again" after a disconnect (by the user or by the bank) reconnects the same connection."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.client.app.conftest import World
from tests.client.app.test_pages import signed_in

pytestmark = pytest.mark.e2e


class LinkReturns:
    """Where the app told hosted Link to send the browser back (`completion_redirect_uri`),
    recorded as the app asks the client library for each Link."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.uris: list[str] = []
        for name in ("link_start", "repair_link"):
            monkeypatch.setattr(world.bank, name, self._spy(getattr(world.bank, name)))

    def _spy(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def spy(*args: Any, completion_uri: str | None = None, **kwargs: Any) -> Any:
            assert completion_uri is not None
            self.uris.append(completion_uri)
            return real(*args, completion_uri=completion_uri, **kwargs)

        return spy

    def finished(self, public_token: str) -> str:
        """What Link's Continue opens after the last Link: the URI with the public token."""
        uri = urlsplit(self.uris[-1])
        return f"{uri.path}?{uri.query}&public_token={public_token}"


@pytest.fixture
def link(world: World, monkeypatch: pytest.MonkeyPatch) -> LinkReturns:
    return LinkReturns(world, monkeypatch)


def public_token(world: World, institution: str = "ins_109510", username: str = "user_good") -> str:
    """What Link hands back after the user signs in at `institution` as `username` (a login
    linked already, and still linked, is refused: each test links one of its own)."""
    made = world.tenant.post(
        "/sandbox/public_token/create",
        institution_id=institution,
        initial_products=["transactions"],
        options={"override_username": username, "override_password": "pass_good"},
    )
    return str(made["public_token"])


def connections(world: World, user: str) -> dict[int, dict[str, Any]]:
    return {c["id"]: c for c in world.get(user, "/api/v1/connections").json["connections"]}


def landed_on(reply: Any) -> int:
    """The connection the completion redirected to (`/connections?syncing=N`)."""
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return int(parse_qs(urlsplit(reply.headers["Location"]).query)["syncing"][0])


def start(client: FlaskClient, token: str, path: str = "/connect") -> None:
    reply = client.post(path, data={"csrf_token": token})
    assert reply.status_code == 303 and "/link?token=" in reply.headers["Location"]


def connect(
    world: World, link: LinkReturns, user: str, username: str
) -> tuple[FlaskClient, str, int]:
    """`user` connects a bank through the pages as `username`; the client, its CSRF token, the
    connection."""
    client, token = signed_in(world, user)
    start(client, token)
    cid = landed_on(client.get(link.finished(public_token(world, username=username))))
    world.run_jobs()
    return client, token, cid


def test_another_users_completion_url_connects_nothing(world: World, link: LinkReturns) -> None:
    """Login-CSRF style: alice, signed in, opens the Continue URL of bob's Link; bob's bank must
    not become hers, and bob's own Continue still works."""
    bob, token = signed_in(world, "bob")
    start(bob, token)
    url = link.finished(public_token(world))
    before = connections(world, "alice")
    alice, _ = signed_in(world, "alice")
    stolen = alice.get(url)
    assert stolen.status_code == 403, stolen.get_data(as_text=True)
    assert "another sign-in" in stolen.get_data(as_text=True)
    assert connections(world, "alice") == before
    cid = landed_on(bob.get(url))  # the public token was never spent
    assert connections(world, "bob")[cid]["institution_id"] == "ins_109510"


def test_a_completion_without_the_state_connects_nothing(world: World, link: LinkReturns) -> None:
    client, _ = signed_in(world, "alice")
    before = connections(world, "alice")
    reply = client.get("/connections/complete", query_string={"public_token": public_token(world)})
    assert reply.status_code == 400 and "state" in reply.get_data(as_text=True)
    assert connections(world, "alice") == before


def test_a_repeated_completion_lands_on_the_connection(world: World, link: LinkReturns) -> None:
    """Back to Link's success pane, then Continue again (or a reload): no second exchange of
    the spent public token, no error: the connection the first one made."""
    client, token = signed_in(world, "alice")
    start(client, token)
    url = link.finished(public_token(world))
    first = landed_on(client.get(url))
    before = connections(world, "alice")
    again = client.get(url)
    assert landed_on(again) == first
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already finished" in page and "said no" not in page
    assert connections(world, "alice") == before
    world.run_jobs()


def test_link_again_after_a_disconnect_reconnects_the_same_connection(
    world: World, link: LinkReturns
) -> None:
    client, token, cid = connect(world, link, "alice", "user_yuppie")
    accounts = {
        a["id"] for a in world.get("alice", "/api/v1/accounts", connection_id=cid).json["accounts"]
    }
    total = world.get("alice", "/api/v1/transactions", limit=1).json["pagination"]["total"]
    client.post(f"/connections/{cid}/disconnect", data={"csrf_token": token})
    assert connections(world, "alice")[cid]["status"] == "disconnected"

    start(client, token, f"/connections/{cid}/reconnect")  # the card's "Link again"
    reply = client.get(link.finished(public_token(world, username="user_yuppie")))
    assert landed_on(reply) == cid
    assert "Linked again" in client.get(reply.headers["Location"]).get_data(as_text=True)
    world.run_jobs()
    conn = connections(world, "alice")[cid]
    assert conn["status"] == "active" and conn["error"] is None
    again = world.get("alice", "/api/v1/accounts", connection_id=cid).json["accounts"]
    assert {a["id"] for a in again} == accounts, "the same accounts, with their history"
    after = world.get("alice", "/api/v1/transactions", limit=1).json["pagination"]["total"]
    assert after == total, "the new Item's transactions adopt the old ones, no duplicates"
    assert len(world.get("alice", f"/api/v1/connections/{cid}/sync-runs").json["sync_runs"]) >= 2


def test_a_new_link_of_a_disconnected_bank_and_login_says_linked_again(
    world: World, link: LinkReturns
) -> None:
    """*Connect a bank* (not *Link again*) for the bank and login of a disconnected connection
    links that connection again in place, and the page says so, not "Bank connected". (A bank
    alice has no other connection of, whichever tests ran before.)"""
    client, token = signed_in(world, "alice")
    start(client, token)
    first = client.get(link.finished(public_token(world, "ins_109509")), follow_redirects=True)
    assert "Bank connected" in first.get_data(as_text=True)
    cid = int(parse_qs(urlsplit(first.request.url).query)["syncing"][0])
    world.run_jobs()
    client.post(f"/connections/{cid}/disconnect", data={"csrf_token": token}, follow_redirects=True)

    start(client, token)
    reply = client.get(link.finished(public_token(world, "ins_109509")))
    assert landed_on(reply) == cid
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Linked again" in page and "Bank connected" not in page
    world.run_jobs()


def test_a_bank_removed_item_offers_only_link_again(world: World, link: LinkReturns) -> None:
    """The bank removed the Item (the dashboard's Remove item): the card offered Sync now,
    Pause, Sign in again (a 502: the Item cannot be found) and Disconnect, never Link again."""
    client, token, cid = connect(world, link, "bob", "user_student")
    world.tenant.post("/item/remove", access_token=world.bank.access_token(cid))
    client.post(f"/connections/{cid}/sync", data={"csrf_token": token})
    world.run_jobs()
    assert connections(world, "bob")[cid]["status"] == "disconnected"
    page = client.get("/connections").get_data(as_text=True)
    card = page[page.index(f'id="connection-{cid}"') :].split("</li>")[0]
    assert "Link again" in card
    for gone in ("Sync now", "automatic syncs", "Sign in again", "Disconnect…"):
        assert gone not in card, gone
    start(client, token, f"/connections/{cid}/reconnect")
    assert landed_on(client.get(link.finished(public_token(world, username="user_student")))) == cid
    world.run_jobs()
    assert connections(world, "bob")[cid]["status"] == "active"


def test_a_deliberate_disconnect_is_not_an_alarm_on_the_overview(
    world: World, link: LinkReturns
) -> None:
    client, token, cid = connect(world, link, "bob", "user_freelancer")
    client.post(f"/connections/{cid}/disconnect", data={"csrf_token": token})
    overview = client.get("/").get_data(as_text=True)
    assert f'id="attention-{cid}"' not in overview


def test_a_refused_exchange_is_the_users_to_try_again(world: World, link: LinkReturns) -> None:
    """Nothing retries what the user started (the advice never mentions a sync), and Continue
    again tries again: the refused completion does not use up the Link."""
    client, token = signed_in(world, "bob")
    start(client, token)
    url = link.finished(public_token(world, username="user_family"))
    # Three failures: the first try and both of the transport's own quick retries.
    world.tenant.post(
        "/control/faults",
        endpoint="/item/public_token/exchange",
        error_code="INSTITUTION_DOWN",
        trigger="next",
        n=3,
    )
    refused = client.get(url)
    assert refused.status_code == 502
    page = refused.get_data(as_text=True)
    said = re.search(r"<strong>What to do:</strong> ([^<]*)</p>", page)
    assert said is not None and "<code>INSTITUTION_DOWN</code>" in page
    assert said.group(1).endswith("; try again later, or pick another bank.")
    assert "sync" not in said.group(1)
    cid = landed_on(client.get(url))
    assert connections(world, "bob")[cid]["status"] == "active"
    world.run_jobs()
