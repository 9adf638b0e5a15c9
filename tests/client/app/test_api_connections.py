"""`/api/v1`: sign-in, users kept apart, connections from Link to disconnect, accounts, runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.client.app.conftest import World, basic
from tests.client.truelayer_live import connect, truelayer_sync

pytestmark = pytest.mark.e2e


def send(world: World, user: str, method: str, path: str, **body: Any) -> Any:
    """A change as `user` (HTTP Basic: no CSRF token needed)."""
    return world.client().open(path, method=method, headers=basic(user), json=body or None)


def test_the_api_needs_a_user(world: World) -> None:
    anonymous = world.client().get("/api/v1/connections")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert anonymous.json["error"]["code"] == "UNAUTHENTICATED"
    wrong = world.client().get(
        "/api/v1/me",
        headers={"Authorization": "Basic YWxpY2U6bm9wZQ=="},  # alice:nope
    )
    assert wrong.status_code == 401
    assert world.get("alice", "/api/v1/me").json == {"user": "alice"}


def test_a_cookie_session_needs_the_csrf_token_for_changes(world: World) -> None:
    client = world.client()
    signed = client.post("/api/v1/session", json={"username": "bob", "password": "bob-pass"})
    assert signed.status_code == 201
    assert client.get("/api/v1/me").json == {"user": "bob"}
    forged = client.post(f"/api/v1/connections/{world.bob}/sync")
    assert forged.status_code == 403 and forged.json["error"]["field"] == "X-CSRF-Token"
    token = signed.json["csrf_token"]
    ok = client.post(f"/api/v1/connections/{world.bob}/sync", headers={"X-CSRF-Token": token})
    assert ok.status_code == 202
    world.run_jobs()
    bad = client.post("/api/v1/session", json={"username": "bob", "password": "alice-pass"})
    assert bad.status_code == 401
    missing = client.post("/api/v1/session", json={"username": "bob"})
    assert missing.status_code == 400 and missing.json["error"]["field"] == "password"


def test_users_see_only_their_own_connections_accounts_and_transactions(world: World) -> None:
    mine = {c["id"] for c in world.get("alice", "/api/v1/connections").json["connections"]}
    theirs = {c["id"] for c in world.get("bob", "/api/v1/connections").json["connections"]}
    assert world.alice in mine and world.bob in theirs and not mine & theirs
    alice_accounts = world.get("alice", "/api/v1/accounts").json["accounts"]
    bob_accounts = world.get("bob", "/api/v1/accounts").json["accounts"]
    assert {a["connection_id"] for a in alice_accounts} <= mine
    assert {a["connection_id"] for a in bob_accounts} <= theirs
    alice_tx = world.get("alice", "/api/v1/transactions", limit=500).json["transactions"]
    assert {t["account_id"] for t in alice_tx} <= {a["id"] for a in alice_accounts}

    stranger = alice_accounts[0]["id"]
    assert world.get("bob", f"/api/v1/accounts/{stranger}").status_code == 404
    assert world.get("bob", f"/api/v1/accounts/{stranger}/transactions").status_code == 404
    assert world.get("bob", f"/api/v1/connections/{world.alice}").status_code == 404
    assert world.get("bob", f"/api/v1/connections/{world.alice}/sync-runs").status_code == 404
    peek = world.get("bob", "/api/v1/transactions", account_id=stranger)
    assert peek.json["pagination"]["total"] == 0
    for method, path in [
        ("POST", f"/api/v1/connections/{world.alice}/sync"),
        ("PATCH", f"/api/v1/connections/{world.alice}"),
        ("DELETE", f"/api/v1/connections/{world.alice}"),
        ("POST", f"/api/v1/connections/{world.alice}/reconnect"),
    ]:
        reply = send(world, "bob", method, path, paused=True)
        assert reply.status_code == 404, (method, path)
    assert world.get("alice", f"/api/v1/connections/{world.alice}").json["status"] == "active"


def test_account_detail_has_balances_limits_statement_and_history(world: World) -> None:
    accounts = world.get("alice", "/api/v1/accounts", type="credit").json["accounts"]
    assert accounts and all(a["type"] == "credit" for a in accounts)
    card = world.get("alice", f"/api/v1/accounts/{accounts[0]['id']}").json
    current, limit = Decimal(card["balances"]["current"]), Decimal(card["balances"]["limit"])
    assert Decimal(card["limits"]["available_credit"]) == limit - current
    history = card["balance_history"]
    assert len(history) == 90
    assert history[-1]["balance"] == card["balances"]["current"]
    assert [h["date"] for h in history] == sorted(h["date"] for h in history)
    statement = card["statement"]
    assert statement["period_start"] < statement["period_end"]
    by_day = {h["date"]: Decimal(h["balance"]) for h in history}
    if statement["period_end"] in by_day:
        assert Decimal(statement["closing_balance"]) == by_day[statement["period_end"]]
    # A card's balance owed grows by what was spent and shrinks by what was paid.
    opening, closing = Decimal(statement["opening_balance"]), Decimal(statement["closing_balance"])
    spent, paid = Decimal(statement["money_out"]), Decimal(statement["money_in"])
    assert closing == opening + spent - paid

    checking = world.get("alice", "/api/v1/accounts", type="depository").json["accounts"][0]
    detail = world.get("alice", f"/api/v1/accounts/{checking['id']}").json
    assert detail["limits"] is None
    s = detail["statement"]
    assert Decimal(s["closing_balance"]) == (
        Decimal(s["opening_balance"]) + Decimal(s["money_in"]) - Decimal(s["money_out"])
    )


def test_account_filters(world: World) -> None:
    every = world.get("alice", "/api/v1/accounts").json["accounts"]
    assert len(every) == 12
    by_conn = world.get("alice", "/api/v1/accounts", connection_id=world.alice).json["accounts"]
    assert by_conn == every
    assert world.get("alice", "/api/v1/accounts", connection_id=world.bob).json["accounts"] == []
    bad = world.get("alice", "/api/v1/accounts", connection_id="x")
    assert bad.status_code == 400 and bad.json["error"]["field"] == "connection_id"


def test_link_url_returns_to_the_app(world: World) -> None:
    reply = send(world, "alice", "POST", "/api/v1/connections")
    assert reply.status_code == 201
    url = reply.json["link_url"]
    assert url.startswith(f"{world.tenant.url}/link?token=link-")
    got = world.tenant.post("/link/token/get", link_token=reply.json["link_token"])
    assert got["metadata"]["client_name"] == "Bank Client demo"
    assert parse_qs(urlsplit(url).query)["token"] == [reply.json["link_token"]]


def test_connect_sync_pause_and_disconnect(world: World) -> None:
    public = world.tenant.post(
        "/sandbox/public_token/create",
        institution_id="ins_109510",
        initial_products=["transactions"],
    )["public_token"]
    created = send(world, "alice", "POST", "/api/v1/connections/complete", public_token=public)
    assert created.status_code == 201, created.json
    cid = created.json["id"]
    assert created.json["sync"]["state"] == "queued"
    assert world.run_jobs() >= 1
    state = world.get("alice", f"/api/v1/connections/{cid}/sync").json
    assert state["state"] == "done" and state["run"]["added"] > 0
    assert state["run"]["pages"] >= 2, "small pages: the progress is visible page by page"
    runs = world.get("alice", f"/api/v1/connections/{cid}/sync-runs").json["sync_runs"]
    assert runs[0]["trigger"] == "initial" and runs[0]["error"] is None

    paused = send(world, "alice", "PATCH", f"/api/v1/connections/{cid}", paused=True)
    assert paused.json["paused"] is True
    bad = send(world, "alice", "PATCH", f"/api/v1/connections/{cid}", paused="maybe")
    assert bad.status_code == 400 and bad.json["error"]["field"] == "paused"

    gone = send(world, "alice", "DELETE", f"/api/v1/connections/{cid}")
    assert gone.status_code == 200
    assert gone.json["status"] == "disconnected" and gone.json["action"] == "reconnect"
    again = send(world, "alice", "POST", f"/api/v1/connections/{cid}/sync")
    assert again.status_code == 409 and again.json["error"]["code"] == "CONFLICT"
    repaired = send(world, "alice", "POST", f"/api/v1/connections/{cid}/repaired")
    assert repaired.status_code == 409, repaired.json  # the app's state: no provider asked
    kept = world.get("alice", "/api/v1/transactions", connection_id=cid, limit=1).json
    assert kept["pagination"]["total"] > 0, "disconnecting keeps the history"


def _completed(world: World, institution: str) -> Any:
    """`POST /connections/complete` with what Link hands back after alice signs in there."""
    public = world.tenant.post(
        "/sandbox/public_token/create",
        institution_id=institution,
        initial_products=["transactions"],
    )["public_token"]
    return send(world, "alice", "POST", "/api/v1/connections/complete", public_token=public)


def _ids(world: World, path: str, **params: Any) -> set[int]:
    key = path.rsplit("/", 1)[-1]
    return {row["id"] for row in world.get("alice", path, **params).json[key]}


def test_completing_link_after_a_disconnect_links_the_same_connection_again(
    world: World,
) -> None:
    """As the pages' *Link again*: an Item of the disconnected connection's bank and login
    takes that connection over in place, with its accounts and history, no duplicates."""
    cid = _completed(world, "ins_109510").json["id"]
    world.run_jobs()
    accounts = _ids(world, "/api/v1/accounts", connection_id=cid)
    total = world.get("alice", "/api/v1/transactions", limit=1).json["pagination"]["total"]
    send(world, "alice", "DELETE", f"/api/v1/connections/{cid}")
    before = _ids(world, "/api/v1/connections")

    again = _completed(world, "ins_109510")

    assert again.status_code == 200, again.json  # nothing was created
    assert again.json["id"] == cid and again.json["status"] == "active"
    assert _ids(world, "/api/v1/connections") == before, "no second connection"
    world.run_jobs()
    assert _ids(world, "/api/v1/accounts", connection_id=cid) == accounts
    after = world.get("alice", "/api/v1/transactions", limit=1).json["pagination"]["total"]
    assert after == total, "the new Item's transactions adopt the old ones, no duplicates"
    runs = world.get("alice", f"/api/v1/connections/{cid}/sync-runs").json["sync_runs"]
    assert len(runs) >= 2

    send(world, "alice", "DELETE", f"/api/v1/connections/{cid}")
    other = _completed(world, "ins_109512")  # another bank: a connection of its own
    assert other.status_code == 201 and other.json["id"] not in before
    assert world.get("alice", f"/api/v1/connections/{cid}").json["status"] == "disconnected"


def test_completion_says_whether_it_connected_or_linked_again(world: World) -> None:
    """The reply's `outcome`, as the pages' message: `relinked` when the Item took over a
    disconnected connection in place, `connected` only for a new connection. (A bank alice
    has no other connection of, whichever tests ran before.) The status says it too: 201
    Created with the new connection's address, else 200 (a relink answered 201, though
    nothing was created)."""
    created = _completed(world, "ins_109509")
    first = created.json
    assert (created.status_code, first["outcome"]) == (201, "connected"), first
    assert created.headers["Location"] == f"/api/v1/connections/{first['id']}"
    send(world, "alice", "DELETE", f"/api/v1/connections/{first['id']}")

    again = _completed(world, "ins_109509")

    assert again.status_code == 200, again.json
    assert "Location" not in again.headers
    assert (again.json["id"], again.json["outcome"]) == (first["id"], "relinked")
    world.run_jobs()


def test_login_required_shows_the_providers_message_and_the_way_back(world: World) -> None:
    cid = world.bank.connect_sandbox("ins_109511", user_ref="alice", days_requested=30)
    world.tenant.post("/sandbox/item/reset_login", access_token=world.bank.access_token(cid))
    send(world, "alice", "POST", f"/api/v1/connections/{cid}/sync")
    world.run_jobs()
    conn = world.get("alice", f"/api/v1/connections/{cid}").json
    assert conn["status"] == "login_required" and conn["action"] == "reconnect"
    assert conn["error"]["code"] == "ITEM_LOGIN_REQUIRED"
    assert conn["error"]["message"] and conn["error"]["advice"]
    assert conn["sync"]["state"] == "failed"
    link = send(world, "alice", "POST", f"/api/v1/connections/{cid}/reconnect").json
    got = world.tenant.post("/link/token/get", link_token=link["link_token"])
    assert got["link_token"] == link["link_token"]
    still = send(world, "alice", "POST", f"/api/v1/connections/{cid}/repaired")
    assert still.json["status"] == "login_required", "not repaired until the user signs in"


def test_a_provider_failure_is_a_502_with_its_message(world: World) -> None:
    reply = send(world, "alice", "POST", "/api/v1/connections/complete", public_token="public-x")
    assert reply.status_code == 502
    assert reply.json["error"]["provider_code"] == "INVALID_PUBLIC_TOKEN"
    assert reply.json["error"]["message"]


def test_unknown_api_paths_and_wrong_methods_answer_json(world: World) -> None:
    reply = world.get("alice", "/api/v1/nothing-here")
    assert reply.status_code == 404 and reply.json["error"]["code"] == "NOT_FOUND"
    wrong = send(world, "alice", "PUT", "/api/v1/me")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in wrong.headers["Allow"] and wrong.mimetype == "application/json"


def test_providers_list_the_banks_link_offers(world: World) -> None:
    (plaid,) = world.get("alice", "/api/v1/providers").json["providers"]
    assert plaid["id"] == "plaid" and plaid["connect"] == "hosted_link"
    banks = {b["name"]: b for b in plaid["institutions"]}
    assert banks["Chase"]["oauth"] is True and banks["First Platypus Bank"]["oauth"] is False
    assert all("US" in b["country_codes"] for b in banks.values())


def test_a_paused_connections_passing_failure_says_to_resume(world: World) -> None:
    """Nothing syncs a paused connection on schedule: the advice once promised that "the
    next scheduled sync will retry"."""
    send(world, "alice", "PATCH", f"/api/v1/connections/{world.alice}", paused=True)
    world.tenant.post(
        "/control/faults",
        endpoint="/transactions/sync",
        error_code="INSTITUTION_DOWN",
        trigger="next",
        n=3,
    )
    queued = send(world, "alice", "POST", f"/api/v1/connections/{world.alice}/sync")
    assert queued.status_code == 202
    world.run_jobs()
    error = world.get("alice", f"/api/v1/connections/{world.alice}").json["error"]
    assert error["code"] == "INSTITUTION_DOWN"
    assert "resume automatic syncs" in error["advice"] and "scheduled" not in error["advice"]


def test_plaid_actions_on_a_truelayer_connection_are_a_409_that_says_so(world: World) -> None:
    """An app that embeds TrueLayerSync beside this API shares its store: "sync now" on its
    TrueLayer connection was a 202 whose run then failed `OTHER_PROVIDER` in the history, and
    reconnect and DELETE were 502 PROVIDER_ERROR, blaming a provider never called."""
    tl = truelayer_sync(world.tenant, world.bank.store, world.bank.cipher)
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    tl.api.close()
    for method, path in [
        ("POST", "sync"),
        ("POST", "reconnect"),
        ("POST", "repaired"),
        ("DELETE", ""),
    ]:
        reply = send(world, "alice", method, f"/api/v1/connections/{cid}/{path}".rstrip("/"))
        assert reply.status_code == 409, (path, reply.json)
        error = reply.json["error"]
        assert error["code"] == "CONFLICT" and "TrueLayer connection" in error["message"]
        assert "TrueLayerSync" in error["message"]
    assert world.run_jobs() == 0
    runs = world.get("alice", f"/api/v1/connections/{cid}/sync-runs").json["sync_runs"]
    assert len(runs) == 1 and runs[0]["error"] is None
    assert world.get("alice", f"/api/v1/connections/{cid}").json["status"] == "active"


def test_a_truelayer_connection_in_trouble_offers_no_action_that_answers_409(
    world: World,
) -> None:
    """A TrueLayer connection whose consent ended, whose bank failed, or that was disconnected
    showed `reconnect` or `retry`, which this app then refused with a 409: it offers nothing,
    the app embedding TrueLayerSync renews or syncs it."""
    # bob's: alice may have connected the mock login in this shared world (a second is refused)
    tl = truelayer_sync(world.tenant, world.bank.store, world.bank.cipher)
    locked = connect(tl, "bob", "error.wrong_credentials", "error")
    gone = connect(tl, "bob")
    tl.disconnect(gone)  # first: a second connection of the login while it is linked is refused
    failing = connect(tl, "bob")  # then failing: a bank failing at sign-in is not stored
    world.tenant.post(
        "/control/faults",
        dialect="truelayer",
        endpoint="/data/v1/accounts",
        http_status=500,
        trigger="next",
        n=1,
    )
    assert not tl.sync(failing).ok and not tl.sync(locked).ok
    tl.api.close()
    for cid, status in ((locked, "login_required"), (failing, "error"), (gone, "disconnected")):
        conn = world.get("bob", f"/api/v1/connections/{cid}").json
        assert (conn["provider"], conn["status"]) == ("truelayer", status)
        assert conn["action"] is None, conn
    listed = world.get("bob", "/api/v1/connections").json["connections"]
    mine = {locked, failing, gone}
    assert {c["id"]: c["action"] for c in listed if c["id"] in mine} == dict.fromkeys(mine)
