"""TrueLayer's auth dialog in real Chromium: picker → bank page → consent → code exchange."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, Route, expect

from sandbox.core.bank import find_app_client
from sandbox.extensions import db, tenant_bank
from sandbox.testing import LiveSandbox

pytestmark = pytest.mark.browser
SCOPES = "info accounts balance cards transactions offline_access"


@pytest.fixture
def redirect_uri(live: LiveSandbox) -> str:
    """The sandbox's home page, registered as the app's redirect URI (it ignores ``code``)."""
    uri = f"{live.url}/"
    with live.app.app_context():
        client = find_app_client(db.session, live.client_id)
        tenant_bank(client.tenant).grants.update_client(client.client_id, add_redirect_uris=[uri])
        db.session.commit()
    return uri


def auth_link(live: LiveSandbox, redirect_uri: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": f"sandbox-{live.client_id}",
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "state": "browser-state",
        "providers": "uk-ob-all uk-oauth-all uk-cs-mock",
        **extra,
    }
    return f"{live.url}/?{urlencode(params)}"


def exchange(live: LiveSandbox, url: str, redirect_uri: str) -> dict[str, str]:
    """The app's back end: redeem the code the browser brought back, then call /me."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["state"] == "browser-state"
    form = {
        "grant_type": "authorization_code",
        "client_id": live.client_id,
        "client_secret": live.secret,
        "code": query["code"],
        "redirect_uri": redirect_uri,
    }
    tokens = requests.post(f"{live.url}/connect/token", data=form, timeout=10).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me: dict[str, str] = requests.get(f"{live.url}/data/v1/me", headers=headers, timeout=10).json()
    return me["results"][0]  # type: ignore[return-value]


def test_mock_bank_picker_sign_in_consent_and_exchange(
    page: Page, live: LiveSandbox, redirect_uri: str, shot: object
) -> None:
    page.goto(auth_link(live, redirect_uri))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your bank")
    shot("picker")  # type: ignore[operator]
    page.get_by_role("button", name="Mock").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Mock")
    page.get_by_label("Username").fill("john")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid username or password.")
    page.get_by_label("Username").fill("john")
    page.get_by_label("Password").fill("doe")
    shot("sign-in")  # type: ignore[operator]
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share your Mock data")
    expect(page.get_by_text("Mock Mastercard Credit Card")).to_be_visible()
    shot("consent")  # type: ignore[operator]
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{redirect_uri}?*")
    me = exchange(live, page.url, redirect_uri)
    assert me["provider"]["provider_id"] == "mock"  # type: ignore[index]
    assert me["consent_status"] == "Authorised"


def test_oauth_bank_page_round_trip(
    page: Page, live: LiveSandbox, redirect_uri: str, shot: object
) -> None:
    page.goto(auth_link(live, redirect_uri))
    page.get_by_role("button", name="Monzo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monzo")  # the bank's page
    shot("bank-login")  # type: ignore[operator]
    page.get_by_label("Password").fill("pass_good")
    page.locator("input[name=username]").fill("user_good")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Allow TrueLayer to access your data?"
    )
    shot("bank-consent")  # type: ignore[operator]
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share your Monzo data")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{redirect_uri}?*")
    assert exchange(live, page.url, redirect_uri)["provider"]["provider_id"] == "ob-monzo"  # type: ignore[index]


def test_cancel_returns_access_denied_and_pages_fit_390px(
    browser: object, live: LiveSandbox, redirect_uri: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(auth_link(live, redirect_uri, provider_id="mock"))
    for _ in range(2):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{page.url} scrolls sideways at 390 px ({width} px)"
        if page.get_by_label("Username").count():
            page.get_by_label("Username").fill("john")
            page.get_by_label("Password").fill("doe")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Allow")).to_be_visible()
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_url(f"{redirect_uri}?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["browser-state"]
    context.close()


def _allow_with_form_post(page: Page, live: LiveSandbox, redirect_uri: str) -> list[str]:
    """Through the dialog in ``form_post`` mode to its last page; returns the POST the app
    received (its body as ``key=value`` pairs): a route stands in for the app's callback."""
    posted: list[str] = []

    def app_callback(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posted.append(route.request.post_data or "")
        body = '<!doctype html><link rel="icon" href="data:,"><title>App</title><p>Got it</p>'
        route.fulfill(status=200, content_type="text/html", body=body)

    page.route(redirect_uri, app_callback)
    page.goto(auth_link(live, redirect_uri, provider_id="mock", response_mode="form_post"))
    page.get_by_label("Username").fill("john")
    page.get_by_label("Password").fill("doe")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()
    return posted


def test_form_post_returns_to_the_app_by_itself_under_the_pages_csp(
    page: Page, live: LiveSandbox, redirect_uri: str
) -> None:
    """The last page's script submits the form: the page's CSP must allow that script (and
    only it); a blocked one left the user on "Returning to the app…" with a console error."""
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    posted = _allow_with_form_post(page, live, redirect_uri)
    expect(page.get_by_text("Got it")).to_be_visible(timeout=5_000)
    fields = parse_qs(posted[0])
    assert fields["state"] == ["browser-state"] and fields["code"]
    assert [line for line in console if line.startswith("error")] == []


def test_form_post_without_javascript_returns_on_continue(
    browser: Browser, live: LiveSandbox, redirect_uri: str
) -> None:
    """The page says what to do when it stays put (a ``<noscript>`` hint never shows where a
    script is allowed to run but does not)."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    posted = _allow_with_form_post(page, live, redirect_uri)
    expect(page.get_by_text("If the app does not open by itself, press Continue.")).to_be_visible()
    assert posted == []
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Got it")).to_be_visible()
    assert parse_qs(posted[0])["state"] == ["browser-state"]
    context.close()


def test_an_error_password_at_a_banks_page_returns_the_error_to_the_app(
    page: Page, live: LiveSandbox, redirect_uri: str, shot: object
) -> None:
    """The bank's page used to keep the user with its message: the app now gets TrueLayer's
    code for the error on its redirect URI, with its ``state``, and can handle it."""
    page.goto(auth_link(live, redirect_uri))
    page.get_by_role("button", name="Monzo").click()
    page.locator("input[name=username]").fill("user_good")
    page.get_by_label("Password").fill("error_ITEM_LOCKED")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{redirect_uri}?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["error"] == ["account_temporarily_locked"] and query["state"] == ["browser-state"]
    assert "code" not in query


def test_cookies_cleared_mid_dialog_end_on_a_page_that_says_so(
    page: Page, live: LiveSandbox, redirect_uri: str
) -> None:
    """The page said "Go back, reload the page and try again", and both led nowhere."""
    page.goto(auth_link(live, redirect_uri, provider_id="mock"))
    page.get_by_label("Username").fill("john")
    page.get_by_label("Password").fill("doe")
    page.context.clear_cookies()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in has ended")
    expect(page.get_by_text("nothing was signed in or shared")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in has ended")


def test_not_you_at_the_bank_signs_in_another_user(
    page: Page, live: LiveSandbox, redirect_uri: str
) -> None:
    """Signed in as the wrong user, the bank's consent page offered only Deny (ending the
    app's sign-in); "Not you?" goes back to the bank's sign-in, by keyboard too."""
    page.goto(auth_link(live, redirect_uri, provider_id="ob-monzo"))
    page.locator("input[name=username]").fill("john")
    page.get_by_label("Password").fill("doe")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as john")).to_be_visible()
    page.get_by_role("button", name="Not you? Sign in again").focus()
    page.keyboard.press("Enter")
    page.locator("input[name=username]").fill("user_good")
    page.get_by_label("Password").fill("pass_good")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as user_good")).to_be_visible()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share your Monzo data")
