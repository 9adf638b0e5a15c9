"""Link's panes in real Chromium at 1280 px and 390 px: success, error with folded details,
the MFA hint, Link's own 404, update mode at an OAuth bank, Same Day and Instant
micro-deposits, Instant Match and Database Insights (US and Canada);
every page is checked for sideways scroll and accessibility (``pagecheck``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.link_token_create_request_auth import LinkTokenCreateRequestAuth
from plaid.model.products import Products
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from playwright.sync_api import Browser, Page, expect

from sandbox.testing import LiveSandbox

from .accessibility import assert_no_sideways_scroll
from .pagecheck import check_page, doc_shot
from .test_link_flows import exchange_accounts, hosted_link, public_token_of, sign_in

pytestmark = pytest.mark.browser


def open_link(page: Page, url: str, bank: str | None = None) -> None:
    """Past the consent pane (checked), then to ``bank``'s step if one is named."""
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Budget Buddy uses Link")
    check_page(page, "consent")
    page.get_by_role("button", name="Continue").click()
    if bank:
        choose(page, bank)


def choose(page: Page, name: str) -> None:
    page.get_by_label("Search for your bank").fill(name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=re.compile(name)).first.click()


def sign_in_at_the_bank(page: Page) -> None:
    """From Link's OAuth step to the bank's consent page, as ``user_good``."""
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()


def narrow(page: Page) -> str:
    return "phone" if page.viewport_size and page.viewport_size["width"] < 600 else "desktop"


def test_link_mfa_hint_then_success_pane(sized_page: Page, live: LiveSandbox, sdk: Any) -> None:
    page = sized_page
    open_link(page, hosted_link(sdk, live))
    expect(page.get_by_text("firstplatypusbank.example").first).to_be_visible()
    check_page(page, "select institution")
    doc_shot(page, f"link-select-bank-{narrow(page)}")
    choose(page, "First Platypus Bank")
    sign_in(page, "mfa_device")
    check_page(page, "credentials")
    page.get_by_role("button", name="Submit").click()
    hint = page.locator("#mfa-hint")
    expect(hint).to_contain_text("the code is 1234")
    check_page(page, "mfa")
    doc_shot(page, f"link-mfa-device-{narrow(page)}")
    page.get_by_label("Verification code").fill(hint.locator("code").inner_text())
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Success")).to_be_visible()
    expect(page.get_by_text("connected to Budget Buddy")).to_be_visible()
    expect(page.get_by_role("list", name="Accounts shared")).to_contain_text("Plaid Checking")
    check_page(page, "success")
    doc_shot(page, f"link-success-{narrow(page)}")
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert len(accounts) == 12


def test_link_error_pane_folds_the_developer_details(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page = sized_page
    open_link(page, hosted_link(sdk, live), "Wells Fargo")
    sign_in(page, "not-the-password")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wrong username or password")
    expect(page.get_by_role("alert")).to_contain_text("The credentials you provided")
    details = page.get_by_text("INVALID_CREDENTIALS")
    expect(details).to_be_hidden()
    check_page(page, "error pane")
    doc_shot(page, f"link-wrong-password-{narrow(page)}")
    page.get_by_text("Developer details").click()
    expect(details).to_be_visible()
    check_page(page, "error pane, details open")


def test_link_unknown_token_gets_links_own_404(sized_page: Page, live: LiveSandbox) -> None:
    page = sized_page
    reply = page.goto(f"{live.url}/link?token=link-sandbox-unknown")
    assert reply is not None and reply.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    check_page(page, "link 404")


def test_update_mode_at_an_oauth_bank_ticks_the_items_accounts_and_keeps_changes(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page = sized_page
    open_link(page, hosted_link(sdk, live), "Platypus OAuth Bank")
    sign_in_at_the_bank(page)
    for name in ("Plaid Saving", "Plaid CD"):
        page.get_by_role("checkbox", name=re.compile(name)).uncheck()
    page.get_by_role("button", name="Allow access").click()
    access_token, accounts = exchange_accounts(sdk, public_token_of(page))
    assert len(accounts) == 10
    sdk.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))

    open_link(page, hosted_link(sdk, live, access_token=access_token))
    sign_in_at_the_bank(page)
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(12)
    ticked = [b.get_attribute("value") for b in boxes.all() if b.is_checked()]
    assert len(ticked) == 10
    expect(page.get_by_role("checkbox", name=re.compile("Plaid Saving"))).not_to_be_checked()
    check_page(page, "bank consent, update mode")
    doc_shot(page, f"bank-consent-update-{narrow(page)}")
    page.get_by_role("checkbox", name=re.compile("Plaid Checking")).uncheck()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", name="Success")).to_be_visible()
    check_page(page, "success, update mode")
    public_token_of(page)
    names = [
        a.name for a in sdk.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    ]
    assert len(names) == 9 and "Plaid Checking" not in names and "Plaid Saving" not in names


def test_bank_consent_enter_allows_and_allow_is_first_on_screen_and_for_tab(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """Enter in a form presses its first submit button, so that one must be Allow (Enter on
    an account checkbox denied access); and where the buttons stack on a phone, the one on
    top must also be the one Tab reaches first."""
    page = sized_page
    open_link(page, hosted_link(sdk, live), "Platypus OAuth Bank")
    sign_in_at_the_bank(page)
    boxes = page.get_by_role("checkbox")
    boxes.last.focus()
    page.keyboard.press("Tab")
    allow, deny = (
        page.get_by_role("button", name="Allow access"),
        page.get_by_role("button", name="Deny"),
    )
    expect(allow).to_be_focused()
    first, second = allow.bounding_box(), deny.bounding_box()
    assert first and second
    assert (round(first["y"]), first["x"]) < (round(second["y"]), second["x"]), "Allow reads first"
    boxes.first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Success")).to_be_visible()


def test_same_day_micro_deposits_typed_numbers_then_the_deposit_code(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """Numbers typed on the bank pane, then update mode's deposit code pane, both checked."""
    page = sized_page
    same_day = LinkTokenCreateRequestAuth(same_day_microdeposits_enabled=True)
    open_link(page, hosted_link(sdk, live, auth=same_day, products=[Products("auth")]))
    manual = page.get_by_role("form", name="Link with account numbers instead")
    manual.get_by_label("Routing number").fill("110000000")
    manual.get_by_label("Account number").fill("1111222233330000")
    check_page(page, "select institution, manual entry")
    manual.get_by_role("button", name="Continue").click()
    access_token, accounts = exchange_accounts(sdk, public_token_of(page))
    assert [str(a.verification_status) for a in accounts] == ["pending_manual_verification"]

    open_link(page, hosted_link(sdk, live, access_token=access_token))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your bank statement"
    )
    page.get_by_label("Deposit code").fill("XYZ")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("2 attempts left")
    check_page(page, "deposit code, wrong once")
    page.get_by_label("Deposit code").fill(page.locator("#code-hint code").inner_text())
    page.get_by_role("button", name="Verify").click()
    public_token_of(page)
    (account,) = sdk.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert str(account.verification_status) == "manually_verified"


def test_instant_micro_deposits_numbers_then_the_code_in_the_same_session(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """Windowpane's numbers typed on the bank pane lead straight to the deposit code pane
    (no update mode); a wrong code says the tries left, the right one hands off the item."""
    page = sized_page
    instant = LinkTokenCreateRequestAuth(instant_microdeposits_enabled=True)
    open_link(page, hosted_link(sdk, live, auth=instant, products=[Products("auth")]))
    manual = page.get_by_role("form", name="Link with account numbers instead")
    expect(manual.locator("#manual-hints")).to_contain_text("Instant micro-deposits")
    manual.get_by_label("Routing number").fill("333333334")
    manual.get_by_label("Account number").fill("1111222233330000")
    manual.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your bank statement"
    )
    page.get_by_label("Deposit code").fill("ABD")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("2 attempts left")
    check_page(page, "instant deposit code, wrong once")
    page.get_by_label("Deposit code").fill("abc")
    page.get_by_role("button", name="Verify").click()
    access_token, accounts = exchange_accounts(sdk, public_token_of(page))
    assert [str(a.verification_status) for a in accounts] == ["manually_verified"]
    item = sdk.item_get(ItemGetRequest(access_token=access_token)).item
    assert str(item.auth_method) == "INSTANT_MICRODEPOSITS"


def test_instant_match_asks_for_plaid_savings_numbers_after_the_sign_in(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """Signed in at Houndstooth with Auth, Link asks for the numbers of Plaid Saving ••1111:
    a wrong account number names the field; the right numbers link that one account."""
    page = sized_page
    open_link(page, hosted_link(sdk, live, products=[Products("auth")]), "Houndstooth Bank")

    def sign_in_then_numbers(account: str) -> None:
        sign_in(page)
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your account numbers")
        expect(page.locator("#match-account")).to_contain_text("Plaid Saving ••1111")
        # By role: the pane's title ("…account numbers") labels the page's main landmark too.
        page.get_by_role("textbox", name=re.compile("^Routing number")).fill("021000021")
        page.get_by_role("textbox", name=re.compile("^Account number")).fill(account)

    sign_in_then_numbers("1111222233330000")
    check_page(page, "instant match numbers")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the account number")
    expect(page.get_by_role("alert")).to_contain_text("does not match Plaid Saving ••1111")
    check_page(page, "instant match failed")
    page.get_by_role("button", name="Try again").click()
    sign_in_then_numbers("1111222233331111")
    page.get_by_role("button", name="Continue").click()
    access_token, accounts = exchange_accounts(sdk, public_token_of(page))
    assert [(a.name, a.mask) for a in accounts] == [("Plaid Saving", "1111")]
    item = sdk.item_get(ItemGetRequest(access_token=access_token)).item
    assert str(item.auth_method) == "INSTANT_MATCH"
    numbers = sdk.auth_get(AuthGetRequest(access_token=access_token)).numbers.ach
    assert [n.account_id for n in numbers] == [accounts[0].account_id]


def test_database_insights_numbers_and_the_holders_name(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """The bank pane's name field, typed: the item links at once with Plaid's verdict and
    the name's score."""
    page = sized_page
    insights = LinkTokenCreateRequestAuth(database_insights_enabled=True)
    open_link(page, hosted_link(sdk, live, auth=insights, products=[Products("auth")]))
    manual = page.get_by_role("form", name="Link with account numbers instead")
    manual.get_by_label("Routing number").fill("011401533")
    manual.get_by_label("Account number").fill("1111222233331111")
    manual.get_by_label("Account holder's name").fill("John Smith")
    check_page(page, "select institution, database insights entry")
    manual.get_by_role("button", name="Continue").click()
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    (account,) = accounts
    assert str(account.verification_status) == "database_insights_pass"
    assert account.verification_insights.name_match_score == 100


def test_canadian_database_insights_takes_institution_transit_and_account_numbers(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """A Canada-only Link's bank pane asks for EFT numbers (no routing number); Plaid's
    Canadian test numbers pass, and ``/auth/get`` answers with ``numbers.eft``."""
    page = sized_page
    insights = LinkTokenCreateRequestAuth(database_insights_enabled=True)
    url = hosted_link(
        sdk, live, auth=insights, products=[Products("auth")], country_codes=[CountryCode("CA")]
    )
    open_link(page, url)
    manual = page.get_by_role("form", name="Link with account numbers instead")
    expect(manual.get_by_label("Routing number")).to_have_count(0)
    manual.get_by_label("Institution number").fill("110")
    manual.get_by_label("Transit (branch) number").fill("11111")
    manual.get_by_label("Account number").fill("11223311")
    manual.get_by_label("Account holder's name").fill("John Smith")
    check_page(page, "select institution, canadian database insights entry")
    manual.get_by_role("button", name="Continue").click()
    access_token, (account,) = exchange_accounts(sdk, public_token_of(page))
    assert str(account.verification_status) == "database_insights_pass"
    numbers = sdk.auth_get(AuthGetRequest(access_token=access_token)).numbers
    (eft,) = numbers.eft
    assert eft.account_id == account.account_id
    assert not numbers.ach


def test_back_from_a_banks_sign_in_by_keyboard_then_another_bank(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """A wrong bank picked: Back (first in tab order, before Exit) lists the banks again; the
    sign-in pane with it passes the page checks."""
    page = sized_page
    open_link(page, hosted_link(sdk, live), "First Platypus Bank")
    check_page(page, "credentials with back")
    back = page.get_by_role("button", name="Back to the list of banks")
    page.keyboard.press("Shift+Tab")  # from the username field: Exit, then Back
    page.keyboard.press("Shift+Tab")
    expect(back).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    choose(page, "First Platypus Balance Bank")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter your First Platypus Balance Bank credentials"
    )
    sign_in(page)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Success")).to_be_visible()


def test_a_form_sent_after_the_session_was_lost_continues_in_link_by_keyboard(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """Cookies cleared mid-flow (a long pause, a privacy setting): the pane's form gets
    Link's own page, which explains and continues into Link, not the developer site's 400."""
    page = sized_page
    open_link(page, hosted_link(sdk, live), "First Platypus Bank")
    page.context.clear_cookies()
    sign_in(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page has expired")
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    check_page(page, "form expired")
    resume = page.get_by_role("link", name="Continue")
    expect(resume).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Budget Buddy uses Link")


def test_the_banks_sign_in_sent_after_the_session_was_lost_is_the_banks_own_page(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    """The bank's page says what happened and what to do, in the bank's colours."""
    page = sized_page
    open_link(page, hosted_link(sdk, live), "Platypus OAuth Bank")
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    page.context.clear_cookies()
    sign_in(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This page has expired")
    expect(page.get_by_text("Go back to the app")).to_be_visible()
    check_page(page, "bank form expired")


def test_a_picker_without_banks_explains_and_exits(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page = sized_page
    open_link(page, hosted_link(sdk, live, country_codes=[CountryCode("ES")]))
    status = page.get_by_role("status")
    expect(status).to_have_text("No banks are available for Budget Buddy in your country.")
    check_page(page, "no banks")
    page.get_by_role("button", name="Exit Link").click()
    page.wait_for_url(re.compile(r"status=exited"))


def test_an_oauth_link_reflows_at_320_px_without_sideways_scroll(
    browser: Browser, live: LiveSandbox, sdk: Any
) -> None:
    """WCAG 1.4.10 (Reflow) asks for 320 CSS px: the bank's list of accounts (a fieldset,
    whose default minimum width is its content's) pushed the consent page sideways there."""
    context = browser.new_context(viewport={"width": 320, "height": 568}, bypass_csp=True)
    page = context.new_page()
    open_link(page, hosted_link(sdk, live), "Platypus OAuth Bank")
    assert_no_sideways_scroll(page, "oauth pane at 320 px")
    sign_in_at_the_bank(page)
    expect(page.get_by_role("checkbox")).to_have_count(12)
    assert_no_sideways_scroll(page, "bank consent at 320 px")
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", name="Success")).to_be_visible()
    assert_no_sideways_scroll(page, "success at 320 px")
    context.close()
