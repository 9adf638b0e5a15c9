"""The demo pages through Flask's test client: sign-in, each page, forms that need the token."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import encode_multipart

from client import app as app_package
from tests.client.app.conftest import USERS, World, connect_login
from tests.client.truelayer_live import connect, truelayer_sync

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.e2e
ELSEWHERE = "; try again later, or pick another bank."  # after a bank's outage, when connecting


def sign_in_form(client: FlaskClient, user: str, password: str) -> dict[str, str]:
    """The sign-in form as a browser sends it: with the token the page put in it."""
    token = CSRF.search(client.get("/signin").get_data(as_text=True))
    assert token is not None
    return {"username": user, "password": password, "csrf_token": token[1]}


def signed_in(world: World, user: str) -> tuple[FlaskClient, str]:
    """A browser-like client with a session; and the CSRF token from a page's form."""
    client = world.client()
    reply = client.post("/signin", data=sign_in_form(client, user, USERS[user]))
    assert reply.status_code == 302
    page = client.get("/connections").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return client, token.group(1)


def test_pages_need_a_signed_in_user(world: World) -> None:
    reply = world.client().get("/transactions?status=pending")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/signin?next=/transactions?status%3Dpending"
    client = world.client()
    wrong = client.post("/signin", data=sign_in_form(client, "alice", "bob-pass"))
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.get_data(True)


def test_sign_in_never_redirects_off_site(world: World) -> None:
    client = world.client()
    form = sign_in_form(client, "alice", USERS["alice"])
    reply = client.post("/signin?next=//evil.example/", data=form)
    assert reply.headers["Location"] == "/"


def test_sign_in_without_the_forms_token_is_refused(world: World) -> None:
    """Another site's form cannot sign a visitor in as someone else (login CSRF)."""
    client = world.client()
    forged = client.post("/signin", data={"username": "bob", "password": USERS["bob"]})
    assert forged.status_code == 403 and "sign in again" in forged.get_data(as_text=True)
    assert client.get("/connections").status_code == 302  # still nobody
    assert client.post("/signin", data=sign_in_form(client, "bob", USERS["bob"])).status_code == 302


def test_every_page_renders_for_its_user(world: World) -> None:
    client, _ = signed_in(world, "alice")
    account = world.get("alice", "/api/v1/accounts").json["accounts"][0]
    for path in ("/", "/connect", "/connections", "/transactions", f"/accounts/{account['id']}"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        assert "Content-Security-Policy" in reply.headers
    chart = client.get(f"/accounts/{account['id']}").get_data(as_text=True)
    assert '<svg viewBox="0 0 640.0 220.0" role="img"' in chart  # and a narrow one for phones
    assert '<svg viewBox="0 0 360.0 220.0" role="img"' in chart
    bob_client, _ = signed_in(world, "bob")
    assert bob_client.get(f"/accounts/{account['id']}").status_code == 404


def test_a_bad_filter_is_explained_not_a_crash(world: World) -> None:
    client, _ = signed_in(world, "alice")
    reply = client.get("/transactions?min_amount=abc")
    assert reply.status_code == 200
    assert "min_amount: Not a valid number." in reply.get_data(as_text=True)


def test_the_transactions_summary_agrees_with_its_count(world: World) -> None:
    """A search that found one transaction said "1 transaction match"."""
    client, _ = signed_in(world, "alice")
    listed = world.get("alice", "/api/v1/transactions", limit=50).json["transactions"]
    searches = (t["description"] for t in listed)
    alone = next(q for q in searches if _total(world, search=q) == 1)
    summary = re.compile(r'<p class="summary" role="status">([^;]*);')

    def said(**query: str) -> str:
        page = client.get("/transactions", query_string=query)
        found = summary.search(page.get_data(as_text=True))
        assert found is not None
        return found[1]

    assert said(search=alone) == "1 transaction matches"
    assert said(search="no such payee anywhere") == "0 transactions match"
    assert said() == f"{_total(world)} transactions match"


def _total(world: World, **filters: str) -> int:
    """How many of alice's transactions the filters match, as the API counts them."""
    reply = world.get("alice", "/api/v1/transactions", limit=1, **filters)
    total: int = reply.json["pagination"]["total"]
    return total


def test_forms_need_the_csrf_token(world: World) -> None:
    client, token = signed_in(world, "bob")
    forged = client.post(f"/connections/{world.bob}/pause", data={"paused": "1"})
    assert forged.status_code == 403
    real = client.post(f"/connections/{world.bob}/pause", data={"paused": "1", "csrf_token": token})
    assert real.status_code == 303
    assert world.get("bob", f"/api/v1/connections/{world.bob}").json["paused"] is True
    client.post(f"/connections/{world.bob}/pause", data={"paused": "0", "csrf_token": token})


def test_link_returning_without_a_token_connects_nothing(world: World) -> None:
    client, _ = signed_in(world, "alice")
    before = len(world.get("alice", "/api/v1/connections").json["connections"])
    reply = client.get("/connections/complete?status=exited", follow_redirects=True)
    assert "nothing was connected" in reply.get_data(as_text=True)
    assert len(world.get("alice", "/api/v1/connections").json["connections"]) == before


@pytest.mark.parametrize("user", ["alice", None])
def test_unknown_addresses_and_wrong_methods_get_the_apps_page(
    world: World, user: str | None
) -> None:
    """Outside the API a 404 or 405 is the app's own page, with its header (and favicon) and a
    way back, not Werkzeug's bare one; a 405 still says which methods the address takes."""
    client = signed_in(world, user)[0] if user else world.client()
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)
    wrong = client.get("/signout")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    for reply in (missing, wrong):
        page = reply.get_data(as_text=True)
        assert reply.mimetype == "text/html" and "Content-Security-Policy" in reply.headers
        assert 'class="brand"' in page and 'rel="icon"' in page
        assert "Back to your connections" in page
        assert ("Sign out" in page) == bool(user)


def test_any_http_error_outside_the_api_gets_the_apps_page(world: World) -> None:
    """Not only 404 and 405: a form too big to parse (werkzeug's 500 KB field limit) is a 413
    on the app's own page, with what went wrong and a way back."""
    client, token = signed_in(world, "alice")
    boundary, form = encode_multipart({"username": "x" * 600_000, "csrf_token": token})
    kind = f"multipart/form-data; boundary={boundary}"  # encoded in memory: no spooled file
    reply = client.post("/signin", data=form, content_type=kind)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 413 and reply.mimetype == "text/html"
    assert 'class="brand"' in page and "Back to your connections" in page
    assert "too large" in page.lower()


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "advice"),
    [
        ("POST", "/connect", "/link/token/create", ELSEWHERE),
        ("POST", "/connections/{bob}/reconnect", "/link/token/create", "; try again later."),
    ],
)
def test_a_failure_the_user_started_is_theirs_to_try_again(
    world: World, method: str, path: str, endpoint: str, advice: str
) -> None:
    """Nothing retries what the user started from a page (connecting has no connection to
    sync yet): the advice once said "the next scheduled sync will retry"."""
    client, token = signed_in(world, "bob")
    # Three failures: the first try and both of the transport's own quick retries.
    world.tenant.post(
        "/control/faults", endpoint=endpoint, error_code="INSTITUTION_DOWN", trigger="next", n=3
    )
    form = {"csrf_token": token} if method == "POST" else None
    reply = client.open(path.format(bob=world.bob), method=method, data=form)
    assert reply.status_code == 502
    page = reply.get_data(as_text=True)
    said = re.search(r"<strong>What to do:</strong> ([^<]*)</p>", page)
    assert said is not None and "<code>INSTITUTION_DOWN</code>" in page
    assert said.group(1).endswith(advice) and "sync" not in said.group(1)


def test_an_error_without_advice_says_nothing_about_what_to_do(world: World) -> None:
    """A page refused by the app has no advice to give: the error page once showed the
    template global of the same name there, a Python function."""
    account = world.get("alice", "/api/v1/accounts").json["accounts"][0]["id"]
    client, _ = signed_in(world, "bob")
    for path, status in ((f"/accounts/{account}", 404), ("/transactions?cursor=garbage", 400)):
        reply = client.get(path)
        assert reply.status_code == status, path
        page = reply.get_data(as_text=True)
        assert "That did not work" in page and "What to do" not in page, path
        assert "function" not in page, path


def test_no_page_variable_is_named_like_a_template_global(world: World) -> None:
    """A template reads page variables and globals from one namespace: a page variable its
    view leaves out falls back to a global of that name (how the error page showed a
    function), so the names the views pass and the globals never meet."""
    with world.app.test_request_context():
        names = set(world.app.jinja_env.globals)
        for processor in world.app.template_context_processors[None]:
            names |= set(processor())
    passed = set()
    for module in Path(app_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "render_template":
                passed |= {k.arg for k in node.keywords if k.arg}
    assert "title" in passed and "user" in names, "both sides are found"
    assert not passed & names, "page variables named like globals"


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(world: World) -> None:
    """The cookie is signed, not revocable by itself: a copy taken before signing out (another
    tab, a stolen one) once kept working afterwards."""
    client, token = signed_in(world, "bob")
    cookie = client.get_cookie("bank_app_session")
    assert cookie is not None
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302
    copy = world.client()
    copy.set_cookie("bank_app_session", cookie.value)
    assert copy.get("/connections").headers["Location"].startswith("/signin")
    assert copy.get("/api/v1/me").status_code == 401
    assert (
        copy.post(f"/connections/{world.bob}/sync", data={"csrf_token": token}).status_code == 302
    )
    again, _ = signed_in(world, "bob")  # a new sign-in is a new session
    assert again.get("/connections").status_code == 200


def test_a_body_larger_than_the_app_reads_is_a_413_before_it_is_read(world: World) -> None:
    """A 2 MB sign-in form was read in full to find a wrong password."""
    client = world.client()
    form = sign_in_form(client, "alice", "x" * 2_000_000)
    reply = client.post("/signin", data=form)
    assert reply.status_code == 413 and "too large" in reply.get_data(as_text=True).lower()


def test_a_truelayer_connection_offers_no_button_that_ends_in_an_error_page(
    world: World,
) -> None:
    """Sync now, Link again, Sign in again and Disconnect serve Plaid Items: on a TrueLayer
    connection each ended on the 409 error page. The page says who manages it instead."""
    tl = truelayer_sync(world.tenant, world.bank.store, world.bank.cipher)
    active, gone = connect(tl, "alice"), connect(tl, "alice", "error.wrong_credentials", "error")
    assert not tl.sync(gone).ok  # login_required: Plaid's would offer "Sign in again"
    tl.api.close()
    client, _ = signed_in(world, "alice")
    page = client.get("/connections").get_data(as_text=True)
    for cid in (active, gone):
        card = page.split(f'id="connection-{cid}"', 1)[1].split("</li>", 1)[0]
        assert "Connected through TrueLayer" in card
        for action in ("sync", "reconnect", "disconnect"):
            assert f'"/connections/{cid}/{action}"' not in card, (cid, action)


def test_a_sync_that_found_nothing_new_says_up_to_date_not_zero_new(world: World) -> None:
    """Right after connecting, the webhooks the bank sends start a second sync that finds
    nothing: the card then read "Synced: 0 new, 0 updated, 0 removed (1 page)." over a
    connection with hundreds of transactions, as if the first sync had fetched none."""
    cid = connect_login(world, "alice", "user_yuppie")
    assert world.bank.sync(cid).added > 0 and world.bank.sync(cid).ok
    client, _ = signed_in(world, "alice")
    page = client.get("/connections").get_data(as_text=True)
    card = page[page.index(f'id="connection-{cid}"') :]
    card = card[: card.index("</li>")]
    assert "0 new" not in card
    assert "Synced: up to date, nothing new since the last sync." in card


def test_a_locked_account_offers_sign_in_again_after_unlocking_it(world: World) -> None:
    """Plaid: after ITEM_LOCKED the user unlocks the account at the bank, then signs in again
    through Link's update mode. The card offered only "Sync now", which cannot help, and the
    advice was to try again later."""
    cid = connect_login(world, "alice", "user_student")
    world.tenant.post(
        "/control/faults",
        endpoint="/transactions/sync",
        error_code="ITEM_LOCKED",
        trigger="next",
        n=1,
    )
    assert not world.bank.sync(cid).ok
    conn = world.get("alice", f"/api/v1/connections/{cid}").json
    assert conn["error"]["code"] == "ITEM_LOCKED" and conn["action"] == "reconnect"
    client, _ = signed_in(world, "alice")
    page = client.get("/connections").get_data(as_text=True)
    card = page[page.index(f'id="connection-{cid}"') :]
    card = card[: card.index("</li>")]
    assert ">Sign in again</button>" in card
    said = re.search(r"What to do: ([^<]*)", card)
    assert said is not None and "Unlock your account" in said.group(1)
    assert "press “Sign in again”" in said.group(1)


def test_the_page_size_shown_is_the_one_in_use(world: World) -> None:
    """A shared address with `limit=5` showed five rows under "Per page: 10" (the select had
    no 5, so the browser showed its first option), and Apply then changed the page size."""
    client, _ = signed_in(world, "alice")
    page = client.get("/transactions?limit=5").get_data(as_text=True)
    chosen = re.findall(r"<option selected>(\d+)</option>", page)
    assert chosen == ["5"]
    assert "showing 5." in page
