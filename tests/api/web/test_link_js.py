"""Link JS through the Flask test client: the drop-in script's route, and the embedded Link
panes' messages (what each pane posts to the opening page, and to which origin)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from werkzeug.test import TestResponse

from sandbox.core.models import WebhookEvent
from sandbox.extensions import db
from tests.conftest import PlaidClient

APP = "http://127.0.0.1:5123"  # the opening page's origin (another port: another origin)
SCRIPT = "/link/v2/stable/link-initialize.js"
EMBED = re.compile(r'<script type="application/json" id="link-embed">(.*?)</script>', re.S)


class EmbeddedLink:
    """One Link session as Link JS's frame walks it (cookies, CSRF token, the origin)."""

    def __init__(self, plaid: PlaidClient, token: str | None = None) -> None:
        self.plaid, self.client = plaid, plaid.client
        self.token = token or link_token(plaid)
        self.first = self.client.get(f"/link?token={self.token}&origin={APP}")
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.first.text)
        self.csrf = found[1] if found else ""
        ticket = re.search(r'name="embed" value="([^"]+)"', self.first.text)
        self.ticket = ticket[1] if ticket else ""

    def post(self, action: str, **form: Any) -> TestResponse:
        """Post a pane's form and follow Link's redirect to the next pane."""
        sent = self.client.post(
            f"/link/{action}", data={"csrf_token": self.csrf, "token": self.token, **form}
        )
        assert sent.status_code == 303, sent.text
        return self.client.get(sent.headers["Location"])

    def reported(self) -> dict[str, Any]:
        """The session as ``/link/token/get`` reports it."""
        sessions = self.plaid.ok("/link/token/get", link_token=self.token)["link_sessions"]
        found: dict[str, Any] = sessions[-1]
        return found


def link_token(plaid: PlaidClient, **config: Any) -> str:
    body = {
        "client_name": "Budget Buddy",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u1"},
        "products": ["transactions"],
        "redirect_uri": "http://localhost/oauth-return",
        "webhook": "http://127.0.0.1:9/hook",
        **config,
    }
    token: str = plaid.ok("/link/token/create", **body)["link_token"]
    return token


def embedding(page: TestResponse) -> dict[str, Any]:
    """What the pane posts: ``{"origin": …, "message": …}`` (fails if it posts nothing)."""
    found = EMBED.search(page.text)
    assert found, "the pane posts no message"
    data: dict[str, Any] = json.loads(found[1])
    return data


def frame_ancestors(reply: TestResponse) -> str:
    """Who may frame the page, as its Content-Security-Policy says."""
    policy = dict(
        part.strip().split(" ", 1) for part in reply.headers["Content-Security-Policy"].split(";")
    )
    return policy["frame-ancestors"]


def link_webhooks(link_session_id: str) -> dict[str, dict[str, Any]]:
    """The ``LINK`` webhooks queued about a session, by code: the same as hosted Link's."""
    rows = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.body.contains(link_session_id))
    ).all()
    return {row.webhook_code: json.loads(row.body) for row in rows}


def names(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_name"] for e in events]


def test_script_is_served_as_cacheable_javascript(plaid: PlaidClient) -> None:
    reply = plaid.client.get(SCRIPT)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.cache_control.public and reply.cache_control.max_age == 3600
    body = reply.text
    assert "window.Plaid = {" in body and "create: function (config)" in body
    for method in ("open", "exit", "destroy", "submit"):
        assert f"Handler.prototype.{method} = function" in body
    for loader in ('createElement("script")', "import(", "fetch(", "XMLHttpRequest"):
        assert loader not in body  # self-contained: it loads no other code
    again = plaid.client.get(SCRIPT, headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304


def test_embedded_pane_may_be_framed_by_its_opener_only(plaid: PlaidClient) -> None:
    link = EmbeddedLink(plaid)
    headers = link.first.headers
    policy = headers["Content-Security-Policy"]
    assert frame_ancestors(link.first) == APP and "script-src 'sha256-" in policy
    assert "X-Frame-Options" not in headers
    posted = embedding(link.first)
    assert posted["origin"] == APP
    assert posted["message"]["source"] == "plaid-sandbox-link"
    assert posted["message"]["type"] == "pane"
    assert names(posted["message"]["events"]) == ["OPEN"]
    assert posted["message"]["to_bank"] is False  # the consent pane stays in Link
    # Hosted Link's panes stay unframable and post nothing.
    hosted = plaid.client.get(f"/link?token={link_token(plaid)}")
    assert frame_ancestors(hosted) == "'none'"
    assert hosted.headers["X-Frame-Options"] == "DENY" and not EMBED.search(hosted.text)


def test_embedded_success_posts_on_success_as_link_token_get_reports_it(
    plaid: PlaidClient,
) -> None:
    link = EmbeddedLink(plaid)
    link.post("consent")
    picked = embedding(link.post("select", institution_id="ins_109508"))["message"]
    assert names(picked["events"]) == ["OPEN", "SELECT_INSTITUTION"]
    last = link.post("credentials", username="user_good", password="pass_good")
    assert last.request.path == "/link/finished"  # not the app's redirect URI
    assert "oauth-return" not in last.text  # and no Continue to it: the frame just closes
    message = embedding(last)["message"]
    reported = link.reported()
    assert message["type"] == "success"
    assert message["public_token"] == reported["on_success"]["public_token"]
    assert message["metadata"] == reported["on_success"]["metadata"]
    metadata = message["metadata"]
    assert metadata["institution"] == {
        "name": "First Platypus Bank",
        "institution_id": "ins_109508",
    }
    assert metadata["link_session_id"] == message["link_session_id"] == reported["link_session_id"]
    first = metadata["accounts"][0]
    assert set(first) >= {"id", "name", "mask", "type", "subtype", "verification_status"}
    assert message["events"] == reported["events"]
    assert names(message["events"]) == [
        "OPEN",
        "SELECT_INSTITUTION",
        "SUBMIT_CREDENTIALS",
        "HANDOFF",
    ]
    hooks = link_webhooks(message["link_session_id"])
    assert hooks["ITEM_ADD_RESULT"]["public_token"] == message["public_token"]
    assert hooks["SESSION_FINISHED"]["status"] == "SUCCESS"


def test_embedded_exit_after_an_error_posts_on_exit_with_plaids_error(
    plaid: PlaidClient,
) -> None:
    link = EmbeddedLink(plaid)
    link.post("consent")
    link.post("select", institution_id="ins_109508")
    link.post("credentials", username="user_good", password="wrong")
    message = embedding(link.post("exit"))["message"]
    reported = link.reported()
    assert message["type"] == "exit"
    assert message["error"] == reported["exit"]["error"]
    assert message["metadata"] == reported["exit"]["metadata"]
    error = message["error"]
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "INVALID_CREDENTIALS")
    assert error["error_message"] and error["display_message"]
    assert message["metadata"]["status"] == "requires_credentials"
    assert message["metadata"]["institution"]["institution_id"] == "ins_109508"
    assert names(message["events"])[-2:] == ["ERROR", "EXIT"]
    hooks = link_webhooks(message["metadata"]["link_session_id"])
    assert set(hooks) == {"SESSION_FINISHED"} and hooks["SESSION_FINISHED"]["status"] == "EXITED"


def test_unknown_token_posts_on_exit_with_invalid_link_token(plaid: PlaidClient) -> None:
    page = plaid.client.get(f"/link?token=link-sandbox-unknown&origin={APP}")
    assert page.status_code == 404
    assert frame_ancestors(page) == APP
    posted = embedding(page)
    assert posted["origin"] == APP
    message = posted["message"]
    assert message["type"] == "exit"
    assert message["error"]["error_code"] == "INVALID_LINK_TOKEN"
    assert message["error"]["error_type"] == "INVALID_INPUT"
    assert message["metadata"]["status"] is None


def test_malformed_origin_is_refused_naming_the_parameter(plaid: PlaidClient) -> None:
    token = link_token(plaid)
    for origin in ("javascript:alert(1)", "http://a.test; script-src *", "http://a.test/path"):
        page = plaid.client.get("/link", query_string={"token": token, "origin": origin})
        assert page.status_code == 400 and "origin" in page.text
        assert frame_ancestors(page) == "'none'"


def test_each_open_starts_a_new_session(plaid: PlaidClient) -> None:
    token = link_token(plaid)
    first = EmbeddedLink(plaid, token).first
    second = EmbeddedLink(plaid, token).first
    assert (
        embedding(first)["message"]["link_session_id"]
        != embedding(second)["message"]["link_session_id"]
    )


def test_oauth_bank_pages_may_be_framed_by_the_embedding_page(plaid: PlaidClient) -> None:
    link = EmbeddedLink(plaid)
    link.post("consent")
    link.post("select", institution_id="ins_56")
    sent = link.client.post("/link/oauth", data={"csrf_token": link.csrf, "token": link.token})
    bank = link.client.get(sent.headers["Location"])
    assert bank.status_code == 200 and "/oauth/ins_56/authorize" in sent.headers["Location"]
    assert frame_ancestors(bank) == APP
    # A browser that never embedded Link gets the bank's page unframable.
    stranger: FlaskClient = plaid.client.application.test_client()
    alone = stranger.get(sent.headers["Location"])
    assert frame_ancestors(alone) == "'none'"


def test_oauth_pane_says_it_may_send_the_frame_to_the_banks_silent_pages(
    plaid: PlaidClient,
) -> None:
    link = EmbeddedLink(plaid)
    link.post("consent")
    assert embedding(link.post("select", institution_id="ins_56"))["message"]["to_bank"] is True


def cookieless(plaid: PlaidClient) -> FlaskClient:
    """A browser without Link's cookie: the frame's, when the app's page is another site."""
    client: FlaskClient = plaid.client.application.test_client()
    return client


def test_form_without_the_cookie_exits_to_the_ticketed_origin(plaid: PlaidClient) -> None:
    link = EmbeddedLink(plaid)
    assert link.ticket  # every embedded pane's forms carry it
    page = cookieless(plaid).post("/link/consent", data={"token": link.token, "embed": link.ticket})
    assert page.status_code == 400 and "This page has expired" in page.text
    assert frame_ancestors(page) == APP and "X-Frame-Options" not in page.headers
    posted = embedding(page)
    assert posted["origin"] == APP
    message = posted["message"]
    assert message["type"] == "exit" and message["source"] == "plaid-sandbox-link"
    error = message["error"]
    assert (error["error_type"], error["error_code"]) == ("API_ERROR", "INTERNAL_SERVER_ERROR")
    assert "session cookie" in error["error_message"] and "display_message" in error
    assert message["metadata"] == {
        "status": None,
        "institution": None,
        "link_session_id": None,
        "request_id": None,
    }
    assert "Continue" not in page.text  # starting over in the frame would lose its place again


def test_search_without_the_cookie_exits_to_the_ticketed_origin(plaid: PlaidClient) -> None:
    link = EmbeddedLink(plaid)
    select = link.post("consent")
    assert f'name="embed" value="{link.ticket}"' in select.text  # the search form's
    query = {"token": link.token, "q": "chase", "embed": link.ticket}
    found = link.client.get("/link", query_string=query)  # with the cookie: the search
    assert found.status_code == 200 and "Chase" in found.text
    assert frame_ancestors(found) == APP
    lost = cookieless(plaid).get("/link", query_string=query)
    assert lost.status_code == 400 and frame_ancestors(lost) == APP
    assert embedding(lost)["message"]["error"]["error_code"] == "INTERNAL_SERVER_ERROR"


def test_forged_tickets_and_origins_leave_the_error_page_unframable(plaid: PlaidClient) -> None:
    link, other = EmbeddedLink(plaid), EmbeddedLink(plaid)
    evil = URLSafeSerializer("not-the-sandbox-key", salt="link-embed-ticket")
    forgeries = {
        "a forged origin": evil.dumps([link.token, "http://evil.test"]),
        "another token's ticket": other.ticket,
        "no ticket": "",
    }
    for case, ticket in forgeries.items():
        page = cookieless(plaid).post(
            f"/link/consent?origin={APP}", data={"token": link.token, "embed": ticket}
        )
        assert page.status_code == 400, case
        assert frame_ancestors(page) == "'none'", case
        assert page.headers["X-Frame-Options"] == "DENY", case
        assert not EMBED.search(page.text), case  # it posts to no one
        assert "Continue" in page.text, case  # hosted Link's page: carry on in a new session
