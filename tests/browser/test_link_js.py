"""Link JS in real Chromium: an app page on another origin loads the drop-in script from the
served sandbox, runs ``Plaid.create(...)`` and gets Plaid's callbacks; its public token is
exchanged with the official SDK."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products
from playwright.sync_api import FrameLocator, Page, expect

from sandbox.testing import LiveSandbox

from .pagecheck import doc_shot

pytestmark = pytest.mark.browser
# The app's page, as an app integrates Plaid Link, with the sandbox's address for Plaid's CDN.
APP_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Budget Buddy</title>
  <script src="%(sandbox)s/link/v2/stable/link-initialize.js"></script>
</head>
<body style="font-family: sans-serif; margin: 2rem">
  <main><h1>Budget Buddy</h1><p>Connect your bank to see your spending.</p>
  <button type="button">Connect a bank</button></main>
  <script>
    window.linkLog = [];
    window.startLink = function (token) {
      window.handler = Plaid.create({
        token: token,
        onSuccess: function (publicToken, metadata) {
          linkLog.push(["success", publicToken, metadata]);
        },
        onExit: function (error, metadata) { linkLog.push(["exit", error, metadata]); },
        onEvent: function (name, metadata) { linkLog.push(["event", name, metadata]); },
        onLoad: function () { linkLog.push(["load"]); }
      });
      window.handler.open();
    };
  </script>
</body>
</html>
"""
# A message dressed as Link's, posted by the app page itself and by a frame of another origin.
FORGED = (
    '{source: "plaid-sandbox-link", type: "success", public_token: "public-sandbox-forged",'
    " metadata: {}, events: []}"
)


@pytest.fixture(scope="module")
def app_url(live: LiveSandbox) -> Iterator[str]:
    """The app's page, served on its own port: another origin than the sandbox's."""
    body = (APP_PAGE % {"sandbox": live.url}).encode()

    class AppPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass  # quiet test output

    server = ThreadingHTTPServer(("127.0.0.1", 0), AppPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


# Plaid's LinkEventMetadata keys (its OpenAPI document, 2020-09-14), with the two every
# onEvent call carries: Link JS hands each to onEvent, null when the event has no value.
EVENT_METADATA_KEYS = {
    "error_code",
    "error_message",
    "error_type",
    "exit_status",
    "institution_id",
    "institution_name",
    "institution_search_query",
    "request_id",
    "mfa_type",
    "view_name",
    "selection",
    "brand_name",
    "match_reason",
    "routing_number",
    "account_number_mask",
    "link_session_id",
    "timestamp",
}


def link_token(sdk: Any) -> str:
    request = LinkTokenCreateRequest(
        client_name="Budget Buddy",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        products=[Products("transactions")],
    )
    return str(sdk.link_token_create(request).link_token)


def open_link(page: Page, app_url: str, token: str) -> FrameLocator:
    """The app page with Link open over it, at Link's first pane; Link's frame."""
    page.goto(app_url)
    page.evaluate("token => startLink(token)", token)
    frame = page.frame_locator("iframe[title='Plaid Link']")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("uses Link")
    return frame


def to_bank(frame: FrameLocator, name: str) -> None:
    frame.get_by_role("button", name="Continue").click()
    frame.get_by_label("Search for your bank").fill(name)
    frame.get_by_role("button", name="Search").click()
    frame.get_by_role("button", name=re.compile(name)).first.click()


def sign_in(frame: FrameLocator, password: str = "pass_good") -> None:
    frame.get_by_label("Username").fill("user_good")
    frame.get_by_label("Password").fill(password)


def callbacks(page: Page, kind: str) -> list[list[Any]]:
    """The app's ``kind`` callbacks so far (``success``, ``exit``, ``event``, ``load``)."""
    logged: list[list[Any]] = page.evaluate("() => linkLog")
    return [entry for entry in logged if entry[0] == kind]


def outcome(page: Page, kind: str) -> list[Any]:
    """The one ``onSuccess``/``onExit`` call, once it came; Link's overlay is gone by then."""
    page.wait_for_function("kind => linkLog.some(e => e[0] === kind)", arg=kind)
    expect(page.locator("[data-plaid-link]")).to_have_count(0)
    calls = callbacks(page, kind)
    assert len(calls) == 1, calls
    return calls[0]


def event_names(page: Page) -> list[str]:
    return [entry[1] for entry in callbacks(page, "event")]


def exchanged_accounts(sdk: Any, public_token: str) -> list[Any]:
    exchanged = sdk.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public_token)
    )
    request = AccountsGetRequest(access_token=exchanged.access_token)
    return list(sdk.accounts_get(request).accounts)


def assert_success_matches_the_item(sdk: Any, call: list[Any], institution_id: str) -> None:
    _, public_token, metadata = call
    assert metadata["institution"]["institution_id"] == institution_id
    accounts = exchanged_accounts(sdk, public_token)
    assert [a["id"] for a in metadata["accounts"]] == [a.account_id for a in accounts]
    assert [a["mask"] for a in metadata["accounts"]] == [a.mask for a in accounts]
    for shared in metadata["accounts"]:
        assert set(shared) >= {"id", "name", "mask", "type", "subtype", "verification_status"}


def test_link_js_non_oauth_bank_ignores_forged_messages(
    page: Page, app_url: str, sdk: Any, shot: Any
) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    token = link_token(sdk)
    frame = open_link(page, app_url, token)
    page.wait_for_function("() => linkLog.some(e => e[1] === 'OPEN')")
    page.evaluate(f"() => window.postMessage({FORGED}, '*')")
    page.evaluate(
        """forged => {
          const other = document.createElement("iframe");
          other.src = "data:text/html,<script>parent.postMessage(" + forged + ", '*')</script>";
          other.hidden = true;
          document.body.appendChild(other);
        }""",
        FORGED,
    )
    for _ in range(100):  # both forgeries reach the page's listener (and are refused)
        if len([w for w in warnings if "ignored a Link message" in w]) == 2:
            break
        page.wait_for_timeout(50)
    expect(page.locator("[data-plaid-link]")).to_have_count(1)  # Link is still open
    to_bank(frame, "First Platypus Bank")
    sign_in(frame)
    shot("credentials")
    doc_shot(page, "link-js-overlay-desktop")
    frame.get_by_role("button", name="Submit").click()
    call = outcome(page, "success")
    ignored = [w for w in warnings if "ignored a Link message" in w]
    assert len(ignored) == 2, warnings  # the page's own and the other origin's frame's
    assert "from null" in ignored[1] or "from null" in ignored[0]  # the data: frame's origin
    assert "public-sandbox-forged" not in str(page.evaluate("() => linkLog"))
    assert_success_matches_the_item(sdk, call, "ins_109508")
    assert call[2]["institution"]["name"] == "First Platypus Bank"
    assert event_names(page) == ["OPEN", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF"]
    assert callbacks(page, "load") == [["load"]]
    reported = sdk.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions[-1]
    assert call[2]["link_session_id"] == reported.link_session_id
    assert [e[2]["link_session_id"] for e in callbacks(page, "event")] == [
        reported.link_session_id
    ] * 4
    for event in callbacks(page, "event"):  # every key of Plaid's, null where not carried
        assert set(event[2]) >= EVENT_METADATA_KEYS, event
    assert [e.event_name for e in reported.events] == event_names(page)


def test_link_js_oauth_bank_in_the_frame(page: Page, app_url: str, sdk: Any, shot: Any) -> None:
    frame = open_link(page, app_url, link_token(sdk))
    to_bank(frame, "Chase")
    frame.get_by_role("button", name="Continue to Chase").click()
    sign_in(frame)
    frame.get_by_role("button", name="Sign in").click()
    frame.get_by_role("checkbox", name=re.compile("Plaid Saving")).uncheck()
    shot("bank-consent")
    frame.get_by_role("button", name="Allow access").click()
    call = outcome(page, "success")
    assert_success_matches_the_item(sdk, call, "ins_56")
    assert "Plaid Saving" not in [a["name"] for a in call[2]["accounts"]]
    assert event_names(page) == ["OPEN", "SELECT_INSTITUTION", "OPEN_OAUTH", "HANDOFF"]


def test_link_js_account_select_pane_hands_over_only_the_chosen_account(
    page: Page, app_url: str, sdk: Any
) -> None:
    request = LinkTokenCreateRequest(
        client_name="Budget Buddy",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        products=[Products("transactions")],
        link_customization_name="account_select_one",
    )
    frame = open_link(page, app_url, str(sdk.link_token_create(request).link_token))
    to_bank(frame, "First Platypus Bank")
    sign_in(frame)
    frame.get_by_role("button", name="Submit").click()
    frame.get_by_role("radio", name=re.compile("Plaid Saving")).check()
    frame.get_by_role("button", name="Continue").click()
    call = outcome(page, "success")
    assert_success_matches_the_item(sdk, call, "ins_109508")
    assert [a["name"] for a in call[2]["accounts"]] == ["Plaid Saving"]
    views = [e[2]["view_name"] for e in callbacks(page, "event") if e[1] == "TRANSITION_VIEW"]
    assert views == ["SELECT_ACCOUNT"]
    assert event_names(page)[-2:] == ["TRANSITION_VIEW", "HANDOFF"]


def test_link_js_exits_with_the_error_then_on_escape(
    page: Page, app_url: str, sdk: Any, shot: Any
) -> None:
    frame = open_link(page, app_url, link_token(sdk))
    to_bank(frame, "First Platypus Bank")
    sign_in(frame, "wrong")
    frame.get_by_role("button", name="Submit").click()
    expect(frame.get_by_role("alert")).to_contain_text("Wrong username or password")
    shot("error")
    frame.get_by_role("button", name="Exit", exact=True).click()
    _, error, metadata = outcome(page, "exit")
    assert error["error_code"] == "INVALID_CREDENTIALS" and error["error_type"] == "ITEM_ERROR"
    assert error["display_message"] and error["error_message"]
    assert metadata["status"] == "requires_credentials"
    assert metadata["institution"]["institution_id"] == "ins_109508"
    assert event_names(page)[-2:] == ["ERROR", "EXIT"]
    page.evaluate("() => { linkLog.length = 0; handler.open(); }")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("uses Link")
    frame.get_by_role("button", name="Continue").press("Escape")
    _, error, metadata = outcome(page, "exit")
    assert error is None and metadata["status"] == "requires_consent"


def test_link_js_bad_configs_fail_loudly(page: Page, app_url: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(app_url)
    thrown = page.evaluate(
        "() => { try { Plaid.create({onSuccess() {}}); } catch (e) { return e.message; } }"
    )
    assert thrown == "Plaid.create: config.token is required: a link_token from /link/token/create"
    page.evaluate("() => startLink('link-sandbox-00000000-0000-0000-0000-000000000000')")
    _, error, metadata = outcome(page, "exit")
    assert error["error_code"] == "INVALID_LINK_TOKEN" and metadata["status"] is None
    assert any("config.token is required" in e for e in errors)
    assert any("INVALID_LINK_TOKEN" in e for e in errors)


def test_link_js_exit_from_the_banks_page_then_destroy(page: Page, app_url: str, sdk: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    frame = open_link(page, app_url, link_token(sdk))
    to_bank(frame, "Chase")
    frame.get_by_role("button", name="Continue to Chase").click()
    expect(frame.get_by_role("button", name="Sign in")).to_be_visible()
    page.evaluate("() => handler.exit()")  # the bank's page has no exit: back to Link's pane
    _, error, metadata = outcome(page, "exit")
    assert error is None and metadata["status"] == "requires_oauth"
    assert metadata["institution"]["institution_id"] == "ins_56"
    assert event_names(page)[-2:] == ["OPEN_OAUTH", "EXIT"]
    page.evaluate("() => { linkLog.length = 0; handler.open(); }")
    page.wait_for_function("() => linkLog.some(e => e[1] === 'OPEN')")
    page.evaluate("() => { handler.destroy(); handler.open(); }")
    expect(page.locator("[data-plaid-link]")).to_have_count(0)
    assert [e[0] for e in page.evaluate("() => linkLog")] == ["event"]  # OPEN, no onExit
    assert any("open() on a destroyed handler" in e for e in errors)


def cross_site(app_url: str) -> str:
    """The app's page at ``localhost``: another site than the sandbox's ``127.0.0.1``, so
    the browser withholds the sandbox's ``SameSite=Lax`` cookie from Link's frame."""
    return app_url.replace("://127.0.0.1:", "://localhost:")


def test_link_js_lost_cookie_exits_with_an_error(page: Page, app_url: str, sdk: Any) -> None:
    frame = open_link(page, cross_site(app_url), link_token(sdk))
    framed: list[str] = []
    page.on(
        "response",
        lambda r: (
            framed.append(r.headers.get("content-security-policy", ""))
            if "/link/consent" in r.url
            else None
        ),
    )
    frame.get_by_role("button", name="Continue").click()  # its form comes back cookieless
    _, error, metadata = outcome(page, "exit")
    assert (error["error_type"], error["error_code"]) == ("API_ERROR", "INTERNAL_SERVER_ERROR")
    assert "session cookie" in error["error_message"]
    assert metadata["status"] is None
    assert framed and f"frame-ancestors {cross_site(app_url)}" in framed[0]


def test_link_js_forged_origin_is_refused_and_the_script_exits(
    page: Page, app_url: str, sdk: Any
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    frame = open_link(page, cross_site(app_url), link_token(sdk))
    page.wait_for_function("() => linkLog.some(e => e[1] === 'OPEN')")
    opened = callbacks(page, "event")[0][2]["link_session_id"]
    forged = URLSafeSerializer("not-the-sandbox-key", salt="link-embed-ticket")
    frame.locator("input[name=embed]").evaluate_all(
        "(inputs, ticket) => inputs.forEach(i => { i.value = ticket; })",
        forged.dumps(["any-token", cross_site(app_url)]),
    )
    framed: list[str] = []
    page.on(
        "response",
        lambda r: (
            framed.append(r.headers.get("content-security-policy", ""))
            if "/link/consent" in r.url
            else None
        ),
    )
    frame.get_by_role("button", name="Continue").click()
    _, error, metadata = outcome(page, "exit")  # the script's own, once the frame is silent
    assert (error["error_type"], error["error_code"]) == ("API_ERROR", "INTERNAL_SERVER_ERROR")
    assert "did not answer" in error["error_message"]
    assert metadata["link_session_id"] == opened and metadata["status"] is None
    assert framed and "frame-ancestors 'none'" in framed[0]  # refused: no page to post from
    assert any("did not answer" in e for e in errors)


def test_link_js_close_button_over_the_banks_page(page: Page, app_url: str, sdk: Any) -> None:
    frame = open_link(page, app_url, link_token(sdk))
    close = page.locator("[data-plaid-link] > button[aria-label='Exit Link']")
    expect(close).to_be_hidden()  # Link's panes have their own exit
    to_bank(frame, "Chase")
    frame.get_by_role("button", name="Continue to Chase").click()
    expect(frame.get_by_role("button", name="Sign in")).to_be_visible()
    close.click()  # the bank's page has no exit of its own
    _, error, metadata = outcome(page, "exit")
    assert error is None and metadata["status"] == "requires_oauth"
