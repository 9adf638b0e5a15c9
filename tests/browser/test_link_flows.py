"""Hosted Link and the banks' authorize pages in real Chromium, ending with the official SDK."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_hosted_link import LinkTokenCreateHostedLink
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sandbox.core.models import WebhookEvent
from sandbox.extensions import db
from sandbox.testing import LiveSandbox

pytestmark = pytest.mark.browser
HOOK = "http://127.0.0.1:9/hook"


def hosted_link(sdk: Any, live: LiveSandbox, **extra: Any) -> str:
    """A link token with Hosted Link that returns to the sandbox home page (in the US unless
    ``country_codes`` says otherwise, for Transactions unless ``products`` does); its URL."""
    request = LinkTokenCreateRequest(
        client_name="Budget Buddy",
        language="en",
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        webhook=HOOK,
        hosted_link=LinkTokenCreateHostedLink(completion_redirect_uri=f"{live.url}/"),
        **{"country_codes": [CountryCode("US")], **extra},
    )
    if "access_token" not in extra:
        request.products = extra.get("products") or [Products("transactions")]
    return str(sdk.link_token_create(request).hosted_link_url)


def start(page: Page, url: str, shot: Any) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("uses Link")
    shot("consent")
    page.get_by_role("button", name="Continue").click()


def pick(page: Page, name: str, shot: Any) -> None:
    page.get_by_label("Search for your bank").fill(name)
    page.get_by_role("button", name="Search").click()
    shot("search")
    page.get_by_role("button", name=re.compile(name)).first.click()


def sign_in(page: Page, password: str = "pass_good") -> None:
    page.get_by_label("Username").fill("user_good")
    page.get_by_label("Password").fill(password)


def public_token_of(page: Page) -> str:
    """Past the success pane, the public token Link handed to the completion redirect URI."""
    expect(page.get_by_role("heading", name="Success")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(re.compile(r"public_token="))
    return parse_qs(urlsplit(page.url).query)["public_token"][0]


def exchange_accounts(sdk: Any, public_token: str) -> tuple[str, list[Any]]:
    exchanged = sdk.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public_token)
    )
    accounts = sdk.accounts_get(AccountsGetRequest(access_token=exchanged.access_token)).accounts
    return exchanged.access_token, accounts


def test_link_non_oauth_bank_with_device_mfa(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    start(page, hosted_link(sdk, live), shot)
    pick(page, "First Platypus Bank", shot)
    expect(page.get_by_role("heading", level=1)).to_contain_text("First Platypus Bank")
    sign_in(page, "mfa_device")
    shot("credentials")
    page.get_by_role("button", name="Submit").click()
    page.get_by_label("Verification code").fill("1234")
    shot("mfa-device")
    page.get_by_role("button", name="Submit").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert [a.mask for a in accounts][:2] == ["0000", "1111"] and len(accounts) == 12


def test_link_oauth_bank_shares_only_the_ticked_accounts(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    url = hosted_link(sdk, live)
    start(page, url, shot)
    pick(page, "Chase", shot)
    shot("oauth-handoff")
    page.get_by_role("button", name="Continue to Chase").click()
    expect(page).to_have_url(re.compile(r"/oauth/ins_56/authorize\?.*code_challenge_method=S256"))
    sign_in(page)
    shot("bank-login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Allow Plaid")
    page.get_by_role("checkbox", name=re.compile("Plaid Saving")).uncheck()
    shot("bank-consent")
    page.get_by_role("button", name="Allow access").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    names = [a.name for a in accounts]
    assert "Plaid Saving" not in names and "Plaid Checking" in names and len(names) == 11
    token = url.split("token=")[1]
    sessions = sdk.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions
    result = sessions[0].results.item_add_results[0]
    assert result.institution.institution_id == "ins_56" and len(result.accounts) == 11
    with live.app.app_context():
        codes = db.session.scalars(
            select(WebhookEvent.webhook_code).where(
                WebhookEvent.body.contains(sessions[0].link_session_id)
            )
        ).all()
    assert {"ITEM_ADD_RESULT", "SESSION_FINISHED"} <= set(codes)


def test_link_oauth_denied_consent_then_retry(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    start(page, hosted_link(sdk, live), shot)
    pick(page, "Platypus OAuth Bank", shot)
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("alert")).to_contain_text("Access not granted")
    shot("denied")
    page.get_by_role("button", name="Try again").click()
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow access").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert len(accounts) == 12


def test_link_error_password_at_an_oauth_bank_comes_back_to_links_error_pane(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    """As Plaid's sandbox does: the bank's page hands the user back to Link, which shows the
    error and reports it on exit (the bank's page used to keep the user with the message)."""
    url = hosted_link(sdk, live)
    start(page, url, shot)
    pick(page, "Chase", shot)
    page.get_by_role("button", name="Continue to Chase").click()
    sign_in(page, "error_ITEM_LOCKED")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/link\?token="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    page.get_by_text("Developer details").click()
    expect(page.get_by_text("ITEM_LOCKED", exact=True)).to_be_visible()
    shot("oauth-error-password")
    page.get_by_role("button", name="Exit", exact=True).click()
    page.wait_for_url(re.compile(r"status=exited"))
    token = url.split("token=")[1]
    session = sdk.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions[0]
    assert session.exit.error.error_code == "ITEM_LOCKED"


def test_link_wrong_password_shows_error_and_retry_succeeds(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    start(page, hosted_link(sdk, live), shot)
    pick(page, "Wells Fargo", shot)
    sign_in(page, "not-the-password")
    page.get_by_role("button", name="Submit").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The credentials you provided were incorrect")
    expect(page.get_by_text("INVALID_CREDENTIALS")).to_be_hidden()  # folded away
    page.get_by_text("Developer details").click()
    expect(page.get_by_text("INVALID_CREDENTIALS")).to_be_visible()
    shot("wrong-password")
    page.get_by_role("button", name="Try again").click()
    sign_in(page)
    page.get_by_role("button", name="Submit").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert len(accounts) == 12


def test_link_update_mode_repairs_item_with_same_access_token(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    public = sdk.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("transactions")],
            options=SandboxPublicTokenCreateRequestOptions(webhook=HOOK),
        )
    ).public_token
    access_token, before = exchange_accounts(sdk, public)
    sdk.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    start(page, hosted_link(sdk, live, access_token=access_token), shot)
    expect(page.get_by_role("heading", level=1)).to_contain_text("First Platypus Bank")
    sign_in(page)
    shot("update-credentials")
    page.get_by_role("button", name="Submit").click()
    public_token_of(page)
    after = sdk.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert [a.account_id for a in after] == [a.account_id for a in before]
    with live.app.app_context():
        codes = db.session.scalars(select(WebhookEvent.webhook_code)).all()
    assert "LOGIN_REPAIRED" in codes


def test_link_open_in_two_tabs_the_older_tabs_bank_return_shows_links_pane(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    """The second tab went to the bank after the first: the first tab's Allow lands on
    Link's current pane, not on 'This sign-in has already ended' while Link is open."""
    url = hosted_link(sdk, live)
    start(page, url, shot)
    pick(page, "Chase", shot)
    page.get_by_role("button", name="Continue to Chase").click()
    other = page.context.new_page()
    other.goto(url)
    other.get_by_role("button", name="Continue to Chase").click()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow access").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("You will be sent to Chase to sign in")
    shot("older-tab-back-in-link")
    page.get_by_role("button", name="Continue to Chase").click()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow access").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert len(accounts) == 12


def test_link_try_again_after_an_oauth_banks_outage_offers_the_bank_list(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    """Try again took the user back to the bank that had just failed; Plaid's Link offers
    the bank list, as the sandbox does after a non-OAuth bank's outage."""
    start(page, hosted_link(sdk, live), shot)
    pick(page, "Chase", shot)
    page.get_by_role("button", name="Continue to Chase").click()
    sign_in(page, "error_INSTITUTION_DOWN")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your bank is unavailable")
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select your bank")
    shot("retry-bank-list")
    pick(page, "First Platypus Bank", shot)
    sign_in(page)
    page.get_by_role("button", name="Submit").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert len(accounts) == 12


def _oauth_item(page: Page, live: LiveSandbox, sdk: Any, shot: Any, keep: str) -> str:
    """An item at Platypus OAuth Bank linked in ``page`` sharing only the account ``keep``
    of the first two; its access token."""
    start(page, hosted_link(sdk, live), shot)
    pick(page, "Platypus OAuth Bank", shot)
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()
    for box in page.get_by_role("checkbox").all():
        if box.get_attribute("value") != keep:
            box.uncheck()
    page.get_by_role("button", name="Allow access").click()
    access_token, _ = exchange_accounts(sdk, public_token_of(page))
    return access_token


def test_link_update_mode_in_two_tabs_at_one_bank_ticks_each_items_accounts(
    page: Page, live: LiveSandbox, sdk: Any, shot: Any
) -> None:
    """Two items' update-mode Links open in two tabs, both sent to the bank: the first tab's
    bank page ticked the second item's accounts (the bank remembered one per bank)."""
    checking = _oauth_item(page, live, sdk, shot, keep="0")
    saving = _oauth_item(page, live, sdk, shot, keep="1")
    first, second = page, page.context.new_page()
    for tab, access_token in ((first, checking), (second, saving)):
        tab.goto(hosted_link(sdk, live, access_token=access_token))
        tab.get_by_role("button", name="Continue", exact=True).click()
        tab.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    sign_in(first)
    first.get_by_role("button", name="Sign in").click()
    expect(first.get_by_role("checkbox", name=re.compile("Plaid Checking"))).to_be_checked()
    expect(first.get_by_role("checkbox", name=re.compile("Plaid Saving"))).not_to_be_checked()
    second.reload()  # signed in at the bank by the first tab, as at a real bank
    expect(second.get_by_role("checkbox", name=re.compile("Plaid Saving"))).to_be_checked()
    expect(second.get_by_role("checkbox", name=re.compile("Plaid Checking"))).not_to_be_checked()
    first.get_by_role("button", name="Allow access").click()
    public_token_of(first)
    names = [a.name for a in sdk.accounts_get(AccountsGetRequest(access_token=checking)).accounts]
    assert names == ["Plaid Checking"]
